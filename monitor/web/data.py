"""Read models of the web pages and the JSON API: plain, JSON-able dicts built by read-only sessions.

Searches go through :mod:`monitor.query`, speeches through :func:`monitor.dedup.views.speech_record`, source
health through :mod:`monitor.health`; this module only adds what a page needs on top (the canonical text, the
commitments with their offsets, the audit log, the review queue, the digest archive).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from monitor.commitments.track import display_status
from monitor.dedup.views import speech_record
from storage.database import Database
from storage.models import Commitment, CommitmentEvent, CrawlRun, Document, Source, Speech
from storage.models import Digest as DigestRow

REVIEW_VIEWS = ("new", "accepted", "overdue")
COMMITMENT_FIELDS = ("id", "speech_id", "text", "sentence", "action", "deadline", "deadline_precision",
                     "deadline_text", "quantities", "strength", "tier", "topic", "cited", "actor", "actor_implicit",
                     "counterparty", "flagged", "reviewer", "note", "document_id", "start", "end", "evidence",
                     "related_id", "relation")  # fmt: skip


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def commitment_dict(row: Commitment, today: date | None = None) -> dict:
    """A commitment's stored fields, ``status`` as shown (``overdue`` for an accepted one past its deadline)."""
    record = {name: getattr(row, name) for name in COMMITMENT_FIELDS}
    record["status"] = display_status(row, today)
    record["stored_status"] = row.status
    record["status_at"] = _iso(row.status_at)
    record["created_at"] = _iso(row.created_at)
    return record


def event_dict(row: CommitmentEvent) -> dict:
    return {"id": row.id, "at": _iso(row.at), "action": row.action, "reviewer": row.reviewer, "note": row.note,
            "details": row.details}  # fmt: skip


# -- speeches ---------------------------------------------------------------------------------------------------


def speech_detail(db: Database, speech_id: int) -> dict | None:
    """A speech with its canonical text, copies (with provenance of each fetch) and its commitments."""
    record = speech_record(db, speech_id)
    if record is None:
        return None
    with db.read() as session:
        speech = session.get(Speech, speech_id)
        fetches = {
            row.id: row
            for row in session.execute(
                select(Document.id, Document.final_url, Document.content_hash, Document.http_status,
                       Document.first_seen_at, Document.published_at, Document.title)
                .where(Document.speech_id == speech_id)
            )
        }  # fmt: skip
        text = session.scalar(select(Document.text).where(Document.id == speech.canonical_document_id)) or ""
        rows = list(
            session.scalars(
                select(Commitment).where(Commitment.speech_id == speech_id).order_by(Commitment.start, Commitment.id)
            )
        )
    for copy in record["copy_list"]:
        fetch = fetches.get(copy["document_id"])
        if fetch is not None:
            copy.update(final_url=fetch.final_url, content_hash=fetch.content_hash, http_status=fetch.http_status,
                        first_seen_at=_iso(fetch.first_seen_at), published_at=fetch.published_at,
                        title=fetch.title)  # fmt: skip
    canonical = next((c for c in record["copy_list"] if c["canonical"]), None)
    record["canonical_document_id"] = speech.canonical_document_id
    record["canonical"] = (
        {key: canonical.get(key) for key in ("document_id", "url", "final_url", "fetched_at", "content_hash",
                                             "http_status", "source", "source_kind", "published_at")}
        if canonical
        else None
    )  # fmt: skip
    record["text"] = text
    record["commitments"] = [commitment_dict(row) for row in rows]
    record["created_at"] = _iso(speech.created_at)
    return record


# -- commitments ------------------------------------------------------------------------------------------------


def commitment_detail(db: Database, commitment_id: int) -> dict | None:
    """One commitment with its speech, the URL of the copy it came from and its audit log (oldest first)."""
    with db.read() as session:
        row = session.get(Commitment, commitment_id)
        if row is None:
            return None
        speech = session.get(Speech, row.speech_id)
        url = session.scalar(select(Document.url).where(Document.id == row.document_id)) if row.document_id else None
        events = list(
            session.scalars(
                select(CommitmentEvent)
                .where(CommitmentEvent.commitment_id == commitment_id)
                .order_by(CommitmentEvent.at, CommitmentEvent.id)
            )
        )
        related = session.get(Commitment, row.related_id) if row.related_id else None
    record = commitment_dict(row)
    record.update(
        url=url,
        speech=_speech_brief(speech),
        events=[event_dict(e) for e in events],
        related=commitment_dict(related) if related is not None else None,
    )
    return record


def _speech_brief(speech: Speech | None) -> dict | None:
    if speech is None:
        return None
    return {"id": speech.id, "title": speech.title, "speaker": speech.speaker, "speaker_post": speech.speaker_post,
            "region": speech.region, "speech_date": speech.speech_date}  # fmt: skip


