"""Build a digest: what happened since the last delivered one, leaving out every item a digest already carried.

Items are named by ``(kind, key)``: ``speech`` (speech id), ``document`` (document id; the ones whose speech was
already known are the new reposts), ``commitment`` (new, flagged for review), ``change`` (changed or restated),
``due`` and ``overdue`` (commitment id and deadline, so a moved deadline is reported again), ``fulfilment``
(event id) and ``health`` (source, problem and the run where it began). ``digest_items`` holds them with a unique
constraint, so the database refuses to carry one twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from monitor.health import HealthOptions, health_issues
from storage.database import Database
from storage.models import Commitment, CommitmentEvent, DigestItem, Document, Speech
from storage.models import Digest as DigestRow

DUE_WITHIN_DAYS = 14
WINDOW_MARGIN = timedelta(hours=1)  # rows committed late by a concurrent crawl still fall in the next window
IN_CHUNK = 500


@dataclass
class Digest:
    """A digest as plain JSON-able data (the ``--format json`` fields; see README)."""

    generated_at: str
    since: str | None
    until: str
    speeches: list[dict] = field(default_factory=list)
    new_commitments: list[dict] = field(default_factory=list)  # groups: {"topic", "commitments": [...]}
    changed_commitments: list[dict] = field(default_factory=list)
    due_soon: list[dict] = field(default_factory=list)
    overdue: list[dict] = field(default_factory=list)
    fulfilment: list[dict] = field(default_factory=list)
    reposts: dict = field(default_factory=lambda: {"count": 0, "speeches": []})
    source_health: list[dict] = field(default_factory=list)
    items: list[list[str]] = field(default_factory=list)  # [kind, key] pairs, stored in digest_items
    digest_id: int | None = None

    @property
    def is_empty(self) -> bool:
        return not self.items

    @property
    def counts(self) -> dict[str, int]:
        return {
            "speeches": len(self.speeches),
            "new_commitments": sum(len(group["commitments"]) for group in self.new_commitments),
            "changed_commitments": len(self.changed_commitments),
            "due_soon": len(self.due_soon),
            "overdue": len(self.overdue),
            "fulfilment": len(self.fulfilment),
            "reposts": self.reposts["count"],
            "source_health": len(self.source_health),
        }

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("items")
        return {"digest_id": data.pop("digest_id"), **data, "counts": self.counts}

    def stored(self) -> dict:
        """The form kept in ``digests.content``: everything, so a retry sends exactly what was built."""
        return {**self.as_dict(), "items": self.items}

    @classmethod
    def from_dict(cls, data: dict) -> Digest:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def last_window_end(db: Database) -> datetime | None:
    """Where the next window starts: the end of the newest digest that reached at least one channel."""
    with db.read() as session:
        rows = session.execute(select(DigestRow.until, DigestRow.delivered_at, DigestRow.channels_done)).all()
    ends = [until for until, delivered, done in rows if delivered or done]
    return max(ends) if ends else None


def started_digest_ids(session) -> set[int]:
    rows = session.execute(select(DigestRow.id, DigestRow.delivered_at, DigestRow.channels_done)).all()
    return {digest_id for digest_id, delivered, done in rows if delivered or done}


def build_digest(
    db: Database,
    since: datetime | None = None,
    *,
    now: datetime | None = None,
    health: HealthOptions | None = None,
) -> Digest:
    """Everything new since ``since`` (default: the last delivered digest) that no delivered digest carried.

    Read only: nothing is marked. Speeches, copies, new and changed commitments and fulfilment evidence are
    windowed by when they appeared; due, overdue and source problems are states, taken as they are now.
    """
    now = now or datetime.now(UTC)
    if since is None:
        end = last_window_end(db)
        window = end - WINDOW_MARGIN if end else None
    else:
        window = since if since.tzinfo else since.replace(tzinfo=UTC)
    today = now.date()
    digest = Digest(generated_at=now.isoformat(), since=window.isoformat() if window else None, until=now.isoformat())
    issues = health_issues(db, health)
    with db.read() as session:
        carried = _Carried(session)
        _speeches_and_reposts(session, digest, window, carried)
        _new_and_changed(session, digest, window, carried)
        _due_and_overdue(session, digest, today, carried)
        _fulfilment(session, digest, window, carried)
        for issue in carried.fresh("health", issues, lambda i: i.key):
            digest.source_health.append(issue.as_dict())
            digest.items.append(["health", issue.key])
    return digest


class _Carried:
    """Which candidate items a started (delivered or partly delivered) digest already carried."""

    def __init__(self, session) -> None:
        self.session = session
        self.started = started_digest_ids(session)
        self.known: dict[str, set[str]] = {}

    def load(self, kind: str, keys: list[str]) -> None:
        found = self.known.setdefault(kind, set())
        if not self.started:
            return
        for i in range(0, len(keys), IN_CHUNK):
            chunk = keys[i : i + IN_CHUNK]
            found.update(
                self.session.scalars(
                    select(DigestItem.key).where(
                        DigestItem.kind == kind,
                        DigestItem.key.in_(chunk),
                        DigestItem.digest_id.in_(self.started),
                    )
                )
            )

    def fresh(self, kind: str, rows: list, key) -> list:
        self.load(kind, [key(row) for row in rows])
        return [row for row in rows if key(row) not in self.known[kind]]


def _urls(session, document_ids) -> dict[int, str]:
    ids = [i for i in set(document_ids) if i is not None]
    urls: dict[int, str] = {}
    for i in range(0, len(ids), IN_CHUNK):
        urls.update(
            session.execute(select(Document.id, Document.url).where(Document.id.in_(ids[i : i + IN_CHUNK]))).all()
        )
    return dict(urls)


def _speeches_and_reposts(session, digest: Digest, window: datetime | None, carried: _Carried) -> None:
    query = select(Speech)
    if window:
        query = query.where(Speech.created_at >= window)
    speeches = carried.fresh("speech", list(session.scalars(query)), lambda s: str(s.id))
    urls = _urls(session, [s.canonical_document_id for s in speeches])
    speeches.sort(key=lambda s: (s.speech_date or "", s.id), reverse=True)
    for speech in speeches:
        digest.speeches.append(
            {
                "id": speech.id,
                "title": speech.title,
                "url": urls.get(speech.canonical_document_id),
                "speaker": speech.speaker,
                "speaker_post": speech.speaker_post,
                "speech_date": speech.speech_date,
                "region": speech.region,
                "doc_type": speech.doc_type,
                "copies": speech.copies,
            }
        )
        digest.items.append(["speech", str(speech.id)])
    new_ids = {s.id for s in speeches}
    query = select(Document.id, Document.speech_id).where(Document.speech_id.is_not(None))
    if window:
        query = query.where(Document.first_seen_at >= window)
    copies = carried.fresh("document", list(session.execute(query)), lambda row: str(row.id))
    reposts: dict[int, int] = defaultdict(int)
    for row in copies:
        digest.items.append(["document", str(row.id)])
        if row.speech_id not in new_ids:
            reposts[row.speech_id] += 1
    titles = (
        dict(session.execute(select(Speech.id, Speech.title).where(Speech.id.in_(list(reposts)))).all())
        if reposts
        else {}
    )
    digest.reposts = {
        "count": sum(reposts.values()),
        "speeches": [
            {"speech_id": speech_id, "title": titles.get(speech_id), "new_copies": count}
            for speech_id, count in sorted(reposts.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
    }


def commitment_records(session, rows: list[Commitment], today: date | None = None) -> list[dict]:
    """Commitments with the title of their speech and the URL of the copy they were found in."""
    speeches = {}
    ids = list({row.speech_id for row in rows})
    for i in range(0, len(ids), IN_CHUNK):
        speeches.update((s.id, s) for s in session.scalars(select(Speech).where(Speech.id.in_(ids[i : i + IN_CHUNK]))))
    urls = _urls(session, [row.document_id for row in rows])
    records = []
    for row in rows:
        speech = speeches.get(row.speech_id)
        record = {
            "id": row.id,
            "text": row.text,
            "sentence": row.sentence,
            "deadline": row.deadline,
            "deadline_precision": row.deadline_precision,
            "deadline_text": row.deadline_text,
            "strength": row.strength,
            "topic": row.topic,
            "status": row.status,
            "speech_id": row.speech_id,
            "speech_title": speech.title if speech else None,
            "speaker": speech.speaker if speech else None,
            "region": speech.region if speech else None,
            "url": urls.get(row.document_id),
        }
        if today and row.deadline:
            record["days_left"] = (date.fromisoformat(row.deadline) - today).days
        records.append(record)
    return records


def _by_deadline(row: Commitment) -> tuple:
    return (row.deadline is None, row.deadline or "", row.id)


def _new_and_changed(session, digest: Digest, window: datetime | None, carried: _Carried) -> None:
    query = select(Commitment).where(Commitment.status == "new", Commitment.cited.is_(False))
    if window:
        query = query.where(Commitment.created_at >= window)
    rows = list(session.scalars(query))
    flagged = carried.fresh("commitment", [r for r in rows if r.flagged and not r.relation], lambda r: str(r.id))
    groups: dict[str, list[Commitment]] = defaultdict(list)
    for row in flagged:
        groups[row.topic or "other"].append(row)
    for topic in sorted(groups):
        members = sorted(groups[topic], key=_by_deadline)
        digest.new_commitments.append({"topic": topic, "commitments": commitment_records(session, members)})
        digest.items.extend(["commitment", str(row.id)] for row in members)
    related = carried.fresh("change", sorted((r for r in rows if r.relation), key=_by_deadline), lambda r: str(r.id))
    earlier = {
        r.id: r for r in session.scalars(select(Commitment).where(Commitment.id.in_([r.related_id for r in related])))
    }
    earlier_records = {rec["id"]: rec for rec in commitment_records(session, list(earlier.values()))}
    for record, row in zip(commitment_records(session, related), related, strict=True):
        record["relation"] = row.relation
        record["earlier"] = earlier_records.get(row.related_id)
        digest.changed_commitments.append(record)
        digest.items.append(["change", str(row.id)])


def _due_and_overdue(session, digest: Digest, today: date, carried: _Carried) -> None:
    horizon = (today + timedelta(days=DUE_WITHIN_DAYS)).isoformat()
    rows = list(
        session.scalars(
            select(Commitment)
            .where(Commitment.status == "accepted", Commitment.deadline.is_not(None), Commitment.deadline <= horizon)
            .order_by(Commitment.deadline, Commitment.id)
        )
    )
    overdue = carried.fresh("overdue", [r for r in rows if r.deadline < today.isoformat()], _deadline_key)
    due = carried.fresh("due", [r for r in rows if r.deadline >= today.isoformat()], _deadline_key)
    digest.overdue = commitment_records(session, overdue, today)
    digest.due_soon = commitment_records(session, due, today)
    digest.items.extend(["overdue", _deadline_key(r)] for r in overdue)
    digest.items.extend(["due", _deadline_key(r)] for r in due)


def _deadline_key(row: Commitment) -> str:
    return f"{row.id}:{row.deadline}"


def _fulfilment(session, digest: Digest, window: datetime | None, carried: _Carried) -> None:
    query = (
        select(CommitmentEvent, Commitment)
        .join(Commitment, Commitment.id == CommitmentEvent.commitment_id)
        .where(CommitmentEvent.action == "fulfilment", Commitment.status.in_(("new", "accepted")))
        .order_by(CommitmentEvent.id)
    )
    if window:
        query = query.where(CommitmentEvent.at >= window)
    pairs = carried.fresh("fulfilment", list(session.execute(query)), lambda pair: str(pair[0].id))
    records = commitment_records(session, [commitment for _, commitment in pairs])
    urls = _urls(session, [(event.details or {}).get("document_id") for event, _ in pairs])
    for (event, _), record in zip(pairs, records, strict=True):
        details = event.details or {}
        digest.fulfilment.append(
            {
                "event_id": event.id,
                "commitment": record,
                "sentence": details.get("sentence"),
                "suggest": details.get("suggest", "done"),
                "url": urls.get(details.get("document_id")),
                "at": event.at.isoformat(),
            }
        )
        digest.items.append(["fulfilment", str(event.id)])
