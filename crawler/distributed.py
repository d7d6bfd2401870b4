"""One run crawled by many workers over scrapy-redis: per-run Redis keys, presence, idleness and counts.

A scheduled run is seeded into Redis by the coordinator (``monitor.schedule.distributed``); each worker that
takes it starts one ``scrapy crawl source`` child with the settings of :func:`crawl_settings`. The children share
the run's request queue and dupefilter (scrapy-redis), so each URL is fetched once per run, and every run has its
own keys, so the next run starts from an empty dupefilter. The coordinator decides when the run is over from
what the children publish here:

- ``workers``: child id → last heartbeat (a child silent for ``DEAD_AFTER`` seconds is dead: what it held is
  fetched by the next run, the incremental crawl makes that cheap);
- ``idle``: child id → 1 when Scrapy found it idle (nothing in flight, nothing to pop), 0 as soon as it tries to
  pop a request — set *before* the pop, so a request is always either in the queue or on a busy child;
- ``stats``: the children's run counts, added up at their close; the coordinator closes the run once with them.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from crawler.config import setting

log = logging.getLogger(__name__)

DEFAULT_QUEUE = "speechwatch"
KEY_TTL = 2 * 86400  # seconds: keys of a run left behind by a crash expire
HEARTBEAT = 2.0  # seconds between a child's heartbeats
DEAD_AFTER = 10.0  # seconds without a heartbeat after which a child counts as dead


def runs_key(queue: str) -> str:
    """The hash of open runs: run id → JSON ``{"source": …}``; workers take runs from here."""
    return f"{queue}:runs"


def run_key(queue: str, run_id: int | str, part: str) -> str:
    return f"{queue}:run:{run_id}:{part}"


def crawl_settings(queue: str, run_id: int) -> dict[str, str]:
    """The ``-s`` settings of a child crawling ``run_id`` with the others: scrapy-redis with this run's keys.

    The Redis URL (it may hold a password) is not among them: Scrapy logs every overridden setting, so the
    child reads it from ``$SPEECHWATCH_REDIS`` instead (see :meth:`RunScheduler.from_settings`).
    """
    return {
        "SCHEDULER": "crawler.distributed.RunScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_KEY": run_key(queue, run_id, "requests"),
        "SCHEDULER_DUPEFILTER_KEY": run_key(queue, run_id, "dupefilter"),
        "SCHEDULER_PERSIST": "True",  # one child closing must not clear the queue the others still work on
        "SPEECHWATCH_QUEUE": queue,
    }


class RunScheduler(Scheduler):
    """scrapy-redis's scheduler, plus this child's presence, idleness and counts in the run's keys."""

    @classmethod
    def from_settings(cls, settings) -> RunScheduler:
        """scrapy-redis's constructor, with the Redis URL from the environment (never a logged setting)."""
        redis_url = os.environ.get("SPEECHWATCH_REDIS")
        if not redis_url:
            raise ValueError("a distributed crawl needs SPEECHWATCH_REDIS in its environment")
        settings = settings.copy()
        settings.frozen = False  # a private copy: the crawler's own settings stay frozen and without the URL
        settings.set("REDIS_URL", redis_url, priority="cmdline")
        return super().from_settings(settings)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunScheduler:
        scheduler = super().from_crawler(crawler)
        scheduler.crawler = crawler
        scheduler.queue_name = setting(crawler.settings, "SPEECHWATCH_QUEUE", DEFAULT_QUEUE) or DEFAULT_QUEUE
        scheduler.run_id = setting(crawler.settings, "SPEECHWATCH_RUN_ID")
        if not scheduler.run_id:
            raise ValueError("a distributed crawl needs SPEECHWATCH_RUN_ID (its run, opened by the coordinator)")
        scheduler.child_id = f"{uuid.uuid4().hex[:12]}"
        scheduler._idle = False
        scheduler._beat = task.LoopingCall(scheduler.heartbeat)
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def key(self, part: str) -> str:
        return run_key(self.queue_name, self.run_id, part)

    def open(self, spider: Spider) -> None:
        from scrapy_redis.dupefilter import RFPDupeFilter

        # the dupefilter on this scheduler's connection (its own would read REDIS_URL from the logged settings)
        self.df = RFPDupeFilter(
            self.server, key=self.key("dupefilter"), debug=spider.settings.getbool("DUPEFILTER_DEBUG")
        )
        super().open(spider)
        pipe = self.server.pipeline()
        pipe.hset(self.key("idle"), self.child_id, 0)
        pipe.hset(self.key("workers"), self.child_id, time.time())
        pipe.hincrby(self.key("joined"), "children", 1)
        for part in ("idle", "workers", "joined", "requests", "dupefilter"):
            pipe.expire(self.key(part), KEY_TTL)
        pipe.execute()
        self._beat.start(HEARTBEAT, now=False)
        log.info("joined run %s (queue %s) as %s", self.run_id, self.queue_name, self.child_id)

    def heartbeat(self) -> None:
        try:
            self.server.hset(self.key("workers"), self.child_id, time.time())
        except Exception as exc:  # noqa: BLE001 - a missed beat is harmless; the next one retries
            log.warning("heartbeat to Redis failed: %s", exc)

    def next_request(self):
        if self._idle:  # busy before the pop: the request is never in neither place
            self.server.hset(self.key("idle"), self.child_id, 0)
            self._idle = False
        return super().next_request()

    def spider_idle(self, spider: Spider) -> None:
        """Say so, then keep waiting for requests other children add, until the coordinator ends the run."""
        if not self._idle:
            self.server.hset(self.key("idle"), self.child_id, 1)
            self._idle = True
        if self.server.exists(self.key("done")):
            return
        raise DontCloseSpider

    def close(self, reason: str) -> None:
        """Add this child's counts to the run's (the pipelines have flushed by now), then leave the run."""
        from crawler.extensions import run_counts

        if self._beat.running:
            self._beat.stop()
        pipe = self.server.pipeline()
        for name, value in run_counts(self.crawler.stats.get_stats()).items():
            if value:
                pipe.hincrby(self.key("stats"), name, int(value))
        pipe.hincrby(self.key("stats"), "children_closed", 1)
        pipe.expire(self.key("stats"), KEY_TTL)
        pipe.hdel(self.key("workers"), self.child_id)
        pipe.hdel(self.key("idle"), self.child_id)
        pipe.execute()
        super().close(reason)


def claim_seed(crawler: Crawler) -> bool:
    """Whether this crawl yields its start requests: always alone, and in a distributed run only the one child
    that pops the run's seed token (the others get their work from the shared queue)."""
    scheduler = crawler.engine.scheduler if crawler.engine else None
    if not isinstance(scheduler, RunScheduler):
        return True
    return scheduler.server.lpop(scheduler.key("start")) is not None


def run_info(source: str) -> str:
    return json.dumps({"source": source})
