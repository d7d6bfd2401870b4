"""Downloader middlewares built the Scrapy way, and the run status derived from a crawl's stats."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from w3lib.url import canonicalize_url

from crawler.extensions import run_counts, run_status
from crawler.middlewares import (
    AntiBotMiddleware,
    CharsetFixMiddleware,
    ConditionalRequestMiddleware,
    ProxyMiddleware,
)
from crawler.spiders.source import SourceSpider

ARTICLE = "http://www.pingshan.gov.cn/zwgk/ldjh/202008/t20200812_1234567.html"
SPEECH = "王喆同志在全区优化营商环境大会上的讲话"  # 喆 is in GBK but not in GB2312
GB_PAGE = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    f"<title>{SPEECH}</title></head><body><h1>{SPEECH}</h1></body></html>"
)


def make_crawler(settings: dict | None = None):
    return get_crawler(SourceSpider, settings or {})


def html(url: str = ARTICLE, *, status: int = 200, body: bytes = b"<html><body>ok</body></html>", headers=None):
    return HtmlResponse(url, status=status, body=body, headers=headers or {}, request=Request(url))


# -- AntiBotMiddleware --------------------------------------------------------------------------------------


@pytest.fixture
def antibot():
    crawler = make_crawler()
    return AntiBotMiddleware.from_crawler(crawler), crawler.stats


@pytest.mark.parametrize("status", [412, 521])
def test_antibot_wall_status_is_ignored_and_counted(antibot, status):
    middleware, stats = antibot
    response = html(status=status, body=b"<html><script>challenge()</script></html>")
    with pytest.raises(IgnoreRequest):
        middleware.process_response(response.request, response)
    assert stats.get_value("speechwatch/blocked") == 1
    assert stats.get_value(f"speechwatch/blocked/{status}") == 1


def test_antibot_ts_challenge_in_a_200_is_ignored(antibot):
    middleware, stats = antibot
    body = b"<html><head><script>$_ts=window['$_ts'];if(!$_ts)$_ts={};</script></head></html>"
    response = html(body=body)
    with pytest.raises(IgnoreRequest):
        middleware.process_response(response.request, response)
    assert stats.get_value("speechwatch/blocked") == 1
    assert stats.get_value("speechwatch/blocked/200") == 1


def test_antibot_jsl_clearance_cookie_script_is_ignored(antibot):
    middleware, stats = antibot
    body = b"<script>document.cookie=('__jsl_clearance=1593330312.2|0|abc');location.href=location</script>"
    response = html(body=body)
    with pytest.raises(IgnoreRequest):
        middleware.process_response(response.request, response)
    assert stats.get_value("speechwatch/blocked/200") == 1


def test_antibot_x_via_jsl_header_is_ignored(antibot):
    middleware, stats = antibot
    response = html(headers={"X-Via-JSL": "4a5b6c,-"})
    with pytest.raises(IgnoreRequest):
        middleware.process_response(response.request, response)
    assert stats.get_value("speechwatch/blocked") == 1


def test_antibot_records_the_blocked_url(antibot):
    middleware, stats = antibot
    response = html(status=412)
    with pytest.raises(IgnoreRequest):
        middleware.process_response(response.request, response)
    assert stats.get_value("speechwatch/blocked_urls") == [ARTICLE]


def test_antibot_normal_page_passes_unchanged(antibot):
    middleware, stats = antibot
    response = html(body=GB_PAGE.encode("gb18030"))
    assert middleware.process_response(response.request, response) is response
    assert stats.get_value("speechwatch/blocked") is None


# -- CharsetFixMiddleware -----------------------------------------------------------------------------------


@pytest.fixture
def charset():
    crawler = make_crawler()
    return CharsetFixMiddleware.from_crawler(crawler), crawler.stats


def lying_gbk_page(charset_header: str = "utf-8") -> HtmlResponse:
    """A GBK page whose HTTP header names another charset (the header wins over <meta> in Scrapy)."""
    return html(body=GB_PAGE.encode("gbk"), headers={"Content-Type": f"text/html; charset={charset_header}"})


def test_charset_wrong_utf8_header_is_repaired_to_gb18030(charset):
    middleware, _ = charset
    response = lying_gbk_page()
    assert response.encoding == "utf-8"  # what Scrapy believes before the repair
    fixed = middleware.process_response(response.request, response)
    assert fixed.encoding == "gb18030"
    assert SPEECH in fixed.text


def test_charset_repair_is_counted(charset):
    middleware, stats = charset
    response = lying_gbk_page()
    middleware.process_response(response.request, response)
    assert stats.get_value("speechwatch/charset_fixed") == 1


def test_charset_correct_utf8_page_is_returned_as_is(charset):
    middleware, stats = charset
    body = f"<html><head><meta charset='utf-8'></head><body>{SPEECH}</body></html>".encode()
    response = html(body=body, headers={"Content-Type": "text/html; charset=utf-8"})
    assert middleware.process_response(response.request, response) is response
    assert stats.get_value("speechwatch/charset_fixed") is None


def test_charset_forced_by_request_meta(charset):
    middleware, _ = charset
    traditional = "範文講話稿：優化營商環境"  # Big5 bytes also decode as GB18030, to the wrong text
    body = f"<html><body>{traditional}</body></html>".encode("big5")
    request = Request(ARTICLE, meta={"speechwatch_encoding": "big5"})
    headers = {"Content-Type": "text/html; charset=utf-8"}
    response = HtmlResponse(ARTICLE, body=body, headers=headers, request=request)
    fixed = middleware.process_response(request, response)
    assert fixed.encoding == "big5"
    assert traditional in fixed.text


def test_charset_wrong_latin1_header_is_repaired(charset):
    middleware, _ = charset
    response = lying_gbk_page("iso-8859-1")
    fixed = middleware.process_response(response.request, response)
    assert SPEECH in fixed.text


# -- ProxyMiddleware ----------------------------------------------------------------------------------------


def test_proxy_not_configured_without_setting_or_environment(monkeypatch):
    monkeypatch.delenv("SPEECHWATCH_PROXY", raising=False)
    with pytest.raises(NotConfigured):
        ProxyMiddleware.from_crawler(make_crawler())


def test_proxy_from_setting_is_put_on_requests(monkeypatch):
    monkeypatch.delenv("SPEECHWATCH_PROXY", raising=False)
    middleware = ProxyMiddleware.from_crawler(make_crawler({"SPEECHWATCH_PROXY": "http://127.0.0.1:8000"}))
    request = Request("http://www.pingshan.gov.cn/robots.txt")
    middleware.process_request(request)
    assert request.meta["proxy"] == "http://127.0.0.1:8000"


def test_proxy_from_environment_is_put_on_requests(monkeypatch):
    monkeypatch.setenv("SPEECHWATCH_PROXY", "http://127.0.0.1:8001")
    middleware = ProxyMiddleware.from_crawler(make_crawler())
    request = Request(ARTICLE)
    middleware.process_request(request)
    assert request.meta["proxy"] == "http://127.0.0.1:8001"


# -- ConditionalRequestMiddleware ---------------------------------------------------------------------------

STORED = "http://www.huzhou.gov.cn/art/2021/10/25/art_1229213526_1.html?b=2&a=1"
ETAG = '"5f8e-1a2b"'
LAST_MODIFIED = "Mon, 25 Oct 2021 08:00:00 GMT"


@pytest.fixture
def conditional():
    crawler = make_crawler()  # validators are set directly: no database is opened
    middleware = ConditionalRequestMiddleware.from_crawler(crawler)
    middleware.validators = {canonicalize_url(STORED): (ETAG, LAST_MODIFIED)}
    return middleware, crawler.stats


def article_request(url: str) -> Request:
    return Request(url, meta={"speechwatch_kind": "article"})


def test_conditional_known_article_gets_both_validators(conditional):
    middleware, _ = conditional
    request = article_request(STORED)
    middleware.process_request(request)
    assert request.headers.get("If-None-Match") == ETAG.encode()
    assert request.headers.get("If-Modified-Since") == LAST_MODIFIED.encode()


def test_conditional_url_is_matched_canonically(conditional):
    middleware, _ = conditional
    request = article_request(STORED.replace("?b=2&a=1", "?a=1&b=2"))
    middleware.process_request(request)
    assert request.headers.get("If-None-Match") == ETAG.encode()


def test_conditional_request_is_counted(conditional):
    middleware, stats = conditional
    middleware.process_request(article_request(STORED))
    assert stats.get_value("speechwatch/conditional_requests") == 1


def test_conditional_unknown_article_is_left_alone(conditional):
    middleware, stats = conditional
    request = article_request("http://www.huzhou.gov.cn/art/2021/10/25/art_1229213526_9.html")
    middleware.process_request(request)
    assert "If-None-Match" not in request.headers
    assert "If-Modified-Since" not in request.headers
    assert stats.get_value("speechwatch/conditional_requests") is None


def test_conditional_list_page_is_never_conditional(conditional):
    middleware, stats = conditional
    request = Request(STORED, meta={"speechwatch_kind": "list"})
    middleware.process_request(request)
    assert "If-None-Match" not in request.headers
    assert stats.get_value("speechwatch/conditional_requests") is None


def test_conditional_etag_only(conditional):
    middleware, _ = conditional
    middleware.validators = {canonicalize_url(ARTICLE): (ETAG, None)}
    request = article_request(ARTICLE)
    middleware.process_request(request)
    assert request.headers.get("If-None-Match") == ETAG.encode()
    assert "If-Modified-Since" not in request.headers


# -- run_counts / run_status --------------------------------------------------------------------------------


def test_run_counts_sums_skips_and_unchanged():
    counts = run_counts(
        {
            "downloader/response_count": 9,
            "speechwatch/documents_unchanged": 2,
            "speechwatch/not_modified": 3,
            "robotstxt/forbidden": 1,
            "offsite/filtered": 2,
            "speechwatch/blocked": 1,
            "log_count/ERROR": 1,
            "httperror/response_ignored_count": 2,
        }
    )
    assert counts["pages_fetched"] == 9
    assert counts["documents_unchanged"] == 5
    assert counts["skipped"] == 4
    assert counts["blocked"] == 1
    assert counts["errors"] == 3
    assert counts["documents_new"] == 0


def test_status_finished_when_pages_were_stored():
    counts = run_counts({"downloader/response_count": 5, "speechwatch/documents_new": 3})
    assert run_status("finished", counts) == "finished"


def test_status_finished_when_a_wall_was_met_but_articles_were_stored():
    counts = run_counts({"downloader/response_count": 5, "speechwatch/blocked": 1, "speechwatch/documents_new": 2})
    assert run_status("finished", counts) == "finished"


def test_status_blocked_when_only_walls_and_nothing_stored():
    counts = run_counts({"downloader/response_count": 2, "speechwatch/blocked": 2})
    assert run_status("finished", counts) == "blocked"


def test_status_failed_when_no_page_could_be_fetched():
    counts = run_counts({"log_count/ERROR": 3})
    assert run_status("finished", counts) == "failed"


def test_status_timeout_on_closespider_timeout():
    counts = run_counts({"downloader/response_count": 5, "speechwatch/documents_new": 3})
    assert run_status("closespider_timeout", counts) == "timeout"


def test_status_failed_on_shutdown():
    assert run_status("shutdown", run_counts({"downloader/response_count": 5})) == "failed"
