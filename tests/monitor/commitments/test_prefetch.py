"""Commitment extraction in a worker process: the same commitments as in the loop, and safe when inputs change."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import replace

import pytest
from sqlalchemy import select, update
from sqlalchemy import text as text_query

from monitor.commitments import prefetch
from monitor.commitments.evaluate import load_gold
from monitor.commitments.extract import extract_commitments
from monitor.commitments.track import mine_commitments
from monitor.dedup.cluster import cluster_documents, pending_documents
from monitor.dedup.fingerprint import fingerprint
from monitor.extract.script import matching_text
from monitor.postrun import process_new_documents
from storage.database import Database
from storage.documents import DocumentRecord, content_hash_of, store_documents
from storage.models import Commitment, Document, Speech
from storage.search.fold import folded_with_grams


def gold_records() -> list[DocumentRecord]:
    records = []
    for number, gold in enumerate(load_gold()):
        text = gold["text"]
        url = f"http://gov.example/{number}"
        analysis = {"match_text": matching_text(text), "doc_type": "speech", "speech_date": gold.get("speech_date"),
                    "region_code": "330100"}  # fmt: skip
        records.append(DocumentRecord(url=url, final_url=url, source="gov", source_kind="gov", http_status=200,
                                      content_hash=content_hash_of(text, b""), raw_html=b"", text=text,
                                      analysis=analysis))  # fmt: skip
    return records


def mined(db: Database) -> list[tuple]:
    with db.read() as session:
        rows = session.execute(
            select(Document.url, Commitment.text, Commitment.deadline, Commitment.strength, Commitment.relation,
                   Commitment.cited, Commitment.quantities)
            .join(Document, Document.id == Commitment.document_id).order_by(Document.url, Commitment.start)
        ).all()  # fmt: skip
    return [tuple(str(value) for value in row) for row in rows]


def test_mining_with_a_worker_stores_what_mining_in_the_loop_stores(tmp_path, monkeypatch, caplog):
    submitted = []
    read_inputs = prefetch.read_inputs

    def counted(db, ids):  # read for each job sent to the worker
        submitted.append(len(ids))
        return read_inputs(db, ids)

    monkeypatch.setattr(prefetch, "read_inputs", counted)
    results = {}
    for workers in ("0", "1"):
        monkeypatch.setenv(prefetch.ENV_WORKERS, workers)
        monkeypatch.setattr(prefetch, "MIN_DOCUMENTS", 0)  # the gold set is smaller than a real run
        monkeypatch.setattr(prefetch, "BATCH", 3)
        monkeypatch.setattr(prefetch, "WINDOW", 7)  # the worker waits for the loop, several times over
        monkeypatch.setattr(prefetch, "TEXTS_AHEAD", 0)  # texts: see the test below
        db = Database(f"sqlite:///{tmp_path / f'workers-{workers}.db'}")
        try:
            store_documents(db, gold_records())
            with caplog.at_level(logging.INFO, logger="monitor.commitments.prefetch"):
                counts = process_new_documents(db).mined  # the worker starts before clustering
            results[workers] = (counts, mined(db))
        finally:
            db.close()
    (loop_counts, in_loop), (worker_counts, with_worker) = results["0"], results["1"]
    assert loop_counts.documents == worker_counts.documents >= 30
    assert len(in_loop) > 300 and with_worker == in_loop
    assert worker_counts == loop_counts
    assert sum(submitted) == worker_counts.documents  # every copy went through the worker, none twice
    logged = re.search(r"of (\d+) copies extracted ahead \(\d+ of them taken back from the worker\), (\d+) again",
                       caplog.text)  # fmt: skip
    ahead, again = map(int, logged.groups())
    assert ahead + again == worker_counts.documents and ahead >= 0.9 * worker_counts.documents  # the guesses held


def test_a_result_is_used_only_for_the_inputs_it_was_computed_from(database):
    text = load_gold()[0]["text"]
    ((_, key, found, _),) = prefetch.extract_batch([prefetch.MiningInput(7, text, "2019-07", None)])
    ahead = prefetch.Prefetcher(database, workers=0)
    for document_id in (7, 8, 9):
        ahead.done[document_id] = (key, found)  # as if the worker had extracted them with these inputs
    assert ahead.commitments(7, text, "2019-07", None) is found
    moved = ahead.commitments(8, text, "2021-07", None)  # the speech's date changed meanwhile
    assert moved is not found and moved == extract_commitments(text, "2021-07")
    edited = text.replace("年底前", "9月底前", 1)
    assert ahead.commitments(9, edited, "2019-07", None) == extract_commitments(edited, "2019-07")
    assert ahead.commitments(10, text, "2019-07", None) == found  # never planned
    assert (ahead.ahead, ahead.again) == (1, 3)


def test_inputs_are_read_with_the_speech_date_before_the_copy_date(database):
    store_documents(database, gold_records()[:3])
    with database.read() as session:
        ids = list(session.scalars(select(Document.id)))
    before = {item.document_id: item for item in prefetch.read_inputs(database, ids)}
    assert {item.speech_date for item in before.values()} == {g.get("speech_date") for g in load_gold()[:3]}
    cluster_documents(database)
    with database.write() as session:
        speech_id, document_id = session.execute(select(Document.speech_id, Document.id).limit(1)).one()
        session.execute(update(Speech).where(Speech.id == speech_id).values(speech_date="2018-05",
                                                                            organization="某区人民政府"))  # fmt: skip
    (item,) = [i for i in prefetch.read_inputs(database, [document_id]) if i.document_id == document_id]
    assert (item.speech_date, item.organization) == ("2018-05", "某区人民政府")


def test_the_loop_takes_back_the_jobs_the_worker_has_not_started_instead_of_waiting(database, monkeypatch):
    """The worker is busy (a job that holds it): the loop cancels the queued jobs, newest first, and extracts them
    itself, with the inputs read for the worker, instead of waiting; every copy is then answered from what was
    extracted ahead, exactly as the loop would extract it, and nothing is extracted twice."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(prefetch, "BATCH", 2)
    store_documents(database, gold_records()[:8])
    with database.read() as session:
        ids = list(session.scalars(select(Document.id).order_by(Document.id)))
    inputs = {item.document_id: item for item in prefetch.read_inputs(database, ids)}
    ahead = prefetch.Prefetcher(database, workers=1)
    ahead.pool = ThreadPoolExecutor(1)  # a worker that runs jobs in order, one at a time, like the process pool
    release = threading.Event()
    holding = ahead.pool.submit(release.wait)  # the worker is busy: the mining jobs queue behind this
    deadline = threading.Timer(10, release.set)  # a loop that waits fails below instead of hanging
    deadline.start()
    try:
        ahead.plan(ids)
        queued = [job for job in ahead.batches if not job.running()]
        assert len(queued) == len(ahead.batches) >= 4
        first = inputs[ids[0]]
        found = ahead.commitments(first.document_id, first.text, first.speech_date, first.organization)
        assert found == extract_commitments(first.text, first.speech_date, organization=first.organization)
        assert all(job.cancelled() for job in queued) and ahead.taken_back == 2 * len(queued)
        release.set()
        for document_id in ids[1:]:
            item = inputs[document_id]
            assert ahead.commitments(document_id, item.text, item.speech_date, item.organization) == (
                extract_commitments(item.text, item.speech_date, organization=item.organization))  # fmt: skip
        assert (ahead.ahead, ahead.again) == (len(ids), 0)
    finally:
        deadline.cancel()
        release.set()
        holding.result()
        ahead.pool.shutdown()
        ahead.pool = None
        ahead.close()


