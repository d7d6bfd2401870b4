"""The real Scrapy engine over the hostile sample site: every case ends as ``hostile.toml`` says, the run finishes,
each skip is counted and logged with its reason, and nothing stored is lost or stored twice."""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_twisted
from sqlalchemy import select

from crawler.extensions import skip_counts
from monitor.sampleweb.hostile import DIRECTORY, HOST, MB, build_hostile
from monitor.sampleweb.server import SampleWeb
from monitor.sampleweb.speeches import load_speeches
from storage.database import Database
from storage.models import CrawlRun, Document
from tests.conftest import crawl_in_process
from tests.faults.conftest import HOSTILE_SOURCES, Canary

SOURCE = "xinqiao-ldjh"
CASES = tomllib.loads((DIRECTORY / "hostile.toml").read_text(encoding="utf-8"))["case"]
CONTROL = re.compile(r"[\x00-\x1f\s]")


@dataclass
class Crawl:
    stats: dict
    logs: list[str]


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@contextmanager
def collected_logs() -> Iterator[list[str]]:
    handler = Collect()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def crawl(db_url: str, proxy: str, sources: Path = HOSTILE_SOURCES, source: str = SOURCE) -> Crawl:
    with collected_logs() as lines:
        stats = await crawl_in_process(source, db_url, proxy, sources=sources)
    return Crawl(stats, lines)


_TWICE: dict[str, tuple[Crawl, Crawl, dict, dict]] = {}


async def crawled_twice(hostile_web: SampleWeb, tmp_path_factory) -> tuple[Crawl, Crawl, dict, dict]:
    """Two crawls of the hostile site into one SQLite store (done once per session); documents after each."""
    if not _TWICE:
        db_url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'sw.db'}"
        first = await crawl(db_url, hostile_web.proxy_url)
        after_first = documents(db_url)
        second = await crawl(db_url, hostile_web.proxy_url)
        _TWICE["runs"] = (first, second, after_first, documents(db_url))
        _TWICE["db"] = db_url
    return _TWICE["runs"]


def documents(db_url: str) -> dict[str, dict]:
    with Database(db_url) as db, db.read() as session:
        rows = session.scalars(select(Document)).all()
        return {
            d.url: {"id": d.id, "hash": d.content_hash, "text": d.text, "changed_at": d.changed_at, "title": d.title}
            for d in rows
        }


def squeeze(text: str) -> str:
    return CONTROL.sub("", text)


def logged(crawl: Crawl, *needles: str) -> bool:
    return any(all(n in line for n in needles) for line in crawl.logs)


@pytest.mark.parametrize("case", CASES, ids=[c["kind"] + "-" + c["id"] for c in CASES])
@pytest_twisted.ensureDeferred
async def test_each_hostile_page_ends_as_its_case_says(hostile, hostile_web, tmp_path_factory, case):
    first, second, stored, stored_again = await crawled_twice(hostile_web, tmp_path_factory)
    url = next(c["url"] for c in hostile.cases if c["id"] == case["id"])
    expect = case["expect"]
    if expect.startswith("skipped:"):
        reason = expect.removeprefix("skipped:")
        assert url not in stored and url not in stored_again
        assert first.stats[f"speechwatch/skipped/{reason}"] >= 1
        assert logged(first, f"skipped ({reason})", url)
    elif expect == "blocked":
        assert url not in stored and first.stats["speechwatch/blocked"] == 1
        assert logged(first, "anti-bot wall", url)
    else:
        assert url in stored
        text = squeeze(stored[url]["text"])
        speech = load_speeches()[case["speech"]]  # the page's own text, decoded right, first to last paragraph
        assert squeeze(speech.paragraphs[0]) in text and squeeze(speech.paragraphs[-1]) in text
        before, after = stored[url], stored_again[url]
        assert after["id"] == before["id"]
        if expect == "updated":  # the text itself changes on every fetch: a new version each run
            assert after["hash"] != before["hash"] and after["changed_at"] >= before["changed_at"]
            assert "位市民通过网上留言参与讨论" in after["text"]
        else:  # stored, or only its chrome changes: never re-stored
            assert (after["hash"], after["text"], after["changed_at"]) == (
                before["hash"],
                before["text"],
                before["changed_at"],
            )


