"""The in-memory key index: exact against a brute-force scan, and its cache file trusted only when current."""

from __future__ import annotations

import logging
import multiprocessing
import random
import shutil

import numpy as np
import pytest
from sqlalchemy import select, text, update

from monitor.dedup import keyindex
from monitor.dedup.cluster import cluster_documents
from monitor.dedup.fingerprint import hamming, lookup_keys, to_signed, to_unsigned
from monitor.dedup.keyindex import KeyIndex, Version, build, cache_path, read_version, rebuild
from storage.database import Database
from storage.documents import store_documents
from storage.models import Document
from tests.monitor.dedup.test_cluster import body, record, speech_ids

LOGGER = "monitor.dedup.keyindex"


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SPEECHWATCH_CACHE_DIR", str(tmp_path / "cache"))  # PostgreSQL's index files


def near_copies(rng: random.Random, count: int) -> dict[int, int]:
    """Document id → simhash: random values, and for a third of them a copy 0–4 bits away."""
    values: dict[int, int] = {}
    for document in range(1, count + 1):
        values[document] = rng.getrandbits(64)
        if document % 3 == 0:
            values[document] = values[document - 1] ^ sum(1 << bit for bit in rng.sample(range(64), rng.randint(0, 4)))
    return values


def brute_force(values: dict[int, int], query: int) -> set[int]:
    return {document for document, value in values.items() if hamming(value, query) <= 3}


def queries(rng: random.Random, values: dict[int, int]) -> list[int]:
    flips = [sum(1 << bit for bit in rng.sample(range(64), rng.randint(0, 4))) for _ in range(200)]
    return [rng.choice(list(values.values())) ^ flip for flip in flips] + [rng.getrandbits(64) for _ in range(200)]


def arrays_of(values: dict[int, int]):
    ids = np.repeat(np.array(list(values), dtype=np.int64), 10)
    keys = np.array([key for value in values.values() for key in lookup_keys(value)], dtype=np.int64)
    simhashes = np.zeros(max(values) + 1, dtype=np.uint64)
    simhashes[list(values)] = np.array(list(values.values()), dtype=np.uint64)
    return build(keys, ids, simhashes)


@pytest.mark.parametrize("count", [1, 50, 3000])
def test_lookups_equal_a_brute_force_scan(count):
    rng = random.Random(count)
    values = near_copies(rng, count)
    index = KeyIndex(arrays_of(values), Version(0, 0), None)
    for query in queries(rng, values):
        assert index.near(query) == brute_force(values, query)


def test_keys_written_in_a_run_are_found_and_replaced_keys_are_not(sqlite_url):
    rng = random.Random(5)
    values = near_copies(rng, 600)
    base = dict(list(values.items())[:300])
    with Database(sqlite_url) as db:
        index = KeyIndex(arrays_of(base), read_version(db.engine.connect()), None)
        before = index.version
        with db.write() as session:
            for document, value in list(values.items())[300:]:
                index.write(document, None, value)
            moved = {document: rng.getrandbits(64) for document in rng.sample(range(301, 601), 30)}
            for document, value in moved.items():
                index.write(document, values[document], value)
            index.stamp(session.connection())
            index.stamp(session.connection())  # nothing written since: no second bump
        values.update(moved)
        assert read_version(db.engine.connect()) == index.version and index.version.generation == before.generation + 1
    for query in queries(rng, values):
        assert index.near(query) == brute_force(values, query)
    merged = index._merged()  # what save() writes: the same answers from the arrays alone
    for query in queries(rng, values):
        assert KeyIndex(merged, index.version, None).near(query) == brute_force(values, query)


def _store_simhashes(db: Database, simhashes: list[int]) -> dict[int, int]:
    """Documents given these (unsigned) simhashes, and one never fingerprinted; their ids → simhashes."""
    store_documents(db, [record(f"http://x/{n}", f"第{n}篇") for n in range(len(simhashes) + 1)])
    with db.write() as session:
        ids = list(session.scalars(select(Document.id).order_by(Document.id)))[: len(simhashes)]
        for document, value in zip(ids, simhashes, strict=True):
            session.execute(update(Document).where(Document.id == document).values(simhash=to_signed(value)))
    return dict(zip(ids, simhashes, strict=True))


