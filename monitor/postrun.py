"""The work after a crawl: cluster the new documents into speeches, then mine their commitments.

Extraction already ran inside the crawl (the extract pipeline). Every way of crawling (``crawl``, ``demo``,
``ingest``, the scheduler) ends here, so the order and the bookkeeping are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.commitments.prefetch import Prefetcher
from monitor.commitments.track import MineCounts, mine_commitments, pending_copies
from monitor.dedup.cluster import ClusterCounts, cluster_documents, pending_documents
from storage.database import Database
from storage.locks import exclusive
from storage.runs import record_findings
from storage.search.index import merge_pending
from storage.statistics import refresh_statistics


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
        mined = mine_commitments(db, ahead)
        with db.engine.begin() as conn:  # searches between runs read no pending GIN entries (PostgreSQL)
            merge_pending(conn)
        if run_ids:
            record_findings(db, run_ids)
    return PostRunCounts(clustered, mined)
