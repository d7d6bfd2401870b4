"""Commitment extraction ahead of the mining loop, in a worker process, so that both cores work at once.

:func:`~monitor.commitments.extract.extract_commitments` is a pure function of a copy's text and its speech's
date and organization, and about half of mining's time. A worker process extracts ahead: from the start of the
post-run work (while this process clusters, with each copy's own date and organization as the guess of its
speech's), and then ahead of the mining loop. A result is used only for the exact inputs it was computed from
(text hash, date, organization); a copy whose speech took another date, or whose text changed, is extracted
again in the loop. So the output is the same as extracting in the loop, only sooner.

Small runs (fewer than ``MIN_DOCUMENTS`` copies: the tests, a scheduled run of a few new pages) extract in the
loop, since starting a worker costs about half a second. ``SPEECHWATCH_MINING_WORKERS`` sets the number of
workers (default 1 when the machine has a second core, else 0; 0 turns them off).
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

from sqlalchemy import select

from monitor.commitments.extract import Commitment, extract_commitments
from monitor.extract.script import to_simplified
from storage.database import Database
from storage.models import Document, Speech

log = logging.getLogger(__name__)
ENV_WORKERS = "SPEECHWATCH_MINING_WORKERS"
MIN_DOCUMENTS = 200  # below this, a worker's start-up costs more than it saves
BATCH = 25  # copies per job sent to the worker
WINDOW = 2000  # copies extracted ahead and not yet taken, at most (bounds the memory results hold)
Found = tuple[tuple, list[Commitment]]  # (inputs key, commitments)


@dataclass(frozen=True)
class MiningInput:
    """What a copy's commitments depend on: its text and its speech's date and organization."""

    document_id: int
    text: str
    speech_date: str | None
    organization: str | None

    @property
    def key(self) -> tuple[str, str | None, str | None]:
        return (text_digest(self.text), self.speech_date, self.organization)


def text_digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def mining_workers() -> int:
    """Workers from ``SPEECHWATCH_MINING_WORKERS``; by default one when the machine has a second core."""
    value = os.environ.get(ENV_WORKERS, "").strip()
    if not value:
        return 1 if (os.cpu_count() or 1) >= 2 else 0
    try:
        return max(0, int(value))
    except ValueError:
        raise ValueError(f"{ENV_WORKERS} must be a whole number of worker processes, not {value!r}") from None


def read_inputs(db: Database, document_ids: Sequence[int]) -> list[MiningInput]:
    """The copies' texts with their speeches' dates and organizations; for a copy not yet in a speech, its own
    (what a speech of one copy takes: :func:`monitor.dedup.canonical.refresh_speech`)."""
    query = (
        select(Document.id, Document.text, Document.speech_date, Document.organization, Document.speech_id,
               Speech.speech_date, Speech.organization)
        .outerjoin(Speech, Speech.id == Document.speech_id)
        .where(Document.id.in_(list(document_ids)))
    )  # fmt: skip
    with db.read() as session:
        rows = session.execute(query).all()
    inputs = []
    for document_id, text, own_date, own_organization, speech_id, speech_date, organization in rows:
        if speech_id is None:
            organization = to_simplified(own_organization) if own_organization else None
        inputs.append(MiningInput(document_id, text or "", speech_date or own_date, organization))
    return inputs


def extract_batch(inputs: list[MiningInput]) -> list[tuple[int, tuple, list[Commitment]]]:
    """The worker's job: each copy's commitments with the key of the inputs they were computed from."""
    return [
        (item.document_id, item.key, extract_commitments(item.text, item.speech_date, organization=item.organization))
        for item in inputs
    ]


class Prefetcher:
    """Extracts the commitments of planned copies in a worker process, at most ``WINDOW`` copies ahead.

    ``plan(ids)`` lists the copies in the order the loop will take them; ``commitments(id, …)`` returns a copy's
    commitments: the worker's (waiting for them if needed) when computed from the same inputs, else extracted now.
    ``ahead`` and ``again`` count the two cases.
    """

    def __init__(self, db: Database, workers: int | None = None) -> None:
        self.db = db
        self.workers = mining_workers() if workers is None else workers
        url = db.engine.url
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            self.workers = 0  # one shared connection: the reads for the worker would cross the loop's writes
        self.pool: ProcessPoolExecutor | None = None
        self.queue: list[int] = []  # planned, not yet submitted (in order)
        self.next = 0
        self.jobs: dict[int, Future] = {}  # document id -> the job extracting it
        self.batches: dict[Future, list[int]] = {}
        self.done: dict[int, Found] = {}
        self.ahead = self.again = 0

    def __enter__(self) -> Prefetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.pool is not None:
            log.info("commitments of %d copies extracted ahead in a worker, %d again in the loop", self.ahead,
                     self.again)  # fmt: skip
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        self.jobs.clear()
        self.batches.clear()
        self.done.clear()

    def plan(self, document_ids: Sequence[int]) -> None:
        """Copies to extract ahead (those already planned are not sent twice)."""
        if self.workers <= 0:
            return
        known = set(self.jobs) | set(self.done) | set(self.queue[self.next :])
        fresh = [i for i in document_ids if i not in known]
        if self.pool is None and len(fresh) < MIN_DOCUMENTS:
            return
        self.queue = self.queue[self.next :] + fresh
        self.next = 0
        if self.pool is None:
            # spawn, not fork: the caller may hold threads (the scheduler) and open database connections
            self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        self._feed()

    def commitments(
        self, document_id: int, text: str, speech_date: str | None, organization: str | None
    ) -> list[Commitment]:
        found = self.take(document_id)
        if found is not None and found[0] == (text_digest(text), speech_date, organization):
            self.ahead += 1
            return found[1]
        self.again += 1
        return extract_commitments(text, speech_date, organization=organization)

    def take(self, document_id: int) -> Found | None:
        """What the worker found for a copy (waiting for it), or None if it was not planned."""
        found = self.done.pop(document_id, None)
        job = self.jobs.get(document_id)
        if found is None and job is not None:
            try:
                results = job.result()
            except Exception:  # a broken worker costs the head start, not the run: the loop extracts itself
                log.warning("commitment extraction in the worker failed; extracting in this process", exc_info=True)
                self.close()
                return None
            for other in self.batches.pop(job, []):
                self.jobs.pop(other, None)
            for other, key, commitments in results:
                self.done[other] = (key, commitments)
            found = self.done.pop(document_id, None)
        self._feed()
        return found

    def _feed(self) -> None:
        if self.pool is None:
            return
        while self.next < len(self.queue) and len(self.jobs) + len(self.done) < WINDOW:
            ids = self.queue[self.next : self.next + BATCH]
            self.next += len(ids)
            future = self.pool.submit(extract_batch, read_inputs(self.db, ids))
            self.batches[future] = ids
            for document_id in ids:
                self.jobs[document_id] = future
