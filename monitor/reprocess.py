"""Re-run extraction over stored raw HTML (no refetching): after an extractor change, or once a new site's
chrome has been learned."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import func, select, update

from monitor.extract.chrome import answers_hold
from monitor.extract.core import analysis_values, extract
from monitor.profiles import SiteProfiles
from storage.database import Database
from storage.documents import content_hash_of, decompress_html, queue_for_mining
from storage.models import Document, Source

BATCH = 100


@dataclass
class ReprocessCounts:
    total: int = 0
    changed: int = 0
    failed: int = 0
    settled: int = 0  # not extracted again: the chrome answers they relied on still hold (``reextract_run``)


def reextract_run(db: Database, run_id: int, checks: Mapping[str, tuple] | None = None) -> ReprocessCounts:
    """Extract a run's documents again now that their sites' chrome has been counted with them.

    ``checks`` holds, by canonical URL, the learned-chrome answers each page's extraction relied on
    (``ChromeChecks.packed``); a page whose answers all hold under its site's chrome as stored now would be
    extracted the same, so it is skipped (counted in ``settled``). Pages without recorded answers are extracted.
    """
    if checks is None:
        return reprocess_documents(db, run_id=run_id)
    selectors = _source_selectors(db)
    profiles: dict[str, SiteProfiles] = {}
    redo, settled = [], 0
    with db.read() as session:
        rows = session.execute(
            select(Document.id, Document.url, Document.final_url, Document.source).where(Document.run_id == run_id)
        ).all()
    for document_id, url, final_url, source in rows:
        packed = checks.get(url)
        if packed is not None:
            if source not in profiles:
                profiles[source] = SiteProfiles(db, selectors.get(source))
            chrome = profiles[source].get(urlsplit(final_url).hostname or "").chrome
            if chrome is not None and answers_hold(packed, chrome):
                settled += 1
                continue
        redo.append(document_id)
    counts = reprocess_documents(db, ids=redo, profiles=profiles) if redo else ReprocessCounts()
    counts.total += settled
    counts.settled = settled
    return counts


def reprocess_documents(
    db: Database,
    source: str | None = None,
    run_id: int | None = None,
    *,
    ids: Sequence[int] | None = None,
    profiles: dict[str, SiteProfiles] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ReprocessCounts:
    """Extract every selected document (by source, run or ids) again from its stored raw HTML; write only what
    changed."""
    counts = ReprocessCounts()
    selectors = _source_selectors(db)
    profiles = {} if profiles is None else profiles
    ordered = sorted(ids) if ids is not None else None
    last_id = 0
    while True:
        with db.read() as session:
            query = select(Document).where(Document.id > last_id).order_by(Document.id).limit(BATCH)
            if source:
                query = query.where(Document.source == source)
            if run_id is not None:
                query = query.where(Document.run_id == run_id)
            if ordered is not None:
                start = bisect_right(ordered, last_id)
                query = query.where(Document.id.in_(ordered[start : start + BATCH]))
            documents = list(session.scalars(query))
        if not documents:
            return counts
        last_id = documents[-1].id
        updates, to_mine = [], []
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
                    values.update(fingerprinted_hash=None)
                    to_mine.append(document.id)
                elif values.get("doc_type") != document.doc_type:  # a page now read as a speech is mined (again)
                    to_mine.append(document.id)
                updates.append((document.id, values))
        if updates:
            with db.write() as session:
                for document_id, values in updates:
                    session.execute(update(Document).where(Document.id == document_id).values(**values))
                if to_mine:
                    texts = select(Document.id, Document.content_hash).where(Document.id.in_(to_mine))
                    queue_for_mining(session.connection(), db.dialect, texts)
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
