"""The crawler's safety parts one by one: private addresses, redirect loops, hostile bodies, Scrapy's messages."""

from __future__ import annotations

import gzip
from types import SimpleNamespace

import pytest
import pytest_twisted
from scrapy import Request, Spider
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import DownloadCancelledError, DropItem, IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler
from twisted.internet.defer import CancelledError
from twisted.python.failure import Failure

from crawler.documents import decode_body
from crawler.extensions import run_counts, skip_counts
from crawler.items import PageItem
from crawler.middlewares import SKIP_LOG_LINES, RedirectLoopMiddleware, SafeOffsiteMiddleware, record_skip
from crawler.pipelines import ExtractPipeline
from crawler.sources import SourcesError, load_sources, private_host
from crawler.spiders.source import failure_skip, unusable_body

HOST = "www.xinqiao.gov.cn"
ARTICLE = f"http://{HOST}/zwgk/ldjh/202401/t20240108_20240101.html"


def crawler_with_source(allow_private: bool = False, allowed_domains=(HOST,)):
    crawler = get_crawler(Spider, {"DOWNLOAD_MAXSIZE": 10_000, "REDIRECT_MAX_TIMES": 2})
    spider = Spider(name="source")
    spider.source = SimpleNamespace(allow_private=allow_private)
    spider.allowed_domains = list(allowed_domains)
    crawler.spider = spider
    return crawler


def failure_of(exception: Exception, request: Request) -> Failure:
    try:
        raise exception
    except type(exception):
        failure = Failure()
    failure.request = request
    return failure


# -- private addresses -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.1",
        "2130706433",
        "0x7f.1",
        "0177.0.0.1",
        "localhost",
        "LOCALHOST.",
        "api.localhost",
        "10.0.0.8",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.251",
        "::1",
        "[::1]",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
    ],
)
def test_private_loopback_and_link_local_hosts_are_recognised(host):
    assert private_host(host)


@pytest.mark.parametrize(
    "host", ["www.xinqiao.gov.cn", "8.8.8.8", "2400:3200::1", "10.example.invalid", "localhost.gov.cn", "", None]
)
def test_public_hosts_and_names_are_not_judged_private(host):
    assert not private_host(host)  # names are never resolved: 10.example.invalid is just a name


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/zwgk/ldjh/202401/t20240101_1.html",
        "http://10.0.0.8/zwgk/ldjh/202401/t20240101_1.html",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/",
        "http://localhost:8000/",
        "http://www.xinqiao.gov.cn@127.0.0.1/",  # userinfo trick: the host is 127.0.0.1
    ],
)
def test_a_private_target_is_dropped_before_any_connection(url):
    crawler = crawler_with_source()
    middleware = SafeOffsiteMiddleware.from_crawler(crawler)
    middleware.spider_opened(crawler.spider)
    with pytest.raises(IgnoreRequest, match="private address"):
        middleware.process_request(Request(url))
    assert crawler.stats.get_value("speechwatch/skipped/private_address") == 1
    assert not crawler.stats.get_value("offsite/filtered")  # counted once, under its own reason


def test_a_private_target_is_dropped_even_when_offsite_filtering_is_switched_off():
    crawler = crawler_with_source(allowed_domains=("127.0.0.1",))
    middleware = SafeOffsiteMiddleware.from_crawler(crawler)
    middleware.spider_opened(crawler.spider)
    for request in (Request("http://127.0.0.1/", dont_filter=True), Request("http://127.0.0.1/a.html")):
        with pytest.raises(IgnoreRequest):
            middleware.process_request(request)


def test_allow_private_lets_a_private_target_through_to_the_offsite_filter():
    crawler = crawler_with_source(allow_private=True, allowed_domains=("127.0.0.1",))
    middleware = SafeOffsiteMiddleware.from_crawler(crawler)
    middleware.spider_opened(crawler.spider)
    assert middleware.process_request(Request("http://127.0.0.1:8080/a.html")) is None
    with pytest.raises(IgnoreRequest, match="offsite"):
        middleware.process_request(Request("http://10.0.0.8/a.html"))  # allowed, but not one of its domains
    assert crawler.stats.get_value("offsite/filtered") == 1


def test_public_requests_pass_untouched():
    crawler = crawler_with_source()
    middleware = SafeOffsiteMiddleware.from_crawler(crawler)
    middleware.spider_opened(crawler.spider)
    assert middleware.process_request(Request(ARTICLE)) is None
    assert not crawler.stats.get_stats()


