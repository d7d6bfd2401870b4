"""Commitments in storage: mined per speech (not per copy), reviewed by people, tracked until done or overdue."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import or_, select

from monitor.commitments.extract import extract_commitments
from monitor.extract.script import matching_text
from storage.database import Database
from storage.models import Commitment, CommitmentEvent, Document, Speech

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
                    or_(Document.commitments_hash.is_(None), Document.commitments_hash != Document.content_hash),
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
            for item in extract_commitments(document.text or "", speech_date, organization=speech.organization):
                match = _same_commitment(known, item.text)
                if match is not None:
                    _add_evidence(match, document.id, item)
                    counts.seen_again += 1
                    continue
                row = _new_commitment(speech.id, document.id, item)
                session.add(row)
                session.flush()
                session.add(CommitmentEvent(commitment_id=row.id, at=row.created_at, action="flagged",
                                            details={"document_id": document.id}))  # fmt: skip
                known.append(row)
                counts.new += 1
            document.commitments_hash = document.content_hash
    return counts


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
