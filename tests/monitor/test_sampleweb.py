"""The bundled sample web, seen from outside: as an HTTP proxy and by Host header, plus its ground truth."""

from __future__ import annotations

import html
import http.client
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import opencc
import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.sampleweb.server import SampleWeb
from monitor.sampleweb.site import default_sites, ground_truth
from monitor.sampleweb.speeches import load_speeches

PINGSHAN = "www.pingshan.gov.cn"
HUZHOU = "www.huzhou.gov.cn"
GWFANWEN = "www.gwfanwen.com"
FANWEN365 = "www.fanwen365.net"

STORABLE = {"speech", "speech_report", "notice", "repost", "multi"}
TRUTH_FIELDS = (
    "url",
    "kind",
    "speeches",
    "title",
    "page_title",
    "speaker",
    "speech_date",
    "region_code",
    "topic",
    "truncated",
    "truncation_marker",
    "traditional",
    "masked",
    "hard_breaks",
)
MID_MARKER = re.compile(r"……省略(\d+)字,正式会员可完整阅读……")

HUZHOU_ARTICLE = f"http://{HUZHOU}/art/2022/3/11/art_1229213526_58733461.html"
HUZHOU_FLAKY_PATH = "/art/2023/8/24/art_1229213526_59100955.html"
WRONG_CHARSET = f"http://{PINGSHAN}/zwgk/ldjh/202207/t20220704_9932145.html"
JPAGE = "/module/web/jpage/dataproxy.jsp"
JPAGE_QUERY = "page={page}&webid=1&path=/&columnid=1229213526&unitid=6971&permissiontype=0"

S2T = opencc.OpenCC("s2t")


# -- helpers -----------------------------------------------------------------------------------------------


