"""PostgreSQL really restarted in the middle of a crawl: the crawl's retries carry it through, every article once.

Restarts the local server with ``pg_ctlcluster`` (Debian), so it runs only where that works: as root, on the
cluster that serves the tests' port. Elsewhere it skips with the reason (the connection-loss test in
``tests/crawler`` covers the same path by terminating the crawl's connections instead).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time

import pytest
import pytest_twisted
from sqlalchemy import select
from sqlalchemy.engine import make_url

from storage.database import Database
from storage.models import CrawlRun, Document
from tests.conftest import PG_ADMIN_URL, crawl_in_process
from tests.crawler.test_crawl_sampleweb import expected_urls


def local_cluster() -> tuple[str, str] | None:
    """(version, name) of the Debian cluster serving the tests' PostgreSQL port, if we may restart it."""
    if os.environ.get("SPEECHWATCH_TEST_NO_PG_RESTART") or not shutil.which("pg_lsclusters") or os.geteuid() != 0:
        return None
    url = make_url(PG_ADMIN_URL)
    if url.host not in ("127.0.0.1", "localhost"):
        return None
    listing = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=False).stdout
    for line in listing.splitlines():
        version, name, port, status, *_ = line.split()
        if int(port) == (url.port or 5432) and status == "online":
            return version, name
    return None


CLUSTER = local_cluster()


@pytest.mark.skipif(CLUSTER is None, reason="needs root and a local Debian cluster on the tests' port (pg_ctlcluster)")
@pytest_twisted.ensureDeferred
async def test_a_crawl_survives_a_real_postgresql_restart(sample_web, postgres_url):
    Database(postgres_url).close()
    restarted: list[float] = []

    def restart_when_writing() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with Database(postgres_url) as db, db.read() as session:
                if session.scalars(select(Document.id)).first() is not None:
                    break
            time.sleep(0.1)
        started = time.monotonic()
        subprocess.run(["pg_ctlcluster", *CLUSTER, "restart", "-m", "fast"], check=True, timeout=60)
        restarted.append(time.monotonic() - started)

    restarter = threading.Thread(target=restart_when_writing, daemon=True)
    restarter.start()
    stats = await crawl_in_process("gwfanwen", postgres_url, sample_web.proxy_url, SPEECHWATCH_BATCH_SIZE=1)
    restarter.join(timeout=90)
    assert restarted, "the server was never restarted: the test did not test anything"
    assert not stats.get("speechwatch/store_errors")
    with Database(postgres_url) as db, db.read() as session:
        urls = session.scalars(select(Document.url)).all()
        (run,) = session.scalars(select(CrawlRun)).all()
    assert len(urls) == len(set(urls)) and set(urls) == expected_urls("www.gwfanwen.com")
    assert run.status == "finished" and run.documents_new == len(urls)
