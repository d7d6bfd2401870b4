"""Crawl runs: opened by whoever starts a crawl, filled in by the crawl, closed once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select, update

from storage.database import Database
from storage.models import CrawlRun

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


def start_run(db: Database, source: str) -> int:
    with db.write() as session:
        run = CrawlRun(source=source, started_at=datetime.now(UTC), status="running", stats={})
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
