"""A crawl into PostgreSQL whose connections are cut again and again still stores every article, once."""

from __future__ import annotations

import threading
import time

import pytest_twisted
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from storage.database import Database
from storage.models import CrawlRun, Document
from tests.conftest import crawl_in_process
from tests.crawler.test_crawl_sampleweb import expected_urls


def cut_connections(url: str, stop: threading.Event, cuts: list[int], seconds: float = 4.0) -> None:
    """Terminate every backend of the crawl's database every 0.1 s for ``seconds``: what a restart does to clients."""
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    until = time.monotonic() + seconds
    try:
        while not stop.is_set() and time.monotonic() < until:
            with admin.connect() as conn:
                killed = conn.execute(
                    text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :n"),
                    {"n": name},
                ).scalar()
            cuts.append(int(killed or 0))
            time.sleep(0.1)
    finally:
        admin.dispose()


@pytest_twisted.ensureDeferred
async def test_a_crawl_survives_lost_connections(sample_web, postgres_url):
    Database(postgres_url).close()  # schema first, so the cuts hit the crawl's writes, not the migration
    stop, cuts = threading.Event(), []
    cutter = threading.Thread(target=cut_connections, args=(postgres_url, stop, cuts), daemon=True)
    cutter.start()
    try:
        stats = await crawl_in_process("fanwen365", postgres_url, sample_web.proxy_url, SPEECHWATCH_BATCH_SIZE=1)
    finally:
        stop.set()
        cutter.join(timeout=10)
    assert sum(cuts) > 0, "no connection was ever cut: the test did not test anything"
    assert not stats.get("speechwatch/store_errors")
    with Database(postgres_url) as db, db.read() as session:
        urls = session.scalars(select(Document.url)).all()
        (run,) = session.scalars(select(CrawlRun)).all()
    assert len(urls) == len(set(urls)) and set(urls) == expected_urls("www.fanwen365.net")
    assert run.status == "finished" and run.documents_new == len(urls)