@pytest.mark.parametrize("fetch", [7, 100_000])
def test_a_rebuild_indexes_every_fingerprinted_document_by_its_simhash(db_url, monkeypatch, fetch):
    """The keys come from ``documents.simhash`` (read in batches of ``FETCH``), not from a table of their own."""
    monkeypatch.setattr(keyindex, "FETCH", fetch)
    rng = random.Random(fetch)
    with Database(db_url) as db:
        values = _store_simhashes(db, list(near_copies(rng, 40).values()))
        arrays = rebuild(db)
    assert arrays.keys.size == 10 * len(values) and set(arrays.ids.tolist()) == set(values)
    index = KeyIndex(arrays, Version(0, 0), None)
    for query in queries(rng, values):
        assert index.near(query) == brute_force(values, query)


def test_the_file_survives_a_restart_and_is_reused(db_url, caplog):
    with Database(db_url) as db:
        store_documents(db, [record("http://a/1", body("h01")), record("http://b/1", body("p06"))])
        cluster_documents(db)
        with db.read() as session:
            simhash = to_unsigned(session.scalar(select(Document.simhash).where(Document.url == "http://a/1")))
    path = cache_path(db_url)
    assert path is not None and path.exists()
    caplog.set_level(logging.INFO, LOGGER)
    with Database(db_url) as db:  # a new handle, as a new process has
        index = KeyIndex.open(db)
        assert not [r for r in caplog.records if r.name == LOGGER], "a current file must be used as it is"
        assert not index.arrays.keys.flags.owndata  # memory-mapped from the file
        assert len(index.near(simhash)) == 1
        assert index.version == read_version(db.engine.connect())


def test_a_stale_file_is_rebuilt_after_another_writer(db_url, caplog):
    with Database(db_url) as db:
        store_documents(db, [record("http://a/1", body("h01"))])
        cluster_documents(db)
        path = cache_path(db_url)
        shutil.copy(path, path.with_suffix(".old"))
        store_documents(db, [record("http://b/1", body("t03"))])
        cluster_documents(db)
        shutil.copy(path.with_suffix(".old"), path)  # the file another process saw before the second run
        with db.read() as session:
            second = session.scalar(select(Document.id).where(Document.url == "http://b/1"))
            simhash = to_unsigned(session.get(Document, second).simhash)
        caplog.set_level(logging.INFO, LOGGER)
        index = KeyIndex.open(db)
        assert any("rebuilding" in r.getMessage() for r in caplog.records)
        assert index.near(simhash) == {second}
        assert KeyIndex.open(db).arrays.keys.size == 20  # the rebuilt file was saved


def test_keys_deleted_behind_the_file_are_gone_after_the_rebuild(db_url):
    with Database(db_url) as db:
        store_documents(db, [record("http://a/1", body("h01"))])
        cluster_documents(db)
        with db.read() as session:
            document, signed = session.execute(select(Document.id, Document.simhash)).one()
        with db.write() as session:  # another writer clears the document's simhash and bumps the version
            session.execute(update(Document).where(Document.id == document).values(simhash=None))
            session.execute(text("UPDATE simhash_keys_version SET generation = generation + 1, stamp = 12345"))
        assert KeyIndex.open(db).near(to_unsigned(signed)) == set()


