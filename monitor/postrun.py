"""The work after a crawl: cluster the new documents into speeches, then mine their commitments.

Extraction already ran inside the crawl (the extract pipeline). Every way of crawling (``crawl``, ``demo``,
``ingest``, the scheduler) ends here, so the order and the bookkeeping are the same everywhere.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

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
    PostgreSQL: tables whose planner statistics lag their growth are analyzed first (:mod:`storage.statistics`),
    and the search index's pending GIN entries are merged at the end (:func:`storage.search.index.merge_pending`).
    """
    with exclusive(db, "postrun"), Prefetcher(db) as ahead:
        with db.engine.begin() as conn:
            refresh_statistics(conn)
        ahead.plan_texts(pending_documents(db))  # what clustering takes first, then what mining takes
        ahead.plan(pending_copies(db, in_speech=False))
        clustered = cluster_documents(db, ahead=ahead)
        with merging(db, SPEECH_GIN_INDEXES, then=COMMITMENT_GIN_INDEXES):  # the server merges while mining runs
            mined = mine_commitments(db, ahead)
        with db.engine.begin() as conn:  # searches between runs read no pending GIN entries (PostgreSQL)
            merge_pending(conn)
        if run_ids:
            record_findings(db, run_ids)
    return PostRunCounts(clustered, mined)


@contextmanager
def merging(db: Database, indexes: Sequence[str], then: Sequence[str] = (), every: float = MERGE_EVERY
            ) -> Iterator[None]:  # fmt: skip
    """Merge the GIN pending lists of ``indexes`` in a thread, on a connection of its own, while the block runs,
    then those of ``then`` (what the block itself writes) every ``every`` seconds until it ends (PostgreSQL;
    nothing elsewhere). The server does the work on a core the block leaves idle (mining waits on its own
    statements), instead of all of it after the block; a failure is logged, not raised: the merge at the end of
    the post-run takes what is left."""
    if db.dialect != "postgresql":
        yield
        return
    done = threading.Event()

    def merge() -> None:
        try:
            with db.engine.begin() as conn:
                merge_pending(conn, indexes)
            while then and not done.wait(every):
                with db.engine.begin() as conn:
                    merge_pending(conn, then)
        except Exception:  # noqa: BLE001 - an optimisation; the post-run's last merge repeats it
            log.warning("merging the search index's pending entries failed; merged at the end", exc_info=True)

    worker = threading.Thread(target=merge, name="gin-merge", daemon=True)
    worker.start()
    try:
        yield
    finally:
        done.set()
        worker.join()
