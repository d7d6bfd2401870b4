"""The job functions APScheduler stores by import path: keep their names and module stable.

Jobs carry only a source name; where to crawl from and to (database, sources file, proxy, timeout) comes from
the context the running scheduler sets, so no URL or secret is pickled into the job store.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

from crawler.sources import SourcesError, load_sources
from storage.database import Database

log = logging.getLogger("speechwatch.schedule")


@dataclass
class JobContext:
    db_url: str
    sources_path: Path
    proxy: str | None = None
    timeout: int = 3600
    log_dir: Path | None = None
    digest_config: Path | None = None
    redis_url: str | None = None  # set: runs are seeded into Redis for `speechwatch worker`s
    queue: str = "speechwatch"
    cancel: threading.Event = field(default_factory=threading.Event)
    active: int = 0
    idle: threading.Condition = field(default_factory=threading.Condition)


_context: JobContext | None = None


def configure(context: JobContext) -> None:
    """Set the context every job of this process runs with."""
    global _context
    _context = context


def context() -> JobContext:
    if _context is None:
        raise RuntimeError("the scheduler's job context is not configured")
    return _context


def wait_idle(timeout: float) -> bool:
    """Wait until no job runs (after a shutdown was asked); False if some still ran at the timeout."""
    ctx = context()
    with ctx.idle:
        return ctx.idle.wait_for(lambda: ctx.active == 0, timeout=timeout)


class _Active:
    def __enter__(self) -> JobContext:
        ctx = context()
        with ctx.idle:
            ctx.active += 1
        return ctx

    def __exit__(self, *exc) -> None:
        ctx = context()
        with ctx.idle:
            ctx.active -= 1
            ctx.idle.notify_all()


def crawl_job(source: str, trigger: str = "schedule") -> None:
    """Crawl one source in a child process, then cluster and mine what it brought, as one recorded run."""
    from monitor.crawling import crawl_sources
    from monitor.postrun import process_new_documents
    from storage.runs import fail_runs

    with _Active() as ctx:
        if ctx.cancel.is_set():
            return
        try:
            sources = [s for s in load_sources(ctx.sources_path) if s.name == source and s.enabled]
        except SourcesError as exc:
            log.error("crawl of %s skipped: %s", source, exc)
            return
        if not sources:
            log.warning("crawl of %s skipped: no longer an enabled source in %s", source, ctx.sources_path)
            return
        db = Database(ctx.db_url)
        try:
            if ctx.redis_url:
                from monitor.schedule.distributed import crawl_distributed

                runs = [
                    crawl_distributed(
                        db, sources[0], ctx.redis_url, queue=ctx.queue, timeout=ctx.timeout, trigger=trigger,
                        cancel=ctx.cancel,
                    )
                ]  # fmt: skip
            else:
                runs = crawl_sources(
                    db,
                    sources,
                    ctx.sources_path,
                    proxy=ctx.proxy,
                    jobs=1,
                    timeout=ctx.timeout,
                    log_dir=ctx.log_dir,
                    trigger=trigger,
                    cancel=ctx.cancel,
                )
            run_ids = [run.id for run in runs]
            if ctx.cancel.is_set() or not run_ids:
                return
            try:
                counts = process_new_documents(db, run_ids)
            except Exception as exc:  # noqa: BLE001 - recorded on the run; the scheduler goes on
                log.exception("post-run work after the crawl of %s failed", source)
                fail_runs(db, run_ids, f"post-run work failed: {type(exc).__name__}: {exc}")
                return
            for run in runs:
                log.info(
                    "run %s of %s: %s · %s pages · %s new documents · %s new speeches · %s new commitments",
                    run.id,
                    source,
                    run.status,
                    run.pages_fetched,
                    run.documents_new,
                    counts.clustered.new_speeches,
                    counts.mined.new,
                )
        finally:
            db.close()


def digest_job() -> None:
    """Build the digest of everything since the last delivered one and deliver it to the configured channels."""
    from monitor.digest import load_digest_config, send_digest

    with _Active() as ctx:
        if ctx.cancel.is_set():
            return
        db = Database(ctx.db_url)
        try:
            result = send_digest(db, load_digest_config(ctx.digest_config))
            log.info("digest: %s", result)
        finally:
            db.close()