@pytest_twisted.ensureDeferred
async def test_the_run_finishes_and_records_every_skip(hostile, hostile_web, tmp_path_factory):
    first, second, stored, _ = await crawled_twice(hostile_web, tmp_path_factory)
    with Database(_TWICE["db"]) as db, db.read() as session:
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
    assert [r.status for r in runs] == ["finished", "finished"]
    storable = [c for c in CASES if c["expect"] in ("stored", "unchanged", "updated")]
    assert runs[0].documents_new == len(storable) == len(stored)
    assert (runs[1].documents_new, runs[1].documents_updated) == (0, 1)  # only the page whose text changes
    assert runs[1].documents_unchanged == len(storable) - 1
    for run, crawl in zip(runs, (first, second), strict=True):
        assert run.errors == 0 and "log_count/ERROR" not in crawl.stats
        assert run.skipped == sum(skip_counts(crawl.stats).values())
        assert run.blocked == 1
        assert logged(crawl, "skipped by reason:", "too_large 3", "offsite 3000", "private_address 9")


@pytest_twisted.ensureDeferred
async def test_big_pages_are_cut_off_not_read_to_the_end(hostile, hostile_web, tmp_path_factory):
    first, *_ = await crawled_twice(hostile_web, tmp_path_factory)
    assert first.stats["speechwatch/skipped/too_large"] == 3  # 50 MB chunked, 50 MB declared, gzip bomb
    chunked, declared = hostile.case("huge_chunked")["path"], hostile.case("huge_declared")["path"]
    maxsize = 20 * MB
    assert hostile.streamed[chunked] < maxsize + 8 * MB  # cut soon after DOWNLOAD_MAXSIZE, not read to 50 MB
    assert hostile.streamed[declared] < 8 * MB  # refused on its Content-Length
    assert logged(first, "during decompression", hostile.url("gzip_bomb"))
    assert logged(first, "larger than download max size", hostile.url("huge_declared"))


@pytest_twisted.ensureDeferred
async def test_the_endless_calendar_ends_at_the_depth_limit(hostile, hostile_web, tmp_path_factory):
    first, *_ = await crawled_twice(hostile_web, tmp_path_factory)
    assert first.stats["request_depth_max"] == 50 and first.stats["depth/request_ignored_count"] >= 1
    assert first.stats["speechwatch/list_pages"] <= 3 + 2 * 50 + 1  # 3 column pages + ≤50 days each way
    assert logged(first, "skipped by reason:", "depth_limit")


@pytest_twisted.ensureDeferred
async def test_the_endless_calendar_ends_at_max_pages(hostile_web, tmp_path):
    sources = tmp_path / "capped.toml"
    sources.write_text(HOSTILE_SOURCES.read_text(encoding="utf-8") + "max_pages = 8\n", encoding="utf-8")
    capped = await crawl(f"sqlite:///{tmp_path / 'sw.db'}", hostile_web.proxy_url, sources=sources)
    assert capped.stats["speechwatch/list_pages"] <= 8 and capped.stats["speechwatch/list_pages_capped"] >= 1
    assert logged(capped, "max_pages (8 list pages) reached")
    assert capped.stats["finish_reason"] == "finished"


@pytest_twisted.ensureDeferred
async def test_off_site_and_private_links_are_never_requested(hostile, hostile_web, canary, tmp_path_factory):
    first, *_ = await crawled_twice(hostile_web, tmp_path_factory)
    assert first.stats["offsite/filtered"] == first.stats["offsite/domains"] == 3000
    assert first.stats["speechwatch/skipped/private_address"] == 9  # 127.0.0.1, localhost, ::1, 10/8, 172.16/12 …
    assert {r.host for r in hostile_web.fetched()} == {HOST}  # the proxy saw nothing else
    assert canary.requests == []  # nor did the loopback port the page links to
    assert logged(first, "skipped (private_address)", "169.254.169.254")


@pytest_twisted.ensureDeferred
async def test_telnet_console_and_remote_control_are_not_started(hostile_web, tmp_path_factory):
    first, *_ = await crawled_twice(hostile_web, tmp_path_factory)
    enabled = next(line for line in first.logs if line.startswith("Enabled extensions"))
    assert "CrawlRunRecorder" in enabled
    assert "TelnetConsole" not in enabled and "RemoteControl" not in enabled


