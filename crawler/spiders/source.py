"""The config-driven spider: list pages → article pages, for any site in the sources file.

Run it with ``scrapy crawl source -a source=NAME [-a sources=FILE]``; ``speechwatch crawl`` does the same
in a child process per source.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response, TextResponse
from twisted.internet.defer import CancelledError
from twisted.python.failure import Failure

from crawler.config import DEFAULT_SOURCES, setting
from crawler.items import PageItem
from crawler.middlewares import record_skip
from crawler.pagination import hrefs_in_markup, jpage_total_pages, trs_page_urls
from crawler.sources import Source, SourcesError, load_sources, select_sources

BINARY_SIGNATURES = (
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"%PDF-", "a PDF"),
    (b"PK\x03\x04", "a zip archive (docx/xlsx/zip)"),
    (b"\xd0\xcf\x11\xe0", "an old MS Office file (doc/xls)"),
    (b"Rar!", "a RAR archive"),
    (b"\x1f\x8b", "gzip data"),
)


class SourceSpider(Spider):
    name = "source"
    source: Source

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        name = kwargs.get("source")
        if not name:
            raise SourcesError("give the source to crawl: scrapy crawl source -a source=NAME")
        path = kwargs.get("sources") or setting(crawler.settings, "SPEECHWATCH_SOURCES", DEFAULT_SOURCES)
        spider.source = select_sources(load_sources(path), [name])[0]
        spider.allowed_domains = list(spider.source.allowed_domains)
        spider.list_requests = 0
        return spider

    async def start(self) -> AsyncIterator[Request]:
        if not _claims_seed(self.crawler):  # another worker of this distributed run yields them
            return
        for url in self.source.start_urls:
            request = self._list_request(url)
            if request is not None:
                yield request
        if self.source.list_api is not None:
            yield self._api_request(1)

    # -- list pages ----------------------------------------------------------------------------------------

    def parse_list(self, response: Response) -> Iterator[Request]:
        if not isinstance(response, TextResponse):
            self.crawler.stats.inc_value("speechwatch/skipped_non_html")
            return
        if self._unusable(response):
            return
        self.crawler.stats.inc_value("speechwatch/list_pages")
        links = hrefs_in_markup(response.url, response.text)
        yield from self._follow_links(response, links)
        for url in trs_page_urls(response.url, response.text):
            if url != response.url:
                request = self._list_request(url)
                if request is not None:
                    yield request

    def parse_api(self, response: Response) -> Iterator[Request]:
        """A Hanweb ``dataproxy.jsp`` page: article links in CDATA, page count in ``<totalpage>``."""
        self.crawler.stats.inc_value("speechwatch/list_pages")
        text = response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        yield from self._follow_links(response, hrefs_in_markup(response.url, text))
        if response.meta.get("speechwatch_page") == 1:
            api = self.source.list_api
            assert api is not None
            for page in range(2, min(jpage_total_pages(text), api.max_pages) + 1):
                yield self._api_request(page)

    def _follow_links(self, response: Response, links: list[str]) -> Iterator[Request]:
        articles = 0
        for url in links:
            if any(p.search(url) for p in self.source.articles):
                articles += 1
                yield Request(
                    url,
                    callback=self.parse_article,
                    errback=self.skip_failure,
                    meta={"speechwatch_kind": "article", "handle_httpstatus_list": [304], **self._encoding()},
                )
            elif any(p.search(url) for p in self.source.follow):
                request = self._list_request(url)
                if request is not None:
                    yield request
        self.crawler.stats.inc_value("speechwatch/article_links", articles)
        if articles == 0:
            self.crawler.stats.inc_value("speechwatch/list_pages_without_articles")
            self.logger.info("no article links on list page %s", response.url)

    def _list_request(self, url: str) -> Request | None:
        if self.list_requests >= self.source.max_pages:
            if not self.crawler.stats.get_value("speechwatch/list_pages_capped"):
                self.logger.warning(
                    "max_pages (%d list pages) reached: %s and later list pages are not fetched",
                    self.source.max_pages,
                    url,
                )
            self.crawler.stats.inc_value("speechwatch/list_pages_capped")
            return None
        self.list_requests += 1
        return Request(
            url,
            callback=self.parse_list,
            errback=self.skip_failure,
            meta={"speechwatch_kind": "list", **self._encoding()},
        )

    def _api_request(self, page: int) -> Request:
        api = self.source.list_api
        assert api is not None
        return Request(
            api.url.format(page=page),
            callback=self.parse_api,
            errback=self.skip_failure,
            meta={"speechwatch_kind": "list", "speechwatch_page": page},
        )

    def _encoding(self) -> dict[str, str]:
        return {"speechwatch_encoding": self.source.encoding} if self.source.encoding else {}

    # -- articles --------------------------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[PageItem]:
        stats = self.crawler.stats
        if response.status == 304:
            stats.inc_value("speechwatch/not_modified")
            return
        if not isinstance(response, TextResponse):
            stats.inc_value("speechwatch/skipped_non_html")
            self.logger.warning("skipped non-HTML article (%s): %s", response.headers.get("Content-Type"), response.url)
            return
        if self._unusable(response):
            return
        stats.inc_value("speechwatch/articles_fetched")
        listed_url = (response.meta.get("redirect_urls") or [response.url])[0]
        yield PageItem(
            listed_url=listed_url,
            final_url=response.url,
            source=self.source.name,
            source_kind=self.source.kind,
            http_status=response.status,
            body=response.body,
            encoding=response.encoding,
            etag=_header(response, b"ETag"),
            last_modified=_header(response, b"Last-Modified"),
            selectors=dict(self.source.selectors),
        )

    # -- hostile pages -----------------------------------------------------------------------------------------

    def _unusable(self, response: Response) -> bool:
        """Skip (count and log) a page served as HTML that cannot be one; a stored copy of it stays as it was."""
        reason = unusable_body(response.body)
        if reason is None:
            return False
        record_skip(self.crawler, reason[0], response.url, reason[1])
        return True

    def skip_failure(self, failure: Failure) -> Failure | None:
        """Errback of every request: a hostile page (too large, a gzip bomb, endless redirects) becomes a counted
        skip with its reason; any other failure goes on to Scrapy's usual logging and error counts."""
        reason = failure_skip(failure)
        if reason is None:
            return failure
        request = failure.request
        record_skip(self.crawler, reason[0], (request.meta.get("redirect_urls") or [request.url])[0], reason[1])
        return None


