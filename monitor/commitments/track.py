"""Commitments in storage: mined per speech (not per copy), reviewed by people, tracked until done or overdue."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import SimpleNamespace

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import load_only

from monitor.commitments.extract import FUTURE_CUE
from monitor.commitments.pledges import (
    OPEN,
    Pledge,
    RegionPledges,
    bigrams,
    forget,
    make_pledge,
    refresh_cached,
    region_pledges,
    remember_written,
)
from monitor.commitments.prefetch import Prefetcher
from monitor.extract.script import matching_text, to_simplified
from storage.bulk import insert_rows
from storage.database import Database
from storage.models import Commitment, CommitmentEvent, Document, Speech, UnminedDocument
from storage.search import index_commitments

MINED_TYPES = ("speech", "speech_report", "transcript")
COMMITMENTS, EVENTS = Commitment.__table__, CommitmentEvent.__table__
NEXT_IDS = select(func.nextval(func.pg_get_serial_sequence("commitments", "id"))).select_from(
    func.generate_series(1, bindparam("n"))
)
ID_BLOCK = 256  # commitment ids taken at a time (PostgreSQL: from the sequence; a unit of 25 copies takes ~225)
MINED_COLUMNS = [load_only(Document.text, Document.speech_date, Document.speech_id, Document.content_hash)]  # no page
UNMINED = UnminedDocument.__table__
MINED = delete(UNMINED).where(UNMINED.c.document_id == bindparam("id"), UNMINED.c.content_hash == bindparam("text"))
_OTHER_TYPE = func.coalesce(Document.doc_type, "").not_in(MINED_TYPES)
NOT_MINED_TYPE = delete(UNMINED).where(
    select(Document.id).where(Document.id == UNMINED.c.document_id, _OTHER_TYPE).exists()
)
TRANSITIONS = {
    "accept": ({"new", "rejected", "accepted"}, "accepted"),
    "reject": ({"new", "accepted"}, "rejected"),
    "done": ({"accepted", "done"}, "done"),
}


class ReviewError(ValueError):
    """A review action that the commitment's status does not allow, phrased for the user."""


@dataclass
class MineCounts:
    documents: int = 0
    new: int = 0
    seen_again: int = 0
    restated: int = 0
    changed: int = 0
    fulfilment: int = 0


IN_BATCH = 500  # ids per IN (…) list
CHUNK = 25  # documents per unit of work (a commit per document cost as much as mining it)
SIMILAR = 0.5  # character-bigram Jaccard of two actions for "the same pledge, said again"
FULFILMENT_SIMILAR = 0.5  # share of the pledge's character bigrams found in one clause of the report
DONE_MARKER = re.compile(
    r"已经?(完成|建成|上线|落户|出台|开通|实现|投用|投产|开工)|如期(完成|建成)|提前完成|全面完成|顺利完成"
)


def coverage(pledge: str, clause: str) -> float:
    """Share of the pledge's character bigrams that a clause of a later report repeats."""
    x, y = bigrams(pledge), bigrams(clause)
    return len(x & y) / len(x) if x else 0.0


def similarity(a: str, b: str) -> float:
    x, y = bigrams(a), bigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def commitment_key(text: str) -> str:
    return hashlib.sha1(matching_text(text).encode("utf-8")).hexdigest()[:32]


def display_status(commitment: Commitment, today: date | None = None) -> str:
    """``overdue`` for an accepted commitment whose deadline has passed, else the stored status."""
    today = today or datetime.now(UTC).date()
    if commitment.status == "accepted" and commitment.deadline and commitment.deadline < today.isoformat():
        return "overdue"
    return commitment.status


def pending_copies(db: Database, *, in_speech: bool = True) -> list[int]:
    """Copies of the mined types not mined since their text last changed (``in_speech``: clustered already)."""
    query = (
        select(Document.id)
        .join(UNMINED, UNMINED.c.document_id == Document.id)  # queued with a new or changed text (or type)
        .where(Document.doc_type.in_(MINED_TYPES))
    )
    if in_speech:
        query = query.where(Document.speech_id.is_not(None))
    with db.read() as session:
        return list(session.scalars(query.order_by(Document.id)))


