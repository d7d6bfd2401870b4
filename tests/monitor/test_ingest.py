"""WARC import: real sample-web responses in a gzipped WARC go through the crawl's document path."""

from __future__ import annotations

import http.client
import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.sources import Source
from monitor.cli import main
from monitor.ingest import IngestError, ingest_warc
from monitor.sampleweb.server import SampleWeb
from monitor.sampleweb.speeches import load_speeches
from storage.models import CrawlRun, Document
from storage.runs import get_runs

SOURCE = Source(name="warc-test", kind="gov", start_urls=(), allowed_domains=())

ARTICLES = {  # URL -> speech id; none of them is the flaky page (the session server's counters stay even)
    "http://www.huzhou.gov.cn/art/2022/3/11/art_1229213526_58733461.html": "h03",
    "http://www.huzhou.gov.cn/art/2021/9/17/art_1229213526_57611207.html": "h02",
    "http://www.huzhou.gov.cn/art/2019/7/24/art_1229213526_3826614.html": "h01",
    "http://www.pingshan.gov.cn/zwgk/ldjh/202207/t20220704_9932145.html": "p04",  # header utf-8, bytes GBK
}
GBK_PAGE = "http://www.pingshan.gov.cn/zwgk/ldjh/202207/t20220704_9932145.html"
ANTIBOT_412 = "http://www.pingshan.gov.cn/zwgk/ldjh/202211/t20221103_10120876.html"
ANTIBOT_200 = "http://www.fanwen365.net/jianghua/20240601/240601.html"
ROBOTS = "http://www.huzhou.gov.cn/robots.txt"
RESPONSES = [*ARTICLES, ANTIBOT_412, ANTIBOT_200, ROBOTS]
RECORDS = len(RESPONSES) + 1  # plus one request record


def fetch(web: SampleWeb, url: str) -> tuple[int, str, list[tuple[str, str]], bytes]:
    host, port = web.address
    conn = http.client.HTTPConnection(host, port, timeout=15)
    try:
        conn.request("GET", url)
        response = conn.getresponse()
        return response.status, response.reason, response.getheaders(), response.read()
    finally:
        conn.close()


def write_warc(path: Path, web: SampleWeb, urls: list[str], with_request: bool = True) -> Path:
    """A gzipped WARC of real responses: their HTTP status line and headers as served."""
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        if with_request:
            parts = urlsplit(urls[0])
            request_headers = StatusAndHeaders(
                f"GET {parts.path} HTTP/1.1",
                [("Host", parts.hostname), ("User-Agent", "speechwatch-test")],
                is_http_request=True,
            )
            writer.write_record(
                writer.create_warc_record(urls[0], "request", payload=io.BytesIO(b""), http_headers=request_headers)
            )
        for url in urls:
            status, reason, headers, body = fetch(web, url)
            http_headers = StatusAndHeaders(f"{status} {reason}", headers, protocol="HTTP/1.1")
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http_headers)
            writer.write_record(record)
    return path


@pytest.fixture(scope="module")
def warc_path(sample_web, tmp_path_factory) -> Path:
    return write_warc(tmp_path_factory.mktemp("warc") / "sample.warc.gz", sample_web, RESPONSES)


def stored(db) -> dict[str, Document]:
    with db.read() as session:
        return {d.url: d for d in session.scalars(select(Document))}


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


# -- ingest_warc -------------------------------------------------------------------------------------------


def test_warc_file_is_gzipped_and_holds_the_real_statuses(warc_path):
    from warcio.archiveiterator import ArchiveIterator

    assert warc_path.read_bytes()[:2] == b"\x1f\x8b"
    with warc_path.open("rb") as stream:
        seen = [
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.http_headers.get_statuscode())
            for r in ArchiveIterator(stream)
        ]
    assert len(seen) == RECORDS
    statuses = {url: status for kind, url, status in seen if kind == "response"}
    assert statuses[ANTIBOT_412] == "412"
    assert statuses[ROBOTS] == "200"
    assert all(statuses[url] == "200" for url in ARTICLES)


