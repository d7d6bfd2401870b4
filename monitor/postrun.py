"""The work after a crawl: cluster the new documents into speeches, then mine their commitments.

Extraction already ran inside the crawl (the extract pipeline). Every way of crawling (``crawl``, ``demo``,
``ingest``, the scheduler) ends here, so the order and the bookkeeping are the same everywhere.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from monitor.collecting import fewer_collections
from monitor.commitments.prefetch import Prefetcher
from monitor.commitments.track import MineCounts, mine_commitments, pending_copies
from monitor.dedup.cluster import ClusterCounts, cluster_documents, pending_documents
from storage.database import Database
from storage.locks import exclusive
from storage.runs import record_findings
from storage.search.index import COMMITMENT_GIN_INDEXES, SPEECH_GIN_INDEXES, merge_pending
from storage.statistics import refresh_statistics

log = logging.getLogger(__name__)
MERGE_EVERY = 2.0  # seconds between merges of the commitments' pending GIN entries while mining runs


@dataclass
class PostRunCounts:
    clustered: ClusterCounts
    mined: MineCounts


def process_new_documents(db: Database, run_ids: Sequence[int] = ()) -> PostRunCounts:
    """Cluster pending documents, mine pending copies, and record on ``run_ids`` what their documents brought.

    One post-run at a time per database (a cross-process lock), since two would mine the same copies. A worker
    process extracts the copies' commitments while this one clusters them (:mod:`monitor.commitments.prefetch`).
    PostgreSQL: tables whose planner statistics lag their growth are analyzed while clustering runs, before
    mining (:func:`analyzing`), and the search index's pending GIN entries are merged at the end
    (:func:`storage.search.index.merge_pending`).
    """
    with exclusive(db, "postrun"), fewer_collections(), Prefetcher(db) as ahead:
        ahead.plan_texts(pending_documents(db))  # what clustering takes first, then what mining takes
        ahead.plan(pending_copies(db, in_speech=False))
        with analyzing(db):
            clustered = cluster_documents(db, ahead=ahead)
        with merging(db, SPEECH_GIN_INDEXES, then=COMMITMENT_GIN_INDEXES):  # the server merges while mining runs
            mined = mine_commitments(db, ahead)
        with db.engine.begin() as conn:  # searches between runs read no pending GIN entries (PostgreSQL)
            merge_pending(conn)
        if run_ids:
            record_findings(db, run_ids)
    return PostRunCounts(clustered, mined)


@contextmanager
def analyzing(db: Database) -> Iterator[None]:
    """Refresh the planner statistics that lag the store's growth (:func:`storage.statistics.refresh_statistics`)
    in a thread, on a connection of its own, while the block runs; the block's end waits for it (PostgreSQL;
    nothing elsewhere). Clustering reads by key and id, which the statistics of the run before plan as well; what
    mining reads (a unit's speeches' commitments) needs the current ones, so mining starts after the refresh. It
    was 0.8–1.1 ms/doc of the post-run at 10k documents, alone before clustering (``bench/README.md``, twelfth
    round). A failure is logged, not raised: the next post-run tries again."""

    def analyze(_done: threading.Event) -> None:
        with db.engine.begin() as conn:
            refresh_statistics(conn)

    with _beside(db, "analyze", analyze, "refreshing the planner statistics failed; the next post-run tries again"):
        yield


@contextmanager
def merging(db: Database, indexes: Sequence[str], then: Sequence[str] = (), every: float = MERGE_EVERY
            ) -> Iterator[None]:  # fmt: skip
    """Merge the GIN pending lists of ``indexes`` in a thread, on a connection of its own, while the block runs,
    then those of ``then`` (what the block itself writes) every ``every`` seconds until it ends (PostgreSQL;
    nothing elsewhere). The server does the work on a core the block leaves idle (mining waits on its own
    statements), instead of all of it after the block; a failure is logged, not raised: the merge at the end of
    the post-run takes what is left."""

    def merge(done: threading.Event) -> None:
        with db.engine.begin() as conn:
            merge_pending(conn, indexes)
        while then and not done.wait(every):
            with db.engine.begin() as conn:
                merge_pending(conn, then)

    with _beside(db, "gin-merge", merge, "merging the search index's pending entries failed; merged at the end"):
        yield


@contextmanager
def _beside(db: Database, name: str, work: Callable[[threading.Event], None], failed: str) -> Iterator[None]:
    """Run ``work(done)`` in a thread while the block runs (PostgreSQL; nothing elsewhere); ``done`` is set when the
    block ends, then the thread is waited for. Server-side upkeep, an optimisation: a failure is logged as
    ``failed``, not raised."""
    if db.dialect != "postgresql":
        yield
        return
    done = threading.Event()

    def guarded() -> None:
        try:
            work(done)
        except Exception:  # noqa: BLE001 - upkeep that a later post-run repeats
            log.warning(failed, exc_info=True)

    worker = threading.Thread(target=guarded, name=name, daemon=True)
    worker.start()
    try:
        yield
    finally:
        done.set()
        worker.join()