def mine_commitments(db: Database, prefetcher: Prefetcher | None = None) -> MineCounts:
    """Extract commitments from every copy not yet mined; a commitment already known for the speech gains evidence.

    Extraction runs ahead in a worker process (:mod:`monitor.commitments.prefetch`); ``prefetcher`` is one the
    caller started earlier (the post-run work starts it before clustering).

    ``CHUNK`` documents share a unit of work: it commits whole or not at all, and a document of a unit that failed
    is still pending, so the next run takes it up again. Queued pages of the types not mined leave the queue first
    (``speechwatch reprocess`` queues a page again when its type changes), so the queue holds only what waits."""
    counts = MineCounts()
    with db.write() as session:  # queued pages of the types not mined have nothing to wait for
        session.execute(NOT_MINED_TYPE)
    pending = pending_copies(db)
    regions: dict[str, RegionPledges] = {}  # read once per place per run, kept current as pledges are added
    url = db.engine.url
    in_memory = url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")
    store = None if in_memory else url.render_as_string(hide_password=False)  # the key of the cached indexes
    if store and pending:
        with db.read() as session:  # one read of what changed since the last run, for all the cached places
            refresh_cached(session, store)
    with prefetcher or Prefetcher(db) as ahead:
        ahead.plan(pending)
        for start in range(0, len(pending), CHUNK):
            unit = pending[start : start + CHUNK]
            try:
                with db.write() as session:
                    changed: set[int] = set()  # commitments whose text is new or changed: indexed for search
                    documents, speeches, stored = _load_unit(session, unit)
                    work = _UnitWrites(stored)
                    for document_id in unit:
                        document = documents.get(document_id)
                        speech = speeches.get(document.speech_id) if document and document.speech_id else None
                        if document is None or speech is None:
                            continue
                        counts.documents += 1
                        pledges = _region_pledges(regions, session, store, speech.region_code)
                        changed |= _mine_document(session, document, speech, pledges, counts, ahead, work)
                    work.write(session.connection())
                    session.flush()
                    index_commitments(session.connection(), sorted(changed), ahead.folded)  # storage.search, per unit
                    written = work.written()
            except BaseException:
                regions.clear()  # the unit rolled back: what the indexes learned from it is not stored
                if store:
                    forget(store)
                raise
            if store:  # committed: the next run's refresh of the cached indexes need not read these again
                remember_written(store, written)
    return counts


def _load_unit(session, unit: list[int]) -> tuple[dict[int, Document], dict[int, Speech], dict[int, list[Commitment]]]:
    """A unit's documents, their speeches and the speeches' stored commitments: one query each, in the session."""
    query = select(Document).where(Document.id.in_(unit)).options(*MINED_COLUMNS)
    documents = {document.id: document for document in session.scalars(query)}
    speech_ids = sorted({document.speech_id for document in documents.values() if document.speech_id})
    speeches = {speech.id: speech for speech in session.scalars(select(Speech).where(Speech.id.in_(speech_ids)))}
    return documents, speeches, _stored_commitments(session, list(speeches))


def _stored_commitments(session, speech_ids: list[int]) -> dict[int, list[Commitment]]:
    """The speeches' stored commitments by speech, as ORM rows in id order (a copy adds evidence to them)."""
    stored: dict[int, list[Commitment]] = {speech_id: [] for speech_id in speech_ids}
    if speech_ids:
        query = select(Commitment).where(Commitment.speech_id.in_(speech_ids)).order_by(Commitment.id)
        for row in session.scalars(query):
            stored[row.speech_id].append(row)
    return stored


def _region_pledges(regions: dict[str, RegionPledges], session, store: str | None, region_code: str | None):
    if not region_code:
        return None
    if region_code not in regions:
        regions[region_code] = (
            region_pledges(session, store, region_code, refresh=False)
            if store
            else RegionPledges.load(session, region_code)
        )
    return regions[region_code]


