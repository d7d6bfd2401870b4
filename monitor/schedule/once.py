"""``speechwatch schedule --once``: run every job that is due now, then exit (for people who use cron)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from crawler.sources import load_sources
from monitor.schedule.plan import PlannedJob, is_due, planned_jobs
from storage.database import Database
from storage.models import CrawlRun
from storage.runs import get_runs, last_run_started


@dataclass
class OnceResult:
    runs: list[CrawlRun] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # sources not due
    digest: object | None = None  # the digest delivery result, when the digest was due


def run_due_jobs(
    db: Database,
    sources_path: Path,
    *,
    proxy: str | None = None,
    timeout: int = 3600,
    workers: int = 2,
    digest_schedule: str | None = None,
    digest_zone: str = "Asia/Shanghai",
    digest_config: Path | None = None,
    on_done: Callable[[CrawlRun], None] | None = None,
    now: datetime | None = None,
) -> OnceResult:
    """Crawl the sources whose schedule fired since their last run, do the post-run work, then a due digest."""
    from monitor.crawling import crawl_sources
    from monitor.postrun import process_new_documents

    now = now or datetime.now(UTC)
    sources = {s.name: s for s in load_sources(sources_path)}
    result = OnceResult()
    due: list[PlannedJob] = []
    digest_job: PlannedJob | None = None
    for job in planned_jobs(list(sources.values()), digest_schedule, digest_zone):
        if job.kind == "digest":
            digest_job = job
        elif is_due(job, last_run_started(db, job.kwargs["source"]), now):
            due.append(job)
        else:
            result.skipped.append(job.kwargs["source"])
    if due:
        chosen = [sources[job.kwargs["source"]] for job in due]
        result.runs = crawl_sources(
            db, chosen, sources_path, proxy=proxy, jobs=workers, timeout=timeout, trigger="once", on_done=on_done
        )
        run_ids = [run.id for run in result.runs]
        process_new_documents(db, run_ids)
        result.runs = get_runs(db, run_ids)  # with what the post-run work found
    if digest_job is not None:
        from monitor.digest import last_delivered_at, load_digest_config, send_digest

        if is_due(digest_job, last_delivered_at(db), now):
            result.digest = send_digest(db, load_digest_config(digest_config))
    return result
