"""Planner statistics follow the store's growth: a table is analyzed as it doubles, and left alone between."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from sqlalchemy import insert, text

from monitor import postrun
from monitor.postrun import process_new_documents
from storage.database import Database
from storage.models import ChromeHost
from storage.statistics import refresh_statistics, stale_tables


def _grow(db: Database, rows: int) -> None:
    with db.write() as session:
        session.execute(insert(ChromeHost), [{"host": f"h{n}.example", "pages": n} for n in range(rows)])


def _wait_for_stale(db: Database, table: str) -> list[str]:
    """The server counts a transaction's changes shortly after it ends: wait for them (at most 10 s)."""
    deadline = time.monotonic() + 10
    while True:
        with db.engine.connect() as conn:
            tables = stale_tables(conn)
        if table in tables or time.monotonic() > deadline:
            return tables
        time.sleep(0.1)


def test_a_grown_table_is_analyzed_once_then_left_alone(postgres_url: str) -> None:
    with Database(postgres_url) as db:
        _grow(db, 500)
        assert "chrome_hosts" in _wait_for_stale(db, "chrome_hosts")
        with db.engine.begin() as conn:
            refreshed = refresh_statistics(conn)
        assert "chrome_hosts" in refreshed
        with db.engine.connect() as conn:
            analyzed_at, estimate = conn.execute(text(
                "SELECT s.last_analyze, c.reltuples FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid"
                " WHERE s.relname = 'chrome_hosts'"
            )).one()  # fmt: skip
            assert analyzed_at is not None and estimate == 500  # the planner now knows the table's size
            assert "chrome_hosts" not in stale_tables(conn)
        with db.write() as session:  # 520 rows more: fewer than 50 + the 500 it had (autovacuum's tenth: 100)
            session.execute(insert(ChromeHost), [{"host": f"more{n}.example", "pages": n} for n in range(520)])
        time.sleep(1.5)  # the server has counted them
        with db.engine.begin() as conn:
            assert "chrome_hosts" not in refresh_statistics(conn)
        with db.write() as session:  # 40 more: past 50 + 500 since the analysis, so it is analyzed as it doubles
            session.execute(insert(ChromeHost), [{"host": f"last{n}.example", "pages": n} for n in range(40)])
        assert "chrome_hosts" in _wait_for_stale(db, "chrome_hosts")


def test_sqlite_has_nothing_to_refresh(sqlite_url: str) -> None:
    with Database(sqlite_url) as db:
        _grow(db, 500)
        with db.engine.begin() as conn:
            assert refresh_statistics(conn) == []
            assert conn.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar() == 0


def test_the_post_run_work_refreshes_statistics_first(postgres_url: str) -> None:
    with Database(postgres_url) as db:
        _grow(db, 300)
        _wait_for_stale(db, "chrome_hosts")
        started = datetime.now(UTC)
        process_new_documents(db)
        with db.engine.connect() as conn:
            analyzed_at = conn.execute(
                text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'chrome_hosts'")
            ).scalar()
        assert analyzed_at is not None and analyzed_at >= started


def test_statistics_are_refreshed_beside_the_block_and_ready_when_it_ends(postgres_url: str, monkeypatch) -> None:
    threads: list[str] = []

    def recorded(conn):
        threads.append(threading.current_thread().name)
        return refresh_statistics(conn)

    monkeypatch.setattr(postrun, "refresh_statistics", recorded)
    with Database(postgres_url) as db:
        _grow(db, 400)
        _wait_for_stale(db, "chrome_hosts")
        with postrun.analyzing(db):
            pass
        with db.engine.connect() as conn:
            assert "chrome_hosts" not in stale_tables(conn)  # analyzed by the time the block's end returned
    assert threads == ["analyze"]  # in a thread of its own, once


def test_a_failed_refresh_is_logged_and_the_post_run_goes_on(postgres_url: str, monkeypatch, caplog) -> None:
    def broken(_conn):
        raise RuntimeError("server gone")

    monkeypatch.setattr(postrun, "refresh_statistics", broken)
    with Database(postgres_url) as db, caplog.at_level("WARNING", logger="monitor.postrun"), postrun.analyzing(db):
        ran = True
    assert ran and "refreshing the planner statistics failed" in caplog.text


def test_sqlite_starts_no_thread(sqlite_url: str) -> None:
    with Database(sqlite_url) as db:
        before = threading.active_count()
        with postrun.analyzing(db):
            assert threading.active_count() == before
