"""Page extraction for ``speechwatch ingest`` in worker processes, so that extracting and storing run at once.

:func:`~crawler.documents.extract_item` is most of an import's time, and a page's extraction depends on the
earlier pages of its host (the site learns each page's chrome). So the pages are shared out by host: every page
of a host goes to the same worker, in WARC order, and each worker keeps its own
:class:`~monitor.profiles.SiteProfiles`. A host's profile reads only that host's rows, and this process stores a
host's pages only after its worker has extracted the first of them, so a worker loads the profile the loop would.
Results are taken in WARC order, so the records, their ids and the chrome answers are those of the loop.

This process also learns each taken page into its own profiles (loaded when a host's first page is taken, as the
loop would load it). If a worker fails, the pages not yet taken are extracted here from that state: a broken
worker costs the head start, not the run, and changes nothing stored.

Small files (fewer than ``MIN_PAGES`` pages) and in-memory SQLite extract in this process. The workers are kept
for later imports of this process (:mod:`monitor.workers`).
``SPEECHWATCH_INGEST_WORKERS`` sets the number of workers (default 2 when the machine has a second core, else 0;
0 turns them off).
"""

from __future__ import annotations

import logging
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import chain, islice
from urllib.parse import urlsplit

from crawler.documents import extract_item
from crawler.items import PageItem
from monitor.profiles import SiteProfiles
from monitor.workers import discard, shared_pool, worker_count
from storage.database import Database

log = logging.getLogger(__name__)
ENV_WORKERS = "SPEECHWATCH_INGEST_WORKERS"
MIN_PAGES = 200  # below this, starting the workers costs more than it saves
BATCH = 16  # pages per job sent to a worker
WINDOW = 400  # pages read and not yet taken, at most (bounds the memory the pages in flight hold)
FLUSH_AFTER = 100  # a worker's partial batch is sent once this many later pages have been read
Fields = tuple  # what extract_item fills in, in the order of FIELDS
FIELDS = ("title", "page_title", "published_at", "text", "analysis", "chrome_keys", "chrome_checks", "stored_body")

_run: tuple[str, Database, SiteProfiles] | None = None  # a worker process's run, handle and profiles


def ingest_workers() -> int:
    """Workers from ``SPEECHWATCH_INGEST_WORKERS``; by default two when the machine has a second core."""
    return worker_count(ENV_WORKERS, 2)


def host_of(item: PageItem) -> str:
    return urlsplit(item.final_url).hostname or ""


@dataclass(frozen=True)
class RunSetting:
    """What a worker needs to extract a run's pages: the run (its profiles start empty) and the source."""

    token: str  # one per PageExtractor: a worker kept between runs starts new profiles for a new token
    url: str
    selectors: dict[str, str]
    kind: str | None


def profiles_for(setting: RunSetting) -> SiteProfiles:
    """A worker's profiles for the run, new when the run is (its own database handle; the migrations are the
    caller's)."""
    global _run
    if _run is None or _run[0] != setting.token:
        if _run is not None:
            _run[1].close()  # a file database may have been replaced at the same path since
        db = Database(setting.url, apply_migrations=False)
        _run = (setting.token, db, SiteProfiles(db, selectors=setting.selectors, kind=setting.kind))
    return _run[2]


def extract_batch(setting: RunSetting, items: list[PageItem]) -> list[Fields]:
    """The worker's job: extract pages in order, each learned by its host's profile; their filled-in fields."""
    profiles = profiles_for(setting)
    results = []
    for item in items:
        extract_item(item, profiles.get(host_of(item)))
        results.append(tuple(getattr(item, name) for name in FIELDS))
    return results


@dataclass
class Job:
    """Pages for one worker, sent as one call once full (``future`` set then)."""

    worker: int
    first: int  # sequence number of its first page
    items: list[PageItem] = field(default_factory=list)
    future: Future | None = None


@dataclass
class Pending:
    item: PageItem
    job: Job | None  # None: to extract in this process
    index: int = 0  # position in the job