def test_scrapy_offsite_middleware_is_replaced_not_doubled():
    middlewares = get_project_settings().getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["scrapy.downloadermiddlewares.offsite.OffsiteMiddleware"] is None
    assert middlewares["crawler.middlewares.SafeOffsiteMiddleware"] < 100  # before robots.txt is fetched


SOURCE = '[[source]]\nname = "intranet"\nkind = "gov"\nstart_urls = ["{url}"]\narticles = ["/art/"]\n'


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/index.html", "http://10.1.2.3/", "http://localhost/"])
def test_a_private_start_url_needs_allow_private(tmp_path, url):
    path = tmp_path / "sources.toml"
    path.write_text(SOURCE.format(url=url), encoding="utf-8")
    with pytest.raises(SourcesError, match="field 'start_urls'.*set allow_private = true"):
        load_sources(path)
    path.write_text(SOURCE.format(url=url) + "allow_private = true\n", encoding="utf-8")
    (source,) = load_sources(path)
    assert source.allow_private and source.to_config()["allow_private"] is True


def test_allow_private_must_be_a_boolean(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(SOURCE.format(url="http://www.a.gov.cn/") + 'allow_private = "yes"\n', encoding="utf-8")
    with pytest.raises(SourcesError, match="field 'allow_private': must be true or false"):
        load_sources(path)


def test_sample_sources_stay_public():
    from tests.conftest import SAMPLE_SOURCES
    from tests.faults.conftest import HOSTILE_SOURCES

    assert not any(s.allow_private for s in load_sources(SAMPLE_SOURCES) + load_sources(HOSTILE_SOURCES))


# -- telnet console and remote control ----------------------------------------------------------------------------


def test_telnet_console_and_remote_control_are_off():
    settings = get_project_settings()
    assert settings.getbool("TELNETCONSOLE_ENABLED") is False
    assert settings.getbool("REMOTE_CONTROL_ENABLED") is False


# -- redirect loops ----------------------------------------------------------------------------------------------


def redirect(url: str, location: str, request: Request) -> Response:
    return Response(url, status=302, headers={"Location": location}, request=request)


def test_a_redirect_back_into_its_own_chain_is_a_counted_loop():
    crawler = crawler_with_source()
    middleware = RedirectLoopMiddleware.from_crawler(crawler)
    check = f"http://{HOST}/security/check.jsp?url=%2Fa.html"
    request = Request(check, meta={"redirect_urls": [f"http://{HOST}/a.html"]})
    with pytest.raises(IgnoreRequest, match="redirect loop"):
        middleware.process_response(request, redirect(check, "/a.html", request))
    assert crawler.stats.get_value("speechwatch/skipped/redirect_loop") == 1


def test_a_redirect_to_a_new_url_passes():
    crawler = crawler_with_source()
    middleware = RedirectLoopMiddleware.from_crawler(crawler)
    request = Request(ARTICLE)
    response = redirect(ARTICLE, "/new.html", request)
    assert middleware.process_response(request, response) is response
    ok = HtmlResponse(ARTICLE, body=b"<html></html>", request=request)
    assert middleware.process_response(request, ok) is ok


# -- hostile bodies and download failures --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b" \r\n\t ", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
        (b"PK\x03\x04\x14\x00", "binary"),
        (b"%PDF-1.7\n", "binary"),
        (b"<html>\x00\x01\x02 garbage", "binary"),
    ],
)
def test_unusable_bodies_have_a_reason(body, reason):
    assert unusable_body(body)[0] == reason


def test_utf16_and_ordinary_pages_are_usable():
    assert unusable_body("<html><body>讲话</body></html>".encode("utf-16")) is None
    assert unusable_body("<html><body>讲话</body></html>".encode("gbk")) is None


def test_scrapy_gzip_bomb_message_is_recognised():
    """Pins the text of Scrapy's decompression-limit IgnoreRequest (only the message tells it apart)."""
    crawler = get_crawler(Spider, {"DOWNLOAD_MAXSIZE": 10_000})
    middleware = HttpCompressionMiddleware.from_crawler(crawler)
    request = Request(ARTICLE)
    bomb = gzip.compress(b" " * 1_000_000)
    response = Response(ARTICLE, body=bomb, headers={"Content-Encoding": "gzip"}, request=request)
    with pytest.raises(IgnoreRequest) as raised:
        middleware.process_response(request, response)
    reason, detail = failure_skip(failure_of(raised.value, request))
    assert reason == "too_large" and "decompression" in detail


