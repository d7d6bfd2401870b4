"""The coordinator's side of a distributed run: seed it into Redis, see it drain, close it once.

With ``SPEECHWATCH_REDIS`` set, a scheduled crawl does not start a local child: it opens the run in the database,
seeds it into Redis (``crawler.distributed`` has the key layout), lets ``speechwatch worker`` processes on any
machine take it, waits until nothing is queued and every live child is idle (seen twice, a poll apart), then
tells the children to stop, adds up their counts and closes the run once.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from crawler.distributed import DEAD_AFTER, KEY_TTL, run_info, run_key, runs_key
from crawler.extensions import run_status
from crawler.sources import Source
from storage.database import Database
from storage.models import CrawlRun
from storage.runs import COUNT_FIELDS, finish_run, get_runs, start_run

log = logging.getLogger("speechwatch.schedule")
POLL_SECONDS = 1.0
ABANDONED_AFTER = 30.0  # seconds with work queued but no live child: every worker of the run died
CLOSE_WAIT_SECONDS = 30.0
RUN_PARTS = ("start", "requests", "dupefilter", "workers", "idle", "joined", "stats", "done")


class RedisUnavailable(RuntimeError):
    """Redis cannot be reached; the message names the URL (without a password)."""


def open_redis(url: str):
    """A client for ``url`` that has answered a PING; RedisUnavailable with one clear line otherwise."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5, decode_responses=True)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise RedisUnavailable(f"Redis not reachable at {_redact(url)}: {exc}") from None
    return client


def _redact(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@")
    return url


@dataclass
class RunProgress:
    queued: int  # seed token + requests in the run's queue
    joined: int  # children that ever took the run
    live: int  # children with a recent heartbeat
    busy: int  # live children not idle
    dead: int = 0  # children silent for DEAD_AFTER seconds that never left: what they held is lost

    @property
    def drained(self) -> bool:
        return self.joined > 0 and self.queued == 0 and self.busy == 0


def seed_run(server, queue: str, run_id: int, source: str) -> None:
    """Open the run for workers: its seed token (the child that pops it yields the start requests)."""
    pipe = server.pipeline()
    pipe.rpush(run_key(queue, run_id, "start"), "seed")
    pipe.expire(run_key(queue, run_id, "start"), KEY_TTL)
    pipe.hset(runs_key(queue), str(run_id), run_info(source))
    pipe.execute()


def progress(server, queue: str, run_id: int, now: float | None = None) -> RunProgress:
    """One consistent snapshot (a MULTI) of the run's queue and children."""
    now = now or time.time()
    pipe = server.pipeline(transaction=True)
    pipe.llen(run_key(queue, run_id, "start"))
    pipe.zcard(run_key(queue, run_id, "requests"))  # scrapy-redis's default PriorityQueue is a sorted set
    pipe.hget(run_key(queue, run_id, "joined"), "children")
    pipe.hgetall(run_key(queue, run_id, "workers"))
    pipe.hgetall(run_key(queue, run_id, "idle"))
    seeds, requests, joined, workers, idle = pipe.execute()
    live = {child for child, beat in workers.items() if now - float(beat) < DEAD_AFTER}
    busy = {child for child in live if idle.get(child) != "1"}
    return RunProgress(int(seeds) + int(requests), int(joined or 0), len(live), len(busy), len(workers) - len(live))


def wait_until_drained(
    server, queue: str, run_id: int, *, timeout: float, cancel: threading.Event | None = None
) -> str:
    """``drained``, ``lost``, ``abandoned``, ``timeout`` or ``cancelled``.

    Drained must be seen twice in a row, a poll apart; ``lost`` is drained after a child died holding requests
    (they are fetched by the next run); abandoned is work left with no live child for ``ABANDONED_AFTER``
    seconds (a worker that had not joined the run would have joined it within a second).
    """
    deadline = time.monotonic() + timeout
    streak = 0
    orphaned_since: float | None = None
    while True:
        state = progress(server, queue, run_id)
        streak = streak + 1 if state.drained else 0
        if streak >= 2:
            return "lost" if state.dead else "drained"
        if state.joined and not state.live:
            orphaned_since = orphaned_since or time.monotonic()
            if time.monotonic() - orphaned_since > ABANDONED_AFTER:
                return "abandoned"
        else:
            orphaned_since = None
        if cancel is not None and cancel.is_set():
            return "cancelled"
        if time.monotonic() > deadline:
            return "timeout"
        time.sleep(POLL_SECONDS)


def close_run(server, queue: str, run_id: int, wait: float = CLOSE_WAIT_SECONDS) -> tuple[dict[str, int], int]:
    """Tell the children to stop, wait for the live ones to leave, then return (summed counts, children) and
    delete the run's keys."""
    pipe = server.pipeline()
    pipe.set(run_key(queue, run_id, "done"), 1, ex=KEY_TTL)
    pipe.hdel(runs_key(queue), str(run_id))
    pipe.execute()
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and progress(server, queue, run_id).live:
        time.sleep(0.5)
    stats = server.hgetall(run_key(queue, run_id, "stats"))
    joined = int(server.hget(run_key(queue, run_id, "joined"), "children") or 0)
    server.delete(*(run_key(queue, run_id, part) for part in RUN_PARTS if part != "done"))
    counts = {name: int(stats.get(name, 0)) for name in COUNT_FIELDS}
    return counts, joined


def crawl_distributed(
    db: Database,
    source: Source,
    redis_url: str,
    *,
    queue: str,
    timeout: float,
    trigger: str = "schedule",
    cancel: threading.Event | None = None,
) -> CrawlRun:
    """Open a run, have the workers crawl it, close it once with their summed counts; return the closed run."""
    run_id = start_run(db, source.name, trigger)
    try:
        server = open_redis(redis_url)
        seed_run(server, queue, run_id, source.name)
        log.info("run %s of %s seeded into Redis (queue %s)", run_id, source.name, queue)
        outcome = wait_until_drained(server, queue, run_id, timeout=timeout, cancel=cancel)
        counts, joined = close_run(server, queue, run_id)
    except Exception as exc:  # noqa: BLE001 - Redis lost mid-run: recorded; the next scheduled run tries again
        finish_run(db, run_id, status="failed", error_text=f"distributed run failed: {type(exc).__name__}: {exc}")
        return get_runs(db, [run_id])[0]
    stats = {"distributed": True, "queue": queue, "children": joined, "outcome": outcome}
    if counts.get("documents_new"):  # what each child does alone at its close, once for the whole run
        from monitor.reprocess import reprocess_documents

        stats["reextracted_changed"] = db.retrying(reprocess_documents, db, None, run_id).changed
    if outcome == "drained":
        status, error = run_status("finished", counts), None
    elif outcome == "lost":
        status, error = "failed", "a worker died during the run; the pages it held are fetched by the next run"
    elif outcome == "abandoned":
        status, error = "failed", "every worker of the run died with work left; the next run fetches the rest"
    elif outcome == "cancelled":
        status, error = "failed", "stopped: the scheduler was asked to shut down; the next run fetches the rest"
    elif joined == 0:
        status, error = "failed", f"no worker took the run within {timeout:.0f} s (is `speechwatch worker` running?)"
    else:
        status, error = "timeout", f"the workers did not finish the run within {timeout:.0f} s"
    finish_run(db, run_id, status=status, counts=counts, stats=stats, error_text=error)
    return get_runs(db, [run_id])[0]
