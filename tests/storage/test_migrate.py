"""Migrations run on first use, once, on both back ends."""

from __future__ import annotations

from sqlalchemy import inspect

from storage import migrate
from storage.database import Database
from storage.engine import redact, resolve_url


def test_first_use_creates_the_schema_and_later_uses_do_nothing(db_url):
    db = Database(db_url)
    try:
        tables = set(inspect(db.engine).get_table_names())
        assert {"sources", "crawl_runs", "documents", "alembic_version"} <= tables
        assert migrate.current_revision(db.engine) == migrate.head_revision()
        assert migrate.upgrade(db.engine) is False
    finally:
        db.close()
        db.close()  # safe twice


def test_url_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv("SPEECHWATCH_DB", raising=False)
    assert resolve_url(None) == "sqlite:///data/speechwatch.db"
    assert resolve_url(str(tmp_path / "x.db")) == f"sqlite:///{tmp_path / 'x.db'}"
    monkeypatch.setenv("SPEECHWATCH_DB", "postgresql+psycopg://u@h/db")
    assert resolve_url(None) == "postgresql+psycopg://u@h/db"
    assert "secret" not in redact("postgresql+psycopg://u:secret@h/db")


def test_sqlite_runs_in_wal_mode(sqlite_url):
    with Database(sqlite_url) as db, db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
