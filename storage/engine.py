"""One engine factory for every process: SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

DEFAULT_DB_PATH = Path("data") / "speechwatch.db"
ENV_DB = "SPEECHWATCH_DB"
SQLITE_BUSY_TIMEOUT_MS = 30_000
ENV_BUSY = "SPEECHWATCH_SQLITE_BUSY_MS"  # how long a SQLite writer waits for another one's lock


def sqlite_busy_ms() -> int:
    """The SQLite busy timeout in milliseconds: ``$SPEECHWATCH_SQLITE_BUSY_MS``, default 30 s."""
    try:
        return max(0, int(os.environ.get(ENV_BUSY, SQLITE_BUSY_TIMEOUT_MS)))
    except ValueError:
        return SQLITE_BUSY_TIMEOUT_MS


def resolve_url(url: str | None = None) -> str:
    """The database URL: the argument, else ``$SPEECHWATCH_DB``, else ``./data/speechwatch.db``."""
    url = url or os.environ.get(ENV_DB)
    if url:
        if "://" not in url:  # a bare path is a SQLite file
            return f"sqlite:///{Path(url).expanduser()}"
        return url
    return f"sqlite:///{DEFAULT_DB_PATH}"


def redact(url: str) -> str:
    """The URL with any password hidden, for logs and messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL is shown as given
        return url


def make_engine(url: str | None = None) -> Engine:
    """Create an engine; SQLite gets WAL and a busy timeout, PostgreSQL a pre-pinged pool.

    Never share the returned engine across ``fork``: each process makes its own.
    """
    url = resolve_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": sqlite_busy_ms() / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_recycle=1800)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={sqlite_busy_ms()}")  # first: the pragmas below may wait for a lock
    _use_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA mmap_size=268435456")  # 256 MiB read through the page cache: index seeks stay flat
    cursor.close()


def _use_wal(cursor: sqlite3.Cursor) -> None:
    """Switch the file to WAL once (a no-op when it is already). Switching takes the file for a moment, and SQLite
    does not wait for that lock through the busy handler, so connections opening a fresh file together (a
    crawl's components) try again until the busy timeout has passed."""
    deadline = time.monotonic() + sqlite_busy_ms() / 1000
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
