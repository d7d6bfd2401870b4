"""The pages: JSON twins, crawled text always shown as text, security headers, charts, export and ``serve``."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from monitor.cli import main
from tests.monitor.web.conftest import TOKEN, log_in
from tests.monitor.web.corpus import HOSTILE_TITLE

PAGES = ["/", "/search", "/search?q=营商环境&what=commitments", "/speeches/1", "/commitments/1", "/review",
         "/review?view=accepted", "/digests", "/sources"]  # fmt: skip
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


def hostile_speech_id(client) -> int:
    hits = client.get("/api/search", params={"q": "onerror"}).json()["hits"]
    return next(h["speech_id"] for h in hits if h["title"] == HOSTILE_TITLE)


def test_every_page_has_a_json_twin(sqlite_client):
    for path in PAGES:
        html = sqlite_client.get(path)
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html"), path
        base, _, query = path.partition("?")
        twin_path = ("/index" if base == "/" else base) + ".json" + (f"?{query}" if query else "")
        twin = sqlite_client.get(twin_path)
        accept = sqlite_client.get(path, headers={"Accept": "application/json"})
        assert twin.headers["content-type"] == accept.headers["content-type"] == "application/json", path
        assert twin.json()["ok"] is True and set(twin.json()) == set(accept.json()), path
        assert f'href="{twin_path.partition("?")[0]}' in html.text, path  # each page links its twin


def test_crawled_text_stays_text(sqlite_client):
    speech_id = hostile_speech_id(sqlite_client)
    pages = [f"/speeches/{speech_id}", "/search?q=onerror", "/search?q=标准地&what=commitments&deadline_from=2031",
             "/review", f"/speeches/{speech_id + 1}"]  # fmt: skip
    for path in pages:
        html = sqlite_client.get(path).text
        assert "<script>alert" not in html and "<img" not in html and "<b>张三" not in html, path
        assert 'href="javascript:' not in html.lower(), path
        assert not BIDI.search(html), path
        scripts = re.findall(r"<script[^>]*>", html)
        assert scripts == ['<script src="/static/app.js" defer>'], path  # no inline script at all
    html = sqlite_client.get(f"/speeches/{speech_id}").text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;营商环境讲话" in html
    assert 'href="http://evil.example/speech.html?q=&lt;b&gt;&amp;x=&#34;&#39;"' in html
    other = sqlite_client.get(f"/speeches/{speech_id + 1}").text
    assert "<code>javascript:alert(document.domain)//x</code>" in other  # shown, not linked
    twin = sqlite_client.get(f"/speeches/{speech_id}.json").json()
    assert twin["title"] == HOSTILE_TITLE  # the data itself is kept as crawled


def test_speech_page_marks_commitments_in_the_text(sqlite_client):
    speech = sqlite_client.get("/api/speeches/1").json()
    html = sqlite_client.get("/speeches/1").text
    for c in speech["commitments"]:
        if c["document_id"] == speech["canonical"]["document_id"]:
            assert f'<mark id="m{c["id"]}" class="c-{c["status"]}"' in html
            assert f'<a href="#c{c["id"]}">{c["text"]}</a></mark>' in html.replace("&#34;", '"')
    assert speech["canonical"]["content_hash"] in html and "Hamming" in html and "containment" in html


def test_security_headers(sqlite_client):
    for path in ("/", "/speeches/1", "/api/search", "/review"):
        headers = sqlite_client.get(path).headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp and "unsafe-inline" not in csp, path
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
    svg = sqlite_client.get("/charts/commitments_by_month.svg")
    assert (
        svg.headers["content-type"] == "image/svg+xml"
        and "default-src 'none'" in svg.headers["content-security-policy"]
    )
    form = sqlite_client.get("/login")
    cookie = form.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    log_in(sqlite_client)
    session = [c for c in sqlite_client.cookies.jar if c.name == "sw_session"][0]
    assert TOKEN not in session.value  # the token itself never goes into a cookie


def test_login_redirect_stays_on_this_site(sqlite_client):
    from monitor.web.pages import safe_next

    assert [safe_next(v) for v in ("//evil.example/", "https://evil.example", "/\\evil", "", None, "/x\r\nSet")] == [
        "/review"] * 6  # fmt: skip
    assert safe_next("/commitments/3") == "/commitments/3"


def test_review_page_is_keyboard_friendly(sqlite_client):
    assert 'name="token"' in sqlite_client.get("/review").text  # asks for the token once
    log_in(sqlite_client)
    html = sqlite_client.get("/review").text
    assert 'name="token"' not in html and "<kbd>j</kbd>" in html
    items = re.findall(r'<article class="review-item" id="c(\d+)" tabindex="0" data-review-item', html)
    assert len(items) >= 20
    assert html.count('data-action="accept"') == len(items) and html.count('data-action="reject"') == len(items)
    css = sqlite_client.get("/static/style.css").text
    assert ".review-item:focus" in css and ":focus-visible" in css
    js = sqlite_client.get("/static/app.js").text
    assert all(f'case "{key}"' in js for key in "jkard")


def test_overview_charts(sqlite_web_db, sqlite_client):
    from monitor.commitments.track import review
    from monitor.web.charts import CHARTS, STATUS_COLOURS, overview_data, overview_svgs

    hit = sqlite_client.get("/api/commitments", params={"status": "new", "deadline_to": "2020"}).json()["hits"][0]
    review(sqlite_web_db, hit["commitment_id"], "accept", reviewer="t")  # an old deadline: overdue now
    svgs = overview_svgs(sqlite_web_db)
    assert set(svgs) == set(CHARTS)
    for name, svg in svgs.items():
        assert svg.startswith("<svg") and "<script" not in svg and "<?xml" not in svg, name
    assert STATUS_COLOURS["overdue"] in svgs["commitments_by_month"] and "overdue" in svgs["commitments_by_month"]
    data = overview_data(sqlite_web_db)
    month = data["commitments_by_month"]
    assert sum(month["series"]["overdue"]) == 1 and sum(map(sum, month["series"].values())) > 20
    assert data["speeches_by_month"]["series"]["gov"] and "浙江省湖州市" in data["commitments_by_region"]["labels"]
    assert data["commitments_by_topic"]["labels"]
    html = sqlite_client.get("/").text
    assert all(f'src="/charts/{name}.svg"' in html for name in CHARTS)
    assert sqlite_client.get("/index.json").json()["counts"]["overdue"] == 1
    assert sqlite_client.get("/charts/commitments_by_region.svg").text.startswith("<svg")


def test_export_commitments(sqlite_web_db, sqlite_url):
    runner = CliRunner()
    result = runner.invoke(main, ["export", "--what", "commitments", "--db", sqlite_url])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) >= 20 and rows[0]["speech_title"] and rows[0]["url"].startswith("http")
    assert {"id", "status", "deadline", "strength", "topic", "evidence", "reviewer"} <= set(rows[0])
    csv_out = runner.invoke(main, ["export", "--what", "commitments", "--format", "csv", "--db", sqlite_url]).output
    assert csv_out.splitlines()[0].startswith("id,status,stored_status,speech_id") and len(csv_out.splitlines()) > 20


@pytest.mark.slow
def test_serve_command(sqlite_web_db, sqlite_url):
    """The real ``speechwatch serve`` in a child process: a generated token, printed once, works for writes."""
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "SPEECHWATCH_TOKEN"}
    child = subprocess.Popen([sys.executable, "-m", "monitor.cli", "serve", "--port", str(port), "--db", sqlite_url],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)  # fmt: skip
    try:
        lines = []
        while not any("write token" in line for line in lines):
            line = child.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        token = lines[-1].rsplit(": ", 1)[1].strip()
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(f"{base}/api/runs", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        target = httpx.get(f"{base}/api/commitments?status=new").json()["hits"][0]["commitment_id"]
        assert httpx.post(f"{base}/api/commitments/{target}/accept").status_code == 401
        ok = httpx.post(f"{base}/api/commitments/{target}/accept", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200 and ok.json()["commitment"]["stored_status"] == "accepted"
        assert "127.0.0.1" in "".join(lines)
    finally:
        child.terminate()
        child.wait(timeout=20)


def test_feeds_are_served_at_their_stable_urls(sqlite_client):
    from xml.etree import ElementTree

    from monitor.feeds import FEED_PATHS

    atom = "{http://www.w3.org/2005/Atom}"
    for (what, output_format), path in FEED_PATHS.items():
        response = sqlite_client.get(path)
        assert response.status_code == 200, path
        if output_format == "atom":
            assert response.headers["content-type"].startswith("application/atom+xml")
            feed = ElementTree.fromstring(response.content)
            entries = feed.findall(f"{atom}entry")
            assert entries, f"{what}: empty feed"
            links = [link.get("href") for entry in entries for link in entry.findall(f"{atom}link")]
            assert all(href.startswith("http") for href in links if href)
        else:
            assert response.headers["content-type"].startswith("text/calendar")
            assert response.text.startswith("BEGIN:VCALENDAR")
    assert sqlite_client.get("/feeds/speeches.atom").content == sqlite_client.get("/feeds/speeches.atom").content
