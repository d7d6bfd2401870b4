"""Apply Alembic migrations automatically on first use."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from storage.locks import file_lock, sqlite_lock_path

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn, opts={"transaction_per_migration": False}).get_current_revision()


_LOCK = threading.Lock()
PG_LOCK_KEY = 0x5EEC4A7C  # advisory lock id: one migrator at a time across processes


def upgrade(engine: Engine) -> bool:
    """Bring the schema to head; return True when a migration ran (a cheap no-op when current).

    Several components of one crawl open the database at once, and several processes may meet a fresh
    database: a thread lock, then PostgreSQL's advisory lock or a lock file next to a SQLite file, and a
    re-check of the revision under the lock keep it to one run.
    """
    head = head_revision()
    if current_revision(engine) == head:
        return False
    lock_path = sqlite_lock_path(engine.url.render_as_string(), "migrate") if engine.dialect.name == "sqlite" else None
    with _LOCK, file_lock(lock_path, name="migrate"):
        try:
            return _upgrade_locked(engine, head)
        except OperationalError:
            if current_revision(engine) == head:  # another process migrated meanwhile
                return False
            raise


def _upgrade_locked(engine: Engine, head: str) -> bool:
    config = alembic_config()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_LOCK_KEY})")
        if MigrationContext.configure(conn).get_current_revision() == head:
            return False
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return True