@dataclass
class _UnitWrites:
    """What a unit of work of the miner writes at its end, and the speeches' commitments meanwhile.

    The stored commitments are ORM rows (a copy adds evidence to them); new ones are plain records (the ORM's
    unit of work cost as much as finding them). New ones take their ids in memory and wait there: the unit's new
    commitments go in with one statement at its end, then its audit-log rows with one more, and a later copy of
    the speech in the unit takes them from memory. PostgreSQL takes the ids from the sequence, ``ID_BLOCK`` at a
    time (what a unit leaves is a gap, as a rolled-back insert leaves; a statement per copy cost 0.5 ms a copy,
    mostly the round trips); SQLite counts on from the highest stored id, read once per unit, as SQLite itself
    numbers rows (only the miner inserts commitments, one at a time per store: ``monitor.postrun``'s lock). An
    INSERT … RETURNING per copy had cost SQLite's miner 5 % of its process (the twelfth round)."""

    stored: dict[int, list]  # speech id -> its commitments so far (a speech's first copy in the unit pops them)
    events: list[dict] = field(default_factory=list)  # audit-log rows, in order
    new: list[SimpleNamespace] = field(default_factory=list)  # new commitments, not yet inserted
    ids: list[int] = field(default_factory=list)  # ids taken, not yet used
    last_id: int | None = None  # the last id taken
    created: list = field(default_factory=list)  # the unit's new commitments
    touched: list = field(default_factory=list)  # commitments the unit added evidence to (new ones too)
    mined: list[dict] = field(default_factory=list)  # the copies mined, by text: out of the queue at the unit's end

    def known(self, session, speech_id: int) -> list:
        """The speech's commitments: those of the unit's read (its first copy), else read now (stored by an
        earlier copy of the unit)."""
        rows = self.stored.pop(speech_id, None)
        return list(_stored_commitments(session, [speech_id])[speech_id] if rows is None else rows)

    def keep(self, speech_id: int, known: list) -> None:
        """A later copy of the speech in the unit takes ``known`` (its new ones are not stored yet)."""
        self.stored[speech_id] = known

    def insert(self, conn, rows: list[SimpleNamespace]) -> None:
        """Give a copy's new commitments their ids, in order; they are inserted at the unit's end."""
        self.created.extend(rows)
        if len(self.ids) < len(rows):
            self.ids.extend(_next_ids(conn, max(ID_BLOCK, len(rows) - len(self.ids)), self.last_id))
            self.last_id = self.ids[-1]
        for row, new_id in zip(rows, self.ids, strict=False):
            row.id = new_id
        del self.ids[: len(rows)]
        self.new.extend(rows)

    def pending(self, ids: list[int]) -> set[int]:
        """Those of ``ids`` that are this unit's new commitments, not stored yet."""
        waiting = {row.id for row in self.new}
        return {commitment_id for commitment_id in ids if commitment_id in waiting}

    def written(self) -> list[tuple[int, datetime, str]]:
        """``(id, updated_at, status)`` of every commitment the unit wrote, as written (read before the commit)."""
        return [(row.id, row.updated_at, row.status) for row in (*self.created, *self.touched)]

    def write(self, conn) -> None:
        """The unit's new commitments, then their audit-log rows (PostgreSQL: a ``COPY`` each, :mod:`storage.bulk`),
        and the copies mined out of the queue (each for the text it was mined with: a newer one stays queued)."""
        if self.new:
            insert_rows(conn, COMMITMENTS, [vars(row) for row in self.new])
            self.new = []
        if self.events:
            insert_rows(conn, EVENTS, self.events)
            self.events = []
        if self.mined:
            conn.execute(MINED, self.mined)
            self.mined = []


def _next_ids(conn, n: int, last: int | None) -> list[int]:
    """``n`` more ids for new commitments: from the sequence (PostgreSQL), else after ``last`` (the unit's last
    id taken), or after the highest stored id for the unit's first."""
    if conn.dialect.name == "postgresql":
        return list(conn.execute(NEXT_IDS, {"n": n}).scalars())
    if last is None:
        last = conn.scalar(select(func.max(COMMITMENTS.c.id))) or 0
    return list(range(last + 1, last + 1 + n))


