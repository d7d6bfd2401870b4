"""``speechwatch worker``: take open runs from Redis and crawl them, one Scrapy child per run.

Any number of workers on any number of machines may serve one queue; every child of a run shares the run's
scrapy-redis request queue and dupefilter, and stores into the shared database. A worker needs the same
sources file as the scheduler (a run names its source; the worker reads the definition from its own file).
"""

from __future__ import annotations

import json
import logging
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from crawler.distributed import crawl_settings, run_key, runs_key
from crawler.sources import SourcesError, load_sources
from monitor.crawling import spawn_crawl
from monitor.schedule.distributed import open_redis

log = logging.getLogger("speechwatch.worker")
POLL_SECONDS = 0.5


@dataclass
class WorkerOptions:
    sources_path: Path
    db_url: str
    redis_url: str
    queue: str
    proxy: str | None = None
    slots: int = 2
    timeout: int = 3600
    log_dir: Path = Path("data/logs")


@dataclass
class Worker:
    """The loop: reap finished children, take runs this worker has not joined yet, while slots are free."""

    options: WorkerOptions
    stop: threading.Event = field(default_factory=threading.Event)
    children: dict[str, subprocess.Popen] = field(default_factory=dict)
    joined: set[str] = field(default_factory=set)
    _warned: set[str] = field(default_factory=set)

    def run(self) -> None:
        server = open_redis(self.options.redis_url)  # RedisUnavailable: the CLI prints one line and exits 1
        self.options.log_dir.mkdir(parents=True, exist_ok=True)
        log.info("worker serving queue %r at %s", self.options.queue, self.options.redis_url)
        try:
            while not self.stop.is_set():
                self._reap()
                try:
                    self._take_runs(server)
                except Exception as exc:  # noqa: BLE001 - Redis blips: keep the children, try again
                    log.warning("could not read the run queue: %s", exc)
                    self.stop.wait(2)
                self.stop.wait(POLL_SECONDS)
        finally:
            self._stop_children()

    def _take_runs(self, server) -> None:
        open_runs = server.hgetall(runs_key(self.options.queue))
        for run_id, info in sorted(open_runs.items(), key=lambda item: int(item[0])):
            if run_id in self.joined or len(self.children) >= self.options.slots:
                continue
            if server.exists(run_key(self.options.queue, run_id, "done")):
                continue
            source = json.loads(info).get("source", "")
            if not self._knows(source, run_id):
                continue
            self.joined.add(run_id)
            log_path = self.options.log_dir / f"worker-run-{run_id}-{source}-{time.time_ns()}.log"
            self.children[run_id] = spawn_crawl(
                source,
                int(run_id),
                log_path,
                self.options.db_url,
                self.options.sources_path,
                self.options.proxy,
                self.options.timeout,
                crawl_settings(self.options.queue, int(run_id)),
                env={"SPEECHWATCH_REDIS": self.options.redis_url},
            )
            log.info("took run %s of %s (log %s)", run_id, source, log_path)

    def _knows(self, source: str, run_id: str) -> bool:
        try:
            names = {s.name for s in load_sources(self.options.sources_path) if s.enabled}
        except SourcesError as exc:
            log.error("run %s skipped: %s", run_id, exc)
            return False
        if source in names:
            return True
        if run_id not in self._warned:
            self._warned.add(run_id)
            log.warning("run %s is of source %r, which %s does not enable", run_id, source, self.options.sources_path)
        return False

    def _reap(self) -> None:
        for run_id, child in list(self.children.items()):
            code = child.poll()
            if code is not None:
                del self.children[run_id]
                log.info("left run %s (crawl exited with %s)", run_id, code)

    def _stop_children(self) -> None:
        for child in self.children.values():
            child.terminate()  # Scrapy closes cleanly and adds its counts to the run
        for child in self.children.values():
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self.children.clear()
