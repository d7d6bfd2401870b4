"""Import pages saved by other crawlers (WARC response records) through the crawl's own document path."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.http.headers import Headers
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from crawler.documents import to_record
from crawler.items import PageItem
from crawler.middlewares import detect_antibot, repaired_encoding
from crawler.sources import Source
from monitor.collecting import fewer_collections
from monitor.ingest_workers import PageExtractor, ingest_workers
from monitor.profiles import SiteProfiles
from monitor.reprocess import reextract_run
from storage.database import Database
from storage.documents import store_documents
from storage.runs import finish_run, start_run
from storage.sources import ensure_source

log = logging.getLogger(__name__)
BATCH = 50


class IngestError(ValueError):
    """A WARC file that cannot be read at all."""


@dataclass
class IngestCounts:
    records: int = 0
    pages: int = 0
    skipped: int = 0
    blocked: int = 0
    errors: int = 0


def iter_warc_pages(path: Path, counts: IngestCounts) -> Iterator[TextResponse]:
    """HTML response records of a WARC (gzipped or not) as Scrapy responses with a repaired encoding."""
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise IngestError(f"{path}: cannot open: {exc.strerror}") from None
    with stream:
        try:
            for record in ArchiveIterator(stream):
                if record.format != "warc":
                    raise IngestError(f"{path}: not a WARC file (found an {record.format.upper()} record)")
                counts.records += 1
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                status = int(record.http_headers.get_statuscode() or 0)
                headers = Headers(record.http_headers.headers)
                body = record.content_stream().read()
                response: Response = HtmlResponse(url=url, status=status, headers=headers, body=body)
                content_type = (record.http_headers.get_header("Content-Type") or "text/html").lower()
                if detect_antibot(response):
                    counts.blocked += 1
                    log.warning("skipped anti-bot page in WARC: %s", url)
                    continue
                if status != 200 or "html" not in content_type:
                    counts.skipped += 1
                    continue
                repaired = repaired_encoding(response)
                if repaired:
                    response = response.replace(encoding=repaired)
                yield response
        except ArchiveLoadFailed as exc:
            raise IngestError(f"{path}: not a WARC file ({exc})") from None
    if counts.records == 0:
        raise IngestError(f"{path}: no WARC records (empty or not a WARC file)")


def ingest_warc(
    db: Database,
    path: Path,
    source: Source,
    *,
    on_page: Callable[[], None] | None = None,
) -> tuple[int, IngestCounts]:
    """Store every article page of a WARC under ``source``; returns the run id and the counts."""
    workers = ingest_workers()  # a bad setting fails before the run starts
    ensure_source(db, source.name, source.kind)
    run_id = start_run(db, source.name)
    counts = IngestCounts()
    new = updated = unchanged = 0
    batch = []
    profiles = SiteProfiles(db, selectors=source.selectors, kind=source.kind)
    checks: dict[str, tuple] = {}  # learned-chrome answers by URL, for the re-extraction at the end
    try:
        with fewer_collections(), PageExtractor(db, profiles, workers) as extractor:
            for item in extractor.extracted(_page_items(path, source, counts)):
                record = to_record(item, run_id)
                if item.chrome_checks is not None:
                    checks[record.url] = item.chrome_checks
                batch.append(record)
                counts.pages += 1
                if on_page:
                    on_page()
                if len(batch) >= BATCH:
                    result = store_documents(db, batch)
                    new, updated, unchanged = (
                        new + result.new,
                        updated + result.updated,
                        unchanged + result.unchanged,
                    )
                    batch = []
        result = store_documents(db, batch)
        new, updated, unchanged = new + result.new, updated + result.updated, unchanged + result.unchanged
        if new:
            reextract_run(db, run_id, checks)  # now that the sites' chrome has been counted
    except Exception as exc:
        finish_run(db, run_id, status="failed", error_text=f"{type(exc).__name__}: {exc}")
        raise
    finish_run(
        db,
        run_id,
        status="finished",
        counts={
            "pages_fetched": counts.pages,
            "documents_new": new,
            "documents_updated": updated,
            "documents_unchanged": unchanged,
            "skipped": counts.skipped + counts.blocked,
            "blocked": counts.blocked,
            "errors": counts.errors,
        },
        stats={"warc": str(path), "records": counts.records},
    )
    return run_id, counts


def _page_items(path: Path, source: Source, counts: IngestCounts) -> Iterator[PageItem]:
    """The WARC's pages of ``source``'s articles, as the crawl hands them to the pipelines (not yet extracted)."""
    for response in iter_warc_pages(path, counts):
        if source.articles and not any(p.search(response.url) for p in source.articles):
            counts.skipped += 1
            continue
        yield PageItem(
            listed_url=response.url,
            final_url=response.url,
            source=source.name,
            source_kind=source.kind,
            http_status=response.status,
            body=response.body,
            encoding=response.encoding,
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
            selectors=dict(source.selectors),
        )


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