def proxy_get(
    web: SampleWeb, url: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    """One request with the server as HTTP proxy: the absolute URL in the request line."""
    host, port = web.address
    conn = http.client.HTTPConnection(host, port, timeout=15)
    try:
        conn.request(method, url, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def host_get(
    web: SampleWeb, host_name: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One request straight to the server address, the site chosen by the ``Host`` header."""
    host, port = web.address
    conn = http.client.HTTPConnection(host, port, timeout=15)
    try:
        conn.request("GET", path, headers={"Host": host_name, **(headers or {})})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def urllib_opener(web: SampleWeb) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({"http": web.proxy_url}))


def page_of(url: str):
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return default_sites()[parts.hostname].pages[path]


def decode(url: str, body: bytes) -> str:
    return body.decode("gb18030" if urlsplit(url).hostname == PINGSHAN else "utf-8")


def truth_rows(kinds: set[str] | None = None) -> list[dict]:
    rows = ground_truth(default_sites())
    return [r for r in rows if kinds is None or r["kind"] in kinds]


def text_between(page: str, start: str, end: str) -> str:
    """The markup between two markers, tags and whitespace (hard line breaks) removed."""
    section = page[page.index(start) + len(start) : page.index(end, page.index(start))]
    return html.unescape(re.sub(r"<[^>]+>|\s+", "", section))


@pytest.fixture(scope="module")
def storable_pages(sample_web: SampleWeb) -> dict[str, tuple[int, dict[str, str], bytes]]:
    """Every storable page with a ground truth, fetched once through the proxy.

    Flaky pages are left out: hitting them would shift the session server's 500/200 alternation that the
    crawl tests rely on (they are checked on a fresh server instead).
    """
    urls = [r["url"] for r in truth_rows(STORABLE) if not page_of(r["url"]).flaky]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda url: proxy_get(sample_web, url), urls))
    return dict(zip(urls, results, strict=True))


# -- serving: hosts, paths, proxy and Host-header modes ----------------------------------------------------


@pytest.mark.parametrize("mode", ["proxy", "host"])
def test_unknown_host_gets_502_and_is_never_forwarded(sample_web, mode):
    if mode == "proxy":
        status, headers, body = proxy_get(sample_web, "http://www.example.com/index.html")
    else:
        status, headers, body = host_get(sample_web, "www.example.com", "/index.html")
    assert status == 502
    message = body.decode("utf-8")
    assert "www.example.com" in message
    assert "never forwards" in message


def test_unknown_host_through_urllib_proxy_handler(sample_web):
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib_opener(sample_web).open("http://www.baidu.com/", timeout=15)
    assert caught.value.code == 502
    assert b"never forwards" in caught.value.read()


def test_connect_tunnels_are_refused(sample_web):
    host, port = sample_web.address
    conn = http.client.HTTPConnection(host, port, timeout=15)
    try:
        conn.putrequest("CONNECT", "www.huzhou.gov.cn:443", skip_host=True, skip_accept_encoding=True)
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == 502
        assert b"CONNECT" in response.read()
    finally:
        conn.close()


@pytest.mark.parametrize("mode", ["proxy", "host"])
def test_known_host_unknown_path_gets_404(sample_web, mode):
    if mode == "proxy":
        status, _, body = proxy_get(sample_web, f"http://{HUZHOU}/no/such/page.html")
    else:
        status, _, body = host_get(sample_web, HUZHOU, "/no/such/page.html")
    assert status == 404
    assert b"404" in body


def test_proxy_and_host_header_serve_the_same_page(sample_web):
    via_proxy = proxy_get(sample_web, HUZHOU_ARTICLE)
    via_host = host_get(sample_web, HUZHOU, urlsplit(HUZHOU_ARTICLE).path)
    via_host_with_port = host_get(sample_web, f"{HUZHOU}:80", urlsplit(HUZHOU_ARTICLE).path)
    assert via_proxy[0] == via_host[0] == via_host_with_port[0] == 200
    assert via_proxy[2] == via_host[2] == via_host_with_port[2]
    assert via_proxy[1]["etag"] == via_host[1]["etag"]


def test_urllib_proxy_handler_fetches_a_page(sample_web):
    with urllib_opener(sample_web).open(HUZHOU_ARTICLE, timeout=15) as response:
        assert response.status == 200
        assert response.headers.get_content_charset() == "utf-8"
        text = response.read().decode("utf-8")
    assert load_speeches()["h03"].title in text


# -- the TRS portal: GB18030 bytes declared as gb2312 ------------------------------------------------------


@pytest.mark.parametrize("name", ["index.html", "index_1.html", "index_2.html"])
def test_pingshan_list_pages_are_gb18030_declared_gb2312_with_js_pager(sample_web, name):
    status, headers, body = proxy_get(sample_web, f"http://{PINGSHAN}/zwgk/ldjh/{name}")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=gb2312"
    assert b"charset=gb2312" in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("gb18030")
    assert "createPageHTML(3" in text
    assert "领导讲话" in text


@pytest.mark.parametrize(
    ("path", "speech_id", "char"),
    [
        ("/zwgk/ldjh/202404/t20240402_11402236.html", "p06", "喆"),
        ("/zwgk/ldjh/202503/t20250304_11931207.html", "p07", "喆"),
        ("/zwgk/ldjh/202005/t20200515_7905118.html", "p02", "珺"),
    ],
)
def test_pingshan_articles_hold_gbk_only_characters(sample_web, path, speech_id, char):
    status, headers, body = proxy_get(sample_web, f"http://{PINGSHAN}{path}")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=gb2312"
    assert b"charset=gb2312" in body
    text = body.decode("gb18030")
    assert char in text
    assert char.encode("gb18030") in body
    with pytest.raises(UnicodeEncodeError):
        char.encode("gb2312")  # GBK-only: outside GB2312
    with pytest.raises(UnicodeDecodeError):
        body.decode("gb2312")  # so a strict gb2312 decoder fails on the page
    assert load_speeches()[speech_id].title in text


def test_wrong_charset_article_header_says_utf8_but_bytes_are_gbk(sample_web):
    status, headers, body = proxy_get(sample_web, WRONG_CHARSET)
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert b"charset=gb2312" in body  # the page's own declaration is right
    text = body.decode("gb18030")
    assert load_speeches()["p04"].title in text
    assert "招商引资" in text


# -- validators: ETag / Last-Modified, 304 -----------------------------------------------------------------


def test_validators_are_served_and_conditional_requests_get_304(sample_web):
    status, headers, body = proxy_get(sample_web, HUZHOU_ARTICLE)
    assert status == 200 and body
    etag, last_modified = headers["etag"], headers["last-modified"]
    assert re.fullmatch(r'"[0-9a-f]{16}"', etag)
    assert parsedate_to_datetime(last_modified).date().isoformat() == "2022-03-11"

    status, headers304, body = proxy_get(sample_web, HUZHOU_ARTICLE, {"If-None-Match": etag})
    assert status == 304
    assert body == b""
    assert headers304["content-length"] == "0"
    assert headers304["etag"] == etag

    status, _, body = proxy_get(sample_web, HUZHOU_ARTICLE, {"If-None-Match": f'W/"other", {etag}'})
    assert (status, body) == (304, b"")

    status, _, body = proxy_get(sample_web, HUZHOU_ARTICLE, {"If-Modified-Since": last_modified})
    assert (status, body) == (304, b"")

    later = format_datetime(parsedate_to_datetime(last_modified) + timedelta(days=30), usegmt=True)
    status, _, body = proxy_get(sample_web, HUZHOU_ARTICLE, {"If-Modified-Since": later})
    assert (status, body) == (304, b"")


def test_stale_validators_get_the_full_page(sample_web):
    _, headers, full = proxy_get(sample_web, HUZHOU_ARTICLE)
    status, _, body = proxy_get(sample_web, HUZHOU_ARTICLE, {"If-None-Match": '"0000000000000000"'})
    assert (status, body) == (200, full)
    earlier = format_datetime(parsedate_to_datetime(headers["last-modified"]) - timedelta(days=1), usegmt=True)
    status, _, body = proxy_get(sample_web, HUZHOU_ARTICLE, {"If-Modified-Since": earlier})
    assert (status, body) == (200, full)


def test_conditional_request_by_host_header_on_a_gbk_page(sample_web):
    path = urlsplit(WRONG_CHARSET).path
    status, headers, _ = host_get(sample_web, PINGSHAN, path)
    assert status == 200
    status, _, body = host_get(sample_web, PINGSHAN, path, {"If-None-Match": headers["etag"]})
    assert (status, body) == (304, b"")


# -- traps: flaky page, redirects, jpage XML, robots.txt ---------------------------------------------------


def test_flaky_hanweb_page_alternates_500_and_200():
    with SampleWeb() as web:  # a fresh server: the session server's counters stay untouched
        statuses = [web.answer("GET", HUZHOU, HUZHOU_FLAKY_PATH, {})[1] for _ in range(4)]
        assert statuses == [500, 200, 500, 200]
        page, status = web.answer("GET", HUZHOU, HUZHOU_FLAKY_PATH, {})
        assert status == 500 and page is not None and page.flaky
        status, _, body = proxy_get(web, f"http://{HUZHOU}{HUZHOU_FLAKY_PATH}")  # the retry succeeds
        assert status == 200
        assert load_speeches()["h04"].title in body.decode("utf-8")
        status, _, body = proxy_get(web, f"http://{HUZHOU}{HUZHOU_FLAKY_PATH}")
        assert status == 500 and b"500" in body


def test_stop_without_start_returns():
    web = SampleWeb()
    stopper = threading.Thread(target=web.stop, daemon=True)
    stopper.start()
    stopper.join(timeout=3)
    hung = stopper.is_alive()
    if hung:  # release the stuck thread and the socket so the test run is not left with them
        web._server._BaseServer__is_shut_down.set()
        stopper.join(timeout=3)
        web._server.server_close()
    assert not hung


def test_redirect_chain_301_then_302_then_200(sample_web):
    start = f"http://{HUZHOU}/art/2019/7/24/art_1229213526_3826614_old.html"
    status, headers, body = proxy_get(sample_web, start)
    assert status == 301 and body == b""
    assert headers["location"] == "/module/jslib/redirect.jsp?id=3826614"

    status, headers, body = proxy_get(sample_web, f"http://{HUZHOU}{headers['location']}")
    assert status == 302 and body == b""
    final = f"http://{HUZHOU}{headers['location']}"
    assert final == f"http://{HUZHOU}/art/2019/7/24/art_1229213526_3826614.html"

    status, _, body = proxy_get(sample_web, final)
    assert status == 200
    assert load_speeches()["h01"].title in body.decode("utf-8")

    with urllib_opener(sample_web).open(start, timeout=15) as response:  # urllib follows the chain
        assert response.status == 200
        assert response.geturl() == final


def test_hanweb_jpage_xml_lists_records_in_cdata(sample_web):
    status, headers, body = proxy_get(sample_web, f"http://{HUZHOU}{JPAGE}?{JPAGE_QUERY.format(page=1)}")
    assert status == 200
    assert headers["content-type"].startswith("text/xml")
    xml = body.decode("utf-8")
    assert "<totalpage>2</totalpage>" in xml
    records = re.findall(r"<record><!\[CDATA\[(.*?)\]\]></record>", xml, flags=re.S)
    assert len(records) == 4
    assert all('<a href="/art/' in record for record in records)
    # the list links the old address of the redirect trap, and the missing page
    _, _, second = proxy_get(sample_web, f"http://{HUZHOU}{JPAGE}?{JPAGE_QUERY.format(page=2)}")
    all_xml = xml + second.decode("utf-8")
    assert "art_1229213526_3826614_old.html" in all_xml
    assert "art_1229213526_56000012.html" in all_xml
    assert len(re.findall(r"<record><!\[CDATA\[", all_xml)) == 7


def test_hanweb_jpage_lookup_ignores_parameter_order(sample_web):
    params = JPAGE_QUERY.format(page=2).split("&")
    shuffled = "&".join(reversed(params))
    status, _, body = proxy_get(sample_web, f"http://{HUZHOU}{JPAGE}?{shuffled}")
    assert status == 200
    assert b"<totalpage>2</totalpage>" in body
    status, _, _ = proxy_get(sample_web, f"http://{HUZHOU}{JPAGE}?{JPAGE_QUERY.format(page=3)}")
    assert status == 404


def test_hanweb_static_pager_page_is_404(sample_web):
    status, _, _ = proxy_get(sample_web, f"http://{HUZHOU}/col/col1229213526/index_1.html")
    assert status == 404


def test_robots_txt_differs_per_host(sample_web):
    robots = {}
    for host in (PINGSHAN, HUZHOU, GWFANWEN, FANWEN365):
        status, headers, body = proxy_get(sample_web, f"http://{host}/robots.txt")
        assert status == 200
        assert headers["content-type"].startswith("text/plain")
        assert body.startswith(b"User-agent: *")
        robots[host] = body.decode("utf-8")
    assert len(set(robots.values())) == 4
    assert "Disallow: /zwgk/ldjh/nbgk/" in robots[PINGSHAN]
    assert "Disallow: /jrobot/" in robots[HUZHOU]
    assert "Disallow: /index/user/" in robots[GWFANWEN]
    assert "Disallow: /member/" in robots[FANWEN365]


def test_antibot_walls(sample_web):
    status, _, body = proxy_get(sample_web, f"http://{PINGSHAN}/zwgk/ldjh/202211/t20221103_10120876.html")
    assert status == 412
    assert b"$_ts=window['$_ts']" in body
    status, _, body = proxy_get(sample_web, f"http://{FANWEN365}/jianghua/20240601/240601.html")
    assert status == 200
    assert b"$_ts=window['$_ts']" in body


# -- ground truth ------------------------------------------------------------------------------------------


def test_every_storable_page_of_the_ground_truth_is_served(storable_pages):
    rows = truth_rows(STORABLE)
    assert len(rows) >= 20
    for url, (status, headers, body) in storable_pages.items():
        assert status == 200, url
        assert body, url
        assert "etag" in headers and "last-modified" in headers, url
    flaky = [r["url"] for r in rows if r["url"] not in storable_pages]
    assert flaky == [f"http://{HUZHOU}{HUZHOU_FLAKY_PATH}"]
    with SampleWeb() as web:
        for url in flaky:
            parts = urlsplit(url)
            statuses = [web.answer("GET", parts.hostname, parts.path, {})[1] for _ in range(2)]
            assert statuses == [500, 200], url


def test_ground_truth_pages_show_their_title(storable_pages):
    for row in truth_rows(STORABLE):
        if row["url"] not in storable_pages:
            continue
        page = html.unescape(decode(row["url"], storable_pages[row["url"]][2]))
        assert row["page_title"] in page, row["url"]


def test_every_referenced_speech_exists():
    speeches = load_speeches()
    referenced = {sid for row in truth_rows(STORABLE) for sid in row["speeches"]}
    assert referenced <= set(speeches)
    assert set(speeches) <= referenced  # and every speech file is used by some page
    for row in truth_rows(STORABLE):
        first = speeches[row["speeches"][0]]
        speaker = None if row["masked"] and first.speaker not in row["text"] else first.speaker  # masked byline
        assert (row["title"], row["speaker"], row["speech_date"]) == (first.title, speaker, first.speech_date)


def test_at_least_15_distinct_speeches_from_2019_to_2025():
    speeches = load_speeches()
    used = {sid for row in truth_rows(STORABLE) for sid in row["speeches"]}
    real = {sid for sid in used if speeches[sid].doc_type == "speech"}
    assert len(real) >= 15
    years = {int(speeches[sid].speech_date[:4]) for sid in real}
    assert min(years) == 2019 and max(years) == 2025
    hosts = {urlsplit(r["url"]).hostname for r in truth_rows({"speech", "repost", "multi"})}
    assert hosts == {PINGSHAN, HUZHOU, GWFANWEN, FANWEN365}


def test_commitments_and_non_commitments_are_quoted_from_the_body():
    for speech in load_speeches().values():
        for sentence in speech.commitments + speech.not_commitments:
            assert sentence in speech.body, (speech.id, sentence)
        if speech.doc_type == "speech" and speech.topic == "bizenv":
            assert speech.commitments, speech.id


def test_truncated_pages_carry_their_marker(storable_pages):
    truncated = truth_rows({"repost", "multi", "speech"})
    truncated = [r for r in truncated if r["truncated"]]
    assert len(truncated) >= 5
    for row in truncated:
        page = decode(row["url"], storable_pages[row["url"]][2])
        assert row["truncation_marker"]
        assert html.escape(row["truncation_marker"]) in page, row["url"]
        assert f'<p class="readmore">{html.escape(row["truncation_marker"])}</p>' in page


def test_mid_cut_page_has_the_member_wall_in_the_middle(storable_pages):
    rows = [r for r in truth_rows({"repost"}) if r["truncation_marker"] and "省略" in r["truncation_marker"]]
    assert len(rows) == 1
    row = rows[0]
    page = decode(row["url"], storable_pages[row["url"]][2])
    match = MID_MARKER.search(page)
    assert match and match.group(0) == row["truncation_marker"]
    assert int(match.group(1)) > 0
    paragraphs = load_speeches()[row["speeches"][0]].paragraphs
    before, after = page[: match.start()], page[match.end() :]
    assert html.escape(paragraphs[0]) in before  # the start is shown ...
    assert html.escape(paragraphs[-1]) in after  # ... and the end
    missing = [p for p in paragraphs if html.escape(p) not in page]
    assert missing and sum(len(p) for p in missing) == int(match.group(1))


def test_traditional_pages_are_in_traditional_characters(storable_pages):
    rows = [r for r in truth_rows(STORABLE) if r["traditional"]]
    assert len(rows) >= 3
    for row in rows:
        page = decode(row["url"], storable_pages[row["url"]][2])
        body = text_between(page, '<div class="artbody">', '<div class="ad">')
        assert "營商環境" in body, row["url"]
        assert "营商环境" not in body, row["url"]
        assert row["page_title"] == S2T.convert(row["page_title"])


def test_masked_page_hides_the_place_and_the_speaker(storable_pages):
    rows = [r for r in truth_rows(STORABLE) if r["masked"]]
    assert len(rows) == 1
    page = html.unescape(decode(rows[0]["url"], storable_pages[rows[0]["url"]][2]))
    # the page is also traditional, so the mask X区 shows as X區 (and X市X区 as X市X區)
    assert rows[0]["traditional"]
    assert S2T.convert("X区") == "X區"
    assert "X區" in page
    assert "XXX" in page
    assert "坪山" not in page
    assert "李珺" not in page
    assert "深圳" not in page


def test_two_speech_page_carries_both_titles_in_traditional(storable_pages):
    rows = truth_rows({"multi"})
    assert len(rows) == 1
    row = rows[0]
    assert len(row["speeches"]) == 2
    page = html.unescape(decode(row["url"], storable_pages[row["url"]][2]))
    speeches = load_speeches()
    for sid in row["speeches"]:
        title = speeches[sid].title
        assert S2T.convert(title) != title
        assert S2T.convert(title) in page, sid
        assert title not in page, sid


def test_hard_broken_pages_break_lines_mid_sentence(storable_pages):
    rows = [r for r in truth_rows(STORABLE) if r["hard_breaks"]]
    assert rows
    for row in rows:
        page = decode(row["url"], storable_pages[row["url"]][2])
        assert page.count("<br>\n") >= 10, row["url"]


def test_every_served_page_has_a_ground_truth_row(sample_web):
    rows = {r["url"]: r for r in truth_rows()}
    served = {f"http://{host}{path}" for host, site in default_sites().items() for path in site.pages}
    assert set(rows) == served
    lists = [url for url, row in rows.items() if row["kind"] == "list"]
    assert {urlsplit(url).hostname for url in lists} == {PINGSHAN, HUZHOU, GWFANWEN, FANWEN365}
    for url in lists:
        status, _, body = proxy_get(sample_web, url)
        assert status == 200 and body, url
    hops = [row for row in rows.values() if row["kind"] == "trap:redirect"]
    assert [row["status"] for row in hops] == [301, 302]
    for row in hops:
        status, headers, _ = proxy_get(sample_web, row["url"])
        assert status == row["status"] and urljoin(row["url"], headers["location"]) == row["location"]


def test_article_rows_name_the_traps_they_are_behind():
    traps = {r["url"]: r["traps"] for r in truth_rows(STORABLE)}
    behind = {name for names in traps.values() for name in names}
    assert behind == {"slow", "retry_500", "wrong_charset_header", "redirect_chain"}
    assert traps[f"http://{HUZHOU}{HUZHOU_FLAKY_PATH}"] == ["retry_500"]
    assert traps[WRONG_CHARSET] == ["wrong_charset_header"]
    assert traps[f"http://{HUZHOU}/art/2019/7/24/art_1229213526_3826614.html"] == ["redirect_chain"]


def test_slow_pages_answer_late(sample_web):
    slow = [r["url"] for r in truth_rows(STORABLE) if "slow" in r["traps"]]
    assert {urlsplit(url).hostname for url in slow} == {PINGSHAN, GWFANWEN}
    for url in slow:
        started = time.monotonic()
        status, _, _ = proxy_get(sample_web, url)
        assert status == 200 and time.monotonic() - started >= page_of(url).delay >= 1.0, url


def test_article_urls_follow_each_cms_scheme():
    for row in truth_rows(STORABLE):
        host, path = urlsplit(row["url"]).hostname, urlsplit(row["url"]).path
        if host == PINGSHAN:  # TRS: /YYYYMM/tYYYYMMDD_<id>.html
            match = re.fullmatch(r"/zwgk/ldjh/(\d{6})/t(\d{8})_\d+\.html", path)
            assert match and match.group(2).startswith(match.group(1)), path
        elif host == HUZHOU:  # Hanweb: /art/YYYY/M/D/art_<col>_<id>.html
            assert re.fullmatch(r"/art/\d{4}/[1-9]\d?/[1-9]\d?/art_1229213526_\d+\.html", path), path


def test_trs_pages_carry_the_guideline_meta_tags_and_article_chrome(storable_pages):
    urls = [url for url in storable_pages if urlsplit(url).hostname == PINGSHAN]
    assert urls
    for url in urls:
        page = decode(url, storable_pages[url][2])
        for name in ("SiteName", "SiteDomain", "SiteIDCode", "ColumnName", "ArticleTitle", "PubDate", "ContentSource"):
            assert f'name="{name}"' in page, (url, name)
        info = text_between(page, '<div class="info">', "</div>")
        for chrome in ("发布时间", "来源", "字号", "打印"):
            assert chrome in info, (url, chrome)


def test_hanweb_bodies_sit_between_the_zjeg_rss_markers(storable_pages):
    speeches = load_speeches()
    rows = [r for r in truth_rows(STORABLE) if urlsplit(r["url"]).hostname == HUZHOU and r["url"] in storable_pages]
    assert {r["kind"] for r in rows} >= {"speech", "speech_report", "notice"}
    for row in rows:
        page = decode(row["url"], storable_pages[row["url"]][2])
        body = text_between(page, "<!--ZJEG_RSS.content.begin-->", "<!--ZJEG_RSS.content.end-->")
        for paragraph in speeches[row["speeches"][0]].paragraphs:
            assert "".join(paragraph.split()) in body, row["url"]


def test_template_site_pages_carry_promotion_views_and_related_lists(storable_pages):
    rows = [r for r in truth_rows(STORABLE) if urlsplit(r["url"]).hostname == GWFANWEN]
    assert any(re.match(r"\d{8}:.*讲话稿$", r["page_title"]) for r in rows)  # retitled copies
    for row in rows:
        page = decode(row["url"], storable_pages[row["url"]][2])
        promo = text_between(page, '<div class="promo">', "</div>")
        assert all(word in promo for word in ("公众号", "微信", "代写")), row["url"]
        assert re.search(r'<span class="views">\d+</span>', page), row["url"]
        related = page[page.index('<div class="related">') :]
        assert related.count("<li><a href=") >= 3, row["url"]


def test_speeches_have_the_full_structure_of_the_genre():
    speeches = [s for s in load_speeches().values() if s.doc_type == "speech"]
    assert len({s.speaker for s in speeches}) >= 12
    assert {"safety", "rural", "investment"} <= {s.topic for s in speeches}
    for speech in speeches:
        assert re.fullmatch(r"——在.+上的讲话", speech.subtitle), speech.id
        assert speech.speaker and speech.speaker_post, speech.id
        assert re.fullmatch(r"（(20(19|2[0-5]))年\d{1,2}月(\d{1,2}日)?）", speech.date_line), speech.id
        paragraphs = speech.paragraphs
        assert paragraphs[0] == "同志们：", speech.id
        assert sum(bool(re.match(r"[一二三四五]、", p)) for p in paragraphs) >= 2, speech.id
        assert speech.commitments and speech.not_commitments, speech.id  # promises and past achievements
        assert any(re.search(r"\d", c) for c in speech.commitments), speech.id  # with quantities


# -- the CLI -----------------------------------------------------------------------------------------------


def test_cli_serves_the_sample_web_on_the_given_port(monkeypatch):
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    answers = []

    def serve_briefly(web: SampleWeb) -> None:  # instead of serving until Ctrl-C: one request, then return
        web.start()
        try:
            answers.append(proxy_get(web, f"http://{HUZHOU}/col/col1229213526/index.html")[0])
        finally:
            web.stop()

    monkeypatch.setattr(SampleWeb, "serve_forever", serve_briefly)
    result = CliRunner().invoke(main, ["sampleweb", "--port", str(port)])
    assert result.exit_code == 0, result.output
    assert f"http://127.0.0.1:{port}" in result.output
    assert answers == [200]


def test_cli_prints_the_ground_truth_as_jsonl():
    result = CliRunner().invoke(main, ["sampleweb", "--truth"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    rows = [json.loads(line) for line in lines]
    assert rows == ground_truth(default_sites())
    assert len({row["url"] for row in rows}) == len(rows)
    for row in rows:
        assert row["url"].startswith("http://")
        assert "kind" in row
        if row["kind"] in STORABLE:
            assert set(TRUTH_FIELDS) <= set(row), row["url"]
            assert isinstance(row["speeches"], list) and row["speeches"]
            assert isinstance(row["truncated"], bool)
        else:
            assert row["kind"] in ("list", "robots") or row["kind"].startswith("trap:"), row
    kinds = {row["kind"] for row in rows}
    assert kinds >= STORABLE
    assert kinds >= {"trap:antibot_412", "trap:antibot_200", "trap:missing", "trap:robots_disallowed"}
    assert "喆" in result.stdout  # ensure_ascii=False: Chinese as is
