"""``speechwatch crawl`` and ``demo`` end to end: real child processes, real Scrapy, real SQLite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.sampleweb.site import default_sites, ground_truth
from tests.conftest import SAMPLE_SOURCES

ROOT = Path(__file__).parents[2]
SPEECHWATCH = [sys.executable, "-m", "monitor.cli"]


def run_cli(*args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPEECHWATCH_") or k == "SPEECHWATCH_CACHE_DIR"}
    env["SPEECHWATCH_LOG_DIR"] = str(cwd / "logs")
    return subprocess.run(
        [*SPEECHWATCH, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def articles_of(host: str) -> int:
    kinds = {"speech", "speech_report", "notice", "repost", "multi"}
    return sum(1 for r in ground_truth(default_sites()) if r["kind"] in kinds and host in r["url"])


def test_crawl_twice_stores_each_article_once(sample_web, tmp_path):
    args = ["crawl", "--sources", str(SAMPLE_SOURCES), "--source", "fanwen365", "--source", "huzhou-ldjh"]
    args += ["--db", str(tmp_path / "sw.db"), "--proxy", sample_web.proxy_url, "--format", "json"]
    first = run_cli(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    runs = {r["source"]: r for r in json.loads(first.stdout)}
    assert runs["fanwen365"]["status"] == "finished" and runs["fanwen365"]["blocked"] == 1
    assert runs["fanwen365"]["documents_new"] == articles_of("www.fanwen365.net")
    assert runs["huzhou-ldjh"]["documents_new"] == articles_of("www.huzhou.gov.cn")

    second = run_cli(*args, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    again = {r["source"]: r for r in json.loads(second.stdout)}
    assert all(r["documents_stored"] == 0 for r in again.values())
    assert again["huzhou-ldjh"]["documents_unchanged"] == articles_of("www.huzhou.gov.cn")
    assert len(list((tmp_path / "logs").glob("run-*.log"))) == 4


def test_demo_twice_stores_nothing_twice(tmp_path):
    first = run_cli("demo", "--db", str(tmp_path / "demo.db"), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "pingshan-ldjh" in first.stdout and "anti-bot" in first.stdout
    second = run_cli("demo", "--db", str(tmp_path / "demo.db"), "--format", "json", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    runs = json.loads(second.stdout)
    assert {r["source"] for r in runs} == {"pingshan-ldjh", "huzhou-ldjh", "gwfanwen", "fanwen365"}
    assert sum(r["documents_stored"] for r in runs) == 0
    assert sum(r["documents_unchanged"] for r in runs) == 26

    listed = run_cli("speeches", "list", "--format", "json", "--db", str(tmp_path / "demo.db"), cwd=tmp_path)
    speeches = json.loads(listed.stdout)
    assert sum(s["copies"] for s in speeches) == 26  # every document is a copy of exactly one speech
    assert len(speeches) == 19  # 26 pages: 7 reposts folded into their speech
    datong = next(s for s in speeches if s["speaker"] == "任希杰")
    shown = run_cli(
        "speeches", "show", str(datong["id"]), "--format", "json", "--db", str(tmp_path / "demo.db"), cwd=tmp_path
    )
    record = json.loads(shown.stdout)
    assert record["copies"] == 2 and record["speech_date"] == "2020-08"
    assert {c["truncated"] for c in record["copy_list"]} == {True, False}
    assert record["canonical_reason"].startswith("most complete")
    exported = run_cli("export", "--what", "speeches", "--db", str(tmp_path / "demo.db"), cwd=tmp_path)
    lines = exported.stdout.splitlines()
    assert len(lines) == 19 and all(json.loads(line)["copy_list"] for line in lines)


def test_a_dead_site_is_recorded_as_failed(sample_web, tmp_path):
    sources = tmp_path / "dead.toml"
    sources.write_text(
        '[[source]]\nname = "dead"\nkind = "gov"\nstart_urls = ["http://www.no-such-site.gov.cn/index.html"]\n'
        "articles = ['/art/']\n",
        encoding="utf-8",
    )
    result = run_cli(
        "crawl", "--sources", str(sources), "--db", str(tmp_path / "sw.db"), "--proxy", sample_web.proxy_url,
        "--format", "json", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (run,) = json.loads(result.stdout)
    assert run["status"] == "failed" and run["documents_stored"] == 0
    assert "no page could be fetched" in run["error"]


GOOD = '[[source]]\nname = "x"\nkind = "gov"\nstart_urls = ["http://a.gov.cn/"]\narticles = ["a"]\n'


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (GOOD.replace('["a"]', '["(["]'), "field 'articles': bad regex"),
        (GOOD.replace('"gov"', '"news"'), "field 'kind'"),
        (GOOD + 'schedule = "99 * * * *"\n', "field 'schedule'"),
        (GOOD + 'folow = ["b"]\n', "unknown field(s) ['folow']"),
        (GOOD + 'timezone = "Mars/Olympus"\n', "field 'timezone'"),
        ("[[source]\n", "not valid TOML"),
    ],
)
def test_a_bad_sources_file_fails_fast_with_one_clear_line(tmp_path, content, expected):
    sources = tmp_path / "sources.toml"
    sources.write_text(content, encoding="utf-8")
    result = run_cli("crawl", "--sources", str(sources), "--db", str(tmp_path / "sw.db"), cwd=tmp_path)
    assert result.returncode == 1
    assert expected in result.stderr and str(sources) in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "logs").exists()  # nothing ran


def test_an_unknown_source_name_is_an_error(tmp_path):
    result = run_cli(
        "crawl",
        "--sources",
        str(SAMPLE_SOURCES),
        "--source",
        "nope",
        "--db",
        str(tmp_path / "x.db"),
        cwd=tmp_path,
    )
    assert result.returncode == 1 and "unknown source(s) ['nope']" in result.stderr


def test_an_unreachable_database_is_one_line(tmp_path):
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:9/none"
    result = run_cli("crawl", "--sources", str(SAMPLE_SOURCES), "--db", unreachable, cwd=tmp_path)
    assert result.returncode == 1 and "database error" in result.stderr and "Traceback" not in result.stderr


def test_scrapy_sees_the_project_and_its_spider():
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["source"]


def test_a_crawl_killed_half_way_leaves_whole_rows_and_the_rerun_completes(sample_web, tmp_path):
    import signal
    import time

    from sqlalchemy import select

    from storage.database import Database
    from storage.documents import decompress_html
    from storage.models import CrawlRun, Document

    db_path = tmp_path / "sw.db"
    args = ["crawl", "--sources", str(SAMPLE_SOURCES), "--source", "gwfanwen", "--db", str(db_path)]
    args += ["--proxy", sample_web.proxy_url, "--format", "json"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPEECHWATCH_") or k == "SPEECHWATCH_CACHE_DIR"}
    env.update(SPEECHWATCH_LOG_DIR=str(tmp_path / "logs"), SPEECHWATCH_BATCH_SIZE="1")
    parent = subprocess.Popen([*SPEECHWATCH, *args], cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    stored = 0
    while time.monotonic() < deadline and stored < 2:
        time.sleep(0.2)
        if db_path.exists():
            with Database(f"sqlite:///{db_path}") as db, db.read() as session:
                stored = len(session.scalars(select(Document.id)).all())
    assert stored >= 2, "the crawl never stored anything"
    child = subprocess.run(
        ["pgrep", "-f", "scrapy crawl source -a source=gwfanwen"], capture_output=True, text=True, check=False
    )
    for pid in child.stdout.split():
        os.kill(int(pid), signal.SIGKILL)
    out, _ = parent.communicate(timeout=60)
    (run,) = json.loads(out)
    assert run["status"] == "failed" and "code -9" in run["error"]

    with Database(f"sqlite:///{db_path}") as db, db.read() as session:
        rows = session.scalars(select(Document)).all()
    expected = articles_of("www.gwfanwen.com")
    assert 2 <= len(rows) < expected
    assert all(r.text and decompress_html(r.raw_html) and r.content_hash for r in rows)

    rerun = run_cli(*args, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    with Database(f"sqlite:///{db_path}") as db, db.read() as session:
        urls = session.scalars(select(Document.url)).all()
        statuses = session.scalars(select(CrawlRun.status).order_by(CrawlRun.id)).all()
    assert len(urls) == len(set(urls)) == expected
    assert statuses == ["failed", "finished"]
