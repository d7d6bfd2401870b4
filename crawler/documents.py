"""Turn a fetched page into a storable document: extraction, canonical URL, content hash.

Shared by the Scrapy pipelines and ``speechwatch ingest`` (WARC), so both store the same thing.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from w3lib.url import canonicalize_url

from crawler.items import PageItem
from monitor.extract.body import CONTROL_CHARACTERS
from monitor.extract.core import SiteProfile, analysis_values, extract
from storage.documents import DocumentRecord, compress_html, content_hash_of


def decode_body(item: PageItem) -> str:
    """The page as text, without the C0 control characters browsers ignore (lxml refuses a page holding one, and
    PostgreSQL a text holding NUL); tabs and line breaks stay."""
    text = item.body.decode(item.encoding or "utf-8", errors="replace")
    return CONTROL_CHARACTERS.sub("", text)


def extract_item(item: PageItem, profile: SiteProfile | None = None) -> PageItem:
    """Fill text and speech metadata (CPU work: run it off the reactor thread); the site learns the page."""
    extraction = extract(decode_body(item), item.final_url, profile)
    if profile is not None and profile.chrome is not None:
        profile.chrome.learn(extraction.chrome_keys)
    item.title, item.page_title, item.published_at = extraction.title, extraction.page_title, extraction.published_at
    item.text = extraction.text
    item.analysis = analysis_values(extraction)
    item.chrome_keys = sorted(extraction.chrome_keys)
    item.chrome_checks = extraction.chrome_checks.packed() if extraction.chrome_checks is not None else None
    item.stored_body = compress_html(item.body)
    return item


def to_record(item: PageItem, run_id: int | None) -> DocumentRecord:
    return DocumentRecord(
        url=canonicalize_url(item.final_url),
        final_url=item.final_url,
        source=item.source,
        source_kind=item.source_kind,
        http_status=item.http_status,
        content_hash=content_hash_of(item.text, item.body),
        raw_html=item.body,
        stored_html=item.stored_body,
        text=item.text,
        encoding=item.encoding,
        etag=item.etag,
        last_modified=item.last_modified,
        title=item.title,
        page_title=item.page_title,
        published_at=item.published_at,
        run_id=run_id,
        host=urlsplit(item.final_url).hostname,
        analysis=dict(item.analysis),
        chrome_keys=list(item.chrome_keys),
    )