class PageExtractor:
    """Extracts pages in worker processes (or in this one), yielding them in the order given.

    ``extracted(items)`` yields each item once extracted (its fields filled in as ``extract_item`` fills them).
    """

    def __init__(self, db: Database, profiles: SiteProfiles, workers: int | None = None) -> None:
        self.db = db
        self.profiles = profiles  # this process's: the fallback's state, learned as pages are taken
        self.workers = ingest_workers() if workers is None else workers
        url = db.engine.url
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            self.workers = 0  # a worker's connection would open another, empty, database
        self.pools: list[ProcessPoolExecutor] | None = None
        self.setting: RunSetting | None = None
        self.inflight: deque[Pending] = deque()
        self.filling: dict[int, Job] = {}  # worker -> the job being filled
        self.assigned: dict[str, int] = {}  # host -> worker
        self.load: list[int] = []  # pages assigned to each worker
        self.read = 0
        self.in_workers = self.here = 0
        self.started = False

    def __enter__(self) -> PageExtractor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._stop()
        if self.started:
            log.info("%d pages extracted in %d worker processes, %d in this one", self.in_workers, self.workers,
                     self.here)  # fmt: skip
            self.started = False

    def _stop(self, failed: bool = False) -> None:
        if self.pools is not None:
            # the workers are kept for the next run (monitor.workers): they drop this run's queue, and the jobs
            # they already hold end here, so that nothing of this run's keeps a core busy after it
            futures = {p.job.future for p in self.inflight if p.job is not None and p.job.future is not None}
            started = [future for future in futures if not future.cancel()]
            if failed:
                for pool in self.pools:
                    discard(pool)
            else:
                wait(started)
            self.pools = None
        self.filling.clear()

    def extracted(self, items: Iterable[PageItem]) -> Iterator[PageItem]:
        errors: list[Exception] = []  # from reading the items: raised once the pages read before are yielded
        stream = _reading(items, errors)
        if self.workers > 0:
            head = list(islice(stream, MIN_PAGES))
            if len(head) >= MIN_PAGES:
                self._start()
            stream = chain(head, stream)
        for item in stream:
            self._put(item)
            while self.inflight and (len(self.inflight) >= WINDOW or self._ready(self.inflight[0])):
                yield self._take()
        while self.inflight:
            yield self._take()
        if errors:
            raise errors[0]

    def wait(self, future: Future) -> list[Fields]:
        """A job's results, waiting for them (named for the benchmark's timers)."""
        return future.result()

    def _start(self) -> None:
        self.setting = RunSetting(uuid.uuid4().hex, self.db.url, dict(self.profiles.selectors), self.profiles.kind)
        # one process per pool: a host's jobs run in one process, in the order sent
        self.pools = [shared_pool(f"ingest-{number}") for number in range(self.workers)]
        self.load = [0] * self.workers
        self.started = True

    def _put(self, item: PageItem) -> None:
        self.read += 1
        if self.pools is None:
            self.inflight.append(Pending(item, None))
            return
        host = host_of(item)
        worker = self.assigned.get(host)
        if worker is None:
            worker = self.assigned[host] = min(range(self.workers), key=self.load.__getitem__)
        self.load[worker] += 1
        job = self.filling.get(worker)
        if job is None:
            job = self.filling[worker] = Job(worker, self.read)
        self.inflight.append(Pending(item, job, len(job.items)))
        job.items.append(item)
        if len(job.items) >= BATCH:
            self._send(job)
        for other in [j for j in self.filling.values() if j.first <= self.read - FLUSH_AFTER]:
            self._send(other)

    def _send(self, job: Job) -> Future:
        assert self.pools is not None
        del self.filling[job.worker]
        job.future = self.pools[job.worker].submit(extract_batch, self.setting, job.items)
        return job.future

    def _ready(self, pending: Pending) -> bool:
        job = pending.job
        return self.pools is None or job is None or (job.future is not None and job.future.done())

    def _take(self) -> PageItem:
        pending = self.inflight.popleft()
        item, job = pending.item, pending.job
        if self.pools is not None and job is not None:
            future = job.future or self._send(job)
            try:
                fields = self.wait(future)[pending.index]
            except Exception:  # a broken worker costs the head start, not the run: extract the rest here
                log.warning("page extraction in a worker failed; extracting the rest in this process", exc_info=True)
                self._stop(failed=True)
            else:
                for name, value in zip(FIELDS, fields, strict=True):
                    setattr(item, name, value)
                profile = self.profiles.get(host_of(item))
                if profile.chrome is not None:
                    profile.chrome.learn(set(item.chrome_keys))  # as extract_item did in the worker
                self.in_workers += 1
                return item
        self.here += 1
        return extract_item(item, self.profiles.get(host_of(item)))


def _reading(items: Iterable[PageItem], errors: list[Exception]) -> Iterator[PageItem]:
    """``items``, ending at the first error, which is kept in ``errors`` (as the loop stores what came before)."""
    try:
        yield from items
    except Exception as exc:
        errors.append(exc)
