"""``speechwatch schedule`` as a real process: real APScheduler firing real crawls of the sample web."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select

from storage.database import Database
from storage.models import CrawlRun
from tests.conftest import SAMPLE_SOURCES

SPEECHWATCH = [sys.executable, "-m", "monitor.cli"]


def write_sources(path: Path, schedule: str, keep: str = "fanwen365", name: str | None = None) -> str:
    """The sample source ``keep`` alone, renamed (so its crawl child is ours to find) and on ``schedule``."""
    blocks = SAMPLE_SOURCES.read_text(encoding="utf-8").split("[[source]]")
    (block,) = [b for b in blocks[1:] if f'name = "{keep}"' in b]
    name = name or f"{keep}-{uuid.uuid4().hex[:6]}"
    block = block.replace(f'name = "{keep}"', f'name = "{name}"')
    block = re.sub(r'schedule = "[^"]*"', f'schedule = "{schedule}"', block)
    path.write_text("[[source]]" + block, encoding="utf-8")
    return name


def env_for(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPEECHWATCH_") or k == "SPEECHWATCH_CACHE_DIR"}
    env["SPEECHWATCH_LOG_DIR"] = str(tmp_path / "logs")
    return env


@contextmanager
def scheduler(tmp_path: Path, sources: Path, db: str, proxy: str, *extra: str) -> Iterator[subprocess.Popen]:
    args = ["schedule", "--sources", str(sources), "--db", db, "--proxy", proxy, "--digest-schedule", "off"]
    log = (tmp_path / f"scheduler-{time.monotonic_ns()}.log").open("w")
    proc = subprocess.Popen([*SPEECHWATCH, *args, *extra], cwd=tmp_path, env=env_for(tmp_path), stdout=log,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


def runs_of(db: str) -> list[CrawlRun]:
    with Database(db) as database, database.read() as session:
        return list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))


def wait_for(predicate: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def crawl_children(name: str) -> list[int]:
    found = subprocess.run(["pgrep", "-f", f"scrapy crawl source -a source={name}$"], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def test_scheduled_crawls_fire_record_their_findings_and_stop_cleanly(sample_web, tmp_path, store_url):
    sources, db = tmp_path / "sources.toml", store_url
    name = write_sources(sources, "@every 3s")
    with scheduler(tmp_path, sources, db, sample_web.proxy_url) as proc:
        wait_for(lambda: len([r for r in runs_of(db) if r.status != "running"]) >= 2, 90, "two finished runs")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    runs = runs_of(db)
    assert all(r.status != "running" for r in runs), "SIGTERM left a run open"
    assert not crawl_children(name), "a crawl child outlived the scheduler"
    first, second = runs[0], runs[1]
    assert first.trigger == second.trigger == "schedule" and first.source == name
    assert first.status == "finished" and first.documents_new > 0
    assert first.speeches_new > 0 and first.commitments_new > 0  # the post-run work ran and was recorded
    assert second.status == "finished" and second.documents_new == 0 and second.speeches_new == 0  # idempotent


def test_a_second_scheduler_on_the_same_database_is_refused_and_sighup_reloads_jobs(sample_web, tmp_path, store_url):
    sources, db = tmp_path / "sources.toml", store_url
    first_name = write_sources(sources, "0 7 * * *")

    def listed() -> dict[str, dict]:
        out = subprocess.run([*SPEECHWATCH, "schedule", "--list", "--format", "json", "--sources", str(sources),
                              "--db", db, "--digest-schedule", "off"], cwd=tmp_path, env=env_for(tmp_path),
                             capture_output=True, text=True, check=True)  # fmt: skip
        return {row["job"]: row for row in json.loads(out.stdout)}

    with scheduler(tmp_path, sources, db, sample_web.proxy_url) as proc:
        wait_for(lambda: listed()[f"crawl:{first_name}"]["next_run_source"] == "job store", 60, "the stored job")
        command = [*SPEECHWATCH, "schedule", "--sources", str(sources), "--db", db]
        env = env_for(tmp_path)
        second = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert "another speechwatch scheduler is already running" in second.stderr
        assert "Traceback" not in second.stderr

        second_name = write_sources(sources, "30 6 * * 1")
        proc.send_signal(signal.SIGHUP)
        jobs = wait_for(lambda: (rows := listed()) and f"crawl:{second_name}" in rows and rows, 30, "the reload")
        assert jobs[f"crawl:{second_name}"]["next_run_source"] == "job store"
        assert jobs[f"crawl:{second_name}"]["schedule"] == "30 6 * * 1"
        wait_for(lambda: f"crawl:{first_name}" not in listed(), 30, "the removed job to go")
        assert proc.poll() is None  # still serving


def test_a_restart_keeps_the_jobs_and_runs_one_catch_up(sample_web, tmp_path, store_url):
    sources, db = tmp_path / "sources.toml", store_url
    write_sources(sources, "@every 5s")
    with scheduler(tmp_path, sources, db, sample_web.proxy_url) as proc:
        wait_for(lambda: any(r.status != "running" for r in runs_of(db)), 90, "a finished run")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    before = len(runs_of(db))
    time.sleep(12)  # two fire times pass while the scheduler is down
    restarted = time.time()
    with scheduler(tmp_path, sources, db, sample_web.proxy_url):
        wait_for(lambda: len(runs_of(db)) > before, 30, "the catch-up run")
        time.sleep(2)
        after = [r for r in runs_of(db)[before:] if r.started_at.timestamp() < restarted + 4.5]
    # started at once (a fresh schedule would first fire 5 s after the start), and once, not once per missed time
    assert len(after) == 1, [(r.id, r.started_at) for r in runs_of(db)]


def test_a_hung_crawl_is_killed_at_its_timeout_and_the_next_trigger_still_runs(sample_web, tmp_path, store_url):
    sources, db = tmp_path / "sources.toml", store_url
    name = write_sources(sources, "@every 2s")
    with scheduler(tmp_path, sources, db, sample_web.proxy_url, "--timeout", "8"):
        (pid,) = wait_for(lambda: crawl_children(name), 60, "the first crawl child")
        os.kill(pid, signal.SIGSTOP)  # a real hang: the child neither works nor exits
        wait_for(lambda: len(runs_of(db)) >= 2 and runs_of(db)[1].status != "running", 90, "the next run")
    hung, following = runs_of(db)[:2]
    assert hung.status == "timeout" and "killed after 8 s" in (hung.error_text or "")
    assert following.status == "finished" and following.pages_fetched > 0


def test_a_scheduler_killed_with_its_crawl_closes_the_abandoned_run_and_catches_up(sample_web, tmp_path, store_url):
    sources, db = tmp_path / "sources.toml", store_url
    name = write_sources(sources, "@every 3s")
    with scheduler(tmp_path, sources, db, sample_web.proxy_url, "--timeout", "10") as proc:
        (pid,) = wait_for(lambda: crawl_children(name), 60, "the first crawl child")
        os.kill(pid, signal.SIGKILL)  # the machine goes down: the crawl and the scheduler die at once
        proc.kill()
        proc.wait(timeout=30)
    (abandoned,) = runs_of(db)
    assert abandoned.status == "running"  # nobody was left to close it
    time.sleep(13)  # older than the timeout plus its grace
    with scheduler(tmp_path, sources, db, sample_web.proxy_url, "--timeout", "10"):
        wait_for(lambda: len(runs_of(db)) >= 2 and runs_of(db)[1].status != "running", 60, "the catch-up run")
    first, catch_up = runs_of(db)[:2]
    assert first.status == "failed" and "abandoned" in first.error_text
    assert catch_up.status == "finished" and catch_up.pages_fetched > 0
