"""Read models of speeches for the CLI and exports: a speech with its copies and why each is there."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from monitor.dedup.fingerprint import containment, hamming, shingles, to_unsigned
from storage.database import Database
from storage.models import Document, Speech

SPEECH_EXPORT_FIELDS = ("speech_id", "title", "speaker", "speaker_post", "organization", "region_code", "region",
                        "occasion", "speech_date", "speech_date_precision", "doc_type", "topic", "copies",
                        "canonical_url", "canonical_reason", "provenance", "copy_list")  # fmt: skip


def copy_rows(canonical: Document | None, copies: list[Document]) -> list[dict]:
    """Each copy with its distance and containment against the canonical copy."""
    rows = []
    base = shingles(canonical.match_text or "") if canonical is not None else set()
    for copy in sorted(copies, key=lambda d: d.id):
        own = shingles(copy.match_text or "")
        smaller, larger = (own, base) if len(own) <= len(base) else (base, own)
        rows.append(
            {
                "document_id": copy.id,
                "canonical": canonical is not None and copy.id == canonical.id,
                "url": copy.url,
                "source": copy.source,
                "source_kind": copy.source_kind,
                "page_title": copy.page_title,
                "characters": copy.norm_length,
                "hamming": None
                if canonical is None or copy.simhash is None or canonical.simhash is None
                else hamming(to_unsigned(copy.simhash), to_unsigned(canonical.simhash)),
                "containment": round(containment(smaller, larger), 3) if base and own else None,
                "truncated": bool(copy.truncated),
                "script": copy.script,
                "masked": bool(copy.masked),
                "link": copy.speech_link,
                "fetched_at": copy.fetched_at.isoformat() if copy.fetched_at else None,
            }
        )
    return rows


def speech_record(db: Database, speech_id: int) -> dict | None:
    with db.read() as session:
        speech = session.get(Speech, speech_id)
        if speech is None:
            return None
        copies = list(session.scalars(select(Document).where(Document.speech_id == speech_id)))
    canonical = next((c for c in copies if c.id == speech.canonical_document_id), None)
    return {
        "speech_id": speech.id,
        **{name: getattr(speech, name) for name in SPEECH_EXPORT_FIELDS[1:12]},
        "copies": speech.copies,
        "canonical_url": canonical.url if canonical else None,
        "canonical_reason": speech.canonical_reason,
        "provenance": speech.provenance,
        "copy_list": copy_rows(canonical, copies),
    }


def speech_records(db: Database) -> Iterator[dict]:
    with db.read() as session:
        ids = list(session.scalars(select(Speech.id).order_by(Speech.id)))
    for speech_id in ids:
        record = speech_record(db, speech_id)
        if record is not None:
            yield record