def test_ingest_stores_articles_with_their_text(database, warc_path):
    run_id, counts = ingest_warc(database, warc_path, SOURCE)

    assert counts.records == RECORDS
    assert counts.pages == len(ARTICLES)
    documents = stored(database)
    assert set(documents) == set(ARTICLES)
    speeches = load_speeches()
    for url, speech_id in ARTICLES.items():
        document = documents[url]
        speech = speeches[speech_id]
        assert document.source == "warc-test" and document.source_kind == "gov"
        assert document.http_status == 200
        assert document.run_id == run_id
        assert document.title == speech.title
        assert document.etag and document.last_modified
        text = squash(document.text)
        assert squash(speech.commitments[0]) in text, url
        assert squash(speech.paragraphs[-1][:30]) in text, url
        assert len(document.text) > 1000
        assert document.raw_size > len(document.text)


def test_ingest_decodes_the_gbk_page_despite_its_utf8_header(database, warc_path):
    ingest_warc(database, warc_path, SOURCE)
    document = stored(database)[GBK_PAGE]
    assert document.encoding == "gb18030"
    assert "招商引资" in document.text
    assert "\ufffd" not in document.text
    assert document.title == load_speeches()["p04"].title


def test_ingest_skips_walls_and_non_html(database, warc_path):
    _, counts = ingest_warc(database, warc_path, SOURCE)
    documents = stored(database)
    assert ANTIBOT_412 not in documents
    assert ANTIBOT_200 not in documents
    assert ROBOTS not in documents
    assert counts.blocked == 2  # the 412 wall and the $_ts challenge served with 200
    assert counts.skipped == 1  # robots.txt (text/plain)
    assert counts.errors == 0


def test_ingest_counts_a_412_wall_as_blocked(sample_web, tmp_path, store_url):
    from storage.database import Database

    path = write_warc(tmp_path / "wall.warc.gz", sample_web, [ANTIBOT_412], with_request=False)
    with Database(store_url) as db:
        _, counts = ingest_warc(db, path, SOURCE)
    assert (counts.blocked, counts.skipped) == (1, 0)


def test_ingest_records_a_finished_run_with_its_counts(database, warc_path):
    run_id, counts = ingest_warc(database, warc_path, SOURCE)
    (run,) = get_runs(database, [run_id])
    assert run.source == "warc-test"
    assert run.status == "finished"
    assert run.finished_at is not None and run.finished_at >= run.started_at
    assert run.pages_fetched == len(ARTICLES)
    assert run.documents_new == len(ARTICLES)
    assert run.documents_updated == 0
    assert run.documents_unchanged == 0
    assert run.blocked == counts.blocked
    assert run.skipped == counts.skipped + counts.blocked
    assert run.errors == 0
    assert run.error_text is None
    assert run.stats == {"warc": str(warc_path), "records": RECORDS}


def test_ingesting_the_same_file_twice_adds_no_rows(database, warc_path):
    first_id, _ = ingest_warc(database, warc_path, SOURCE)
    before = stored(database)
    second_id, counts = ingest_warc(database, warc_path, SOURCE)
    after = stored(database)

    assert second_id != first_id
    assert counts.pages == len(ARTICLES)
    assert set(after) == set(before)
    assert {u: d.id for u, d in after.items()} == {u: d.id for u, d in before.items()}
    assert {u: d.changed_at for u, d in after.items()} == {u: d.changed_at for u, d in before.items()}
    first, second = get_runs(database, [first_id, second_id])
    assert (first.documents_new, first.documents_unchanged) == (len(ARTICLES), 0)
    assert (second.documents_new, second.documents_updated) == (0, 0)
    assert second.documents_unchanged == len(ARTICLES)
    assert second.status == "finished"
    with database.read() as session:
        assert session.scalar(select(func.count(Document.id))) == len(ARTICLES)