@pytest_twisted.ensureDeferred
async def test_a_source_that_allows_private_addresses_reaches_them(tmp_path):
    """Without a proxy, a source on 127.0.0.1 with ``allow_private = true`` is crawled, links to its own host (any
    port) are followed; other private hosts stay off-site and are never connected to."""
    with Canary() as canary:
        hostile = build_hostile(canary_port=canary.port)
        with SampleWeb(sites={"127.0.0.1": hostile.site}) as web:
            port = web.address[1]
            sources = tmp_path / "intranet.toml"
            sources.write_text(
                '[[source]]\nname = "intranet"\nkind = "gov"\nallow_private = true\n'
                f'start_urls = ["http://127.0.0.1:{port}/zwgk/ldjh/index_2.html"]\n'
                "articles = ['/zwgk/ldjh/\\d{6}/t\\d{8}_\\d+\\.html$']\n",
                encoding="utf-8",
            )
            result_db = f"sqlite:///{tmp_path / 'sw.db'}"
            result = await crawl(result_db, "", sources=sources, source="intranet")
    assert "/zwgk/ldjh/202401/t20240101_1.html" in canary.requests  # the loopback link was fetched
    assert "speechwatch/skipped/private_address" not in result.stats
    # the other 8 private links (localhost, ::1, 10.0.0.8 …) are not the source's host, nor are the 3000 .invalid
    assert result.stats["offsite/filtered"] == 3000 + 8
    assert f"http://127.0.0.1:{port}{hostile.case('ok')['path']}" in documents(result_db)


BECOMES = {  # case id -> what its page serves on the second crawl
    "20240101": b"",  # ok: empty
    "20240102": "huge",  # ok: a 50 MB stream
    "20240103": b"<html><body><script>document.write(decrypt(window.__DATA__))</script></body></html>",  # no text
    "20240106": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",  # binary
    "20240112": b"<html><script>$_ts=window['$_ts'];</script></html>",  # an anti-bot wall
}


@pytest_twisted.ensureDeferred
async def test_stored_documents_survive_their_pages_turning_hostile(tmp_path):
    """A stored article that later comes back empty, binary, without text, walled or 50 MB keeps its stored copy."""
    hostile = build_hostile()
    db_url = f"sqlite:///{tmp_path / 'sw.db'}"
    huge = hostile.site.pages[hostile.case("huge_chunked")["path"]]
    with SampleWeb(sites={HOST: hostile.site}) as web:
        await crawl(db_url, web.proxy_url)
        before = documents(db_url)
        for case in hostile.cases:
            if case["id"] in BECOMES:
                page = hostile.site.pages[case["path"]]  # the server holds the same object: changed in place
                if BECOMES[case["id"]] == "huge":
                    page.body, page.stream, page.stream_length = b"", huge.stream, None
                else:
                    page.body = BECOMES[case["id"]]
        again = await crawl(db_url, web.proxy_url)
    after = documents(db_url)
    live = hostile.url("changing_text")  # its text changes on every fetch: rightly updated
    assert {u: d for u, d in after.items() if u != live} == {u: d for u, d in before.items() if u != live}
    assert {c["url"] for c in hostile.cases if c["id"] in BECOMES} <= set(before)
    skipped = {r: again.stats.get(f"speechwatch/skipped/{r}") for r in ("empty", "binary", "no_text", "too_large")}
    assert skipped == {"empty": 2, "binary": 3, "no_text": 1, "too_large": 4}  # the hostile cases + turned articles
    assert again.stats["speechwatch/blocked"] == 2  # the wall case, and the article now behind one
    assert again.stats.get("speechwatch/documents_new", 0) == 0


@pytest.mark.postgres
@pytest_twisted.ensureDeferred
async def test_hostile_pages_store_cleanly_into_postgresql(hostile_web, postgres_url):
    """PostgreSQL refuses NUL in text: the tag-soup page carries one, and nothing fails to store."""
    result = await crawl(postgres_url, hostile_web.proxy_url)
    assert not result.stats.get("speechwatch/store_errors") and "log_count/ERROR" not in result.stats
    storable = [c for c in CASES if c["expect"] in ("stored", "unchanged", "updated")]
    assert len(documents(postgres_url)) == result.stats["speechwatch/documents_new"] == len(storable)
