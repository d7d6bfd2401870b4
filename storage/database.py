"""The database handle: one engine, one session factory, migrations applied on first use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage import migrate
from storage.engine import make_engine, redact, resolve_url


class Database:
    """A SQLAlchemy engine plus the one way to open a unit of work on it."""

    def __init__(self, url: str | None = None, *, apply_migrations: bool = True) -> None:
        self.url = resolve_url(url)
        self.engine: Engine = make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if apply_migrations:
            migrate.upgrade(self.engine)

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

    def close(self) -> None:
        """Dispose of the pool; safe to call twice."""
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
