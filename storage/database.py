"""The database handle: one engine, one session factory, migrations applied on first use."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from storage import migrate
from storage.engine import make_engine, redact, resolve_url

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRY_PAUSES = (0.5, 1, 2, 4, 8, 15)  # about 30 s in all: long enough for a PostgreSQL restart


class Database:
    """A SQLAlchemy engine plus the one way to open a unit of work on it."""

    def __init__(self, url: str | None = None, *, apply_migrations: bool = True) -> None:
        self.url = resolve_url(url)
        self.engine: Engine = make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if apply_migrations:
            self.retrying(migrate.upgrade, self.engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def display_url(self) -> str:
        return redact(self.url)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back whole on any error."""
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session (nothing is committed)."""
        with self._sessions() as session:
            yield session

    def retrying(self, work: Callable[..., T], *args, pauses: tuple[float, ...] = RETRY_PAUSES, **kwargs) -> T:
        """Call ``work(*args, **kwargs)`` again after a pause when the server connection was lost (PostgreSQL only).

        ``work`` must be one or more whole units of work (each a ``write()``), so a retry repeats nothing that
        committed half way. SQLite has no connection to lose: its errors (a lock held past the busy timeout)
        are raised at once.
        """
        for pause in (*pauses, None):
            try:
                return work(*args, **kwargs)
            except DBAPIError as exc:
                if pause is None or not self._connection_lost(exc):
                    raise
                log.warning("database connection lost (%s); retrying in %s s", type(exc.orig).__name__, pause)
                time.sleep(pause)
        raise AssertionError("unreachable")

    def _connection_lost(self, exc: DBAPIError) -> bool:
        if self.dialect == "sqlite":
            return False
        return exc.connection_invalidated or isinstance(exc, OperationalError)

    def close(self) -> None:
        """Dispose of the pool; safe to call twice."""
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
