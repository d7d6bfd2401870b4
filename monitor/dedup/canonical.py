"""The canonical copy of a speech and its fields, each taken from the best copy that knows it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from monitor.extract.script import to_simplified
from storage.models import Document, Speech
from storage.search import refresh_speech_index

SPEECH_FIELDS = ("title", "speaker", "speaker_post", "organization", "region_code", "region", "occasion",
                 "speech_date", "speech_date_precision", "doc_type", "topic")  # fmt: skip


DEFER_INDEX = "speechwatch.defer_speech_index"  # session.info key: a set of speech ids to index at the end

TEXT_FIELDS = ("title", "speaker", "speaker_post", "organization", "region", "occasion")
# what ranking and the speech's fields read of a copy: not its text or raw HTML (a speech may have many copies)
COPY_COLUMNS = ("id", "source", "source_kind", "truncated", "compilation", "norm_length", "published_at",
                "first_seen_at", "masked", *SPEECH_FIELDS)  # fmt: skip
COPY_FIELDS = load_only(*(getattr(Document, name) for name in COPY_COLUMNS))


def _is_original(document: Document) -> bool:
    return document.source_kind == "gov" and not document.truncated


def _first_seen(document: Document) -> str:
    return document.published_at or (document.first_seen_at.isoformat() if document.first_seen_at else "9999")


def rank(document: Document) -> tuple:
    """Government original first, then complete before truncated, then longest, then earliest."""
    return (
        0 if _is_original(document) else 1,
        1 if document.truncated else 0,
        1 if document.compilation else 0,
        -(document.norm_length or 0),
        _first_seen(document),
        document.id,
    )


def canonical_reason(best: Document, copies: list[Document]) -> str:
    if len(copies) == 1:
        return "only copy"
    if _is_original(best):
        return f"government original ({best.source}), complete"
    others = [c for c in copies if c.id != best.id]
    if any((c.norm_length or 0) == (best.norm_length or 0) and not c.truncated for c in others):
        return f"earliest of the equally complete copies ({_first_seen(best)[:10]})"
    return f"most complete copy ({best.norm_length} characters{', truncated' if best.truncated else ''})"


def speech_values(copies: Sequence) -> dict[str, object]:
    """A speech's canonical copy and fields from its copies (ORM rows or Core rows of ``COPY_FIELDS``)."""
    ordered = sorted(copies, key=rank)
    best = ordered[0]
    values: dict[str, object] = {"canonical_document_id": best.id, "canonical_reason": canonical_reason(best, copies),
                                 "copies": len(copies)}  # fmt: skip
    provenance = {}
    for name in SPEECH_FIELDS:
        value, source = None, None
        for copy in ordered:  # a masked copy's speaker is no name; later copies may know the date
            candidate = getattr(copy, name)
            if candidate not in (None, "") and not (copy.masked and name in ("speaker", "region_code", "region")):
                value, source = candidate, copy.id
                break
        if isinstance(value, str) and name in TEXT_FIELDS:
            value = to_simplified(value)  # one script for the speech, whatever copy knew the field
        values[name] = value
        if source is not None:
            provenance[name] = source
    values["provenance"] = provenance
    return values


def refresh_speech(session: Session, speech_id: int) -> None:
    """Recompute a speech's canonical copy and fields from its copies (inside the caller's unit of work)."""
    speech = session.get(Speech, speech_id)
    if speech is None:
        return
    copies = list(session.scalars(select(Document).options(COPY_FIELDS).where(Document.speech_id == speech_id)))
    if not copies:
        return
    for name, value in speech_values(copies).items():
        setattr(speech, name, value)
    speech.updated_at = datetime.now(UTC)
    deferred = session.info.get(DEFER_INDEX)
    if deferred is not None:  # the caller indexes once per unit of work (clustering: once per chunk)
        deferred.add(speech_id)
    else:
        refresh_speech_index(session, speech_id)  # search index (storage.search) follows the canonical text
