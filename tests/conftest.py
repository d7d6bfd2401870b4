"""Shared fixtures: the sample web, throwaway databases (SQLite always, PostgreSQL where reachable)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.sampleweb.server import SampleWeb

SAMPLE_SOURCES = Path(__file__).parents[1] / "monitor" / "sampleweb" / "sources.toml"
# The suite's default store: a SQLite file per test, or, when SPEECHWATCH_DB names a PostgreSQL server, a fresh
# database on it per test. Taken out of the environment so that no test falls back on it by accident.
TEST_STORE = os.environ.pop("SPEECHWATCH_DB", "") or ""
STORE_IS_POSTGRES = TEST_STORE.startswith("postgresql")
PG_ADMIN_URL = (
    TEST_STORE
    if STORE_IS_POSTGRES
    else os.environ.get("SPEECHWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
)


@pytest.fixture(scope="session")
def sample_web() -> Iterator[SampleWeb]:
    with SampleWeb() as web:
        yield web


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'speechwatch.db'}"


@pytest.fixture
def store_url(request: pytest.FixtureRequest) -> str:
    """The suite's default store (SQLite, or PostgreSQL when the suite runs with SPEECHWATCH_DB=postgresql…)."""
    return request.getfixturevalue("postgres_url" if STORE_IS_POSTGRES else "sqlite_url")


def _pg_admin_engine():
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[postgres]')")
    from sqlalchemy import create_engine, text

    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)  # survives a restart
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server here"
        engine.dispose()
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL} ({type(exc).__name__}); set SPEECHWATCH_TEST_PG")
    return engine


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database with a UTF-8 ctype, dropped afterwards."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    engine = _pg_admin_engine()
    name = f"speechwatch_test_{uuid.uuid4().hex[:10]}"
    with engine.connect() as conn:
        conn.execute(
            text(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'")
        )
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with engine.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def database(db_url: str):
    from storage.database import Database

    db = Database(db_url)
    yield db
    db.close()


os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
# PostgreSQL test databases' key index files (monitor.dedup.keyindex) go to a throwaway directory, not ~/.cache
os.environ.setdefault("SPEECHWATCH_CACHE_DIR", tempfile.mkdtemp(prefix="speechwatch-cache-"))


async def crawl_in_process(source: str, db_url: str, proxy: str, sources: Path = SAMPLE_SOURCES, **overrides) -> dict:
    """Run the real Scrapy engine in this process (asyncio reactor via pytest-twisted); return its stats."""
    import asyncio

    from scrapy.crawler import AsyncCrawlerRunner
    from scrapy.utils.project import get_project_settings
    from twisted.internet.defer import Deferred

    from crawler.spiders.source import SourceSpider

    settings = get_project_settings()
    settings.setdict(
        {
            "SPEECHWATCH_DB": db_url,
            "SPEECHWATCH_PROXY": proxy,
            "SPEECHWATCH_SOURCES": str(sources),
            "AUTOTHROTTLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0,
            "LOG_LEVEL": "INFO",
            **overrides,
        },
        priority="cmdline",
    )
    runner = AsyncCrawlerRunner(settings)
    crawler = runner.create_crawler(SourceSpider)
    await Deferred.fromFuture(asyncio.ensure_future(runner.crawl(crawler, source=source)))
    return crawler.stats.get_stats()