def _mine_document(session, document: Document, speech: Speech, pledges: RegionPledges | None,
                   counts: MineCounts, ahead: Prefetcher, work: _UnitWrites) -> set[int]:  # fmt: skip
    """Mine one copy; return the ids of the commitments it added or completed (their text is new). What it adds
    goes to ``work`` (:class:`_UnitWrites`)."""
    speech_date = speech.speech_date or document.speech_date
    known: list = work.known(session, speech.id)
    new_rows: list[tuple[SimpleNamespace, str | None]] = []
    completed: set[int] = set()
    for item in ahead.commitments(document.id, document.text or "", speech_date, speech.organization):
        match = _same_commitment(known, item.text)
        if match is not None:
            changed = _add_evidence(match, document.id, item)
            work.touched.append(match)
            if changed and match.id is not None:  # stored before: its fuller text is indexed again
                completed.add(match.id)
                if pledges is not None and not match.cited:
                    pledges.add(_pledge(match))
            counts.seen_again += 1
            continue
        row = _new_commitment(speech.id, document.id, item)
        relation = _link_across_speeches(row, speech, pledges)  # pledges of other speeches only: order-free
        if relation == "restated":
            counts.restated += 1
        elif relation == "changed":
            counts.changed += 1
        new_rows.append((row, relation))
        known.append(row)
        counts.new += 1
    if new_rows:
        work.insert(session.connection(), [row for row, _ in new_rows])  # not flushing: one flush per unit
        work.events.extend(
            {"commitment_id": row.id, "at": row.created_at, "action": relation or "flagged", "reviewer": None,
             "note": None, "document_id": document.id,
             "details": {"document_id": document.id, "related_id": row.related_id}}
            for row, relation in new_rows
        )  # fmt: skip
    counts.fulfilment += _fulfilment_evidence(session, document, speech, pledges, work)
    if pledges is not None:  # this document's pledges are "earlier pledges" for the next documents of the place
        for row in known:
            if not row.cited and row.id not in pledges.position:
                pledges.add(_pledge(row))
    work.keep(speech.id, known)
    work.mined.append({"id": document.id, "text": document.content_hash})
    return completed | {row.id for row, _ in new_rows}


def _pledge(row) -> Pledge:
    return make_pledge(
        row.id,
        row.speech_id,
        row.action or row.text,
        row.deadline,
        row.quantities,
        row.status,
        row.relation == "restated",
    )


def _link_across_speeches(row: SimpleNamespace, speech: Speech, pledges: RegionPledges | None) -> str | None:
    """Link a pledge said again in a later speech of the same place: ``restated`` (same deadline and target,
    not flagged again) or ``changed`` (deadline or target moved: flagged again, both versions kept)."""
    if row.cited or pledges is None:
        return None
    best = pledges.most_similar(row.action or row.text, speech.id, SIMILAR)
    if best is None:
        return None
    same_target = best.deadline == row.deadline and _values(best.quantities) == _values(row.quantities)
    row.related_id, row.relation = best.id, "restated" if same_target else "changed"
    row.flagged = not same_target
    return row.relation


def _values(quantities: list | None) -> set:
    return {(q.get("value"), q.get("low"), q.get("high"), q.get("unit")) for q in quantities or []}


def _fulfilment_evidence(session, document: Document, speech: Speech, pledges: RegionPledges | None,
                         work: _UnitWrites) -> int:  # fmt: skip
    """Sentences of a later document of the same place that report a pledge as done (已完成…出让, 已落户2支基金)
    become evidence on the commitment, with a ``done`` suggestion for a person to confirm."""
    if pledges is None:
        return 0
    sentences = [c for c in re.split(r"[。！？；，\n]", document.text or "") if _reports_done(c)]
    if not sentences:
        return 0
    found = pledges.fulfilled(sentences, speech.id, FULFILMENT_SIMILAR)
    still_open, recorded = set(), set()  # reviewed since the run loaded the place; evidence of this copy already
    for start in range(0, len(found), IN_BATCH):
        ids = [pledge.id for pledge, _ in found[start : start + IN_BATCH]]
        still_open.update(session.scalars(select(Commitment.id).where(Commitment.id.in_(ids),
                                                                      Commitment.status.in_(OPEN))))  # fmt: skip
        still_open.update(work.pending(ids))  # new ones of this unit, not stored yet: open
        recorded.update(session.scalars(
            select(CommitmentEvent.commitment_id).where(CommitmentEvent.document_id == document.id,
                                                        CommitmentEvent.action == "fulfilment",
                                                        CommitmentEvent.commitment_id.in_(ids))
        ))  # fmt: skip
    now = datetime.now(UTC)
    found_events = [
        {"commitment_id": pledge.id, "at": now, "action": "fulfilment", "reviewer": None, "note": None,
         "document_id": document.id,
         "details": {"document_id": document.id, "sentence": best.strip(), "suggest": "done"}}
        for pledge, best in found
        if pledge.id in still_open and pledge.id not in recorded
    ]  # fmt: skip
    work.events.extend(found_events)
    return len(found_events)


def _reports_done(clause: str) -> bool:
    """A clause reporting something as done (已完成…, 如期建成…), not one promising it (确保年底前全面完成…)."""
    return bool(DONE_MARKER.search(clause)) and ("已" in clause or not FUTURE_CUE.search(to_simplified(clause)))


