"""Re-run extraction over stored raw HTML (no refetching): after an extractor change, or once a new site's
chrome has been learned."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import func, select, update

from monitor.extract.core import analysis_values, extract
from monitor.profiles import SiteProfiles
from storage.database import Database
from storage.documents import content_hash_of, decompress_html
from storage.models import Document, Source

BATCH = 100


@dataclass
class ReprocessCounts:
    total: int = 0
    changed: int = 0
    failed: int = 0


def reprocess_documents(
    db: Database,
    source: str | None = None,
    run_id: int | None = None,
    *,
    on_progress: Callable[[int], None] | None = None,
) -> ReprocessCounts:
    """Extract every selected document again from its stored raw HTML; write only what changed."""
    counts = ReprocessCounts()
    selectors = _source_selectors(db)
    profiles: dict[str, SiteProfiles] = {}
    last_id = 0
    while True:
        with db.read() as session:
            query = select(Document).where(Document.id > last_id).order_by(Document.id).limit(BATCH)
            if source:
                query = query.where(Document.source == source)
            if run_id is not None:
                query = query.where(Document.run_id == run_id)
            documents = list(session.scalars(query))
        if not documents:
            return counts
        last_id = documents[-1].id
        updates = []
        for document in documents:
            counts.total += 1
            if document.source not in profiles:
                profiles[document.source] = SiteProfiles(db, selectors.get(document.source))
            try:
                values = extracted_values(document, profiles[document.source])
            except Exception:  # noqa: BLE001 - one broken page must not stop a reprocess; counted
                counts.failed += 1
                continue
            if any(getattr(document, key) != value for key, value in values.items()):
                if values["content_hash"] != document.content_hash:  # new text: cluster and mine it again
                    values.update(fingerprinted_hash=None, commitments_hash=None)
                updates.append((document.id, values))
        if updates:
            with db.write() as session:
                for document_id, values in updates:
                    session.execute(update(Document).where(Document.id == document_id).values(**values))
            counts.changed += len(updates)
        if on_progress:
            on_progress(len(documents))


def count_selected(db: Database, source: str | None = None) -> int:
    with db.read() as session:
        query = select(func.count(Document.id))
        if source:
            query = query.where(Document.source == source)
        return session.scalar(query) or 0


def extracted_values(document: Document, profiles: SiteProfiles) -> dict:
    """Columns of one stored document as the extractor sees its raw HTML now."""
    html = decompress_html(document.raw_html).decode(document.encoding or "utf-8", errors="replace")
    host = urlsplit(document.final_url).hostname or ""
    extraction = extract(html, document.final_url, profiles.get(host))
    values = analysis_values(extraction)
    values.update(
        title=extraction.title,
        page_title=extraction.page_title,
        published_at=extraction.published_at,
        text=extraction.text,
        content_hash=content_hash_of(extraction.text, document.raw_html),
    )
    return values


def _source_selectors(db: Database) -> dict[str, dict[str, str]]:
    with db.read() as session:
        rows = session.execute(select(Source.name, Source.config)).all()
    return {name: (config or {}).get("selectors") or {} for name, config in rows}
