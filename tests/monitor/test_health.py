"""Source health from crawl runs: pure checks on run rows, then real crawls of the sample web (layout switch, walls)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from monitor.health import HealthOptions, check_source, source_health
from monitor.sampleweb.server import SampleWeb
from storage.database import Database
from storage.models import CrawlRun
from tests.conftest import SAMPLE_SOURCES
from tests.monitor.test_cli_crawl import run_cli


def runs(*specs: dict) -> list[CrawlRun]:
    now = datetime.now(UTC)
    base = {"status": "finished", "pages_fetched": 10, "documents_new": 0, "documents_updated": 0, "blocked": 0,
            "errors": 0, "list_pages": 2, "article_links": 6, "stats": {}, "error_text": None}  # fmt: skip
    return [CrawlRun(id=i, source="s", started_at=now, finished_at=now, **{**base, **spec}) for i, spec in
            enumerate(specs, start=1)]  # fmt: skip


def problems(rows, **options) -> dict[str, tuple[str, int]]:
    health = check_source("s", rows, HealthOptions(**options))
    return {i.problem: (i.reason, i.since_run_id) for i in health.issues}


def test_a_healthy_source_has_no_issue():
    assert problems(runs({"documents_new": 3}, {}, {"documents_updated": 1})) == {}
    assert check_source("s", []).ok


def test_idle_after_n_runs_without_anything_new_reported_from_where_it_began():
    rows = runs({"documents_new": 2}, *[{}] * 4)
    assert "idle" not in problems(rows)
    assert problems(rows, idle_runs=4)["idle"] == ("nothing new or changed in the last 4 runs", 5)
    longer = runs({"documents_new": 2}, *[{}] * 7)
    assert problems(longer)["idle"][1] == 6  # the run where five idle runs in a row were first reached: stays put


def test_layout_change_error_jump_extraction_failure_and_failing():
    assert "layout" in problems(runs({}, {"article_links": 0}))
    assert problems(runs({"article_links": 0}, {"article_links": 0})) == {}  # never matched: not a change
    jump = problems(runs({"errors": 1}, {"errors": 1}, {"errors": 5}))
    assert jump["errors"][0].startswith("error rate 50% (5 errors on 10 pages), earlier 10%")
    assert "errors" not in problems(runs({"errors": 3}, {"errors": 3}))  # steady, not a jump
    empty = {"stats": {"speechwatch/articles_fetched": 6, "speechwatch/empty_text": 5}}
    assert problems(runs(empty))["extraction"][0].startswith("extraction failed on 5 of 6 article pages")
    failed = problems(runs({}, {"status": "failed", "error_text": "no page could be fetched (site down)\nlog"}))
    assert failed == {"failing": ("last crawl failed: no page could be fetched (site down)", 2)}


def test_blocked_names_the_wall():
    wall = {"status": "blocked", "blocked": 4, "stats": {"speechwatch/blocked/412": 3, "speechwatch/blocked/521": 1}}
    reason, since = problems(runs({}, wall))["blocked"]
    assert reason == "every page behind an anti-bot wall (HTTP 412, 521): needs a browser" and since == 2


def crawl(web: SampleWeb, tmp_path, *sources: str) -> dict:
    args = ["crawl", "--sources", str(SAMPLE_SOURCES), "--db", str(tmp_path / "sw.db"), "--proxy", web.proxy_url]
    for source in sources:
        args += ["--source", source]
    result = run_cli(*args, "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return {r["source"]: r for r in json.loads(result.stdout)}


def test_a_layout_switch_and_anti_bot_walls_are_reported(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'sw.db'}"
    with SampleWeb() as web:
        first = crawl(web, tmp_path, "pingshan-ldjh", "fanwen365")
        assert first["pingshan-ldjh"]["documents_new"] > 0 and first["fanwen365"]["blocked"] == 1
        with Database(db_url) as db:
            walls = {h.source: [(i.problem, i.reason) for i in h.issues] for h in source_health(db)}
        assert walls == {
            "pingshan-ldjh": [("blocked", "1 page(s) behind an anti-bot wall (HTTP 412): needs a browser")],
            "fanwen365": [("blocked", "1 page(s) behind an anti-bot wall (HTTP 200): needs a browser")],  # $_ts page
        }
        assert web.switch_layout("www.pingshan.gov.cn", "redesign") > 0
        second = crawl(web, tmp_path, "pingshan-ldjh")
        assert second["pingshan-ldjh"]["status"] == "finished" and second["pingshan-ldjh"]["documents_stored"] == 0
    result = run_cli("health", "--format", "json", "--db", str(tmp_path / "sw.db"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = {h["source"]: h for h in json.loads(result.stdout)}
    (layout,) = report["pingshan-ldjh"]["issues"]  # the wall is no longer reached: only the layout is reported
    assert layout["problem"] == "layout" and layout["since_run_id"] == second["pingshan-ldjh"]["run_id"]
    assert "0 article links on 3 list page(s), earlier runs found up to" in layout["reason"]
    (fanwen,) = report["fanwen365"]["issues"]
    assert fanwen["problem"] == "blocked"
    table = run_cli("health", "--db", str(tmp_path / "sw.db"), cwd=tmp_path)
    assert "2 of 2 with problems" in table.stdout and "layout" in table.stdout
    digest = run_cli("digest", "--format", "json", "--db", str(tmp_path / "sw.db"), cwd=tmp_path)
    health = {(h["source"], h["problem"]) for h in json.loads(digest.stdout)["source_health"]}
    assert health == {("pingshan-ldjh", "layout"), ("fanwen365", "blocked")}


def test_switch_layout_moves_articles_and_switches_back():
    with SampleWeb() as web:
        web.switch_layout("www.pingshan.gov.cn", "redesign")
        page, status = web.answer("GET", "www.pingshan.gov.cn", "/zwgk/ldjh/index.html", {})
        assert status == 200 and b"/content/post_" in page.body and b'href="/zwgk/ldjh/20' not in page.body
        moved, status = web.answer("GET", "www.pingshan.gov.cn", "/content/post_1.html", {})
        assert status in (200, 412) and moved.truth is not None
        assert web.answer("GET", "www.huzhou.gov.cn", "/col/col1229213526/index.html", {})[1] == 200  # others untouched
        assert web.switch_layout("www.pingshan.gov.cn") == 0
        page, _ = web.answer("GET", "www.pingshan.gov.cn", "/zwgk/ldjh/index.html", {})
        assert b"/content/post_" not in page.body
        assert web.answer("GET", "www.pingshan.gov.cn", "/content/post_1.html", {})[1] == 404
