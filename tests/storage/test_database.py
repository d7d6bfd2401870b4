"""Units of work survive a lost PostgreSQL connection by a retry; SQLite errors are never retried."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from storage.database import Database
from storage.models import CrawlRun
from storage.runs import start_run


def test_a_unit_of_work_whose_connection_dies_is_run_again(postgres_url, caplog):
    calls = []

    def work(db: Database) -> int:
        calls.append(1)
        with db.write() as session:
            session.add(CrawlRun(source="x", started_at=func.now(), status="running", stats={}))
            session.flush()
            if len(calls) == 1:  # the server drops us mid-transaction, as a restart does
                session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        with db.read() as session:
            return session.scalar(select(func.count(CrawlRun.id)))

    with Database(postgres_url) as db, caplog.at_level(logging.WARNING):
        assert db.retrying(work, db, pauses=(0.1, 0.1)) == 1  # the first, broken transaction left nothing
    assert len(calls) == 2
    assert "database connection lost" in caplog.text


def test_retries_end_and_the_error_is_raised(postgres_url):
    def always_dies(db: Database) -> None:
        with db.write() as session:
            session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))

    with Database(postgres_url) as db, pytest.raises(OperationalError):
        db.retrying(always_dies, db, pauses=(0.05, 0.05))


def test_sqlite_errors_are_not_retried(sqlite_url):
    calls = []

    def broken(db: Database) -> None:
        calls.append(1)
        with db.write() as session:
            session.execute(text("SELECT * FROM no_such_table"))

    with Database(sqlite_url) as db:
        start_run(db, "x")
        with pytest.raises(OperationalError):
            db.retrying(broken, db, pauses=(0.05,))
    assert calls == [1]
