"""``speechwatch schedule``: a BlockingScheduler with its jobs in the project's database.

APScheduler 3 cannot share a job store between processes, so one scheduler per database holds a lock for its
lifetime. Jobs are synchronised with the sources file at start and on SIGHUP: a job whose spec is unchanged keeps
its stored next run time, so after downtime it fires once (coalesced, within a misfire grace of one period).
SIGTERM / SIGINT stop the running crawl children, record their runs and exit.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, EVENT_SCHEDULER_STARTED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler

from crawler.sources import DEFAULT_TIMEZONE, SourcesError, load_sources
from monitor.schedule import jobs
from monitor.schedule.plan import DEFAULT_DIGEST_SCHEDULE, PlannedJob, misfire_grace, planned_jobs
from storage.database import Database
from storage.locks import LockBusy, exclusive
from storage.runs import close_abandoned_runs

log = logging.getLogger("speechwatch.schedule")
JOBS_TABLE = "apscheduler_jobs"
STOP_WAIT_SECONDS = 60


class SchedulerBusy(RuntimeError):
    """Another scheduler already serves this database."""


@dataclass
class ScheduleOptions:
    sources_path: Path
    db_url: str | None = None
    proxy: str | None = None
    timeout: int = 3600
    workers: int = 2
    digest_schedule: str | None = DEFAULT_DIGEST_SCHEDULE
    digest_zone: str = DEFAULT_TIMEZONE
    digest_config: Path | None = None
    log_dir: Path | None = None
    redis_url: str | None = None
    queue: str = "speechwatch"


class SchedulerService:
    """Owns the BlockingScheduler, the lock, the job sync and the signal handling."""

    def __init__(self, options: ScheduleOptions) -> None:
        self.options = options
        self.scheduler: BlockingScheduler | None = None
        self._sync_lock = threading.Lock()

    def plan(self) -> list[PlannedJob]:
        """The jobs the sources file and options ask for (raises SourcesError on a bad file)."""
        sources = load_sources(self.options.sources_path)
        return planned_jobs(sources, self.options.digest_schedule, self.options.digest_zone)

    def run(self) -> None:
        """Serve until SIGTERM / SIGINT; refuse to start when another scheduler holds this database."""
        self.plan()  # a bad sources file stops us before anything starts
        db = Database(self.options.db_url)
        try:
            with exclusive(db, "scheduler", wait=False):
                self._serve(db)
        except LockBusy:
            raise SchedulerBusy(
                f"another speechwatch scheduler is already running on {db.display_url}; "
                "APScheduler 3 cannot share a job store, so only one may run per database"
            ) from None
        finally:
            db.close()

    def _serve(self, db: Database) -> None:
        jobs.configure(
            jobs.JobContext(
                db_url=db.url,
                sources_path=self.options.sources_path.resolve(),
                proxy=self.options.proxy,
                timeout=self.options.timeout,
                log_dir=self.options.log_dir,
                digest_config=self.options.digest_config,
                redis_url=self.options.redis_url,
                queue=self.options.queue,
            )
        )
        scheduler = BlockingScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=db.engine, tablename=JOBS_TABLE)},
            executors={"default": ThreadPoolExecutor(max_workers=self.options.workers)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=ZoneInfo(DEFAULT_TIMEZONE),
        )
        self.scheduler = scheduler
        scheduler.add_listener(lambda _event: self.sync("start"), EVENT_SCHEDULER_STARTED)
        scheduler.add_listener(_report_job_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
        self._close_abandoned(db)
        try:
            log.info("scheduler started on %s (sources: %s)", db.display_url, self.options.sources_path)
            scheduler.start()  # blocks until shutdown
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if not jobs.wait_idle(STOP_WAIT_SECONDS):
            log.warning("some jobs were still running after %s s", STOP_WAIT_SECONDS)
        log.info("scheduler stopped")

    def _close_abandoned(self, db: Database) -> None:
        """Runs still ``running`` from before a crash (this scheduler killed with its crawls) are closed as failed."""
        from monitor.crawling import kill_grace

        limit = self.options.timeout + kill_grace(self.options.timeout)
        reason = "abandoned: the process running this crawl died (the scheduler was killed?); the next run fetches it"
        closed = close_abandoned_runs(db, limit, reason)
        if closed:
            log.warning("closed %d abandoned runs as failed: %s", len(closed), closed)

    def _on_signal(self, signum: int, _frame) -> None:
        if signum == signal.SIGHUP:
            threading.Thread(target=self.sync, args=("SIGHUP",), daemon=True).start()
            return
        log.info("%s received: stopping running crawls and the scheduler", signal.Signals(signum).name)
        jobs.context().cancel.set()
        threading.Thread(target=self._shutdown, daemon=True).start()

    def _shutdown(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def sync(self, reason: str) -> None:
        """Add, change and remove jobs to match the sources file; a bad file keeps the current jobs."""
        scheduler = self.scheduler
        if scheduler is None:
            return
        with self._sync_lock:
            try:
                planned = self.plan()
            except SourcesError as exc:
                log.error("%s: sources file not reloaded, jobs unchanged: %s", reason, exc)
                return
            stored = {job.id: job for job in scheduler.get_jobs()}
            for job in planned:
                current = stored.pop(job.id, None)
                if current is not None and current.name == job.name:
                    continue
                trigger = job.trigger()
                scheduler.add_job(
                    job.func,
                    trigger=trigger,
                    id=job.id,
                    name=job.name,
                    kwargs=job.kwargs,
                    replace_existing=True,
                    misfire_grace_time=misfire_grace(trigger),
                    coalesce=True,
                    max_instances=1,
                )
                log.info("%s: job %s %s (%s)", reason, job.id, "changed" if current else "added", job.name)
            for job_id in stored:
                scheduler.remove_job(job_id)
                log.info("%s: job %s removed", reason, job_id)


def _report_job_event(event) -> None:
    if getattr(event, "exception", None) is not None:
        log.error("job %s failed: %s", event.job_id, event.exception)
    elif event.code == EVENT_JOB_MISSED:
        log.warning("job %s missed its run at %s (outside the misfire grace)", event.job_id, event.scheduled_run_time)
    else:
        log.warning("job %s is still running; this trigger is skipped", event.job_id)
