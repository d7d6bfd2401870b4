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
