"""``speechwatch schedule --list``: each job with its next run time, as stored or as it would be scheduled."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect, text

from crawler.sources import load_sources
from monitor.schedule.plan import DEFAULT_DIGEST_SCHEDULE, next_fire, planned_jobs
from storage.database import Database
from storage.runs import recent_runs

JOBS_TABLE = "apscheduler_jobs"


def stored_next_runs(db: Database) -> dict[str, datetime | None]:
    """Job id → next run time as the running (or last) scheduler stored it; empty before the first start."""
    if not inspect(db.engine).has_table(JOBS_TABLE):
        return {}
    with db.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT id, next_run_time FROM {JOBS_TABLE}")).all()
    return {job_id: datetime.fromtimestamp(ts, UTC) if ts is not None else None for job_id, ts in rows}


def job_rows(
    db: Database,
    sources_path: Path,
    digest_schedule: str | None = DEFAULT_DIGEST_SCHEDULE,
    digest_zone: str = "Asia/Shanghai",
    now: datetime | None = None,
) -> list[dict]:
    """One row per planned job (and per stored job the next start will remove), newest state first."""
    now = now or datetime.now(UTC)
    stored = stored_next_runs(db)
    rows = []
    for job in planned_jobs(load_sources(sources_path), digest_schedule, digest_zone):
        in_store = job.id in stored
        upcoming = stored[job.id] if in_store else next_fire(job, now)
        last = recent_runs(db, job.kwargs["source"], limit=1) if job.kind == "crawl" else []
        rows.append(
            {
                "job": job.id,
                "kind": job.kind,
                "schedule": job.schedule,
                "timezone": job.timezone,
                "next_run": upcoming.isoformat() if upcoming else None,
                "next_run_source": "job store" if in_store else "schedule (not yet stored)",
                "last_run_status": last[0].status if last else None,
                "last_run_started": last[0].started_at.isoformat() if last else None,
            }
        )
    planned_ids = {row["job"] for row in rows}
    for job_id, upcoming in stored.items():
        if job_id not in planned_ids:
            rows.append(
                {
                    "job": job_id,
                    "kind": job_id.split(":", 1)[0],
                    "schedule": None,
                    "timezone": None,
                    "next_run": upcoming.isoformat() if upcoming else None,
                    "next_run_source": "job store (removed at the next start or SIGHUP)",
                    "last_run_status": None,
                    "last_run_started": None,
                }
            )
    return rows