def test_a_refingerprinted_document_is_found_by_its_new_keys_only(db_url):
    with Database(db_url) as db:
        store_documents(db, [record("http://a/1", body("h01"))])
        cluster_documents(db)
        with db.read() as session:
            old = to_unsigned(session.scalar(select(Document.simhash)))
        store_documents(db, [record("http://a/1", body("p07"))])  # the page now carries another speech
        cluster_documents(db)
        with db.read() as session:
            document, new = session.execute(select(Document.id, Document.simhash)).one()
    with Database(db_url) as db:
        index = KeyIndex.open(db)
        assert index.near(to_unsigned(new)) == {document} and index.near(old) == set()
        assert index.arrays.keys.size == 10


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty"])
def test_a_damaged_file_is_rebuilt_with_a_warning(sqlite_url, caplog, damage):
    with Database(sqlite_url) as db:
        store_documents(db, [record("http://a/1", body("h01")), record("http://b/1", body("h01")[:900])])
        cluster_documents(db)
        path = cache_path(sqlite_url)
        data = bytearray(path.read_bytes())
        if damage == "flip":
            data[len(data) // 2] ^= 0xFF
        path.write_bytes(data[: len(data) - 7] if damage == "truncate" else b"" if damage == "empty" else data)
        caplog.set_level(logging.INFO, LOGGER)
        with db.read() as session:
            ids = set(session.scalars(select(Document.id)))
            simhash = to_unsigned(session.scalar(select(Document.simhash).where(Document.url == "http://a/1")))
        index = KeyIndex.open(db)
    assert [r.levelno for r in caplog.records if "rebuild" in r.getMessage()][0] == logging.WARNING
    assert index.near(simhash) <= ids and len(index.near(simhash)) >= 1


def test_in_memory_sqlite_builds_the_index_per_run():
    with Database("sqlite://") as db:
        store_documents(db, [record("http://a/1", body("h01")), record("http://b/1", body("h01")[:900])])
        counts = cluster_documents(db)
        assert (counts.new_speeches, counts.joined) == (1, 1)


def test_an_unsaved_index_is_not_saved_when_the_database_moved_on(sqlite_url, caplog):
    with Database(sqlite_url) as db:
        store_documents(db, [record("http://a/1", body("h01"))])
        cluster_documents(db)
        index = KeyIndex.open(db)
        with db.write() as session:
            index.write(99, None, 7)
            index.stamp(session.connection())
            document = session.scalar(select(Document.id))  # another writer, after ours, gives it that simhash
            session.execute(update(Document).where(Document.id == document).values(simhash=7))
            session.execute(text("UPDATE simhash_keys_version SET stamp = 1"))
        caplog.set_level(logging.WARNING, LOGGER)
        index.save(db)
        assert "not saved" in caplog.text
        assert KeyIndex.open(db).near(7) == {document}


def _store_and_cluster(url: str, url_text: tuple[str, str], results) -> None:
    try:
        with Database(url) as db:
            store_documents(db, [record(*url_text)])
            counts = cluster_documents(db)
            results.put((counts.new_speeches, counts.joined))
    except Exception as exc:  # noqa: BLE001 - reported to the test
        results.put(repr(exc))


def test_two_processes_clustering_in_turn_see_each_others_documents(db_url):
    Database(db_url).close()  # migrated once, before the children
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    outcomes = []
    for url_text in [("http://a/1", body("h01")), ("http://b/1", body("h01")[:900]), ("http://c/1", body("h01"))]:
        child = ctx.Process(target=_store_and_cluster, args=(db_url, url_text, results))
        child.start()
        outcomes.append(results.get(timeout=120))
        child.join(timeout=30)
    assert outcomes == [(1, 0), (0, 1), (0, 1)]
    with Database(db_url) as db:
        ids = speech_ids(db)
    assert ids["http://a/1"] == ids["http://b/1"] == ids["http://c/1"]


def test_an_unwritable_index_file_costs_a_warning_not_the_run(sqlite_url, caplog):
    cache_path(sqlite_url).mkdir()  # something that is not a file where the index goes
    caplog.set_level(logging.WARNING, LOGGER)
    with Database(sqlite_url) as db:
        store_documents(db, [record("http://a/1", body("h01")), record("http://b/1", body("h01")[:900])])
        counts = cluster_documents(db)
    assert (counts.new_speeches, counts.joined) == (1, 1)
    assert "unreadable" in caplog.text and "not saved" in caplog.text