def unusable_body(body: bytes) -> tuple[str, str] | None:
    """``(reason, detail)`` when a body served as a web page is none: empty, or a binary file; else None."""
    if not body.strip():
        return "empty", "empty body"
    head = body[:4096]
    for signature, name in BINARY_SIGNATURES:
        if head.startswith(signature):
            return "binary", f"binary data ({name}) served as a web page"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 pages have NULs
        return "binary", "binary data (NUL bytes) served as a web page"
    return None


def failure_skip(failure: Failure) -> tuple[str, str] | None:
    """``(reason, detail)`` when a download failure is a hostile page rather than an error, else None.

    Scrapy cancels a download over ``DOWNLOAD_MAXSIZE`` (``DownloadCancelledError`` when the Content-Length says
    so, ``CancelledError`` once the bytes received pass it), ignores a response whose decompressed body passes
    it (a gzip bomb, decoded piece by piece and stopped there) and one past ``REDIRECT_MAX_TIMES``; only the
    messages tell the last two apart from other ignored requests (tests pin them).
    """
    if failure.check(DownloadCancelledError, CancelledError):
        return "too_large", str(failure.value) or "body larger than DOWNLOAD_MAXSIZE: download cancelled"
    if failure.check(IgnoreRequest):
        message = str(failure.value)
        if "DOWNLOAD_MAXSIZE" in message and "decompression" in message:
            return "too_large", message
        if message == "max redirections reached":
            return "redirect_max", "more redirects than REDIRECT_MAX_TIMES"
    return None


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


def _claims_seed(crawler) -> bool:
    """Whether this crawl yields its start requests: always, unless it is one child of a distributed run (then
    :func:`crawler.distributed.claim_seed`; scrapy-redis, the ``redis`` extra, is imported only then)."""
    if crawler.settings.get("SCHEDULER") != "crawler.distributed.RunScheduler":
        return True
    from crawler.distributed import claim_seed

    return claim_seed(crawler)
