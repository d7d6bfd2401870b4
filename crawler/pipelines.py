"""Item pipelines: extract (off the reactor thread), then store in batches (one writer thread)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor, threads
from twisted.python.threadpool import ThreadPool

from crawler.config import setting
from crawler.documents import extract_item, to_record
from crawler.items import PageItem
from crawler.middlewares import record_skip
from monitor.profiles import SiteProfiles
from monitor.reprocess import reextract_run
from storage.database import Database
from storage.documents import DocumentRecord, store_documents
from storage.runs import start_run

log = logging.getLogger(__name__)


class ExtractPipeline:
    """Text and speech metadata of each article, computed in Twisted's thread pool.

    Each host's learned chrome is loaded from storage on first use and learns from every page that passes.
    A page without text (script-only, garbage, a template the extractor no longer understands) is dropped as
    ``skipped/no_text``: storing it would replace a stored article's text with nothing.
    """

    def __init__(self, crawler: Crawler, db_url: str | None) -> None:
        self.crawler = crawler
        self.db_url = db_url
        self.db: Database | None = None
        self.profiles: SiteProfiles | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        return cls(crawler, setting(crawler.settings, "SPEECHWATCH_DB"))

    async def open_spider(self) -> None:
        self.db = await maybe_deferred_to_future(threads.deferToThread(Database, self.db_url))
        source = getattr(self.crawler.spider, "source", None)
        self.profiles = SiteProfiles(
            self.db, selectors=getattr(source, "selectors", None), kind=getattr(source, "kind", None)
        )

    async def close_spider(self) -> None:
        if self.db is not None:
            self.db.close()

    async def process_item(self, item: PageItem) -> PageItem:
        try:
            item = await maybe_deferred_to_future(threads.deferToThread(self._extract, item))
        except Exception as exc:  # noqa: BLE001 - a page that breaks the extractor is stored without text
            self.crawler.stats.inc_value("speechwatch/extract_errors")
            log.warning("extraction failed for %s: %s", item.final_url, exc)
        if not item.text:
            self.crawler.stats.inc_value("speechwatch/empty_text")
            record_skip(self.crawler, "no_text", item.final_url, "no text found: not stored (a stored copy is kept)")
            raise DropItem(f"no text found at {item.final_url}", log_level="DEBUG")
        return item

    def _extract(self, item: PageItem) -> PageItem:
        profile = self.profiles.get(urlsplit(item.final_url).hostname or "") if self.profiles else None
        return extract_item(item, profile)


class StoragePipeline:
    """Batched upserts by canonical URL, in one writer thread; each batch is one transaction.

    A crawl that dies half way leaves whole rows only: a batch commits completely or not at all.
    """

    def __init__(self, crawler: Crawler, db_url: str | None, batch_size: int) -> None:
        self.crawler = crawler
        self.db_url = db_url
        self.batch_size = batch_size
        self.buffer: list[DocumentRecord] = []
        self.db: Database | None = None
        self.run_id: int | None = None
        self.chrome_checks: dict[str, tuple] = {}  # by canonical URL, for the end-of-run re-extraction
        self.pool = ThreadPool(minthreads=1, maxthreads=1, name="speechwatch-writer")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        return cls(
            crawler,
            setting(crawler.settings, "SPEECHWATCH_DB"),
            int(setting(crawler.settings, "SPEECHWATCH_BATCH_SIZE", "20") or 20),
        )

    async def open_spider(self) -> None:
        self.pool.start()
        self.db = await self._in_writer(Database, self.db_url)
        run_id = setting(self.crawler.settings, "SPEECHWATCH_RUN_ID")
        if run_id:
            self.run_id = int(run_id)
        else:
            spider = self.crawler.spider
            self.run_id = await self._in_writer(self.db.retrying, start_run, self.db, spider.source.name)
        self.crawler.stats.set_value("speechwatch/run_id", self.run_id)
        self.crawler.stats.set_value("speechwatch/db", self.db.display_url)

    async def process_item(self, item: PageItem) -> PageItem:
        if not isinstance(item, PageItem):
            raise DropItem(f"unexpected item type {type(item).__name__}")
        record = to_record(item, self.run_id)
        if item.chrome_checks is not None:
            self.chrome_checks[record.url] = item.chrome_checks
        self.buffer.append(record)
        if len(self.buffer) >= self.batch_size:
            await self._flush()
        return item

    async def close_spider(self) -> None:
        try:
            await self._flush()
            await self._reextract_run()
        finally:
            if self.db is not None:
                await self._in_writer(self.db.close)
            self.pool.stop()

    async def _flush(self) -> None:
        batch, self.buffer = self.buffer, []
        if not batch or self.db is None:
            return
        stats = self.crawler.stats
        try:
            result = await self._in_writer(self.db.retrying, store_documents, self.db, batch)
        except Exception as exc:  # noqa: BLE001 - counted and logged; the next run fetches them again
            stats.inc_value("speechwatch/store_errors", len(batch))
            stats.set_value("speechwatch/store_error", f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
            log.error("could not store %d documents (%s): %s", len(batch), type(exc).__name__, exc)
            return
        stats.inc_value("speechwatch/documents_new", result.new)
        stats.inc_value("speechwatch/documents_updated", result.updated)
        stats.inc_value("speechwatch/documents_unchanged", result.unchanged)

    async def _reextract_run(self) -> None:
        """Extract this run's new pages again now that their site's chrome has been counted with them.

        The first pages of a new site are extracted before the site's recurring lines are known; this pass
        (cheap: only this run's documents, from stored HTML) makes them as clean as the later ones.
        """
        stats = self.crawler.stats
        if self.db is None or not (stats.get_value("speechwatch/documents_new") or 0):
            return
        if self.crawler.settings.get("SCHEDULER") == "crawler.distributed.RunScheduler":
            return  # one child of a distributed run: the coordinator re-extracts the run once, after it drains
        counts = await self._in_writer(self.db.retrying, reextract_run, self.db, self.run_id, self.chrome_checks)
        stats.set_value("speechwatch/reextracted_changed", counts.changed)
        stats.set_value("speechwatch/reextract_settled", counts.settled)

    async def _in_writer(self, function, *args):
        return await maybe_deferred_to_future(threads.deferToThreadPool(reactor, self.pool, function, *args))