def test_the_worker_count_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(prefetch.ENV_WORKERS, "0")
    assert prefetch.mining_workers() == 0
    monkeypatch.setenv(prefetch.ENV_WORKERS, "two")
    with pytest.raises(ValueError, match="SPEECHWATCH_MINING_WORKERS"):
        prefetch.mining_workers()
    monkeypatch.delenv(prefetch.ENV_WORKERS)
    assert prefetch.mining_workers() in (0, 1)


def test_a_failing_worker_costs_the_head_start_not_the_run(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv(prefetch.ENV_WORKERS, "1")
    monkeypatch.setattr(prefetch, "MIN_DOCUMENTS", 0)
    monkeypatch.setattr(prefetch, "read_inputs", lambda db, ids: [object()])  # the worker cannot use these
    db = Database(f"sqlite:///{tmp_path / 'broken.db'}")
    try:
        store_documents(db, gold_records()[:5])
        cluster_documents(db)
        counts = mine_commitments(db)
    finally:
        db.close()
    assert counts.documents == 5 and counts.new > 20
    assert "extracting in this process" in caplog.text


def indexed(db: Database) -> tuple:
    """The speeches (copies by URL) and what the search index holds and finds for them."""
    from monitor.query import search_speeches

    with db.read() as session:
        speeches = sorted(
            tuple(sorted(session.scalars(select(Document.url).where(Document.speech_id == speech_id))))
            for speech_id in session.scalars(select(Speech.id))
        )
        rows = session.execute(text_query(
            "SELECT t.title, t.source_hash, b.body FROM speech_fts_text t JOIN speech_fts_body b USING (speech_id)"
            " ORDER BY b.body")).all()  # fmt: skip
        simhashes = sorted(session.execute(select(Document.url, Document.simhash, Document.norm_length)).all())
    found = {term: len(search_speeches(db, term, limit=50).hits) for term in ("融", "融资", "营商环境", "审批", "企")}
    return speeches, [tuple(r) for r in rows], simhashes, found


def test_texts_prepared_ahead_cluster_and_index_as_in_the_loop(tmp_path, monkeypatch):
    monkeypatch.setattr(prefetch, "MIN_DOCUMENTS", 0)
    monkeypatch.setattr(prefetch, "BATCH", 4)
    records = gold_records()
    records.append(replace(records[0], url="http://mirror.example/0", final_url="http://mirror.example/0"))  # a repost
    results = {}
    for workers in (0, 1):
        db = Database(f"sqlite:///{tmp_path / f'texts-{workers}.db'}")
        try:
            store_documents(db, records)
            with prefetch.Prefetcher(db, workers=workers) as ahead:
                ahead.plan_texts(pending_documents(db))
                deadline = time.monotonic() + 60
                while workers and (ahead.text_jobs or ahead.text_next < len(ahead.texts)):
                    assert time.monotonic() < deadline, "the worker prepared nothing in a minute"
                    ahead._feed()  # what the loop's calls do
                    time.sleep(0.02)
                cluster_documents(db, ahead=ahead)
                prepared = ahead.texts_ahead
            results[workers] = indexed(db)
        finally:
            db.close()
        if workers:
            assert prepared == len(records)  # every fingerprint came from the worker
    assert results[1] == results[0]
    speeches, rows, _, found = results[0]
    assert len(rows) == len(speeches) == len(records) - 1 and found["融"] > 0 and found["营商环境"] > 0


def test_a_prepared_text_is_used_only_for_the_text_it_was_computed_from(database):
    text = load_gold()[0]["text"]
    ((_, ready),) = prefetch.prepare_batch([(5, text)])
    ahead = prefetch.Prefetcher(database, workers=0)
    ahead.texts, ahead.text_position = [5, 6], {5: 0, 6: 1}
    ahead.prepared = {5: ready, 6: ready}
    edited = text.replace("年底前", "9月底前", 1)
    assert ahead.ready_fingerprint(5, text) is ready.fingerprint and ahead.ready_fingerprint(6, edited) is None
    assert ahead.text_cursor == 0 and ahead.texts_ahead == 0  # a look: clustering's place does not move
    assert ahead.fingerprint(5, text) is ready.fingerprint
    assert ahead.fingerprint(6, edited) == fingerprint(edited) != ready.fingerprint
    assert ahead.folded(5, text) == folded_with_grams(text) and ahead.folded(5, text) is None  # taken once
    assert ahead.folded(6, text) is None  # dropped when its text changed
    assert ahead.texts_ahead == 1
