"""Work computed ahead of the post-run loops, in a worker process, so that both cores work at once.

Two kinds of pure work go to the worker:

- **texts** (:func:`prepare_batch`): a pending document's fingerprint, for clustering, and its folded text
  with the sorted grams of it, for the search index (:mod:`storage.search.index`). Planned first, since
  clustering comes first; a document whose text is not ready when clustering reaches it is computed in the
  loop (nobody waits for these).
- **commitments** (:func:`extract_batch`): :func:`~monitor.commitments.extract.extract_commitments` is a pure
  function of a copy's text and its speech's date and organization, and about half of mining's time. The
  worker extracts from the start of the post-run work (while this process clusters, with each copy's own date
  and organization as the guess of its speech's), then ahead of the mining loop, together with the folded
  form of each commitment's text.

A result is used only for the exact inputs it was computed from (text hash; date and organization for
commitments); otherwise the loop computes it again. So the output is the same as computing in the loop, only
sooner. A few jobs are queued at the worker at most (``QUEUED``), texts before commitments, so a text job never
waits behind a long queue of commitment jobs. When the mining loop would wait for the worker, it takes back the
newest job the worker has not started and extracts it itself meanwhile (:meth:`Prefetcher.take`): the work
balances between the two processes whichever is faster.

Small runs (fewer than ``MIN_DOCUMENTS`` documents: the tests, a scheduled run of a few new pages) compute in
the loop, since starting a worker costs 1–2 s of CPU; once started, the worker is kept for later runs of this
process (:mod:`monitor.workers`). ``SPEECHWATCH_MINING_WORKERS`` sets the number of
workers (default 1 when the machine has a second core, else 0; 0 turns them off).
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from dataclasses import dataclass

from sqlalchemy import select

from monitor.commitments.extract import Commitment, extract_commitments
from monitor.dedup.fingerprint import Fingerprint, fingerprint
from monitor.extract.script import to_simplified
from monitor.workers import discard, shared_pool, worker_count
from storage.database import Database
from storage.models import Document, Speech
from storage.search.fold import Folded, folded_with_grams, stores_every_char

log = logging.getLogger(__name__)
ENV_WORKERS = "SPEECHWATCH_MINING_WORKERS"
MIN_DOCUMENTS = 200  # below this, a worker's start-up costs more than it saves
BATCH = 25  # copies per job sent to the worker
WINDOW = 2000  # copies extracted ahead and not yet taken, at most (bounds the memory results hold)
TEXTS_AHEAD = 400  # documents' texts prepared ahead of clustering, at most
FOLDED_KEPT = 20_000  # folded commitment texts kept for the search index, at most
#: jobs queued beyond one per worker: enough work for the worker while a clustering chunk writes and commits
#: (3 left it idle a fifth of clustering's time, ``bench/README.md``); a text job queued last is still needed
#: only ``TEXTS_AHEAD`` documents later, and the mining loop takes back what the worker has not started
QUEUED = 7
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


@dataclass(frozen=True)
class PreparedText:
    """What clustering and the search index compute from a document's text."""

    digest: str  # text_digest of the text it was computed from
    fingerprint: Fingerprint
    folded: Folded


def text_digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def mining_workers() -> int:
    """Workers from ``SPEECHWATCH_MINING_WORKERS``; by default one when the machine has a second core."""
    return worker_count(ENV_WORKERS, 1)


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


def read_texts(db: Database, document_ids: Sequence[int]) -> list[tuple[int, str]]:
    with db.read() as session:
        return [(i, t or "") for i, t in session.execute(select(Document.id, Document.text)
                                                         .where(Document.id.in_(list(document_ids))))]  # fmt: skip


def extract_batch(
    inputs: list[MiningInput], chars: bool = True
) -> list[tuple[int, tuple, list[Commitment], dict[str, Folded]]]:
    """The worker's mining job: each copy's commitments with the key of the inputs they were computed from, and
    the folded form of each commitment's text (what the search index stores; ``chars``: its back end's grams,
    :func:`~storage.search.fold.stores_every_char`)."""
    results = []
    for item in inputs:
        found = extract_commitments(item.text, item.speech_date, organization=item.organization)
        results.append((item.document_id, item.key, found, {c.text: folded_with_grams(c.text, chars) for c in found}))
    return results


def prepare_batch(texts: list[tuple[int, str]], chars: bool = True) -> list[tuple[int, PreparedText]]:
    """The worker's text job: each document's fingerprint and folded text (``chars``: as for ``extract_batch``)."""
    return [(i, PreparedText(text_digest(text), fingerprint(text), folded_with_grams(text, chars)))
            for i, text in texts]  # fmt: skip


