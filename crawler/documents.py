"""Turn a fetched page into a storable document: extraction, canonical URL, content hash.

Shared by the Scrapy pipelines and ``speechwatch ingest`` (WARC), so both store the same thing.
"""

from __future__ import annotations

import hashlib
import re

from w3lib.url import canonicalize_url

from crawler.items import PageItem
from monitor.extraction import extract_page
from storage.documents import DocumentRecord

WHITESPACE = re.compile(r"\s+")


def decode_body(item: PageItem) -> str:
    return item.body.decode(item.encoding or "utf-8", errors="replace")


def extract_item(item: PageItem) -> PageItem:
    """Fill title, page title, date and text (CPU work: run it off the reactor thread)."""
    page = extract_page(decode_body(item), item.final_url, item.selectors)
    item.title, item.page_title, item.published_at, item.text = (
        page.title,
        page.page_title,
        page.published_at,
        page.text,
    )
    return item


def content_hash(text: str, body: bytes) -> str:
    """SHA-256 of the whitespace-normalised text (of the raw body when no text was found).

    Hashing the text, not the HTML, keeps a page whose ads or counters change on every fetch from being
    stored again and again.
    """
    normalised = WHITESPACE.sub(" ", text).strip()
    payload = normalised.encode("utf-8") if normalised else body
    return hashlib.sha256(payload).hexdigest()


def to_record(item: PageItem, run_id: int | None) -> DocumentRecord:
    return DocumentRecord(
        url=canonicalize_url(item.final_url),
        final_url=item.final_url,
        source=item.source,
        source_kind=item.source_kind,
        http_status=item.http_status,
        content_hash=content_hash(item.text, item.body),
        raw_html=item.body,
        text=item.text,
        encoding=item.encoding,
        etag=item.etag,
        last_modified=item.last_modified,
        title=item.title,
        page_title=item.page_title,
        published_at=item.published_at,
        run_id=run_id,
    )
