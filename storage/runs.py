"""Crawl runs: opened by whoever starts a crawl, filled in by the crawl, closed once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select, update

from storage.database import Database
from storage.models import Commitment, CrawlRun, Document, Speech

COUNT_FIELDS = (
    "pages_fetched",
    "documents_new",
    "documents_updated",
    "documents_unchanged",
    "skipped",
    "blocked",
    "errors",
    "list_pages",
    "article_links",
)


def start_run(db: Database, source: str, trigger: str = "manual") -> int:
    """Open a run row (``trigger``: manual, schedule or once) and return its id."""
    with db.write() as session:
        run = CrawlRun(source=source, started_at=datetime.now(UTC), status="running", stats={}, trigger=trigger)
        session.add(run)
        session.flush()
        return run.id


def finish_run(
    db: Database,
    run_id: int,
    *,
    status: str,
    counts: dict[str, int] | None = None,
    stats: dict | None = None,
    error_text: str | None = None,
) -> None:
    """Close a run with its counts; a run already closed keeps its first ending."""
    values: dict = {"status": status, "finished_at": datetime.now(UTC)}
    values.update({k: int(v) for k, v in (counts or {}).items() if k in COUNT_FIELDS})
    if stats is not None:
        values["stats"] = stats
    if error_text is not None:
        values["error_text"] = error_text[:4000]
    with db.write() as session:
        session.execute(update(CrawlRun).where(CrawlRun.id == run_id, CrawlRun.status == "running").values(**values))


def get_runs(db: Database, run_ids: Sequence[int]) -> list[CrawlRun]:
    with db.read() as session:
        rows = session.scalars(select(CrawlRun).where(CrawlRun.id.in_(list(run_ids)))).all()
    order = {run_id: i for i, run_id in enumerate(run_ids)}
    return sorted(rows, key=lambda run: order[run.id])


def recent_runs(db: Database, source: str | None = None, limit: int = 20) -> list[CrawlRun]:
    with db.read() as session:
        query = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
        if source:
            query = query.where(CrawlRun.source == source)
        return list(session.scalars(query))


def record_findings(db: Database, run_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Store on each run the speeches and commitments that its documents brought since it started.

    A speech counts for the run whose document is its canonical copy, a commitment for the run of the document
    it was mined from; both only when created after the run started. Returns ``{run_id: (speeches, commitments)}``.
    """
    found: dict[int, tuple[int, int]] = {}
    with db.write() as session:
        for run in session.scalars(select(CrawlRun).where(CrawlRun.id.in_(list(run_ids)))):
            # both found through indexes whatever the planner guesses of a run id newer than its statistics (a
            # join on the canonical copy, which has no index, became a nested loop over every speech: 25 s a run)
            speeches = session.scalar(
                select(func.count(Speech.id))
                .join(Document, Document.speech_id == Speech.id)  # the canonical copy is a copy of its speech
                .where(Document.run_id == run.id, Speech.canonical_document_id == Document.id,
                       Speech.created_at >= run.started_at)
            )  # fmt: skip
            # the commitments written since the run started, counted here against the run's documents: as a
            # semi-join the planner chose a nested loop that read the run's documents again for every commitment
            # (9,000 x 1,000 at 100k: 1.3 s a run)
            documents = set(session.scalars(select(Document.id).where(Document.run_id == run.id)))
            written = session.scalars(
                select(Commitment.document_id).where(
                    Commitment.updated_at >= run.started_at,  # implied by the next line; the index finds these
                    Commitment.created_at >= run.started_at,
                )
            )
            commitments = sum(1 for document_id in written if document_id in documents)
            run.speeches_new, run.commitments_new = int(speeches or 0), commitments
            found[run.id] = (run.speeches_new, run.commitments_new)
    return found


def last_run_started(db: Database, source: str) -> datetime | None:
    """When the latest run of ``source`` started (any trigger, any ending), or None if it never ran."""
    with db.read() as session:
        return session.scalar(select(func.max(CrawlRun.started_at)).where(CrawlRun.source == source))


def fail_runs(db: Database, run_ids: Sequence[int], reason: str) -> None:
    """Mark finished runs as failed when the work after the crawl failed, keeping any earlier error text."""
    with db.write() as session:
        for run in session.scalars(select(CrawlRun).where(CrawlRun.id.in_(list(run_ids)))):
            run.status = "failed"
            run.error_text = "\n".join(filter(None, [reason, run.error_text]))[:4000]


def close_abandoned_runs(db: Database, older_than: float, reason: str) -> list[int]:
    """Mark ``running`` runs that started more than ``older_than`` seconds ago as failed: whoever ran them died."""
    from datetime import timedelta

    cutoff = datetime.now(UTC) - timedelta(seconds=older_than)
    with db.write() as session:
        query = select(CrawlRun).where(CrawlRun.status == "running", CrawlRun.started_at < cutoff)
        stale = list(session.scalars(query))
        for run in stale:
            run.status, run.finished_at, run.error_text = "failed", datetime.now(UTC), reason
        return [run.id for run in stale]