class Prefetcher:
    """Computes texts and commitments of planned documents in a worker process.

    ``plan_texts(ids)`` lists the documents clustering will take, in its order; ``fingerprint(id, text)`` and
    ``folded(text)`` return what the worker prepared when it is ready and computed from the same text.
    ``plan(ids)`` lists the copies the mining loop will take, in its order; ``commitments(id, …)`` returns a
    copy's commitments: the worker's (waiting for them if needed) when computed from the same inputs, else
    extracted now. ``ahead`` and ``again`` count the two cases for commitments.
    """

    def __init__(self, db: Database, workers: int | None = None) -> None:
        self.db = db
        self.chars = stores_every_char(db.dialect)  # the grams of the texts folded ahead, as the index stores them
        self.workers = mining_workers() if workers is None else workers
        url = db.engine.url
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            self.workers = 0  # one shared connection: the reads for the worker would cross the loop's writes
        self.pool: ProcessPoolExecutor | None = None
        self.queue: list[int] = []  # planned copies, not yet submitted (in order)
        self.queued: dict[int, int] = {}  # their positions
        self.next = 0
        self.jobs: dict[int, Future] = {}  # document id -> the job extracting it
        self.batches: dict[Future, list[int]] = {}  # mining jobs not yet collected
        self.inputs: dict[Future, list[MiningInput]] = {}  # their inputs, to extract here if taken back
        self.done: dict[int, Found] = {}
        self.ahead = self.again = self.taken_back = 0
        self.texts: list[int] = []  # documents planned for clustering, in order
        self.text_position: dict[int, int] = {}
        self.text_next = 0  # next position to submit
        self.text_cursor = 0  # position clustering reached
        self.text_jobs: dict[Future, int] = {}  # job -> position of its last document
        self.prepared: dict[int, PreparedText] = {}
        self.folded_texts: OrderedDict[str, Folded] = OrderedDict()  # commitment texts, folded in the worker
        self.texts_ahead = 0

    def __enter__(self) -> Prefetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self, failed: bool = False) -> None:
        if self.pool is not None:
            log.info("commitments of %d copies extracted ahead (%d of them taken back from the worker), %d again in"
                     " the loop; %d texts prepared ahead", self.ahead, self.taken_back, self.again,
                     self.texts_ahead)  # fmt: skip
            # the worker is kept for the next run (monitor.workers): it drops this run's queue, and the jobs it
            # already holds end here, so that nothing of this run's keeps a core busy after it
            started = [job for job in [*self.batches, *self.text_jobs] if not job.cancel()]
            if failed:
                discard(self.pool)
            else:
                wait(started)
            self.pool = None
        self.jobs.clear()
        self.batches.clear()
        self.inputs.clear()
        self.done.clear()
        self.text_jobs.clear()
        self.prepared.clear()
        self.folded_texts.clear()

    def plan(self, document_ids: Sequence[int]) -> None:
        """Copies to extract ahead (those already planned are not sent twice)."""
        if self.workers <= 0:
            return
        known = set(self.jobs) | set(self.done) | set(self.queue[self.next :])
        fresh = [i for i in document_ids if i not in known]
        if self._start(len(fresh)):
            self.queue = self.queue[self.next :] + fresh
            self.queued = {document_id: n for n, document_id in enumerate(self.queue)}
            self.next = 0
            self._feed()

    def plan_texts(self, document_ids: Sequence[int]) -> None:
        """Documents whose texts to prepare ahead, in the order clustering takes them."""
        if self.workers <= 0 or list(document_ids) == self.texts or not self._start(len(document_ids)):
            return
        self.texts = list(document_ids)
        self.text_position = {document_id: n for n, document_id in enumerate(self.texts)}
        self.text_next = self.text_cursor = 0
        self._feed()

    def _start(self, planned: int) -> bool:
        if self.pool is None:
            if planned < MIN_DOCUMENTS:
                return False
            self.pool = shared_pool("mining", self.workers)
        return True

    def fingerprint(self, document_id: int, text: str, computed: Fingerprint | None = None) -> Fingerprint:
        """The document's fingerprint: prepared ahead when ready for this text, else ``computed`` (the caller's,
        of this text) or computed now."""
        position = self.text_position.get(document_id)
        if position is not None:
            self.text_cursor = max(self.text_cursor, position + 1)
        self._feed()
        ready = self.prepared.get(document_id)
        if ready is not None and ready.digest == text_digest(text):
            self.texts_ahead += 1
            return ready.fingerprint
        self.prepared.pop(document_id, None)
        return computed if computed is not None else fingerprint(text)

    @property
    def working(self) -> bool:
        """A worker process takes jobs (plans were large enough, and it has not failed)."""
        return self.pool is not None

    def ready_fingerprint(self, document_id: int, text: str) -> Fingerprint | None:
        """The document's fingerprint if the worker has it ready for this text; None otherwise (nothing waits,
        nothing is computed, clustering's place is not moved)."""
        if self.working:
            self._collect()
        ready = self.prepared.get(document_id)
        return ready.fingerprint if ready is not None and ready.digest == text_digest(text) else None

    def folded(self, document_id: int | None, text: str) -> Folded | None:
        """A text folded ahead (a clustered document's, by its id, or a commitment's), or None."""
        if document_id is not None:
            ready = self.prepared.pop(document_id, None)
            if ready is not None and ready.digest == text_digest(text):
                return ready.folded
            return None
        return self.folded_texts.get(text)

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
        """What the worker found for a copy (waiting for it), or None if it was not planned. Instead of waiting
        idle, this process extracts the newest jobs the worker has not started (:meth:`_take_back`)."""
        found = self.done.pop(document_id, None)
        job = self.jobs.get(document_id)
        if found is None and job is not None:
            while not job.done() and self._take_back():
                pass
            if not job.cancelled():  # else it was taken back, this copy's included
                try:
                    job.result()
                except Exception:  # a broken worker costs the head start, not the run: the loop extracts itself
                    log.warning("commitment extraction in the worker failed; extracting in this process",
                                exc_info=True)  # fmt: skip
                    self.close(failed=True)
                    return None
                self._collect()
            found = self.done.pop(document_id, None)
        elif found is None:  # the loop got here first: the worker skips what the loop has passed
            self.next = max(self.next, self.queued.get(document_id, -1) + 1)
        self._feed()
        return found

    def _take_back(self) -> bool:
        """Cancel the newest mining job the worker has not started and extract it here; False if there is none."""
        for job in reversed(list(self.batches)):
            if job.cancel():
                ids = self.batches.pop(job)
                for other in ids:
                    self.jobs.pop(other, None)
                self._store(extract_batch(self.inputs.pop(job), self.chars))
                self.taken_back += len(ids)
                return True
        return False

    def _store(self, results: list[tuple[int, tuple, list[Commitment], dict[str, Folded]]]) -> None:
        for other, key, commitments, folded in results:
            self.done[other] = (key, commitments)
            for text, form in folded.items():
                self.folded_texts[text] = form
                self.folded_texts.move_to_end(text)
        while len(self.folded_texts) > FOLDED_KEPT:
            self.folded_texts.popitem(last=False)

    def _collect(self) -> None:
        """Move the results of finished jobs to where the loops look for them."""
        for job in [job for job in self.batches if job.done()]:
            ids = self.batches.pop(job)
            self.inputs.pop(job, None)
            for other in ids:
                self.jobs.pop(other, None)
            if job.exception() is None:  # else take() reports it when the loop reaches one of these copies
                self._store(job.result())
        for job, last in list(self.text_jobs.items()):
            if last < self.text_cursor and job.cancel():  # clustering passed these while the job waited
                del self.text_jobs[job]
        for job in [job for job in self.text_jobs if job.done()]:
            del self.text_jobs[job]
            if job.exception() is not None:
                log.warning("text preparation in the worker failed; computing in this process",
                            exc_info=job.exception())  # fmt: skip
                continue
            for document_id, ready in job.result():
                if self.text_position.get(document_id, -1) >= self.text_cursor:  # clustering has not passed it
                    self.prepared[document_id] = ready
        if len(self.prepared) > 2 * TEXTS_AHEAD:  # a copy of a speech whose canonical copy is another one
            kept = self.text_cursor - TEXTS_AHEAD  # long after its chunk was indexed
            self.prepared = {i: ready for i, ready in self.prepared.items() if self.text_position[i] >= kept}

    def _feed(self) -> None:
        if self.pool is None:
            return
        self._collect()
        try:
            while len(self.batches) + len(self.text_jobs) < self.workers + QUEUED:  # texts go first
                if not (self._submit_texts() or self._submit_commitments()):
                    break
        except Exception:  # a broken pool: the loops compute for themselves
            log.warning("the worker cannot take jobs; computing in this process", exc_info=True)
            self.close(failed=True)

    def _submit_texts(self) -> bool:
        self.text_next = max(self.text_next, self.text_cursor)  # not for documents clustering has passed
        limit = min(len(self.texts), self.text_cursor + TEXTS_AHEAD)
        if self.text_next >= limit:
            return False
        ids = self.texts[self.text_next : min(limit, self.text_next + BATCH)]
        self.text_next += len(ids)
        self.text_jobs[self.pool.submit(prepare_batch, read_texts(self.db, ids), self.chars)] = self.text_next - 1
        return True

    def _submit_commitments(self) -> bool:
        if self.next >= len(self.queue) or len(self.jobs) + len(self.done) >= WINDOW:
            return False
        ids = self.queue[self.next : self.next + BATCH]
        self.next += len(ids)
        inputs = read_inputs(self.db, ids)
        future = self.pool.submit(extract_batch, inputs, self.chars)
        self.batches[future] = ids
        self.inputs[future] = inputs
        for document_id in ids:
            self.jobs[document_id] = future
        return True
