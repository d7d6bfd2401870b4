"""Incremental clustering of documents into speeches, persisted in storage.

A new document joins an existing speech, starts one, or merges two when it bridges them. Only documents
whose text changed since they were fingerprinted are looked at, so re-running changes nothing. Candidates
come from the persistent indexes (simhash lookup keys through :mod:`monitor.dedup.keyindex`, paragraph keys);
:mod:`monitor.dedup.match` decides.
A document costs a few prebuilt Core statements (only the columns used are read; no ORM objects but the speech
being refreshed), and ``CHUNK`` documents share a unit of work.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from monitor.dedup.canonical import COPY_COLUMNS, DEFER_INDEX, refresh_speech, speech_values
from monitor.dedup.fingerprint import Fingerprint, fingerprint, hamming, to_signed, to_unsigned
from monitor.dedup.keyindex import KeyIndex
from monitor.dedup.match import NEAR_DISTANCE, Copy, Link, compare, is_compilation
from storage.bulk import insert_rows
from storage.database import Database
from storage.locks import exclusive
from storage.models import Commitment, Document, ParagraphKey, Speech
from storage.search import index_speeches

if TYPE_CHECKING:
    from monitor.commitments.prefetch import Prefetcher

log = logging.getLogger(__name__)
CHUNK = 100  # documents per unit of work
DOCUMENTS, PARAGRAPHS, SPEECHES = Document.__table__, ParagraphKey.__table__, Speech.__table__
D, P = DOCUMENTS.c, PARAGRAPHS.c
# The statements of one document's unit of work, built once (building them costs more than running them).
_READ = select(D.text, D.match_text, D.content_hash, D.simhash, D.speech_id, *(D[name] for name in COPY_COLUMNS))
READ = _READ.where(D.id == bindparam("id"))
READ_MANY = _READ.where(D.id.in_(bindparam("ids", expanding=True)))  # a chunk's documents, read up front
SHARING = (
    select(P.document_id)
    .where(P.key.in_(bindparam("keys", expanding=True)), P.document_id != bindparam("id"))
    .group_by(P.document_id)
    .having(func.count() >= bindparam("needed"))
)
STORED_KEYS = select(P.key, P.document_id).where(P.key.in_(bindparam("keys", expanding=True)))
KEYS_PER_READ = 500
CANDIDATES = select(D.id, D.simhash, D.norm_length, D.match_text, D.compilation, D.speech_id).where(
    D.id.in_(bindparam("ids", expanding=True)), D.speech_id.is_not(None)
)
DROP_PARAGRAPHS = delete(PARAGRAPHS).where(P.document_id == bindparam("id"))
NEW_SPEECH = insert(SPEECHES).returning(SPEECHES.c.id)
NEXT_SPEECH_IDS = select(func.nextval(func.pg_get_serial_sequence("speeches", "id"))).select_from(
    func.generate_series(1, bindparam("n"))
)
SPEECH_IDS_AHEAD = 100  # PostgreSQL: speech ids taken from the sequence at a time (a chunk's worth)
WRITE = update(DOCUMENTS).where(D.id == bindparam("document_id"))


class _Chunk:
    """What a chunk's unit of work reads up front and writes at its end.

    The chunk's documents are read in one query (a merge moves documents between speeches: the rows left are
    then read one by one again), and the stored rows of the paragraph keys of those whose fingerprints are known
    by then in one more (:meth:`prepare`), so their :data:`SHARING` lookups are answered from memory (any other
    document's goes to the table). Paragraph keys are
    inserted for the whole chunk at its end; until then a later document's lookup adds the keys of the chunk's
    earlier documents from memory (their rows in the table, if any, were deleted when they were taken up).
    The documents' own updates (:data:`WRITE`) wait in memory too, and go in one statement as soon as anything
    reads documents again (a candidate's row, a speech's copies) or the chunk ends. On PostgreSQL so do the new
    speeches, with ids taken from the sequence ahead (an INSERT … RETURNING per speech was 0.28 ms/doc), written
    before the documents that point at them; an id left unused is a gap, as a rolled-back insert leaves.
    """

    def __init__(self, conn: Connection | None = None, ids: list[int] | None = None) -> None:
        self.rows = {row.id: row for row in conn.execute(READ_MANY, {"ids": ids})} if conn is not None else {}
        self.read_ahead = conn is not None
        self.paragraphs: list[dict[str, int]] = []
        self.by_key: dict[int, list[int]] = {}
        self.fingerprints: dict[int, tuple[str, Fingerprint]] = {}  # id -> (text, its fingerprint)
        self.stored: dict[int, list[int]] = {}  # key -> documents holding it in the table, for the keys read
        self.read_keys: set[int] = set()
        self.dropped: set[int] = set()  # documents whose stored keys were deleted since
        self.writes: list[dict] = []
        self.speeches: list[dict] = []  # PostgreSQL: new speeches not yet inserted
        self.speech_ids: list[int] = []  # PostgreSQL: ids taken from the sequence, not yet used

    def new_speech(self, conn: Connection, values: dict) -> int:
        """A new speech's id: inserted now (SQLite), or with the chunk's next write (PostgreSQL)."""
        if conn.dialect.name != "postgresql":
            return conn.execute(NEW_SPEECH, values).scalar_one()
        if not self.speech_ids:
            self.speech_ids = list(conn.execute(NEXT_SPEECH_IDS, {"n": SPEECH_IDS_AHEAD}).scalars())
        self.speeches.append({"id": self.speech_ids.pop(0), **values})
        return self.speeches[-1]["id"]

    def prepare(self, conn: Connection, ahead: Prefetcher | None) -> None:
        """Read the stored rows of the paragraph keys of the documents read ahead, with one query per
        ``KEYS_PER_READ`` keys: their fingerprints are those the worker has ready, the others computed here (as they
        would be when their turn comes; reading each one's keys then was a query per document, 9 % of clustering
        on PostgreSQL when the worker was behind)."""
        for row in self.rows.values():
            text = row.text or ""
            fp = ahead.ready_fingerprint(row.id, text) if ahead is not None and ahead.working else None
            self.fingerprints[row.id] = text, fp if fp is not None else fingerprint(text)
        keys = sorted({key for _, fp in self.fingerprints.values() for key in fp.paragraph_keys})
        self.read_keys.update(keys)
        for start in range(0, len(keys), KEYS_PER_READ):
            for key, document_id in conn.execute(STORED_KEYS, {"keys": keys[start : start + KEYS_PER_READ]}):
                self.stored.setdefault(key, []).append(document_id)

    def fingerprint(self, row: Row, ahead: Prefetcher | None) -> Fingerprint:
        text = row.text or ""
        ready = self.fingerprints.pop(row.id, None)
        known = ready[1] if ready is not None and ready[0] == text else None
        if ahead is not None and ahead.working:  # the worker's if still ready (it also learns where clustering is)
            return ahead.fingerprint(row.id, text, known)
        return known if known is not None else fingerprint(text)

    def read(self, conn: Connection, document_id: int) -> Row | None:
        if self.read_ahead:
            return self.rows.pop(document_id, None)
        return conn.execute(READ, {"id": document_id}).one_or_none()

    def moved(self) -> None:
        """Documents changed speech (a merge): what was read up front may be stale."""
        self.read_ahead, self.rows = False, {}

    def drop_paragraphs(self, conn: Connection, document_id: int) -> None:
        conn.execute(DROP_PARAGRAPHS, {"id": document_id})
        self.dropped.add(document_id)

    def add_paragraphs(self, document_id: int, keys: tuple[int, ...]) -> None:
        self.paragraphs.extend({"document_id": document_id, "key": key} for key in keys)
        for key in keys:
            self.by_key.setdefault(key, []).append(document_id)

    def sharing(self, conn: Connection, document_id: int, keys: tuple[int, ...], needed: int) -> set[int]:
        """Documents holding at least ``needed`` of ``keys``: the stored ones (as :data:`SHARING` would find them)
        and the chunk's earlier ones."""
        if not self.read_keys.issuperset(keys):  # its fingerprint was not ready up front (or its text changed)
            found = set(conn.execute(SHARING, {"keys": list(keys), "id": document_id, "needed": needed}).scalars())
        else:
            counts = Counter(other for key in set(keys) for other in self.stored.get(key, ())
                             if other != document_id and other not in self.dropped)  # fmt: skip
            found = {other for other, count in counts.items() if count >= needed}
        counts = Counter(other for key in keys for other in self.by_key.get(key, ()) if other != document_id)
        return found | {other for other, count in counts.items() if count >= needed}

    def write_document(self, conn: Connection, values: dict, at_once: bool) -> None:
        self.writes.append(values)
        if at_once:
            self.flush_writes(conn)

    def flush_writes(self, conn: Connection) -> None:
        """The new speeches and the documents' updates waiting in memory, a statement each (before anything reads
        documents or speeches)."""
        if self.speeches:
            insert_rows(conn, SPEECHES, self.speeches)
            self.speeches = []
        if self.writes:
            conn.execute(WRITE, self.writes)
            self.writes = []

    def write(self, conn: Connection) -> None:
        self.flush_writes(conn)
        if self.paragraphs:
            insert_rows(conn, PARAGRAPHS, self.paragraphs)
            self.paragraphs, self.by_key = [], {}


@dataclass
class ClusterCounts:
    documents: int = 0
    new_speeches: int = 0
    joined: int = 0
    merged: int = 0


def pending_documents(db: Database) -> list[int]:
    """Documents never fingerprinted, or whose text changed since (an indexed lookup, not a scan)."""
    with db.read() as session:
        return list(
            session.scalars(
                select(Document.id)
                .where(Document.fingerprinted_hash.is_(None))  # the write path clears it when the text changes
                .order_by(Document.id)
            )
        )


def cluster_documents(
    db: Database, on_progress: Callable[[int], None] | None = None, ahead: Prefetcher | None = None
) -> ClusterCounts:
    """Fingerprint and cluster every pending document, one unit of work per ``CHUNK`` documents in id order.

    One clusterer at a time per database (a cross-process lock): two processes deciding at once could both
    start a new speech for copies of the same text. A chunk commits whole or not at all; a document of a chunk
    that failed is still pending, so the next run takes it up again. (A commit per document cost ~1–2 ms each
    in SQLite, as much as the rest of the work; see ``bench/bench_ingest.py``.) Near-duplicates are looked up in
    a :class:`~monitor.dedup.keyindex.KeyIndex` opened under the lock and saved after the last chunk. ``ahead``
    (the post-run work's worker) gives fingerprints and folded texts computed ahead.
    """
    with exclusive(db, "cluster"):
        pending = pending_documents(db)
        if not pending:
            return ClusterCounts()
        keys = KeyIndex.open(db)  # checked against the database's key version, rebuilt if stale
        if ahead is not None:
            ahead.plan_texts(pending)
        counts = _cluster_pending(db, keys, pending, on_progress, ahead)
        keys.save(db)
        return counts


def _cluster_pending(
    db: Database,
    keys: KeyIndex,
    pending: list[int],
    on_progress: Callable[[int], None] | None,
    ahead: Prefetcher | None,
) -> ClusterCounts:
    counts = ClusterCounts()
    for start in range(0, len(pending), CHUNK):
        with db.write() as session:
            session.info[DEFER_INDEX] = touched = set()
            unit = pending[start : start + CHUNK]
            chunk = _Chunk(session.connection(), unit)
            chunk.prepare(session.connection(), ahead)
            outcomes = [_cluster_one(session, keys, document_id, ahead, chunk) for document_id in unit]
            chunk.write(session.connection())
            del session.info[DEFER_INDEX]
            if touched:  # each speech of the chunk indexed once, not once per copy that touched it
                session.flush()
                index_speeches(session.connection(), sorted(touched), ahead.folded if ahead else None)
            keys.stamp(session.connection())  # the key version moves with the keys, in the same unit of work
        for outcome in outcomes:
            _count(counts, outcome)
            if on_progress:
                on_progress(1)
    return counts


def _count(counts: ClusterCounts, outcome: str) -> None:
    counts.documents += 1
    if outcome == "new":
        counts.new_speeches += 1
    elif outcome == "joined":
        counts.joined += 1
    elif outcome == "merged":
        counts.joined += 1
        counts.merged += 1


def _cluster_one(
    session: Session, keys: KeyIndex, document_id: int, ahead: Prefetcher | None = None, chunk: _Chunk | None = None
) -> str:
    """Cluster one document; ``chunk`` holds what its unit of work read ahead and writes at the end (without
    one, the document's paragraph keys are written at once)."""
    conn = session.connection()
    alone = chunk is None
    chunk = _Chunk() if alone else chunk
    row = chunk.read(conn, document_id)
    if row is None:
        return "gone"
    text = row.text or ""
    fp = chunk.fingerprint(row, ahead)
    if row.simhash is not None:  # fingerprinted before: its old paragraph keys go (lookup keys in _write_keys)
        chunk.drop_paragraphs(conn, row.id)
    me = Copy(row.id, fp.simhash, fp.length, row.match_text or "", is_compilation(text))
    candidates, speech_of = _candidates(conn, keys, row.id, fp, chunk)
    links = [link for link in (compare(me, other) for other in candidates) if link]
    merging = [link for link in links if link.reason != "compilation part"]
    parts = sorted({speech_of[link.other] for link in links if link.reason == "compilation part"})
    targets = sorted({speech_of[link.other] for link in merging})
    now = datetime.now(UTC)
    if not targets:  # a speech of this one copy: its fields are the copy's (what refresh_speech would find)
        copy = SimpleNamespace(**{name: getattr(row, name) for name in COPY_COLUMNS})
        copy.norm_length, copy.compilation = fp.length, me.compilation
        values = {"created_at": now, "updated_at": now, **speech_values([copy])}
        target = chunk.new_speech(conn, values)
        outcome = "new"
    else:
        target, outcome = targets[0], ("merged" if len(targets) > 1 else "joined")
        if len(targets) > 1:
            chunk.moved()
        for other in targets[1:]:
            session.execute(update(DOCUMENTS).where(DOCUMENTS.c.speech_id == other).values(speech_id=target))
            _move_commitments(session, other, target)
            session.execute(delete(SPEECHES).where(SPEECHES.c.id == other))
    best = min(merging, key=lambda link: (link.distance, -link.containment), default=None)
    moving = bool(row.speech_id) and row.speech_id != target
    values = {"document_id": row.id, "simhash": to_signed(fp.simhash), "exact_hash": fp.exact,
              "norm_length": fp.length, "compilation": me.compilation, "fingerprinted_hash": row.content_hash,
              "speech_id": target, "speech_link": _link_record(best, parts, me.compilation)}  # fmt: skip
    # written at once when the copies of a speech are read below (a speech joined, a copy moved away)
    chunk.write_document(conn, values, at_once=alone or outcome != "new" or moving)
    _write_keys(keys, row.id, None if row.simhash is None else to_unsigned(row.simhash), fp, chunk)
    if alone:
        chunk.write(conn)
    if outcome == "new":
        session.info[DEFER_INDEX].add(target)  # indexed with the chunk's other speeches
    else:
        refresh_speech(session, target)
    if moving:
        _refresh_or_drop(session, row.speech_id)
    session.flush()
    session.expunge_all()  # no ORM state crosses documents: the next one may delete a speech with Core
    return outcome


def _write_keys(keys: KeyIndex, document_id: int, old: int | None, fp: Fingerprint, chunk: _Chunk) -> None:
    keys.write(document_id, old, fp.simhash)
    if fp.paragraph_keys:
        chunk.add_paragraphs(document_id, fp.paragraph_keys)


def _candidates(
    conn: Connection, keys: KeyIndex, document_id: int, fp: Fingerprint, chunk: _Chunk
) -> tuple[list[Copy], dict[int, int]]:
    """Known documents worth comparing, and their speeches: within 3 bits, or sharing paragraph keys.

    Near neighbours come from the key index (a key shared and within 3 bits, so a random key match is dropped
    before any text is loaded) and are checked again against the database's simhash, since the index may hold
    entries of changed documents. Containment candidates come from paragraphs.
    """
    near = keys.near(fp.simhash) - {document_id}
    sharing: set[int] = set()
    if fp.paragraph_keys:
        needed = 1 if len(fp.paragraph_keys) < 4 else 2
        sharing = chunk.sharing(conn, document_id, fp.paragraph_keys, needed)
    if not near and not sharing:
        return [], {}
    chunk.flush_writes(conn)  # a candidate may be a document of this chunk
    rows = [
        row
        for row in conn.execute(CANDIDATES, {"ids": sorted(near | sharing)})
        if row.simhash is not None
        and (row.id in sharing or hamming(to_unsigned(row.simhash), fp.simhash) <= NEAR_DISTANCE)
    ]
    copies = [Copy(row.id, to_unsigned(row.simhash), row.norm_length or 0, row.match_text or "",
                   bool(row.compilation)) for row in rows]  # fmt: skip
    return copies, {row.id: row.speech_id for row in rows}


def _link_record(best: Link | None, parts: list[int], compilation: bool) -> dict:
    record = best.as_dict() if best else {"reason": "first copy"}
    if parts:
        record["contains_speeches" if compilation else "part_of_compilations"] = parts
    return record


def _move_commitments(session: Session, source: int, target: int) -> None:
    """A merged speech's commitments move to the surviving speech; one already there gains the evidence."""
    existing = {row.key: row for row in session.scalars(select(Commitment).where(Commitment.speech_id == target))}
    for row in session.scalars(select(Commitment).where(Commitment.speech_id == source)).all():
        twin = existing.get(row.key)
        if twin is None:
            row.speech_id = target
        else:
            twin.evidence = sorted(set(twin.evidence or []) | set(row.evidence or []))
            session.delete(row)


def _refresh_or_drop(session: Session, speech_id: int) -> None:
    remaining = session.scalar(select(func.count()).where(DOCUMENTS.c.speech_id == speech_id))
    if remaining:
        refresh_speech(session, speech_id)
    else:
        session.execute(delete(SPEECHES).where(SPEECHES.c.id == speech_id))
