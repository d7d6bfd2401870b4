"""``speechwatch query`` and the search API: filters, ranking, pages, snippets, copies, output formats."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from monitor.cli import main
from monitor.commitments.track import mine_commitments
from monitor.dedup.cluster import cluster_documents
from monitor.query import MARK_END, MARK_START, SearchFilters, search_commitments, search_speeches, snippet
from storage.documents import store_documents
from tests.monitor.commitments.test_track import SPEECH, record
from tests.storage.search_corpus import populate


def names(page, ids) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    return [by_id[h.speech_id] for h in page.hits]


def test_speech_filters(database):
    ids = populate(database)

    def found(query="", **filters) -> set[str]:
        return set(names(search_speeches(database, query, SearchFilters(**filters), limit=50), ids))

    assert found(region="33") == found(region="330000") == {"huzhou", "hangzhou", "notice"}
    assert found(region="3305") == {"huzhou", "notice"}
    assert found("营商环境", region="440300") == {"shenzhen"}
    assert found(speaker="張三") == {"huzhou"}  # traditional filter, simplified speaker
    assert found(organization="深圳市") == {"shenzhen"}
    assert found(doc_type="speech_report") == {"hangzhou"}
    assert found(source_kind="template") == {"shenzhen", "punctuation"}
    assert found(date_from="2020", date_to="2021-03") == {"huzhou", "shenzhen"}
    assert found(date_from="2021-03-15") == {"shenzhen", "punctuation"}  # dated to the month: its month counts
    assert found(date_to="2019-12-31") == {"hangzhou"}
    assert found(topic="innovation") == {"hangzhou"}
    assert found(has_commitments=True) == {"huzhou", "shenzhen"}
    assert found("营商环境", has_commitments=False) == {"notice"}
    assert found(status="overdue", today="2024-01-01") == {"huzhou"}
    assert found(overdue=True, today="2020-01-01") == set()
    assert found(commitment_topic="approvals", strength="strong") == {"shenzhen"}
    assert found(deadline_from="2099") == {"shenzhen"}


def test_commitment_search_and_filters(database):
    ids = populate(database)

    def texts(query="", **filters) -> list[str]:
        return [h.text for h in search_commitments(database, query, SearchFilters(**filters), limit=50).hits]

    assert texts("审批") == ["審批時間壓縮至1個工作日", "要深化“不见面审批”改革"]  # newest speech first
    assert texts("1.5亿") == [] and texts('"1.5亿"', include_cited=True) == ["省政府工作报告提出新增贷款1.5亿元"]
    assert texts(status="overdue", today="2024-01-01") == ["确保2020年9月底前至少完成一宗“标准地”出让"]
    assert texts(status="done") == ["審批時間壓縮至1個工作日"]
    assert texts(strength="strong", deadline_to="2020-12") == ["确保2020年9月底前至少完成一宗“标准地”出让"]
    assert texts(commitment_topic="land", region="3305") == ["确保2020年9月底前至少完成一宗“标准地”出让"]
    assert texts("网办", speaker="李四") == ["要在年底前實現企業開辦全程網辦"]
    hit = search_commitments(database, "标准地", SearchFilters(today="2024-01-01")).hits[0]
    assert hit.status == "overdue" and hit.speech_id == ids["huzhou"] and hit.url == "http://gov.huzhou/1"
    assert hit.snippet == f"确保2020年9月底前至少完成一宗“{MARK_START}标准地{MARK_END}”出让"


def test_ranking_pages_snippets_and_copies(database):
    ids = populate(database)
    page = search_speeches(database, "营商环境")  # all three have it in the text; the notice has no date
    assert names(page, ids) == ["shenzhen", "huzhou", "notice"] and [h.score for h in page.hits] == [1, 1, 1]
    page = search_speeches(database, "融资 大会")  # only huzhou's title has 大会
    assert names(page, ids) == ["huzhou"] and page.hits[0].score == 1
    first = search_speeches(database, "营商环境", limit=2)
    rest = search_speeches(database, "营商环境", limit=2, offset=2)
    assert (first.total, rest.total, first.next_offset, rest.next_offset) == (3, 3, 2, None)
    assert names(first, ids) + names(rest, ids) == ["shenzhen", "huzhou", "notice"]
    beyond = search_speeches(database, "营商环境", offset=10)
    assert beyond.hits == [] and beyond.total == 3
    hit = search_speeches(database, "融资", SearchFilters(region="3305"), include_copies=True).hits[0]
    assert hit.title_marked == "在全市优化营商环境大会上的讲话" and f"{MARK_START}融资{MARK_END}难" in hit.snippet
    assert [(c.canonical, c.source_kind) for c in hit.copy_list] == [(True, "gov"), (False, "template")]
    assert hit.copies == 2 and hit.commitments == 2 and hit.url == "http://gov.huzhou/1"


def test_snippet_window_and_markers():
    text = "前言。" * 50 + "这里有融资难题，融资。" + "结尾。" * 50
    marked = snippet(text, ["融资"], width=40)
    assert marked.startswith("…") and marked.endswith("…") and marked.count(MARK_START) == 2
    assert snippet("一⟦二⟧三", ["二"]) == f"一[{MARK_START}二{MARK_END}]三"  # markers never come from the text
    assert snippet("無關", []) == "無關" and snippet(None, ["x"]) == ""


def test_the_real_write_path_indexes_speeches_and_commitments(database):
    store_documents(database, [record("http://gov/full", SPEECH)])
    cluster_documents(database)
    mine_commitments(database)
    assert search_speeches(database, "標準地").total == 1
    assert search_commitments(database, "标准地").hits[0].deadline == "2020-09-30"


def test_cli_formats_and_errors(database):
    populate(database)
    runner = CliRunner()
    base = ["query", "--db", database.url]
    result = runner.invoke(main, [*base, "融资", "--include-copies"])
    assert (
        result.exit_code == 0
        and "在全市优化营商环境大会上的讲话" in result.output
        and "http://tpl.example" in result.output
    )
    result = runner.invoke(main, [*base, "融资", "--format", "json", "--limit", "1"])
    data = json.loads(result.stdout)
    assert data["ok"] and data["total"] == 2 and data["next_offset"] == 1 and MARK_START in data["hits"][0]["snippet"]
    result = runner.invoke(main, [*base, "审批", "--what", "commitments", "--format", "jsonl"])
    assert [json.loads(line)["commitment_id"] for line in result.stdout.splitlines()] and result.exit_code == 0
    result = runner.invoke(main, [*base, "审批", "--what", "commitments", "--format", "table", "--status", "done"])
    assert "審批時間壓縮至1個工作日" in result.output
    result = runner.invoke(main, [*base, "--region", "3305", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))  # notes go to standard error
    assert {r["region_code"] for r in rows} == {"330500"}
    result = runner.invoke(main, [*base, "。，！"])
    assert result.exit_code == 1 and "nothing to search for" in result.output and "Traceback" not in result.output
    result = runner.invoke(main, [*base, "融资", "--date-from", "someday"])
    assert result.exit_code == 1 and "not a date" in result.output
    result = runner.invoke(main, [*base, "融" * 300, "--format", "json"])
    assert result.exit_code == 0 and "cut to its first 200" in json.loads(result.stdout)["notices"][0]
