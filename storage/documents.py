"""The write path for fetched documents: batched upserts keyed by canonical URL."""

from __future__ import annotations

import hashlib
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection, Select, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.chrome import apply_chrome_counts
from storage.database import Database
from storage.models import Document, UnminedDocument

URL_CHUNK = 500


@dataclass
class DocumentRecord:
    """Everything the pipeline knows about one fetched article page."""

    url: str
    final_url: str
    source: str
    source_kind: str
    http_status: int
    content_hash: str
    raw_html: bytes
    text: str
    encoding: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    title: str | None = None
    page_title: str | None = None
    published_at: str | None = None
    run_id: int | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    host: str | None = None
    analysis: dict = field(default_factory=dict)  # speech metadata columns (monitor.extract)
    chrome_keys: list[int] = field(default_factory=list)  # keys of the page's short lines (chrome statistics)
    stored_html: bytes | None = field(default=None, repr=False)  # raw_html compressed ahead (compress_html), if it was


@dataclass
class WriteResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: WriteResult) -> WriteResult:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


WHITESPACE = re.compile(r"\s+")


def content_hash_of(text: str, body: bytes) -> str:
    """SHA-256 of the whitespace-normalised text (of the raw body when no text was found).

    Hashing the text, not the HTML, keeps a page whose ads or counters change on every fetch from being
    stored again and again.
    """
    normalised = WHITESPACE.sub(" ", text).strip()
    return hashlib.sha256(normalised.encode("utf-8") if normalised else body).hexdigest()


def compress_html(raw: bytes) -> bytes:
    return zlib.compress(raw, 6)


def decompress_html(stored: bytes) -> bytes:
    return zlib.decompress(stored)


def store_documents(db: Database, records: Iterable[DocumentRecord]) -> WriteResult:
    """Upsert a batch in one transaction: new URLs insert, changed content updates, the rest is touched.

    Unchanged pages keep their stored content and ``changed_at``; only fetch time and validators move.
    """
    latest: dict[str, DocumentRecord] = {}
    for record in records:
        latest[record.url] = record
    result = WriteResult()
    if not latest:
        return result
    with db.write() as session:
        known = {
            url: (content_hash, old_keys)
            for url, content_hash, old_keys in session.execute(
                select(Document.url, Document.content_hash, Document.chrome_keys).where(Document.url.in_(list(latest)))
            ).all()
        }
        inserts = []
        to_mine: list[str] = []  # new or changed texts
        chrome: dict[str, tuple[int, Counter]] = {}
        for url, record in latest.items():
            if url not in known:
                inserts.append(_row(record))
                to_mine.append(url)
                result.new += 1
                _count_chrome(chrome, record, [], new_page=True)
            elif known[url][0] != record.content_hash:
                values = _row(record)
                values.pop("first_seen_at")
                values.update(fingerprinted_hash=None)  # changed text: cluster and mine again
                session.execute(update(Document).where(Document.url == url).values(**values))
                to_mine.append(url)
                result.updated += 1
                _count_chrome(chrome, record, known[url][1] or [], new_page=False)
            else:
                session.execute(
                    update(Document)
                    .where(Document.url == url)
                    .values(
                        fetched_at=record.fetched_at,
                        etag=record.etag,
                        last_modified=record.last_modified,
                        run_id=record.run_id,
                    )
                )
                result.unchanged += 1
        if inserts:
            columns = {key for row in inserts for key in row}
            inserts = [{key: row.get(key) for key in columns} for row in inserts]  # one shape for a multi-row insert
            insert = pg_insert if db.dialect == "postgresql" else sqlite_insert
            statement = insert(Document.__table__).on_conflict_do_nothing(index_elements=["url"])
            session.connection().execute(statement, inserts)  # one cached statement, many rows (no VALUES list)
        if to_mine:
            texts = select(Document.id, Document.content_hash).where(Document.url.in_(to_mine))
            queue_for_mining(session.connection(), db.dialect, texts)
        for host, (pages, keys) in chrome.items():
            apply_chrome_counts(session, db.dialect, host, pages, keys)
    return result


def queue_for_mining(conn: Connection, dialect: str, texts: Select) -> None:
    """Queue for mining the documents that ``texts`` selects as ``(id, content_hash)`` (:class:`UnminedDocument`);
    one queued already now waits for this text."""
    insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(UnminedDocument)
    statement = insert.from_select(["document_id", "content_hash"], texts)
    conn.execute(statement.on_conflict_do_update(index_elements=["document_id"],
                                                 set_={"content_hash": insert.excluded.content_hash}))  # fmt: skip


def _count_chrome(chrome: dict, record: DocumentRecord, old_keys: list[int], new_page: bool) -> None:
    if not record.host or (not record.chrome_keys and not old_keys):
        return
    pages, keys = chrome.setdefault(record.host, (0, Counter()))
    keys.update(record.chrome_keys)
    keys.subtract(old_keys)
    chrome[record.host] = (pages + (1 if new_page else 0), keys)


def _row(record: DocumentRecord) -> dict:
    return {
        "url": record.url,
        "final_url": record.final_url,
        "source": record.source,
        "source_kind": record.source_kind,
        "run_id": record.run_id,
        "first_seen_at": record.fetched_at,
        "fetched_at": record.fetched_at,
        "changed_at": record.fetched_at,
        "http_status": record.http_status,
        "etag": record.etag,
        "last_modified": record.last_modified,
        "content_hash": record.content_hash,
        "encoding": record.encoding,
        "raw_html": record.stored_html if record.stored_html is not None else compress_html(record.raw_html),
        "raw_size": len(record.raw_html),
        "title": record.title,
        "page_title": record.page_title,
        "published_at": record.published_at,
        "text": record.text,
        "chrome_keys": list(record.chrome_keys) or None,
        **record.analysis,
    }


def validators_for_source(db: Database, source: str) -> dict[str, tuple[str | None, str | None]]:
    """Stored ``(ETag, Last-Modified)`` per canonical URL of one source, for conditional requests."""
    with db.read() as session:
        rows = session.execute(
            select(Document.url, Document.etag, Document.last_modified).where(Document.source == source)
        ).all()
    return {url: (etag, last_modified) for url, etag, last_modified in rows}


def iter_documents(db: Database, source: str | None = None, batch: int = 200) -> Iterator[Document]:
    """Every stored document in id order, streamed in batches (raw HTML not decompressed)."""
    last_id = 0
    while True:
        with db.read() as session:
            query = select(Document).where(Document.id > last_id).order_by(Document.id).limit(batch)
            if source:
                query = query.where(Document.source == source)
            rows = list(session.scalars(query))
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


def count_documents(db: Database, source: str | None = None) -> int:
    from sqlalchemy import func

    with db.read() as session:
        query = select(func.count(Document.id))
        if source:
            query = query.where(Document.source == source)
        return session.scalar(query) or 0