def test_scrapy_max_redirections_message_is_recognised():
    crawler = get_crawler(Spider, {"REDIRECT_MAX_TIMES": 1})
    crawler.spider = Spider(name="source")
    middleware = RedirectMiddleware.from_crawler(crawler)
    request = Request(ARTICLE + "?hop=1", meta={"redirect_times": 1, "redirect_ttl": 5})
    with pytest.raises(IgnoreRequest) as raised:
        middleware.process_response(request, redirect(request.url, ARTICLE + "?hop=2", request))
    assert failure_skip(failure_of(raised.value, request))[0] == "redirect_max"


@pytest.mark.parametrize("exception", [DownloadCancelledError("expected response size larger"), CancelledError()])
def test_cancelled_downloads_are_too_large(exception):
    assert failure_skip(failure_of(exception, Request(ARTICLE)))[0] == "too_large"


@pytest.mark.parametrize("exception", [IgnoreRequest("Filtered offsite request"), ValueError("x"), TimeoutError()])
def test_other_failures_keep_scrapys_handling(exception):
    assert failure_skip(failure_of(exception, Request(ARTICLE))) is None


def test_skip_logging_is_capped_per_reason(caplog):
    crawler = crawler_with_source()
    with caplog.at_level("WARNING", logger="crawler.middlewares"):
        for n in range(SKIP_LOG_LINES + 50):
            record_skip(crawler, "private_address", f"http://10.0.0.{n}/", "private")
    assert crawler.stats.get_value("speechwatch/skipped/private_address") == SKIP_LOG_LINES + 50
    assert len(caplog.records) == SKIP_LOG_LINES + 1  # the first ones, then "only counted"


def test_run_counts_sum_every_skip_reason():
    stats = {
        "offsite/filtered": 3000,
        "robotstxt/forbidden": 1,
        "speechwatch/blocked": 1,
        "depth/request_ignored_count": 4,
        "speechwatch/skipped/too_large": 3,
        "speechwatch/skipped/private_address": 9,
        "speechwatch/skipped_non_html": 1,
    }
    assert skip_counts(stats)["depth_limit"] == 4
    assert run_counts(stats)["skipped"] == 3019


# -- extraction of a hostile page -----------------------------------------------------------------------------------


def item(body: bytes, encoding: str = "utf-8") -> PageItem:
    return PageItem(ARTICLE, ARTICLE, "xinqiao-ldjh", "gov", 200, body, encoding)


def test_control_characters_are_dropped_before_parsing():
    """lxml refuses text holding C0 controls (a form feed pasted from Word failed the whole page)."""
    text = decode_body(item("<p>同志们：\x0c今天\x0b召开\x1b会议。\x00</p>\t\r\n".encode()))
    assert text == "<p>同志们：今天召开会议。</p>\t\r\n"


def test_the_item_repr_leaves_the_body_out():
    assert "body" not in repr(item(b"<html>" + b"x" * 10_000))


@pytest.mark.parametrize(
    "body", [b"<html><body><script>location.href='/x'</script></body></html>", b"\x0c\x0b", b"<html></html>"]
)
@pytest_twisted.ensureDeferred
async def test_a_page_without_text_is_dropped_not_stored(body):
    crawler = crawler_with_source()
    with pytest.raises(DropItem):
        await ExtractPipeline(crawler, None).process_item(item(body))
    assert crawler.stats.get_value("speechwatch/skipped/no_text") == 1
    assert crawler.stats.get_value("speechwatch/empty_text") == 1  # still seen by `speechwatch health`


def test_every_source_field_is_in_the_readme_table():
    from pathlib import Path

    from crawler.sources import SOURCE_KEYS

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert [key for key in sorted(SOURCE_KEYS) if f"| `{key}` |" not in readme] == []


def test_a_redirect_the_request_handles_itself_is_left_alone():
    crawler = crawler_with_source()
    middleware = RedirectLoopMiddleware.from_crawler(crawler)
    request = Request(ARTICLE, meta={"handle_httpstatus_list": [302]})
    response = redirect(ARTICLE, ARTICLE, request)
    assert middleware.process_response(request, response) is response
