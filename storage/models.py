"""Typed SQLAlchemy models: sources, crawl runs and documents."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on every back end (SQLite would drop the zone and hand back naive times)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime}


class Source(Base):
    """A watched site as last loaded from the sources file."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    enabled: Mapped[bool] = mapped_column(default=True)
    config: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CrawlRun(Base):
    """One crawl of one source: who ran it, when, how it ended and what it counted."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(100), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default="running")
    pages_fetched: Mapped[int] = mapped_column(default=0)
    documents_new: Mapped[int] = mapped_column(default=0)
    documents_updated: Mapped[int] = mapped_column(default=0)
    documents_unchanged: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    blocked: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    list_pages: Mapped[int] = mapped_column(default=0)
    article_links: Mapped[int] = mapped_column(default=0)
    error_text: Mapped[str | None] = mapped_column(Text)
    stats: Mapped[dict] = mapped_column(JSON, default=dict)
    trigger: Mapped[str] = mapped_column(String(20), default="manual")  # manual | schedule | once
    speeches_new: Mapped[int] = mapped_column(default=0)
    commitments_new: Mapped[int] = mapped_column(default=0)


class Document(Base):
    """A fetched article page, upserted by canonical URL; raw HTML kept compressed for provenance."""

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_source_fetched", "source", "fetched_at"),
        Index("ix_documents_doc_type_topic", "doc_type", "topic"),
        # the documents still to cluster, and only those (migration 0019); those to mine: UnminedDocument
        Index("ix_documents_unclustered", "id", postgresql_where=sql_text("fingerprinted_hash IS NULL"),
              sqlite_where=sql_text("fingerprinted_hash IS NULL")),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    final_url: Mapped[str] = mapped_column(String(2048))
    source: Mapped[str] = mapped_column(String(100))
    source_kind: Mapped[str] = mapped_column(String(20))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    http_status: Mapped[int] = mapped_column(Integer)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    content_hash: Mapped[str] = mapped_column(String(64))
    encoding: Mapped[str | None] = mapped_column(String(40))
    raw_html: Mapped[bytes] = mapped_column(LargeBinary)
    raw_size: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str | None] = mapped_column(Text)
    page_title: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")
    # speech metadata (monitor.extract); see README "Export" for each field
    speaker: Mapped[str | None] = mapped_column(Text)
    speaker_post: Mapped[str | None] = mapped_column(Text)
    organization: Mapped[str | None] = mapped_column(Text)
    region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    region: Mapped[str | None] = mapped_column(Text)
    occasion: Mapped[str | None] = mapped_column(Text)
    speech_date: Mapped[str | None] = mapped_column(String(10))
    speech_date_precision: Mapped[str | None] = mapped_column(String(8))
    doc_type: Mapped[str | None] = mapped_column(String(20))
    topic: Mapped[str | None] = mapped_column(String(20))
    relevance: Mapped[float | None] = mapped_column(Float)
    script: Mapped[str | None] = mapped_column(String(12))
    masked: Mapped[bool | None] = mapped_column(Boolean)
    truncated: Mapped[bool | None] = mapped_column(Boolean)
    truncation_marker: Mapped[str | None] = mapped_column(Text)
    match_text: Mapped[str | None] = mapped_column(Text)
    chrome_keys: Mapped[list | None] = mapped_column(JSON)
    extractor_version: Mapped[int | None] = mapped_column(Integer)
    # fingerprints and the speech this document is a copy of (monitor.dedup)
    simhash: Mapped[int | None] = mapped_column(BigInteger)  # signed form of the unsigned 64-bit simhash
    exact_hash: Mapped[str | None] = mapped_column(String(40))  # not indexed: nothing looks it up (0024)
    norm_length: Mapped[int | None] = mapped_column(Integer)
    compilation: Mapped[bool | None] = mapped_column(Boolean)
    fingerprinted_hash: Mapped[str | None] = mapped_column(String(64))  # None: to be clustered
    speech_id: Mapped[int | None] = mapped_column(Integer, index=True)
    speech_link: Mapped[dict | None] = mapped_column(JSON)


class UnminedDocument(Base):
    """A document whose text has not been mined for commitments since it was stored or last changed.

    The write path adds the row with a new or changed text; mining deletes it in the unit of work that stores the
    document's commitments (migration 0025: a narrow queue, so that mining writes no new version of the wide
    documents row), or drops it when the document's type is not mined (``speechwatch reprocess`` queues a document
    again when its type changes). The row names the text it waits for (``content_hash``): mining deletes it only
    for the text it mined, so a text changed while a unit was mining the old one stays queued.
    """

    __tablename__ = "unmined_documents"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))


class ParagraphKey(Base):
    """Normalised paragraph hashes: the containment-candidate index."""

    __tablename__ = "paragraph_keys"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, index=True)


class SimhashKeysVersion(Base):
    """One row: which state of the documents' simhashes a cached key index must reflect (``monitor.dedup.keyindex``;
    the lookup keys are those of ``documents.simhash``, not stored apart since migration 0023).

    Every unit of work that writes simhashes bumps ``generation`` and draws a new random ``stamp``; a cache file is
    used only when both equal its own, so a recreated or restored database never matches an old file.
    """

    __tablename__ = "simhash_keys_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(BigInteger)
    stamp: Mapped[int] = mapped_column(BigInteger)


class PledgeIndexVersion(Base):
    """One row: which state of the stored pledges a place's cached pledge index reflects
    (``monitor.commitments.pledges``); triggers bump ``generation`` when a pledge leaves its place's index (migration
    0014), ``stamp`` is random per database."""

    __tablename__ = "pledge_index_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(BigInteger)
    stamp: Mapped[int] = mapped_column(BigInteger)


class Speech(Base):
    """One speech: its copies are the documents with this ``speech_id``; fields come from the best copy."""

    __tablename__ = "speeches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_document_id: Mapped[int | None] = mapped_column(Integer)
    copies: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str | None] = mapped_column(Text)
    speaker: Mapped[str | None] = mapped_column(Text)
    speaker_post: Mapped[str | None] = mapped_column(Text)
    organization: Mapped[str | None] = mapped_column(Text)
    region_code: Mapped[str | None] = mapped_column(String(6))
    region: Mapped[str | None] = mapped_column(Text)
    occasion: Mapped[str | None] = mapped_column(Text)
    speech_date: Mapped[str | None] = mapped_column(String(10))
    speech_date_precision: Mapped[str | None] = mapped_column(String(8))
    doc_type: Mapped[str | None] = mapped_column(String(20))
    topic: Mapped[str | None] = mapped_column(String(20))
    provenance: Mapped[dict | None] = mapped_column(JSON)
    canonical_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChromeHost(Base):
    """How many pages of a host have been counted for chrome statistics."""

    __tablename__ = "chrome_hosts"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    pages: Mapped[int] = mapped_column(Integer)


class ChromeLine(Base):
    """On how many pages of a host a short line (by key) was seen."""

    __tablename__ = "chrome_lines"
    __table_args__ = (Index("ix_chrome_lines_host_pages", "host", "pages"),)  # a profile loads the frequent lines

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    line_key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    pages: Mapped[int] = mapped_column(Integer)


class Commitment(Base):
    """A pledge of a speech (not of a copy), with its review status; ``evidence`` lists the copies it was seen in."""

    __tablename__ = "commitments"
    __table_args__ = (UniqueConstraint("speech_id", "key", name="uq_commitments_speech_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    speech_id: Mapped[int] = mapped_column(Integer)  # looked up by the unique (speech_id, key) index
    key: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    sentence: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(Text)
    deadline: Mapped[str | None] = mapped_column(String(10), index=True)
    deadline_precision: Mapped[str | None] = mapped_column(String(8))
    deadline_text: Mapped[str | None] = mapped_column(Text)
    deadline_resolved: Mapped[bool | None] = mapped_column(Boolean)
    quantities: Mapped[list | None] = mapped_column(JSON)
    strength: Mapped[str | None] = mapped_column(String(16))
    tier: Mapped[str | None] = mapped_column(String(16))
    topic: Mapped[str | None] = mapped_column(String(20), index=True)
    cited: Mapped[bool] = mapped_column(Boolean, default=False)
    actor: Mapped[str | None] = mapped_column(Text)
    actor_implicit: Mapped[bool | None] = mapped_column(Boolean)
    counterparty: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    flagged: Mapped[bool] = mapped_column(Boolean, default=True)
    reviewer: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    document_id: Mapped[int | None] = mapped_column(Integer)
    start: Mapped[int | None] = mapped_column(Integer)
    end: Mapped[int | None] = mapped_column(Integer)
    evidence: Mapped[list | None] = mapped_column(JSON)
    related_id: Mapped[int | None] = mapped_column(Integer)
    relation: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)  # the pledge index reads what changed


class CommitmentEvent(Base):
    """The audit log: who did what to a commitment, when, and why."""

    __tablename__ = "commitment_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commitment_id: Mapped[int] = mapped_column(Integer, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(20))
    reviewer: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSON)
    document_id: Mapped[int | None] = mapped_column(Integer, index=True)  # the copy it came from (mining's events)


class Digest(Base):
    """One digest: the window it covers, what it said (``content``, the JSON form) and when it was delivered.

    ``delivered_at`` stays empty until every configured channel took it; ``channels_done`` lists those that did, so
    a retry goes only to the others.
    """

    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    channels_done: Mapped[list | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[dict | None] = mapped_column(JSON)


class DigestItem(Base):
    """An item a digest carried; unique by (kind, key), so the database itself refuses to carry an item twice."""

    __tablename__ = "digest_items"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_digest_items_kind_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(200))
