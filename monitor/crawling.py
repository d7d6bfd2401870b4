"""Run crawls now: one ``scrapy crawl source`` child process per source, recorded as crawl runs.

A child process per crawl isolates memory, survives Twisted's one-reactor-per-process rule and lets a hung
crawl be killed (DESIGN.md §5). The parent opens each run's row first and closes it if the child dies, so
every run ends recorded, whatever happened to the child.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from crawler.sources import Source
from storage.database import Database
from storage.models import CrawlRun
from storage.runs import finish_run, get_runs, start_run
from storage.sources import sync_sources

DEFAULT_TIMEOUT = 3600  # seconds per crawl before the child is killed
LOG_TAIL_LINES = 15


@dataclass
class CrawlJob:
    source: Source
    run_id: int
    log_path: Path
    process: subprocess.Popen | None = None
    started: float = 0.0


def crawl_sources(
    db: Database,
    sources: list[Source],
    sources_path: Path,
    *,
    proxy: str | None = None,
    jobs: int = 2,
    timeout: float = DEFAULT_TIMEOUT,
    log_dir: Path | None = None,
    on_done: Callable[[CrawlRun], None] | None = None,
    trigger: str = "manual",
    cancel: threading.Event | None = None,
) -> list[CrawlRun]:
    """Crawl each source in a child process, at most ``jobs`` at once; return the runs in order.

    A child still alive ``kill_grace(timeout)`` seconds after its own timeout (it stops itself at ``timeout``)
    is killed and its run recorded as ``timeout``. Setting ``cancel`` stops the running children, records their
    runs as failed and starts no more.
    """
    sync_sources(db, sources)
    log_dir = log_dir or Path(os.environ.get("SPEECHWATCH_LOG_DIR", "data/logs"))
    log_dir.mkdir(parents=True, exist_ok=True)
    pending = list(sources)
    order: dict[str, int] = {}
    running: list[CrawlJob] = []
    while pending or running:
        if cancel is not None and cancel.is_set():
            pending.clear()
            for job in running:
                _stop(job)
                _fail(db, job, "stopped: the process running the crawl was asked to shut down")
            running.clear()
            break
        while pending and len(running) < max(1, jobs):
            source = pending.pop(0)
            run_id = start_run(db, source.name, trigger)
            order[source.name] = run_id
            job = CrawlJob(source, run_id, log_dir / f"run-{run_id}-{source.name}.log")
            job.process = _spawn(job, db.url, sources_path, proxy, timeout)
            job.started = time.monotonic()
            running.append(job)
        time.sleep(0.2)
        for job in list(running):
            assert job.process is not None
            code = job.process.poll()
            overdue = time.monotonic() - job.started > timeout + kill_grace(timeout)
            if code is None and not overdue:
                continue
            if code is None:
                job.process.kill()
                job.process.wait()
                reason = f"killed after {timeout:.0f} s (crawl timeout; the crawl did not stop by itself)"
                _fail(db, job, reason, status="timeout")
            elif code != 0:
                _fail(db, job, f"crawl process exited with code {code}")
            else:  # a clean exit that could not record its run (e.g. the database stayed locked) is no success
                _fail(db, job, "the crawl ended without recording its run (see the log)")
            running.remove(job)
            if on_done is not None:
                on_done(get_runs(db, [job.run_id])[0])
    return get_runs(db, [order[s.name] for s in sources if s.name in order])


def kill_grace(timeout: float) -> float:
    """Seconds a child may take to wind down after its own timeout before it is killed."""
    return min(30.0, max(2.0, timeout * 0.1))


def _stop(job: CrawlJob) -> None:
    """Ask a child to stop (Scrapy closes gracefully on SIGTERM), then kill it if it lingers."""
    assert job.process is not None
    job.process.terminate()
    try:
        job.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        job.process.kill()
        job.process.wait()


def _spawn(job: CrawlJob, db_url: str, sources_path: Path, proxy: str | None, timeout: float) -> subprocess.Popen:
    return spawn_crawl(job.source.name, job.run_id, job.log_path, db_url, sources_path, proxy, timeout)


def spawn_crawl(
    source: str,
    run_id: int,
    log_path: Path,
    db_url: str,
    sources_path: Path,
    proxy: str | None,
    timeout: float,
    settings: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen:
    """Start ``python -m scrapy crawl source`` for one run, logging to ``log_path``; ``settings`` become ``-s``,
    ``env`` is added to the child's environment (for secrets: Scrapy logs its settings, not its environment)."""
    extra_env = env or {}
    env = dict(os.environ)
    env.update(extra_env)
    env.update(
        SCRAPY_SETTINGS_MODULE="crawler.settings",
        SPEECHWATCH_DB=db_url,
        SPEECHWATCH_RUN_ID=str(run_id),
        SPEECHWATCH_SOURCES=str(sources_path.resolve()),
        SPEECHWATCH_CRAWL_TIMEOUT=str(int(timeout)),
    )
    if proxy:
        env["SPEECHWATCH_PROXY"] = proxy
    else:
        env.pop("SPEECHWATCH_PROXY", None)
    command = [sys.executable, "-m", "scrapy", "crawl", "source", "-a", f"source={source}"]
    for name, value in (settings or {}).items():
        command += ["-s", f"{name}={value}"]
    log_file = log_path.open("wb")
    try:
        return subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    finally:
        log_file.close()


def _fail(db: Database, job: CrawlJob, reason: str, status: str = "failed") -> None:
    finish_run(db, job.run_id, status=status, error_text=f"{reason}\n{log_tail(job.log_path)}")


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