def review_queue(db: Database, view: str = "new", limit: int = 50, offset: int = 0) -> dict:
    """What needs a person: ``new`` (flagged pledges to accept or reject), ``accepted`` (to mark done when
    fulfilled) or ``overdue``; oldest deadline first, undated last. Targets quoted from higher bodies stay out."""
    today = datetime.now(UTC).date().isoformat()
    query = select(Commitment).where(Commitment.cited.is_(False))
    if view == "new":
        query = query.where(Commitment.status == "new", Commitment.flagged.is_(True))
    elif view == "accepted":
        query = query.where(Commitment.status == "accepted")
    else:
        query = query.where(Commitment.status == "accepted", Commitment.deadline < today)
    with db.read() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = list(
            session.scalars(
                query.order_by(Commitment.deadline.is_(None), Commitment.deadline, Commitment.id)
                .limit(limit)
                .offset(offset)
            )
        )
        speeches = {s.id: s for s in session.scalars(select(Speech).where(Speech.id.in_({r.speech_id for r in rows})))}
        urls = dict(
            session.execute(
                select(Document.id, Document.url).where(Document.id.in_({r.document_id for r in rows if r.document_id}))
            ).all()
        )
        related = {
            r.id: r
            for r in session.scalars(
                select(Commitment).where(Commitment.id.in_({r.related_id for r in rows if r.related_id}))
            )
        }
        fulfilment: dict[int, list[dict]] = {}
        for event in session.scalars(
            select(CommitmentEvent)
            .where(CommitmentEvent.commitment_id.in_([r.id for r in rows]), CommitmentEvent.action == "fulfilment")
            .order_by(CommitmentEvent.id)
        ):
            fulfilment.setdefault(event.commitment_id, []).append(dict(event.details or {}, at=_iso(event.at)))
    items = []
    for row in rows:
        item = commitment_dict(row)
        item.update(
            url=urls.get(row.document_id),
            speech=_speech_brief(speeches.get(row.speech_id)),
            related=commitment_dict(related[row.related_id]) if row.related_id in related else None,
            fulfilment=fulfilment.get(row.id, []),
        )
        items.append(item)
    next_offset = offset + limit if offset + limit < total else None
    return {"ok": True, "view": view, "total": total, "limit": limit, "offset": offset, "next_offset": next_offset,
            "items": items}  # fmt: skip


# -- runs, sources, digests ---------------------------------------------------------------------------------------


def runs_list(db: Database, source: str | None = None, limit: int = 20) -> list[dict]:
    from monitor.report import run_record
    from storage.runs import recent_runs

    return [run_record(run) for run in recent_runs(db, source, limit)]


def sources_list(db: Database, idle_runs: int = 5) -> list[dict]:
    """Every source known to the store (configured or seen in a run), with its health and document count."""
    from monitor.health import HealthOptions, source_health

    with db.read() as session:
        configured = {row.name: row for row in session.scalars(select(Source))}
        ran = set(session.scalars(select(CrawlRun.source).distinct()))
        documents = dict(session.execute(select(Document.source, func.count()).group_by(Document.source)).all())
    names = sorted(set(configured) | ran)
    health = {h.source: h for h in source_health(db, HealthOptions(idle_runs=idle_runs), names)} if names else {}
    out = []
    for name in names:
        row = configured.get(name)
        config = (row.config or {}) if row else {}
        h = health.get(name)
        out.append(
            {
                "source": name,
                "kind": row.kind if row else None,
                "enabled": row.enabled if row else None,
                "start_urls": list(config.get("start_urls") or []),
                "schedule": config.get("schedule"),
                "documents": documents.get(name, 0),
                "health": h.as_dict() if h else None,
            }
        )
    return out


def digest_summary(row: DigestRow) -> dict:
    content = row.content or {}
    return {
        "digest_id": row.id,
        "created_at": _iso(row.created_at),
        "since": _iso(row.since),
        "until": _iso(row.until),
        "delivered_at": _iso(row.delivered_at),
        "channels_done": row.channels_done or [],
        "attempts": row.attempts,
        "last_error": row.last_error,
        "item_count": row.item_count,
        "counts": content.get("counts") or {},
    }


def digests_list(db: Database, limit: int = 50, offset: int = 0) -> dict:
    with db.read() as session:
        total = session.scalar(select(func.count()).select_from(DigestRow)) or 0
        rows = list(session.scalars(select(DigestRow).order_by(DigestRow.id.desc()).limit(limit).offset(offset)))
    next_offset = offset + limit if offset + limit < total else None
    return {"ok": True, "total": total, "limit": limit, "offset": offset, "next_offset": next_offset,
            "digests": [digest_summary(row) for row in rows]}  # fmt: skip


def digest_detail(db: Database, digest_id: int) -> dict | None:
    """A stored digest as it was built (``content``: the JSON form, see README "Digests") with its delivery."""
    with db.read() as session:
        row = session.get(DigestRow, digest_id)
    if row is None:
        return None
    content = dict(row.content or {})
    content.pop("items", None)
    return {**digest_summary(row), "content": content}


def store_counts(db: Database) -> dict:
    """Totals for the overview: documents, speeches, commitments by status (overdue counted apart)."""
    today = datetime.now(UTC).date().isoformat()
    with db.read() as session:
        documents = session.scalar(select(func.count()).select_from(Document)) or 0
        speeches = session.scalar(select(func.count()).select_from(Speech)) or 0
        by_status = dict(
            session.execute(
                select(Commitment.status, func.count()).where(Commitment.cited.is_(False)).group_by(Commitment.status)
            ).all()
        )
        overdue = (
            session.scalar(
                select(func.count())
                .select_from(Commitment)
                .where(Commitment.cited.is_(False), Commitment.status == "accepted", Commitment.deadline < today)
            )
            or 0
        )
        runs = session.scalar(select(func.count()).select_from(CrawlRun)) or 0
    return {"documents": documents, "speeches": speeches, "runs": runs,
            "commitments": {status: by_status.get(status, 0) for status in ("new", "accepted", "rejected", "done")},
            "overdue": overdue}  # fmt: skip
