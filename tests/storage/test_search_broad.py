"""Broad searches: the capped total, and the early-stop page that must equal ranking every hit, on both back ends.

The cap is set low (``total_cap=5``) so that a corpus of 30 speeches has broad queries; the window of newest
rows is shrunk in some runs so that the walk has to give up and the full ranking answers.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from monitor.dedup.canonical import refresh_speech
from monitor.query import SearchFilters, search_speeches
from storage.database import Database
from storage.documents import store_documents
from storage.models import Commitment, Document, Speech
from storage.search import broad
from tests.storage.search_corpus import record

CAP = 5
QUERIES = ["营商环境", "營商環境", "审批", "融", "营商环境 审批", "审批 融资", '"优化 营商环境"', "讲话", "没有"]
FILTERS = [SearchFilters(), SearchFilters(region="33"), SearchFilters(date_from="2021"),
           SearchFilters(has_commitments=True)]  # fmt: skip
PAGES = [(4, 0), (4, 3), (3, 9), (10, 20)]  # (limit, offset)
DATES = ["2021-03-05", "2021-03", "2021", None, "2020-12-31", "2021-03-05", "2022-01-01", "2019-07"]


def speech_text(n: int) -> tuple[str, str]:
    """(title, text): most texts have the common words, some titles too, a few speeches have none."""
    title = ["在全市大会上的讲话", "优化营商环境工作会议讲话", "不见面审批推进会讲话", "数字经济会议"][n % 4]
    body = "同志们：\n今天召开会议。"
    if n % 5 != 4:
        body += "要持续优化营商环境，深化“不见面审批”改革。"
    if n % 3 == 0:
        body += "解决企业融资难问题。"
    return title, body


def populate(db: Database, count: int = 30) -> None:
    store_documents(db, [record(f"http://broad/{n}", speech_text(n)[1], "gov", False, speech_text(n)[0],
                                {"region_code": "330500" if n % 2 else "440300",
                                 "speech_date": DATES[n % len(DATES)], "doc_type": "speech"})
                         for n in range(count)])  # fmt: skip
    now = datetime.now(UTC)
    with db.write() as session:
        for n in range(count):
            speech = Speech(created_at=now, updated_at=now, copies=0)
            session.add(speech)
            session.flush()
            session.scalar(select(Document).where(Document.url == f"http://broad/{n}")).speech_id = speech.id
            session.flush()
            refresh_speech(session, speech.id)
            if n % 4 == 1:
                pledge = {"text": "要在年底前完成", "action": "完成", "status": "new", "cited": False, "flagged": True}
                session.add(Commitment(speech_id=speech.id, key=f"b{n}", created_at=now, updated_at=now, **pledge))


def pages(db: Database) -> list:
    """Every query × filter × page, with the cap; checked against the full ranking on the way."""
    out = []
    for query in QUERIES:
        for filters in FILTERS:
            for limit, offset in PAGES:
                page = search_speeches(db, query, filters, limit, offset, total_cap=CAP)
                full = search_speeches(db, query, filters, limit, offset, total_cap=10**6)
                assert [(h.speech_id, h.score) for h in page.hits] == [(h.speech_id, h.score) for h in full.hits]
                cut_short = 0 < len(page.hits) < limit  # the last page: its end is the exact total
                assert page.total_capped == (full.total > CAP and not cut_short), (query, filters)
                if page.total_capped:
                    assert page.total == (max(CAP, offset + len(page.hits)) if page.hits else CAP)
                    assert page.total_text.endswith("+")
                    assert page.as_dict()["total_capped"] is True
                    assert page.next_offset == (offset + limit if len(page.hits) == limit else None)
                else:
                    assert page.total == full.total
                out.append((query, filters, limit, offset, [h.speech_id for h in page.hits], page.total))
    return out


@pytest.fixture
def early_stops(monkeypatch) -> list:
    """The pages the early-stop path answered (``None`` when it handed over to the full ranking)."""
    answered: list = []
    original = broad.broad_speech_page

    def spy(*args, **kwargs):
        rows = original(*args, **kwargs)
        answered.append(rows)
        return rows

    monkeypatch.setattr("storage.search.query.broad_speech_page", spy)
    return answered


@pytest.mark.parametrize("window", [2, 27, 200])
def test_a_capped_broad_search_pages_like_ranking_every_hit(database, early_stops, monkeypatch, window):
    monkeypatch.setitem(broad.WINDOW, database.dialect, window)  # 27: the window ends among undated speeches
    populate(database)
    pages(database)
    assert any(rows for rows in early_stops), "the early-stop path never answered"
    if window == 2:
        assert None in early_stops  # and it handed over when the window was too small


def test_both_back_ends_page_broad_searches_alike(sqlite_url, postgres_url):
    found = {}
    for url in (sqlite_url, postgres_url):
        with Database(url) as db:
            populate(db)
            found[url] = pages(db)
    assert found[sqlite_url] == found[postgres_url]


def test_deep_pages_and_title_heavy_queries_rank_every_hit(database, early_stops):
    populate(database)
    deep = search_speeches(database, "营商环境", limit=1, offset=broad.MAX_DEPTH, total_cap=CAP)
    assert deep.hits == [] and deep.total_capped and deep.total == CAP and early_stops == [None]
    page = search_speeches(database, "讲话 营商环境", limit=3, total_cap=CAP)  # "讲话" is in most titles
    assert [h.score for h in page.hits] == [2, 2, 2] and page.total_capped


def test_a_changed_title_moves_its_speech_in_a_broad_search(database, early_stops):
    populate(database)
    store_documents(database, [record("http://broad/0", "营商环境，数字经济。", "gov", False, "新的营商环境讲话", {})])
    with database.write() as session:
        speech_id = session.scalar(select(Document.speech_id).where(Document.url == "http://broad/0"))
        refresh_speech(session, speech_id)
    page = search_speeches(database, "营商环境", limit=9, total_cap=1)  # 8 other titles have it
    assert early_stops[-1] and (speech_id, 1) in [(h.speech_id, h.score) for h in page.hits]
    pages(database)  # the old title's grams are gone or harmless: pages still equal the full ranking
