"""Downloader middlewares: proxy, address safety, redirect loops, conditional requests, anti-bot walls, charsets."""

from __future__ import annotations

import logging
import re
from urllib.parse import urljoin

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response, TextResponse
from scrapy.utils.httpobj import urlparse_cached
from w3lib.url import canonicalize_url, safe_url_string

from crawler.config import setting
from crawler.sources import private_host
from monitor.extract.decode import better_encoding

log = logging.getLogger(__name__)

ANTIBOT_STATUSES = {412: "瑞数 (HTTP 412)", 521: "加速乐 (HTTP 521)"}
ANTIBOT_BODY_MARKERS = (
    (re.compile(rb"\$_ts\s*=\s*window\[\s*['\"]\$_ts['\"]\s*\]"), "瑞数 ($_ts challenge)"),
    (re.compile(rb"__jsl_clearance"), "加速乐 (__jsl_clearance)"),
)

SKIP_STAT = "speechwatch/skipped/"
SKIP_LOG_LINES = 10  # per reason and crawl; later skips of that reason are only counted
REDIRECT_STATUSES = {301, 302, 303, 307, 308}


def record_skip(crawler: Crawler, reason: str, url: str, detail: str) -> None:
    """Count a page or link left out on purpose under ``speechwatch/skipped/<reason>`` and log why.

    The run's ``skipped`` column sums these (:func:`crawler.extensions.run_counts`); the first
    ``SKIP_LOG_LINES`` of each reason are logged one by one, so a page of 3,000 bad links cannot flood the log.
    """
    key = SKIP_STAT + reason
    crawler.stats.inc_value(key)
    count = crawler.stats.get_value(key)
    if count <= SKIP_LOG_LINES:
        log.warning("skipped (%s) %s: %s", reason, url, detail)
    if count == SKIP_LOG_LINES:
        log.warning("further skips (%s) in this crawl are only counted, under %s", reason, key)


class SafeOffsiteMiddleware(OffsiteMiddleware):
    """Scrapy's offsite filter, and no request to a private, loopback or link-local address (SSRF).

    A public page can link or redirect to ``http://127.0.0.1:6379/``, ``http://10.0.0.8/`` or the cloud metadata
    service ``http://169.254.169.254/``; those are dropped unless the source sets ``allow_private = true``. It
    replaces Scrapy's OffsiteMiddleware at the same place, so like it it runs when a request is scheduled and again
    before download (redirects included), ahead of robots.txt: a dropped target is never connected to, not even
    through the proxy. The check is on the URL's host (see :func:`crawler.sources.private_host`), never on the
    proxy's address, and names are not resolved.
    """

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        source = getattr(self.crawler.spider, "source", None)
        host = urlparse_cached(request).hostname
        if not getattr(source, "allow_private", False) and private_host(host):
            detail = f"{host} is a private, loopback or link-local address (the source does not set allow_private)"
            record_skip(self.crawler, "private_address", request.url, detail)
            raise IgnoreRequest(f"private address {host!r}")
        return super().process_request(request)


