"""The real Scrapy engine crawls the sample web into real databases; we check what landed."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import pytest_twisted
from sqlalchemy import func, select

from crawler.sources import load_sources
from monitor.extract.script import to_simplified
from monitor.sampleweb.site import default_sites, ground_truth
from storage.database import Database
from storage.models import ChromeHost, CrawlRun, Document
from tests.conftest import SAMPLE_SOURCES, crawl_in_process

SOURCES = load_sources(SAMPLE_SOURCES)
STORABLE = {"speech", "speech_report", "notice", "repost", "multi"}


def expected_urls(host: str | None = None) -> set[str]:
    rows = ground_truth(default_sites())
    return {r["url"] for r in rows if r["kind"] in STORABLE and (host is None or urlsplit(r["url"]).hostname == host)}


def trap_urls(kind: str) -> set[str]:
    return {r["url"] for r in ground_truth(default_sites()) if r["kind"] == f"trap:{kind}"}


async def crawl_all(db_url: str, proxy: str) -> dict[str, dict]:
    return {source.name: await crawl_in_process(source.name, db_url, proxy) for source in SOURCES}


def stored_urls(db_url: str) -> set[str]:
    with Database(db_url) as db, db.read() as session:
        return set(session.scalars(select(Document.url)))


@pytest_twisted.ensureDeferred
async def test_every_article_of_every_site_is_found_through_its_pagination(sample_web, db_url):
    sample_web.reset_log()
    stats = await crawl_all(db_url, sample_web.proxy_url)

    assert stored_urls(db_url) == expected_urls()
    truth = {r["url"]: r for r in ground_truth(default_sites())}
    with Database(db_url) as db, db.read() as session:
        documents = session.scalars(select(Document)).all()
    for document in documents:  # the extractor ran in the pipeline and its fields were stored
        expected = truth[document.url]
        assert (document.doc_type, document.topic) == (
            expected["doc_type"],
            "bizenv" if expected["topic"] == "bizenv" else "other",
        )
        assert to_simplified(document.title) == expected["title"] and document.speech_date == expected["speech_date"]
        assert "".join(document.text.split()) == "".join(expected["text"].split()), document.url
    assert stats["pingshan-ldjh"]["speechwatch/list_pages"] == 3  # index, index_1, index_2 via createPageHTML
    assert stats["huzhou-ldjh"]["speechwatch/list_pages"] == 3  # column page + jpage XML pages 1 and 2
    hosts = {r.host for r in sample_web.fetched()}
    assert hosts == set(default_sites())  # nothing outside allowed_domains was requested
    assert stats["gwfanwen"].get("offsite/filtered", 0) >= 1  # the m.gwfanwen.com link was dropped


@pytest_twisted.ensureDeferred
async def test_traps_robots_antibot_charset_redirect_retry(sample_web, store_url):
    sample_web.reset_log()
    stats = await crawl_all(store_url, sample_web.proxy_url)
    requested = {f"http://{r.host}{r.path}" for r in sample_web.fetched()}
    stored = stored_urls(store_url)

    robots_disallowed = trap_urls("robots_disallowed")
    assert robots_disallowed and not robots_disallowed & requested
    assert stats["pingshan-ldjh"]["robotstxt/forbidden"] == 1

    antibot = trap_urls("antibot_412") | trap_urls("antibot_200")
    assert antibot <= requested and not antibot & stored
    assert stats["pingshan-ldjh"]["speechwatch/blocked/412"] == 1
    assert stats["fanwen365"]["speechwatch/blocked/200"] == 1

    assert stats["huzhou-ldjh"]["httperror/response_ignored_status_count/404"] == 1
    assert stats["huzhou-ldjh"]["retry/reason_count/500 Internal Server Error"] == 1
    assert stats["pingshan-ldjh"]["speechwatch/charset_fixed"] == 1

    with Database(store_url) as db, db.read() as session:
        wrong_header = session.scalar(select(Document).where(Document.url.like("%t20220704_9932145%")))
        assert wrong_header.encoding == "gb18030" and "招商引资" in wrong_header.text
        gbk_only = session.scalar(select(Document).where(Document.url.like("%t20240402_11402236%")))
        assert gbk_only.speaker == "陈文喆"  # 喆 is GBK, not GB2312: decoded as GB18030
        redirected = session.scalar(select(Document).where(Document.url.like("%3826614%")))
        assert redirected.url.endswith("art_1229213526_3826614.html")  # stored under the final URL
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
    assert [r.source for r in runs] == [s.name for s in SOURCES]
    by_source = {r.source: r for r in runs}
    assert by_source["pingshan-ldjh"].blocked == 1 and by_source["pingshan-ldjh"].status == "finished"
    assert by_source["huzhou-ldjh"].documents_new == len(expected_urls("www.huzhou.gov.cn"))
    assert by_source["huzhou-ldjh"].errors >= 1  # the 404


@pytest_twisted.ensureDeferred
async def test_rerun_is_idempotent_and_sends_conditional_requests(sample_web, db_url):
    await crawl_all(db_url, sample_web.proxy_url)
    with Database(db_url) as db, db.read() as session:
        first = {d.url: (d.id, d.content_hash, d.changed_at) for d in session.scalars(select(Document))}

    sample_web.reset_log()
    stats = await crawl_all(db_url, sample_web.proxy_url)

    with Database(db_url) as db, db.read() as session:
        second = {d.url: (d.id, d.content_hash, d.changed_at) for d in session.scalars(select(Document))}
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
    assert second == first  # same rows, same ids, nothing re-stored
    articles = [r for r in sample_web.fetched() if f"http://{r.host}{r.path}" in expected_urls()]
    conditional = [r for r in articles if "if-none-match" in r.headers and "if-modified-since" in r.headers]
    assert articles and conditional == articles  # every stored article was asked for with both validators
    assert sample_web.fetched(status=304)
    assert sum(s.get("speechwatch/documents_new", 0) for s in stats.values()) == 0
    assert sum(s.get("speechwatch/not_modified", 0) for s in stats.values()) == len(first)
    assert all(r.documents_new == 0 for r in runs[len(SOURCES) :])


@pytest.mark.postgres
@pytest_twisted.ensureDeferred
async def test_crawl_into_postgresql(sample_web, postgres_url):
    await crawl_in_process("huzhou-ldjh", postgres_url, sample_web.proxy_url)
    await crawl_in_process("huzhou-ldjh", postgres_url, sample_web.proxy_url)
    with Database(postgres_url) as db, db.read() as session:
        assert session.scalar(select(func.count(Document.id))) == len(expected_urls("www.huzhou.gov.cn"))
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
    assert [r.documents_new for r in runs] == [len(expected_urls("www.huzhou.gov.cn")), 0]
    assert runs[1].documents_unchanged == len(expected_urls("www.huzhou.gov.cn"))


@pytest_twisted.ensureDeferred
async def test_chrome_is_learned_per_host_and_counted_once(sample_web, store_url):
    await crawl_in_process("gwfanwen", store_url, sample_web.proxy_url)
    await crawl_in_process("gwfanwen", store_url, sample_web.proxy_url)  # unchanged pages count nothing again
    with Database(store_url) as db, db.read() as session:
        pages = session.scalar(select(ChromeHost.pages).where(ChromeHost.host == "www.gwfanwen.com"))
    assert pages == len(expected_urls("www.gwfanwen.com"))


@pytest_twisted.ensureDeferred
async def test_documents_are_written_in_batches_by_the_writer_thread(sample_web, db_url, monkeypatch):
    import threading

    import crawler.pipelines as pipelines

    calls: list[tuple[str, int]] = []
    original = pipelines.store_documents

    def recording(db, batch):
        calls.append((threading.current_thread().name, len(batch)))
        return original(db, batch)

    monkeypatch.setattr(pipelines, "store_documents", recording)
    reactor_thread = threading.current_thread().name
    await crawl_in_process("gwfanwen", db_url, sample_web.proxy_url, SPEECHWATCH_BATCH_SIZE=3)
    stored = stored_urls(db_url)
    assert stored and sum(size for _, size in calls) == len(stored)  # every document went through a batch
    assert max(size for _, size in calls) == 3 and len(calls) >= len(stored) / 3
    assert {name for name, _ in calls} != {reactor_thread}
    assert all("speechwatch-writer" in name for name, _ in calls)  # the one writer thread, never the reactor's