def fulfilment_events(db: Database, commitment_id: int) -> list[dict]:
    with db.read() as session:
        rows = session.scalars(
            select(CommitmentEvent).where(CommitmentEvent.commitment_id == commitment_id,
                                          CommitmentEvent.action == "fulfilment").order_by(CommitmentEvent.id)
        )  # fmt: skip
        return [dict(row.details or {}, at=row.at.isoformat()) for row in rows]


def _same_commitment(known: list, text: str):
    """The same pledge in another copy: equal, or one a part of the other (a copy cut mid-clause), or equal to the
    clause it was first stored with (its key) before a fuller copy completed it."""
    form = matching_text(text)
    key = commitment_key(text)
    for row in known:
        other = matching_text(row.text)
        if row.key == key or form == other or (len(form) >= 12 and (form in other or other in form)):
            return row
    return None


def _add_evidence(row, document_id: int, item) -> bool:
    """Record the copy as evidence; True when the copy's fuller clause replaced the pledge's text."""
    evidence = list(row.evidence or [])
    if document_id not in evidence:
        row.evidence = [*evidence, document_id]
    row.updated_at = datetime.now(UTC)
    if len(matching_text(item.text)) <= len(matching_text(row.text)):
        return False
    row.text, row.action, row.quantities = item.text, item.action, item.quantities  # the fuller copy completes it
    row.deadline, row.deadline_precision, row.deadline_text = item.deadline, item.deadline_precision, item.deadline_text
    return True


def _new_commitment(speech_id: int, document_id: int, item) -> SimpleNamespace:
    """A new pledge as a plain record with the ``commitments`` columns (``id`` once inserted)."""
    now = datetime.now(UTC)
    return SimpleNamespace(
        id=None,
        speech_id=speech_id, key=commitment_key(item.text), text=item.text, sentence=item.sentence,
        action=item.action, deadline=item.deadline, deadline_precision=item.deadline_precision,
        deadline_text=item.deadline_text, deadline_resolved=item.deadline_resolved, quantities=item.quantities,
        strength=item.strength, tier=item.tier, topic=item.topic, cited=item.cited, actor=item.actor,
        actor_implicit=item.actor_implicit, counterparty=item.counterparty, status="new",
        flagged=not item.cited, document_id=document_id, start=item.start, end=item.end, evidence=[document_id],
        related_id=None, relation=None, created_at=now, updated_at=now,
    )  # fmt: skip


def review(
    db: Database, commitment_id: int, action: str, *, reviewer: str | None = None, note: str | None = None
) -> Commitment:
    """Accept, reject or mark done, with an audit-log entry; raise :class:`ReviewError` when not allowed."""
    allowed, target = TRANSITIONS[action]
    with db.write() as session:
        row = session.get(Commitment, commitment_id)
        if row is None:
            raise ReviewError(f"no commitment with id {commitment_id}")
        if row.status not in allowed:
            raise ReviewError(f"commitment {commitment_id} is {row.status}; cannot {action} it")
        if action == "done" and not note:
            raise ReviewError("marking done needs the evidence as --note (a URL or a sentence)")
        now = datetime.now(UTC)
        session.add(CommitmentEvent(commitment_id=row.id, at=now, action=action, reviewer=reviewer, note=note,
                                    details={"from": row.status, "to": target}))  # fmt: skip
        row.status, row.status_at, row.reviewer, row.note, row.flagged, row.updated_at = (
            target,
            now,
            reviewer,
            note,
            False,
            now,
        )
        session.flush()
        session.expunge(row)
        return row


def list_commitments(
    db: Database,
    *,
    status: str | None = None,
    due_before: str | None = None,
    topic: str | None = None,
    include_cited: bool = False,
    limit: int = 200,
) -> list[Commitment]:
    today = datetime.now(UTC).date().isoformat()
    with db.read() as session:
        query = select(Commitment).order_by(Commitment.deadline.is_(None), Commitment.deadline, Commitment.id)
        if status == "overdue":
            query = query.where(Commitment.status == "accepted", Commitment.deadline < today)
        elif status:
            query = query.where(Commitment.status == status)
        if due_before:
            query = query.where(Commitment.deadline <= due_before)
        if topic:
            query = query.where(Commitment.topic == topic)
        if not include_cited:
            query = query.where(Commitment.cited.is_(False))
        return list(session.scalars(query.limit(limit)))