class RedirectLoopMiddleware:
    """Stop a redirect back into its own chain (a cookie check answered without cookies loops for ever).

    Scrapy's duplicate filter would drop the repeated URL without a word; this names it. It sits just outside
    RedirectMiddleware (600), so it sees the 3xx first. Endless chains of new URLs end at ``REDIRECT_MAX_TIMES``.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectLoopMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get("Location")
        handled = request.meta.get("handle_httpstatus_all") or response.status in request.meta.get(
            "handle_httpstatus_list", ()
        )
        if response.status not in REDIRECT_STATUSES or not location or request.meta.get("dont_redirect") or handled:
            return response
        target = canonicalize_url(urljoin(response.url, safe_url_string(location.decode("latin-1"))))
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target not in {canonicalize_url(url) for url in chain}:
            return response
        detail = f"redirect loop: {response.url} sends back to {target} after {len(chain)} hop(s)"
        record_skip(self.crawler, "redirect_loop", chain[0], detail)
        raise IgnoreRequest(detail)


class ProxyMiddleware:
    """Send every request (robots.txt included) through ``SPEECHWATCH_PROXY`` when it is set."""

    def __init__(self, proxy: str) -> None:
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProxyMiddleware:
        proxy = setting(crawler.settings, "SPEECHWATCH_PROXY")
        if not proxy:
            raise NotConfigured("SPEECHWATCH_PROXY is not set")
        return cls(proxy)

    def process_request(self, request: Request) -> None:
        request.meta.setdefault("proxy", self.proxy)


class ConditionalRequestMiddleware:
    """Ask for stored articles with ``If-None-Match`` / ``If-Modified-Since`` so unchanged ones cost a 304.

    Validators come from storage when the spider opens (one query per crawl). Scrapy-deltafetch would skip
    known URLs entirely but crashes on Scrapy 2.19, and HTTPCACHE is not a change detector (DESIGN.md §5).
    """

    def __init__(self, crawler: Crawler, db_url: str | None) -> None:
        self.crawler = crawler
        self.db_url = db_url
        self.validators: dict[str, tuple[str | None, str | None]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        middleware = cls(crawler, setting(crawler.settings, "SPEECHWATCH_DB"))
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        source = getattr(spider, "source", None)
        if source is None:
            return
        from storage.database import Database
        from storage.documents import validators_for_source

        db = Database(self.db_url)
        try:
            self.validators = db.retrying(validators_for_source, db, source.name)
        finally:
            db.close()
        log.info("conditional requests: %d stored articles of %s", len(self.validators), source.name)

    def process_request(self, request: Request) -> None:
        if request.meta.get("speechwatch_kind") != "article":
            return
        etag, last_modified = self.validators.get(canonicalize_url(request.url), (None, None))
        if etag:
            request.headers.setdefault("If-None-Match", etag)
        if last_modified:
            request.headers.setdefault("If-Modified-Since", last_modified)
        if etag or last_modified:
            self.crawler.stats.inc_value("speechwatch/conditional_requests")


class AntiBotMiddleware:
    """Recognise 瑞数 / 加速乐 walls (412, 521, ``$_ts`` or ``__jsl_clearance`` in a 200) and drop them.

    They need a real browser; storing them would put a challenge script in the corpus. Each one is counted
    under ``speechwatch/blocked`` and logged with the URL and the wall it is.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AntiBotMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        wall = detect_antibot(response)
        if wall is None:
            return response
        stats = self.crawler.stats
        stats.inc_value("speechwatch/blocked")
        stats.inc_value(f"speechwatch/blocked/{response.status}")
        blocked = stats.get_value("speechwatch/blocked_urls") or []
        if len(blocked) < 20:
            stats.set_value("speechwatch/blocked_urls", [*blocked, response.url])
        log.warning("blocked by an anti-bot wall (%s), needs a browser: %s", wall, response.url)
        raise IgnoreRequest(f"anti-bot wall {wall} at {response.url}")


def detect_antibot(response: Response) -> str | None:
    """The name of the anti-bot wall this response is, or None."""
    if response.status in ANTIBOT_STATUSES:
        return ANTIBOT_STATUSES[response.status]
    if "X-Via-JSL" in response.headers:
        return "加速乐 (X-Via-JSL)"
    head = response.body[:20_000]
    for pattern, name in ANTIBOT_BODY_MARKERS:
        if pattern.search(head):
            return name
    return None


class CharsetFixMiddleware:
    """Repair pages whose HTTP header names the wrong charset (it would win over ``<meta charset>``).

    If the body does not decode strictly with the header's charset, use the charset the page declares
    itself (gb2312/gbk widened to GB18030, as browsers do), else GB18030, else leave it.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CharsetFixMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse) or not response.body:
            return response
        forced = request.meta.get("speechwatch_encoding")
        if forced:
            return response.replace(encoding=forced)
        repaired = repaired_encoding(response)
        if repaired is None:
            return response
        self.crawler.stats.inc_value("speechwatch/charset_fixed")
        log.info("charset fixed %s -> %s: %s", response.encoding, repaired, response.url)
        return response.replace(encoding=repaired)


def repaired_encoding(response: TextResponse) -> str | None:
    """A better encoding than the one Scrapy chose (see :func:`monitor.extract.decode.better_encoding`)."""
    return better_encoding(response.body, response.encoding)
