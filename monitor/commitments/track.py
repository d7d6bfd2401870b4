"""Commitments in storage: mined per speech (not per copy), reviewed by people, tracked until done or overdue."""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from monitor.commitments.extract import extract_commitments
from monitor.extract.script import matching_text
from storage.database import Database
from storage.models import Commitment, CommitmentEvent, Document, Speech
from storage.search import refresh_commitment_index

MINED_TYPES = ("speech", "speech_report", "transcript")
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


SIMILAR = 0.5  # character-bigram Jaccard of two actions for "the same pledge, said again"
FULFILMENT_SIMILAR = 0.5  # share of the pledge's character bigrams found in one clause of the report
DONE_MARKER = re.compile(
    r"已经?(完成|建成|上线|落户|出台|开通|实现|投用|投产|开工)|如期(完成|建成)|提前完成|全面完成|顺利完成"
)


def bigrams(text: str) -> set[str]:
    form = matching_text(text)
    return {form[i : i + 2] for i in range(len(form) - 1)}


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


def mine_commitments(db: Database) -> MineCounts:
    """Extract commitments from every copy not yet mined; a commitment already known for the speech gains evidence."""
    counts = MineCounts()
    with db.read() as session:
        pending = list(
            session.scalars(
                select(Document.id)
                .where(
                    Document.speech_id.is_not(None),
                    Document.doc_type.in_(MINED_TYPES),
                    Document.commitments_hash.is_(None),  # cleared by the write path when the text changes
                )
                .order_by(Document.id)
            )
        )
    for document_id in pending:
        with db.write() as session:
            document = session.get(Document, document_id)
            speech = session.get(Speech, document.speech_id) if document and document.speech_id else None
            if document is None or speech is None:
                continue
            counts.documents += 1
            speech_date = speech.speech_date or document.speech_date
            known = list(session.scalars(select(Commitment).where(Commitment.speech_id == speech.id)))
            earlier: _EarlierPledges | None = None  # built on the first new pledge, once per document
            for item in extract_commitments(document.text or "", speech_date, organization=speech.organization):
                match = _same_commitment(known, item.text)
                if match is not None:
                    _add_evidence(match, document.id, item)
                    counts.seen_again += 1
                    continue
                row = _new_commitment(speech.id, document.id, item)
                session.add(row)
                session.flush()
                earlier = earlier or _EarlierPledges(session, speech)
                relation = _link_across_speeches(row, speech, earlier)
                if relation == "restated":
                    counts.restated += 1
                elif relation == "changed":
                    counts.changed += 1
                details = {"document_id": document.id, "related_id": row.related_id}
                event = CommitmentEvent(commitment_id=row.id, at=row.created_at, action=relation or "flagged")
                event.details = details
                session.add(event)
                known.append(row)
                counts.new += 1
            counts.fulfilment += _fulfilment_evidence(session, document, speech)
            document.commitments_hash = document.content_hash
            refresh_commitment_index(session, speech.id)  # search index (storage.search)
    return counts


class _EarlierPledges:
    """The pledges of the other speeches of one place, with an index by character bigram, so that finding the most
    similar one looks at the pledges that share a bigram instead of comparing with every stored pledge."""

    def __init__(self, session, speech: Speech) -> None:
        self.rows: list[tuple[int, set[str], str | None, list | None]] = []
        self.index: dict[str, list[int]] = defaultdict(list)
        if not speech.region_code:
            return
        query = (
            select(Commitment.id, Commitment.action, Commitment.text, Commitment.deadline, Commitment.quantities)
            .join(Speech, Speech.id == Commitment.speech_id)
            .where(Speech.region_code == speech.region_code, Commitment.speech_id != speech.id,
                   Commitment.cited.is_(False))
            .order_by(Commitment.id)
        )  # fmt: skip
        for commitment_id, action, text, deadline, quantities in session.execute(query):
            grams = bigrams(action or text)
            for gram in grams:
                self.index[gram].append(len(self.rows))
            self.rows.append((commitment_id, grams, deadline, quantities))

    def most_similar(self, text: str) -> tuple[int, set[str], str | None, list | None] | None:
        """The pledge with the highest bigram Jaccard ≥ ``SIMILAR`` (the latest one on a tie), or None."""
        grams = bigrams(text)
        shared: Counter[int] = Counter()
        for gram in grams:
            shared.update(self.index.get(gram, ()))
        best, best_score = None, SIMILAR
        for i in sorted(shared):
            score = shared[i] / (len(grams) + len(self.rows[i][1]) - shared[i])
            if score >= best_score:
                best, best_score = self.rows[i], score
        return best


