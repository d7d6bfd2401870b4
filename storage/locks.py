"""Named locks across processes: PostgreSQL advisory locks, or a lock file next to a SQLite database."""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from storage.database import Database


class LockBusy(RuntimeError):
    """Another process holds the lock (raised only when not waiting)."""


def _key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big") >> 1


@contextmanager
def exclusive(db: Database, name: str, *, wait: bool = True) -> Iterator[None]:
    """Hold the lock ``name`` for this database while the block runs (``wait=False``: fail at once if taken)."""
    if db.dialect == "postgresql":
        with db.engine.connect() as conn:
            if wait:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _key(name)})
            elif not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _key(name)}).scalar():
                raise LockBusy(name)
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _key(name)})
                conn.commit()
        return
    with file_lock(sqlite_lock_path(db.url, name), wait=wait, name=name):
        yield


def sqlite_lock_path(url: str, name: str) -> Path | None:
    """The lock file for ``name`` next to a SQLite database file (None for an in-memory database)."""
    database = make_url(url).database
    return Path(f"{database}.{name}.lock") if database and database != ":memory:" else None


@contextmanager
def file_lock(path: Path | None, *, wait: bool = True, name: str = "") -> Iterator[None]:
    """Hold an ``flock`` on ``path`` while the block runs; no path means nothing to lock."""
    if path is None:
        yield
        return
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockBusy(name or str(path)) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