def test_ingest_applies_the_source_article_patterns(database, warc_path):
    huzhou_only = Source(
        name="warc-huzhou",
        kind="gov",
        start_urls=(),
        allowed_domains=(),
        articles=(re.compile(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_1229213526_\d+\.html$"),),
    )
    _, counts = ingest_warc(database, warc_path, huzhou_only)
    documents = stored(database)
    assert set(documents) == {url for url in ARTICLES if "huzhou" in url}
    assert all(d.source == "warc-huzhou" for d in documents.values())
    assert counts.pages == 3


def test_non_warc_file_raises_ingest_error_naming_it(database, tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<!DOCTYPE html>\n<html><body>not an archive</body></html>\n", encoding="utf-8")
    with pytest.raises(IngestError) as caught:
        ingest_warc(database, path, SOURCE)
    assert str(path) in str(caught.value)
    assert "not a WARC file" in str(caught.value)
    with database.read() as session:
        runs = list(session.scalars(select(CrawlRun)))
        assert [r.status for r in runs] == ["failed"]  # the run is closed, not left running
        assert str(path) in runs[0].error_text
        assert session.scalar(select(func.count(Document.id))) == 0


def test_gzipped_non_warc_file_raises_ingest_error(database, tmp_path):
    import gzip

    path = tmp_path / "notes.warc.gz"
    path.write_bytes(gzip.compress("你好，这不是WARC\n".encode()))
    with pytest.raises(IngestError, match=re.escape(str(path))):
        ingest_warc(database, path, SOURCE)


def test_missing_file_raises_ingest_error_naming_it(database, tmp_path):
    path = tmp_path / "missing.warc.gz"
    with pytest.raises(IngestError) as caught:
        ingest_warc(database, path, SOURCE)
    assert str(path) in str(caught.value)
    assert "cannot open" in str(caught.value)


# -- the CLI -----------------------------------------------------------------------------------------------


def invoke_ingest(path: Path, db_url: str, tmp_path: Path):
    args = ["ingest", str(path), "--db", db_url, "--source", "warc-test"]
    args += ["--sources", str(tmp_path / "no-sources.toml")]  # not the checkout's sources file, if any
    return CliRunner().invoke(main, args)


def test_cli_ingest_prints_a_summary(warc_path, db_url, tmp_path):
    result = invoke_ingest(warc_path, db_url, tmp_path)
    assert result.exit_code == 0, result.output
    output = squash(result.stdout)
    assert squash(f"{warc_path}: {RECORDS} records, {len(ARTICLES)} pages") in output
    assert "warc-test" in output
    assert "finished" in output

    again = invoke_ingest(warc_path, db_url, tmp_path)
    assert again.exit_code == 0, again.output
    from storage.database import Database

    with Database(db_url) as db, db.read() as session:
        assert session.scalar(select(func.count(Document.id))) == len(ARTICLES)
        runs = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
    assert [r.status for r in runs] == ["finished", "finished"]
    assert [r.documents_new for r in runs] == [len(ARTICLES), 0]
    assert runs[1].documents_unchanged == len(ARTICLES)


def test_cli_ingest_bad_file_exits_1_with_an_error(db_url, tmp_path):
    path = tmp_path / "not-a-warc.warc.gz"
    path.write_text("hello world\n", encoding="utf-8")
    result = invoke_ingest(path, db_url, tmp_path)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    message = result.stderr.replace("\n", "")
    assert message.startswith("error: ")
    assert str(path) in message
    assert "not a WARC file" in message
    assert result.stdout == ""


def test_cli_ingest_missing_file_exits_1(db_url, tmp_path):
    path = tmp_path / "missing.warc"
    result = invoke_ingest(path, db_url, tmp_path)
    assert result.exit_code == 1
    assert str(path) in result.stderr.replace("\n", "")
    assert "cannot open" in result.stderr


def test_cli_ingest_error_is_one_line(store_url, tmp_path):
    """Longer than any console width: still one line, the path whole (rich must not wrap it)."""
    path = tmp_path / ("crawl-of-www.huzhou.gov.cn-" + "x" * 120 + ".warc.gz")
    path.write_text("hello world\n", encoding="utf-8")
    result = invoke_ingest(path, store_url, tmp_path)
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert str(path) in result.stderr


@pytest.mark.parametrize("name", ["pages[huzhou].warc", "a[b].warc", "x[/y].warc"])
def test_cli_ingest_error_names_a_path_with_brackets(store_url, tmp_path, name):
    """The message is not rich markup: brackets in a file name are shown, never eaten or fatal."""
    path = tmp_path / name
    result = invoke_ingest(path, store_url, tmp_path)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert str(path) in result.stderr


@pytest.mark.parametrize("content", ["", "this line has five or more words in it\nmore text\n"])
def test_empty_or_arc_looking_text_is_not_a_warc(tmp_path, store_url, content):
    from storage.database import Database

    path = tmp_path / "notes.warc"
    path.write_text(content, encoding="utf-8")
    with Database(store_url) as db, pytest.raises(IngestError, match="not a WARC file|no WARC records"):
        ingest_warc(db, path, SOURCE)


# -- extraction in worker processes ------------------------------------------------------------------------

WORKER_HOSTS = {  # host -> share of the pages (a skewed mix: one worker gets more hosts than the other)
    "www.alpha.gov.cn": 5,
    "www.beta.gov.cn": 3,
    "www.gamma.gov.cn": 1,
    "www.delta.gov.cn": 1,
}
WORKER_PAGES = 260


def chrome_page(host: str, number: int) -> bytes:
    """An article with its site's chrome (banner, navigation, footer) around a body of its own."""
    site = host.split(".")[1]
    body = "".join(
        f"<p>第{number}篇讲话第{i}段：{site}要持续优化营商环境，推动第{number * 10 + i}项改革落地见效，"
        f"切实为市场主体减负{number + i}亿元。</p>"
        for i in range(4)
    )
    related = f"<p>相关阅读：{site}营商环境专题</p>" if number % 3 == 0 else ""  # chrome on some hosts only
    return (
        f"<html><head><title>{site}讲话{number}</title></head><body><div class='content'>"
        f"<p>欢迎访问{site}人民政府门户网站</p><p>首页 | 政务公开 | {site}新闻</p>"
        f"<h1>{site}讲话{number}</h1><p>发布时间：2023-0{1 + number % 9}-1{number % 10}</p>{body}{related}"
        f"<p>主办单位：{site}人民政府办公室</p></div></body></html>"
    ).encode()


def write_chrome_warc(path: Path) -> list[str]:
    """A WARC of pages of several hosts in a random order (a few URLs twice, one of them changed); its URLs."""
    import random

    rng = random.Random(7)
    hosts = [host for host, share in WORKER_HOSTS.items() for _ in range(share)]
    pages = [(rng.choice(hosts), number) for number in range(WORKER_PAGES)]
    pages += [pages[5], pages[40], pages[200]]  # stored again unchanged
    urls = []
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for index, (host, number) in enumerate(pages):
            url = f"http://{host}/art/{number}.html"
            body = chrome_page(host, number)
            if index == len(pages) - 1:
                body = body.replace("推动".encode(), "加快推动".encode())  # the last one changed
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)
            )
            urls.append(url)
    return urls


@pytest.fixture(scope="module")
def chrome_warc(tmp_path_factory) -> tuple[Path, list[str]]:
    path = tmp_path_factory.mktemp("chrome") / "hosts.warc.gz"
    return path, write_chrome_warc(path)


def ingest_with_workers(path: Path, db_path: Path, workers: str, monkeypatch) -> tuple:
    """Ingest into a fresh SQLite file: the stored documents in id order, the run's counts, the chrome answers
    handed to the re-extraction, and what it did."""
    import monitor.ingest as ingest
    from storage.database import Database

    monkeypatch.setenv("SPEECHWATCH_INGEST_WORKERS", workers)
    seen = {}

    def reextract_run(db, run_id, checks):
        seen["checks"] = {url: tuple(list(keys) for keys in packed) for url, packed in checks.items()}
        seen["result"] = original(db, run_id, checks)
        return seen["result"]

    original = ingest.reextract_run
    monkeypatch.setattr(ingest, "reextract_run", reextract_run)
    with Database(f"sqlite:///{db_path}") as db:
        run_id, counts = ingest_warc(db, path, SOURCE)
        with db.read() as session:
            columns = [
                c.name for c in Document.__table__.columns if not c.name.endswith("_at") or c.name == "published_at"
            ]
            documents = [  # every column (the analysis among them) but the times
                tuple(getattr(d, name) for name in columns)
                for d in session.scalars(select(Document).order_by(Document.id))
            ]
        (run,) = get_runs(db, [run_id])
    run_counts = (run.status, run.pages_fetched, run.documents_new, run.documents_updated, run.documents_unchanged)
    return documents, (counts, run_counts), seen["checks"], seen["result"]


@pytest.fixture(scope="module")
def loop_ingest(chrome_warc, tmp_path_factory) -> tuple:
    """The chrome WARC ingested with no workers (what the other ways must store)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        return ingest_with_workers(chrome_warc[0], tmp_path_factory.mktemp("loop") / "loop.db", "0", monkeypatch)


def test_workers_store_what_the_loop_stores(chrome_warc, loop_ingest, tmp_path, monkeypatch, caplog):
    path, urls = chrome_warc
    caplog.set_level("INFO", logger="monitor.ingest_workers")
    loop = loop_ingest
    assert "worker processes" not in caplog.text
    workers = ingest_with_workers(path, tmp_path / "workers.db", "2", monkeypatch)
    assert re.search(rf"{len(urls)} pages extracted in 2 worker processes, 0 in this one", caplog.text)

    documents, counts, checks, reextracted = loop
    assert len(documents) == len(set(urls)) == WORKER_PAGES
    status, fetched, new, updated, unchanged = counts[1]
    assert (status, fetched, new, updated + unchanged) == ("finished", len(urls), WORKER_PAGES, 3)
    assert updated >= 1  # the changed page, and any early page met again once its site's chrome was known
    # the sites' chrome was learned during the run: each host's first page knew none, later ones did
    for host in WORKER_HOSTS:
        pages = [url for url in urls if urlsplit(url).hostname == host]
        learned = [bool(checks[url][0]) for url in pages if urls.count(url) == 1]  # a repeat's answers are its last
        assert not any(bool(checks[url][0]) for url in pages[:3] if urls.count(url) == 1), host  # too few pages
        assert sum(learned) >= len(learned) // 2, host
    assert reextracted.changed > 0  # the early pages, extracted before their site's chrome was known
    assert workers == loop


@pytest.mark.parametrize("failure", ["raises", "dies"])
def test_a_failing_worker_costs_the_head_start_not_the_run(
    chrome_warc, loop_ingest, tmp_path, monkeypatch, caplog, failure
):
    import monitor.ingest_workers as ingest_workers
    from monitor.workers import shutdown_all

    shutdown_all()  # new worker processes: the failing jobs count their calls from zero
    path, urls = chrome_warc
    caplog.set_level("INFO", logger="monitor.ingest_workers")
    monkeypatch.setattr(ingest_workers, "extract_batch", failing_batch if failure == "raises" else dying_batch)
    monkeypatch.setattr(ingest_workers, "WINDOW", 60)  # some results taken before the failure, some after
    failed = ingest_with_workers(path, tmp_path / "failed.db", "2", monkeypatch)

    assert "page extraction in a worker failed; extracting the rest in this process" in caplog.text
    match = re.search(r"(\d+) pages extracted in 2 worker processes, (\d+) in this one", caplog.text)
    assert match and int(match[1]) > 0 and int(match[2]) > 0
    assert int(match[1]) + int(match[2]) == len(urls)  # every page once
    assert failed == loop_ingest  # the pages extracted here after the failure learned from those taken before


JOBS_BEFORE_FAILING = 2
_jobs = 0


def failing_batch(setting, items: list) -> list:
    """A worker's job that works twice, then raises (runs in the spawned worker: imported there by name)."""
    global _jobs
    from monitor.ingest_workers import extract_batch

    _jobs += 1
    if _jobs > JOBS_BEFORE_FAILING:
        raise RuntimeError("worker failed (test)")
    return extract_batch(setting, items)


def dying_batch(setting, items: list) -> list:
    """A worker's job that works twice, then ends its process (a broken pool)."""
    import os

    if _jobs >= JOBS_BEFORE_FAILING:
        os._exit(3)
    return failing_batch(setting, items)


def test_the_ingest_worker_count_comes_from_the_environment(monkeypatch, chrome_warc, tmp_path):
    from monitor.ingest_workers import ENV_WORKERS, PageExtractor, ingest_workers
    from monitor.profiles import SiteProfiles
    from storage.database import Database

    monkeypatch.delenv(ENV_WORKERS, raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert ingest_workers() == 2
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert ingest_workers() == 0
    monkeypatch.setattr("os.cpu_count", lambda: None)
    assert ingest_workers() == 0
    for value, workers in (("0", 0), (" 3 ", 3), ("-1", 0), ("", 0)):
        monkeypatch.setenv(ENV_WORKERS, value)
        assert ingest_workers() == workers
    monkeypatch.setenv(ENV_WORKERS, "two")
    with pytest.raises(ValueError, match=f"{ENV_WORKERS} must be a whole number of worker processes, not 'two'"):
        ingest_workers()
    with Database(f"sqlite:///{tmp_path / 'bad.db'}") as db:
        with pytest.raises(ValueError, match=ENV_WORKERS):
            ingest_warc(db, chrome_warc[0], SOURCE)
        with db.read() as session:
            assert session.scalar(select(func.count(CrawlRun.id))) == 0  # refused before a run was started
    with Database("sqlite://") as db:  # in memory: a worker would open an empty database of its own
        assert PageExtractor(db, SiteProfiles(db), workers=2).workers == 0