def _link_across_speeches(row: Commitment, speech: Speech, earlier: _EarlierPledges) -> str | None:
    """Link a pledge said again in a later speech of the same place: ``restated`` (same deadline and target,
    not flagged again) or ``changed`` (deadline or target moved: flagged again, both versions kept)."""
    if row.cited or not speech.region_code:
        return None
    best = earlier.most_similar(row.action or row.text)
    if best is None:
        return None
    best_id, _, deadline, quantities = best
    same_target = deadline == row.deadline and _values(quantities) == _values(row.quantities)
    row.related_id, row.relation = best_id, "restated" if same_target else "changed"
    row.flagged = not same_target
    return row.relation


def _values(quantities: list | None) -> set:
    return {(q.get("value"), q.get("low"), q.get("high"), q.get("unit")) for q in quantities or []}


def _fulfilment_evidence(session, document: Document, speech: Speech) -> int:
    """Sentences of a later document of the same place that report a pledge as done (已完成…出让, 已落户2支基金)
    become evidence on the commitment, with a ``done`` suggestion for a person to confirm."""
    if not speech.region_code:
        return 0
    sentences = [c for c in re.split(r"[。！？；，\n]", document.text or "") if DONE_MARKER.search(c)]
    if not sentences:
        return 0
    open_rows = session.execute(
        select(Commitment)
        .join(Speech, Speech.id == Commitment.speech_id)
        .where(Speech.region_code == speech.region_code, Commitment.speech_id != speech.id,
               Commitment.status.in_(("new", "accepted")), Commitment.cited.is_(False))
    ).scalars().all()  # fmt: skip
    added = 0
    for row in open_rows:
        best = max(sentences, key=lambda clause: coverage(row.action or row.text, clause))
        if coverage(row.action or row.text, best) < FULFILMENT_SIMILAR:
            continue
        already = session.scalar(
            select(CommitmentEvent.id).where(CommitmentEvent.commitment_id == row.id,
                                             CommitmentEvent.action == "fulfilment",
                                             CommitmentEvent.details["document_id"].as_integer() == document.id)
        )  # fmt: skip
        if already:
            continue
        session.add(CommitmentEvent(commitment_id=row.id, at=datetime.now(UTC), action="fulfilment",
                                    details={"document_id": document.id, "sentence": best.strip(),
                                             "suggest": "done"}))  # fmt: skip
        added += 1
    return added


def fulfilment_events(db: Database, commitment_id: int) -> list[dict]:
    with db.read() as session:
        rows = session.scalars(
            select(CommitmentEvent).where(CommitmentEvent.commitment_id == commitment_id,
                                          CommitmentEvent.action == "fulfilment").order_by(CommitmentEvent.id)
        )  # fmt: skip
        return [dict(row.details or {}, at=row.at.isoformat()) for row in rows]


def _same_commitment(known: list[Commitment], text: str) -> Commitment | None:
    """The same pledge in another copy: equal, or one a part of the other (a copy cut mid-clause)."""
    form = matching_text(text)
    for row in known:
        other = matching_text(row.text)
        if form == other or (len(form) >= 12 and (form in other or other in form)):
            return row
    return None


def _add_evidence(row: Commitment, document_id: int, item) -> None:
    evidence = list(row.evidence or [])
    if document_id not in evidence:
        row.evidence = [*evidence, document_id]
    if len(matching_text(item.text)) > len(matching_text(row.text)):  # the fuller copy completes the clause
        row.text, row.action, row.quantities = item.text, item.action, item.quantities
        row.deadline, row.deadline_precision, row.deadline_text = (
            item.deadline,
            item.deadline_precision,
            item.deadline_text,
        )
    row.updated_at = datetime.now(UTC)


def _new_commitment(speech_id: int, document_id: int, item) -> Commitment:
    now = datetime.now(UTC)
    return Commitment(
        speech_id=speech_id, key=commitment_key(item.text), text=item.text, sentence=item.sentence,
        action=item.action, deadline=item.deadline, deadline_precision=item.deadline_precision,
        deadline_text=item.deadline_text, deadline_resolved=item.deadline_resolved, quantities=item.quantities,
        strength=item.strength, tier=item.tier, topic=item.topic, cited=item.cited, actor=item.actor,
        actor_implicit=item.actor_implicit, counterparty=item.counterparty, status="new",
        flagged=not item.cited, document_id=document_id, start=item.start, end=item.end, evidence=[document_id],
        created_at=now, updated_at=now,
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
