"""Export stored records as JSONL or CSV with documented fields (see README, "Export")."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import IO

from storage.database import Database
from storage.documents import iter_documents
from storage.models import Document

DOCUMENT_FIELDS = (
    "id",
    "url",
    "final_url",
    "source",
    "source_kind",
    "http_status",
    "fetched_at",
    "first_seen_at",
    "changed_at",
    "etag",
    "last_modified",
    "content_hash",
    "encoding",
    "raw_size",
    "title",
    "page_title",
    "published_at",
    "speaker",
    "speaker_post",
    "organization",
    "region_code",
    "region",
    "occasion",
    "speech_date",
    "speech_date_precision",
    "doc_type",
    "topic",
    "relevance",
    "script",
    "masked",
    "truncated",
    "truncation_marker",
    "text_chars",
    "text",
    "match_text",
)
ANALYSIS_EXPORT = DOCUMENT_FIELDS[DOCUMENT_FIELDS.index("speaker") : DOCUMENT_FIELDS.index("text_chars")]


def document_record(document: Document) -> dict:
    return {
        "id": document.id,
        "url": document.url,
        "final_url": document.final_url,
        "source": document.source,
        "source_kind": document.source_kind,
        "http_status": document.http_status,
        "fetched_at": document.fetched_at.isoformat() if document.fetched_at else None,
        "first_seen_at": document.first_seen_at.isoformat() if document.first_seen_at else None,
        "changed_at": document.changed_at.isoformat() if document.changed_at else None,
        "etag": document.etag,
        "last_modified": document.last_modified,
        "content_hash": document.content_hash,
        "encoding": document.encoding,
        "raw_size": document.raw_size,
        "title": document.title,
        "page_title": document.page_title,
        "published_at": document.published_at,
        **{name: getattr(document, name) for name in ANALYSIS_EXPORT},
        "text_chars": len(document.text or ""),
        "text": document.text,
        "match_text": document.match_text,
    }


def document_records(db: Database, source: str | None = None) -> Iterator[dict]:
    for document in iter_documents(db, source):
        yield document_record(document)


def write_records(records: Iterable[dict], fields: tuple[str, ...], output_format: str, out: IO[str]) -> int:
    """Write records as ``jsonl`` or ``csv``; returns how many were written."""
    count = 0
    if output_format == "jsonl":
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    elif output_format == "csv":
        writer = csv.DictWriter(out, fieldnames=list(fields), extrasaction="ignore")
        writer.writeheader()
        for record in records:
            writer.writerow(record)
            count += 1
    else:
        raise ValueError(f"unknown format {output_format!r}; use jsonl or csv")
    return count


COMMITMENT_EXPORT_FIELDS = ("id", "status", "stored_status", "speech_id", "speech_title", "speaker", "region_code",
                            "region", "speech_date", "text", "sentence", "action", "deadline", "deadline_precision",
                            "deadline_text", "deadline_resolved", "quantities", "strength", "tier", "topic", "cited",
                            "actor", "actor_implicit", "counterparty", "flagged", "reviewer", "note", "status_at",
                            "document_id", "url", "start", "end", "evidence", "related_id", "relation", "created_at",
                            "updated_at")  # fmt: skip


def commitment_records(db: Database, source: str | None = None, batch: int = 500) -> Iterator[dict]:
    """Every commitment in id order with its speech's title, speaker and place and the URL of the copy it was
    found in; ``status`` as shown (``overdue``), ``stored_status`` as stored. ``source``: found in that source."""
    from sqlalchemy import select

    from monitor.commitments.track import display_status
    from storage.models import Commitment, Speech

    last_id = 0
    while True:
        with db.read() as session:
            query = (
                select(Commitment, Speech, Document.url)
                .join(Speech, Speech.id == Commitment.speech_id, isouter=True)
                .join(Document, Document.id == Commitment.document_id, isouter=True)
                .where(Commitment.id > last_id)
                .order_by(Commitment.id)
                .limit(batch)
            )
            if source:
                query = query.where(Document.source == source)
            rows = session.execute(query).all()
        if not rows:
            return
        for row, speech, url in rows:
            record = {name: getattr(row, name, None) for name in COMMITMENT_EXPORT_FIELDS}
            record.update(
                status=display_status(row), stored_status=row.status, url=url,
                speech_title=speech.title if speech else None, speaker=speech.speaker if speech else None,
                region_code=speech.region_code if speech else None, region=speech.region if speech else None,
                speech_date=speech.speech_date if speech else None,
                status_at=row.status_at.isoformat() if row.status_at else None,
                created_at=row.created_at.isoformat() if row.created_at else None,
                updated_at=row.updated_at.isoformat() if row.updated_at else None,
            )  # fmt: skip
            yield record
        last_id = rows[-1][0].id
