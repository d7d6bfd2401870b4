"""Incremental clustering of documents into speeches, persisted in storage.

A new document joins an existing speech, starts one, or merges two when it bridges them. Only documents
whose text changed since they were fingerprinted are looked at, so re-running changes nothing. Candidates
come from the persistent index (simhash bands, paragraph keys); :mod:`monitor.dedup.match` decides.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from monitor.dedup.canonical import refresh_speech
from monitor.dedup.fingerprint import bands, fingerprint, hamming, to_signed, to_unsigned
from monitor.dedup.match import NEAR_DISTANCE, Copy, Link, compare, is_compilation
from storage.database import Database
from storage.locks import exclusive
from storage.models import Commitment, Document, ParagraphKey, Speech

log = logging.getLogger(__name__)
CANDIDATE_COLUMNS = (Document.id, Document.simhash, Document.norm_length, Document.match_text,
                     Document.compilation, Document.speech_id)  # fmt: skip


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


def cluster_documents(db: Database, on_progress: Callable[[int], None] | None = None) -> ClusterCounts:
    """Fingerprint and cluster every pending document, one unit of work each.

    One clusterer at a time per database (a cross-process lock): two processes deciding at once could both
    start a new speech for copies of the same text.
    """
    with exclusive(db, "cluster"):
        return _cluster_pending(db, on_progress)


def _cluster_pending(db: Database, on_progress: Callable[[int], None] | None) -> ClusterCounts:
    counts = ClusterCounts()
    for document_id in pending_documents(db):
        with db.write() as session:
            outcome = _cluster_one(session, document_id)
        counts.documents += 1
        if outcome == "new":
            counts.new_speeches += 1
        elif outcome == "joined":
            counts.joined += 1
        elif outcome == "merged":
            counts.joined += 1
            counts.merged += 1
        if on_progress:
            on_progress(1)
    return counts


def _cluster_one(session: Session, document_id: int) -> str:
    document = session.get(Document, document_id)
    if document is None:
        return "gone"
    previous = document.speech_id
    fp = fingerprint(document.text or "")
    document.simhash = to_signed(fp.simhash)
    document.band0, document.band1, document.band2, document.band3 = bands(fp.simhash)
    document.exact_hash, document.norm_length = fp.exact, fp.length
    document.compilation = is_compilation(document.text or "")
    document.fingerprinted_hash = document.content_hash
    session.execute(delete(ParagraphKey).where(ParagraphKey.document_id == document.id))
    session.add_all(ParagraphKey(document_id=document.id, key=key) for key in fp.paragraph_keys)
    document.speech_id = None
    session.flush()

    me = Copy(document.id, fp.simhash, fp.length, document.match_text or "", bool(document.compilation))
    links = [link for link in (compare(me, other) for other in _candidates(session, document, fp)) if link]
    merging = [link for link in links if link.reason != "compilation part"]
    parts = sorted({_speech_of(session, link.other) for link in links if link.reason == "compilation part"} - {None})
    targets = sorted({_speech_of(session, link.other) for link in merging} - {None})
    now = datetime.now(UTC)
    if not targets:
        speech = Speech(created_at=now, updated_at=now, copies=0)
        session.add(speech)
        session.flush()
        target, outcome = speech.id, "new"
    else:
        target, outcome = targets[0], ("merged" if len(targets) > 1 else "joined")
        for other in targets[1:]:
            session.execute(update(Document).where(Document.speech_id == other).values(speech_id=target))
            _move_commitments(session, other, target)
            session.execute(delete(Speech).where(Speech.id == other))
    best = min(merging, key=lambda link: (link.distance, -link.containment), default=None)
    document.speech_id = target
    document.speech_link = _link_record(best, parts, me.compilation)
    session.flush()
    refresh_speech(session, target)
    if previous and previous != target:
        _refresh_or_drop(session, previous)
    return outcome


def _candidates(session: Session, document: Document, fp) -> list[Copy]:
    """Known documents worth comparing: a shared band within 3 bits, or shared paragraph keys.

    Band neighbours further than 3 bits apart are dropped before any text is loaded: one-genre text has biased
    simhash bits, so bands collide far more often than they link; containment candidates come from paragraphs.
    """
    b = bands(fp.simhash)
    by_band = select(Document.id, Document.simhash).where(
        Document.id != document.id,
        Document.speech_id.is_not(None),
        or_(Document.band0 == b[0], Document.band1 == b[1], Document.band2 == b[2], Document.band3 == b[3]),
    )
    ids = {
        row.id
        for row in session.execute(by_band)
        if row.simhash is not None and hamming(to_unsigned(row.simhash), fp.simhash) <= NEAR_DISTANCE
    }
    if fp.paragraph_keys:
        needed = 1 if len(fp.paragraph_keys) < 4 else 2
        shared = (
            select(ParagraphKey.document_id)
            .where(ParagraphKey.key.in_(fp.paragraph_keys), ParagraphKey.document_id != document.id)
            .group_by(ParagraphKey.document_id)
            .having(func.count() >= needed)
        )
        ids.update(session.scalars(shared))
    if not ids:
        return []
    query = select(*CANDIDATE_COLUMNS).where(Document.id.in_(sorted(ids)), Document.speech_id.is_not(None))
    return [
        Copy(row.id, to_unsigned(row.simhash), row.norm_length or 0, row.match_text or "", bool(row.compilation))
        for row in session.execute(query)
        if row.simhash is not None
    ]


def _speech_of(session: Session, document_id: int) -> int | None:
    return session.scalar(select(Document.speech_id).where(Document.id == document_id))


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
    remaining = session.scalar(select(func.count(Document.id)).where(Document.speech_id == speech_id))
    if remaining:
        refresh_speech(session, speech_id)
    else:
        session.execute(delete(Speech).where(Speech.id == speech_id))
