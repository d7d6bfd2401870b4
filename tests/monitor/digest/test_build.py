"""Building and rendering a digest: every section, sorted and grouped, escaped for its format; previews mark nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from monitor.digest import build_digest, render_html, render_json, render_markdown
from storage.models import Digest as DigestRow
from tests.monitor.digest.conftest import XSS_TITLE


def test_a_digest_reports_every_section(database, populated):
    digest = build_digest(database)
    ids = populated
    (speech,) = digest.speeches
    assert speech["id"] == ids["speech"] and speech["title"] == XSS_TITLE and speech["copies"] == 2
    assert speech["url"] == "http://www.pingshan.gov.cn/zwgk/ldjh/t1.html" and speech["speaker"] == "李珺"
    assert [g["topic"] for g in digest.new_commitments] == ["finance", "land"]  # grouped by topic …
    land = digest.new_commitments[1]["commitments"]
    assert [c["id"] for c in land] == [ids["land_early"], ids["land_late"]]  # … sorted by deadline
    assert land[0]["url"] == speech["url"] and land[0]["speech_title"] == XSS_TITLE
    changed = {c["id"]: c for c in digest.changed_commitments}
    assert set(changed) == {ids["changed"], ids["restated"]}
    assert changed[ids["changed"]]["relation"] == "changed"
    assert changed[ids["changed"]]["earlier"]["id"] == ids["land_late"]
    assert [c["id"] for c in digest.due_soon] == [ids["due"]] and digest.due_soon[0]["days_left"] == 5
    assert [c["id"] for c in digest.overdue] == [ids["overdue"]] and digest.overdue[0]["days_left"] == -3
    (evidence,) = digest.fulfilment
    assert evidence["commitment"]["id"] == ids["due"] and evidence["sentence"] == "企业服务专区已建成投用"
    assert evidence["url"].endswith("?copy=1")
    assert digest.reposts["count"] == 0  # the second copy belongs to a speech that is itself new
    (problem,) = digest.source_health
    assert problem["source"] == "walled" and problem["problem"] == "blocked" and "412" in problem["reason"]
    assert digest.counts == {"speeches": 1, "new_commitments": 3, "changed_commitments": 2, "due_soon": 1,
                             "overdue": 1, "fulfilment": 1, "reposts": 0, "source_health": 1}  # fmt: skip
    cited = ids["cited"]
    assert all(c["id"] != cited for g in digest.new_commitments for c in g["commitments"])


def test_a_preview_marks_nothing(database, populated):
    first = build_digest(database)
    second = build_digest(database)
    assert first.items == second.items and first.items
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(DigestRow)) == 0


def test_since_limits_the_windowed_sections_but_not_the_states(database, populated):
    later = build_digest(database, datetime.now(UTC) + timedelta(minutes=5))
    assert not later.speeches and not later.new_commitments and not later.fulfilment
    assert later.due_soon and later.overdue and later.source_health  # states, taken as they are now


def test_crawled_text_is_escaped_in_html_and_inert_in_markdown(database, store):
    speech, (doc,) = store.speech(XSS_TITLE, "http://www.pingshan.gov.cn/t.html", speaker="<b>李珺</b>")
    store.commitment(speech, doc, "确保<img src=x onerror=alert(1)>年底前完成", deadline="2030-12-31")
    store.speech("javascript link", "javascript:alert(1)")
    digest = build_digest(database)
    page = render_html(digest)
    assert "<script>" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<b>李珺" not in page and 'href="javascript:' not in page
    assert '<a href="http://www.pingshan.gov.cn/t.html">' in page
    text = render_markdown(digest)
    assert "\\<script\\>" in text and "<script>" not in text
    assert "(javascript:" not in text
    assert json.loads(render_json(digest))["speeches"][0]["title"] in (XSS_TITLE, "javascript link")


def test_an_empty_digest_says_so(database):
    digest = build_digest(database)
    assert digest.is_empty
    assert "Nothing new" in render_markdown(digest) and "Nothing new" in render_html(digest)
    data = json.loads(render_json(digest))
    assert data["counts"]["speeches"] == 0 and data["speeches"] == [] and data["digest_id"] is None


def test_json_fields(database, populated):
    data = json.loads(render_json(build_digest(database)))
    assert list(data) == ["digest_id", "generated_at", "since", "until", "speeches", "new_commitments",
                          "changed_commitments", "due_soon", "overdue", "fulfilment", "reposts", "source_health",
                          "counts"]  # fmt: skip
    assert set(data["speeches"][0]) == {"id", "title", "url", "speaker", "speaker_post", "speech_date", "region",
                                        "doc_type", "copies"}  # fmt: skip
    assert {"id", "text", "deadline", "topic", "status", "speech_id", "speech_title", "url"} <= set(
        data["new_commitments"][0]["commitments"][0]
    )
