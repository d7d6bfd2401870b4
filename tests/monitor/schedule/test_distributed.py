"""Distributed runs with the real Redis and PostgreSQL: two `speechwatch worker`s share one run of the sample web."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from crawler.distributed import run_key, runs_key
from crawler.sources import load_sources
from monitor.schedule.distributed import RedisUnavailable, crawl_distributed, open_redis
from storage.database import Database
from storage.models import CrawlRun, Document
from tests.conftest import SAMPLE_SOURCES
from tests.crawler.test_crawl_sampleweb import expected_urls
from tests.monitor.schedule.test_service import SPEECHWATCH, env_for, wait_for

REDIS_URL = os.environ.get("SPEECHWATCH_TEST_REDIS", "redis://127.0.0.1:6379/0")
SOURCE = {s.name: s for s in load_sources(SAMPLE_SOURCES)}["gwfanwen"]
HOST = "www.gwfanwen.com"


@pytest.fixture
def redis_queue() -> Iterator[str]:
    """A queue name of our own on the local Redis; its keys are removed afterwards."""
    try:
        server = open_redis(REDIS_URL)
    except RedisUnavailable as exc:
        pytest.skip(f"{exc}; set SPEECHWATCH_TEST_REDIS")
    queue = f"swtest-{uuid.uuid4().hex[:8]}"
    yield queue
    keys = list(server.scan_iter(f"{queue}:*"))
    if keys:
        server.delete(*keys)


@contextmanager
def workers(n: int, tmp_path, db_url: str, queue: str, proxy: str, **env: str) -> Iterator[list[subprocess.Popen]]:
    args = ["worker", "--sources", str(SAMPLE_SOURCES), "--db", db_url, "--redis", REDIS_URL, "--queue", queue]
    args += ["--proxy", proxy, "--slots", "1", "--timeout", "120"]
    with ExitStack() as stack:
        procs = []
        for i in range(n):
            log = stack.enter_context((tmp_path / f"worker-{i}.log").open("w"))
            environment = {**env_for(tmp_path), **env}
            procs.append(subprocess.Popen([*SPEECHWATCH, *args], cwd=tmp_path, env=environment, stdout=log,
                                          stderr=subprocess.STDOUT))  # fmt: skip
        try:
            yield procs
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()


def stored(db_url: str) -> tuple[list[str], list[CrawlRun]]:
    with Database(db_url) as db, db.read() as session:
        return list(session.scalars(select(Document.url))), list(
            session.scalars(select(CrawlRun).order_by(CrawlRun.id))
        )


def test_two_workers_share_a_run_each_article_fetched_and_stored_once(sample_web, tmp_path, postgres_url, redis_queue):
    Database(postgres_url).close()
    sample_web.reset_log()
    with workers(2, tmp_path, postgres_url, redis_queue, sample_web.proxy_url), Database(postgres_url) as db:
        run = crawl_distributed(db, SOURCE, REDIS_URL, queue=redis_queue, timeout=180, trigger="schedule")
    urls, runs = stored(postgres_url)
    articles = expected_urls(HOST)
    assert len(urls) == len(set(urls)) and set(urls) == articles
    assert [r.id for r in runs] == [run.id]  # recorded once
    assert run.status == "finished" and run.stats["children"] == 2, (run.status, run.stats, run.error_text)
    assert run.documents_new == len(articles) and run.pages_fetched >= len(articles)
    ok = Counter(r.path for r in sample_web.fetched(HOST, status=200))
    assert all(ok[urlsplit(url).path] == 1 for url in articles), ok  # one fetch per article across both workers
    server = open_redis(REDIS_URL)
    assert not server.hexists(runs_key(redis_queue), str(run.id))
    assert not server.exists(run_key(redis_queue, run.id, "dupefilter"))  # the next run starts afresh

    with workers(1, tmp_path, postgres_url, redis_queue, sample_web.proxy_url), Database(postgres_url) as db:
        again = crawl_distributed(db, SOURCE, REDIS_URL, queue=redis_queue, timeout=180)
    assert again.status == "finished" and again.documents_new == 0
    assert again.documents_unchanged == len(articles)  # a per-run dupefilter: the next run was not empty


def test_a_worker_killed_half_way_loses_nothing_for_good(sample_web, tmp_path, postgres_url, redis_queue):
    Database(postgres_url).close()
    articles = expected_urls(HOST)
    slow = {"SPEECHWATCH_BATCH_SIZE": "1", "SCRAPY_CONCURRENT_REQUESTS": "1"}
    with workers(1, tmp_path, postgres_url, redis_queue, sample_web.proxy_url, **slow) as (proc,), \
            Database(postgres_url) as db:  # fmt: skip
        import threading

        result: list[CrawlRun] = []
        coordinator = threading.Thread(
            target=lambda: result.append(crawl_distributed(db, SOURCE, REDIS_URL, queue=redis_queue, timeout=120))
        )
        coordinator.start()
        wait_for(lambda: len(stored(postgres_url)[0]) >= 2, 90, "two stored articles")
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        for pid in [*children, str(proc.pid)]:
            os.kill(int(pid), signal.SIGKILL)
        coordinator.join(timeout=150)
    assert result, "the coordinator never closed the run"
    killed = result[0]
    assert killed.status == "failed" and "died" in (killed.error_text or ""), (killed.status, killed.error_text)
    urls, _ = stored(postgres_url)
    assert 2 <= len(urls) == len(set(urls)) < len(articles)
    with workers(1, tmp_path, postgres_url, redis_queue, sample_web.proxy_url), Database(postgres_url) as db:
        rerun = crawl_distributed(db, SOURCE, REDIS_URL, queue=redis_queue, timeout=180)
    urls, runs = stored(postgres_url)
    assert rerun.status == "finished"
    assert len(urls) == len(set(urls)) and set(urls) == articles  # the set is complete, nothing twice
    assert all(r.status != "running" for r in runs)


def test_no_worker_and_no_redis_are_recorded_as_failed_runs(tmp_path, store_url, redis_queue):
    with Database(store_url) as db:
        lonely = crawl_distributed(db, SOURCE, REDIS_URL, queue=redis_queue, timeout=3)
        assert lonely.status == "failed" and "no worker took the run" in lonely.error_text
        down = crawl_distributed(db, SOURCE, "redis://127.0.0.1:9/0", queue=redis_queue, timeout=3)
        assert down.status == "failed" and "Redis not reachable" in down.error_text
    start = time.monotonic()
    result = subprocess.run([*SPEECHWATCH, "worker", "--sources", str(SAMPLE_SOURCES), "--db", store_url,
                             "--redis", "redis://127.0.0.1:9/0"], cwd=tmp_path, env=env_for(tmp_path),
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 1 and "Redis not reachable at redis://127.0.0.1:9/0" in result.stderr
    assert "Traceback" not in result.stderr and time.monotonic() - start < 30


def test_the_scheduler_seeds_runs_into_redis_and_does_the_post_run_work_once(
    sample_web, tmp_path, postgres_url, redis_queue
):
    from tests.monitor.schedule.test_service import runs_of, scheduler, write_sources

    sources = tmp_path / "sources.toml"
    write_sources(sources, "@every 3s", keep="gwfanwen", name="gwfanwen")  # workers know it by this name
    args = ["--redis", REDIS_URL, "--queue", redis_queue, "--timeout", "120"]
    with workers(2, tmp_path, postgres_url, redis_queue, sample_web.proxy_url), \
            scheduler(tmp_path, sources, postgres_url, sample_web.proxy_url, *args):  # fmt: skip
        wait_for(lambda: [r for r in runs_of(postgres_url) if r.status != "running"], 120, "a closed run")
    first = runs_of(postgres_url)[0]
    assert first.status == "finished" and first.trigger == "schedule" and first.stats["distributed"] is True
    assert first.documents_new == len(expected_urls(HOST))
    assert first.speeches_new > 0 and first.commitments_new > 0  # clustering and mining ran after the drain


def test_the_redis_url_is_never_a_logged_setting():
    from crawler.distributed import crawl_settings

    settings = crawl_settings("q", 7)
    assert not any("redis://" in value for value in settings.values())  # Scrapy logs overridden settings
    assert settings["SCHEDULER_QUEUE_KEY"] == "q:run:7:requests"
