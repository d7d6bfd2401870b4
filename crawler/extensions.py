"""The crawl-run recorder: closes the run's row with the figures from Scrapy's stats."""

from __future__ import annotations

import logging

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from crawler.config import setting
from crawler.middlewares import SKIP_STAT
from storage.database import Database
from storage.runs import finish_run

log = logging.getLogger(__name__)

SKIP_STATS = {  # Scrapy's and our older skip counters -> the reason the run's summary line gives
    "robotstxt/forbidden": "robots_txt",
    "offsite/filtered": "offsite",
    "speechwatch/blocked": "antibot",
    "speechwatch/skipped_non_html": "non_html",
    "depth/request_ignored_count": "depth_limit",
}


def skip_counts(stats: dict) -> dict[str, int]:
    """Pages and links the run left out on purpose, by reason (``speechwatch/skipped/<reason>`` and the above)."""
    counts = {reason: int(stats.get(key, 0) or 0) for key, reason in SKIP_STATS.items()}
    for key, value in stats.items():
        if key.startswith(SKIP_STAT):
            counts[key.removeprefix(SKIP_STAT)] = int(value or 0)
    return {reason: count for reason, count in counts.items() if count}


def run_counts(stats: dict) -> dict[str, int]:
    """The crawl_runs columns, all taken from one place: the crawl's stats."""

    def get(key: str) -> int:
        return int(stats.get(key, 0) or 0)

    return {
        "pages_fetched": get("downloader/response_count"),
        "documents_new": get("speechwatch/documents_new"),
        "documents_updated": get("speechwatch/documents_updated"),
        "documents_unchanged": get("speechwatch/documents_unchanged") + get("speechwatch/not_modified"),
        "skipped": sum(skip_counts(stats).values()),
        "blocked": get("speechwatch/blocked"),
        "errors": get("log_count/ERROR") + get("httperror/response_ignored_count"),
        "list_pages": get("speechwatch/list_pages"),
        "article_links": get("speechwatch/article_links"),
    }


def successful_pages(stats: dict) -> int:
    """Responses that carried a page: 2xx or 304 (a proxy's 502 for a dead host is not one)."""
    prefix = "downloader/response_status_count/"
    statuses = {k.removeprefix(prefix): int(v or 0) for k, v in stats.items() if k.startswith(prefix)}
    return sum(count for status, count in statuses.items() if status.startswith("2") or status == "304")


def run_status(reason: str, counts: dict[str, int], ok_pages: int | None = None) -> str:
    """``finished``, ``blocked`` (only walls, nothing stored), ``failed`` (no page came back), ``timeout``."""
    if reason not in ("finished",):
        return "failed" if reason != "closespider_timeout" else "timeout"
    stored = counts["documents_new"] + counts["documents_updated"] + counts["documents_unchanged"]
    if counts["blocked"] and not stored:
        return "blocked"
    no_pages = counts["pages_fetched"] == 0 if ok_pages is None else ok_pages == 0
    if no_pages and counts["errors"]:
        return "failed"
    return "finished"


class CrawlRunRecorder:
    """On spider close, write status and counts to the run opened by the parent or the storage pipeline."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.db_url = setting(crawler.settings, "SPEECHWATCH_DB")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRunRecorder:
        recorder = cls(crawler)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.crawler.settings.get("SCHEDULER") == "crawler.distributed.RunScheduler":
            return  # one child of a distributed run: its counts went to Redis, the coordinator closes the run
        stats_collector: StatsCollector = self.crawler.stats
        stats = stats_collector.get_stats()
        run_id = stats.get("speechwatch/run_id")
        if not run_id:
            log.warning("no crawl run to record (the storage pipeline did not open)")
            return
        counts = run_counts(stats)
        status = run_status(reason, counts, successful_pages(stats))
        skips = skip_counts(stats)
        if stats.get("speechwatch/list_pages_capped"):
            skips["max_pages (list links not followed)"] = int(stats["speechwatch/list_pages_capped"])
        if skips:
            log.info("skipped by reason: %s", ", ".join(f"{k} {v}" for k, v in sorted(skips.items())))
        error_text = None
        lost = int(stats.get("speechwatch/store_errors", 0) or 0)
        if lost:
            status = "failed"
            error_text = f"{lost} documents could not be stored: {stats.get('speechwatch/store_error', '?')}"
        elif status == "failed" and reason == "finished":
            error_text = "no page could be fetched (site down or unreachable)"
        elif reason == "shutdown":
            error_text = "closed: shutdown (the crawl was stopped by a signal; the next run fetches the rest)"
        elif status != "finished":
            error_text = f"closed: {reason}"
        db = Database(self.db_url)
        try:
            db.retrying(
                lambda: finish_run(
                    db,
                    int(run_id),
                    status=status,
                    counts=counts,
                    stats={k: _jsonable(v) for k, v in stats.items()},
                    error_text=error_text,
                )
            )
        finally:
            db.close()
        log.info("run %s of %s: %s %s", run_id, getattr(spider, "source", spider).name, status, counts)


def _jsonable(value: object) -> object:
    if isinstance(value, int | float | str | bool | list | dict) or value is None:
        return value
    return str(value)
