"""A SQLite store locked by another writer: the crawl waits its busy timeout, then fails clearly; no partial rows."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time

from sqlalchemy import select

from storage.database import Database
from storage.models import CrawlRun, Document
from tests.conftest import SAMPLE_SOURCES
from tests.monitor.test_cli_crawl import SPEECHWATCH, articles_of


def test_a_store_locked_for_the_whole_crawl_fails_the_run_with_the_reason(sample_web, tmp_path):
    db_path = tmp_path / "sw.db"
    Database(f"sqlite:///{db_path}").close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPEECHWATCH_") or k == "SPEECHWATCH_CACHE_DIR"}
    env.update(SPEECHWATCH_LOG_DIR=str(tmp_path / "logs"), SPEECHWATCH_SQLITE_BUSY_MS="1000")
    args = ["crawl", "--sources", str(SAMPLE_SOURCES), "--source", "fanwen365", "--db", str(db_path)]
    args += ["--proxy", sample_web.proxy_url, "--format", "json"]
    parent = subprocess.Popen([*SPEECHWATCH, *args], cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
    holder = sqlite3.connect(db_path, timeout=30, isolation_level=None)
    try:
        deadline = time.monotonic() + 60
        while not holder.execute("SELECT count(*) FROM crawl_runs").fetchone()[0]:  # the parent opened the run
            assert time.monotonic() < deadline, "the crawl never opened its run"
            time.sleep(0.05)
        holder.execute("BEGIN IMMEDIATE")  # another writer takes the lock and keeps it for the whole crawl
        while not subprocess.run(
            ["pgrep", "-f", "scrapy crawl source -a source=fanwen365"], capture_output=True
        ).stdout:
            assert time.monotonic() < deadline, "the crawl child never started"
            time.sleep(0.05)
        while subprocess.run(["pgrep", "-f", "scrapy crawl source -a source=fanwen365"], capture_output=True).stdout:
            assert time.monotonic() < deadline + 60, "the crawl child never ended"
            time.sleep(0.1)
    finally:
        holder.execute("ROLLBACK") if holder.in_transaction else None
        holder.close()
    out, _ = parent.communicate(timeout=120)
    (run,) = json.loads(out)
    assert run["status"] == "failed" and run["documents_stored"] == 0
    with Database(f"sqlite:///{db_path}") as db, db.read() as session:
        (row,) = session.scalars(select(CrawlRun)).all()
        assert session.scalars(select(Document)).all() == []  # nothing partial
    assert "locked" in (row.error_text or ""), row.error_text

    rerun = subprocess.run([*SPEECHWATCH, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)[0]["documents_new"] == articles_of("www.fanwen365.net")
