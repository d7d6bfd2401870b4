"""Migration 0009: lookup keys backfilled for fingerprinted documents, band columns gone (and back on downgrade)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text

from monitor.dedup.fingerprint import lookup_keys, to_signed
from storage.engine import make_engine
from storage.migrate import alembic_config


def _migrate(engine, revision: str, downgrade: bool = False) -> None:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if downgrade else command.upgrade)(config, revision)


def _insert_documents(engine, simhashes: dict[int, int], count: int) -> None:
    """Documents 1..count, with the signed form of ``simhashes[id]`` where given."""
    now = datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        for i in range(1, count + 1):
            conn.execute(
                text("INSERT INTO documents (id, url, final_url, source, source_kind, first_seen_at, fetched_at, "
                     "changed_at, http_status, content_hash, raw_html, raw_size, text, simhash) VALUES (:i, :u, "
                     ":u, 's', 'gov', :t, :t, :t, 200, 'h', :raw, 0, '', :s)"),
                {"i": i, "u": f"http://x/{i}", "t": now, "raw": b"", "s": to_signed(simhashes[i]) if i in simhashes
                 else None},
            )  # fmt: skip


def test_upgrade_backfills_keys_and_downgrade_restores_bands(db_url):
    engine = make_engine(db_url)
    try:
        _migrate(engine, "0008")
        rng = random.Random(9)
        simhashes = {i: rng.getrandbits(64) for i in range(1, 8)}
        _insert_documents(engine, simhashes, 9)  # documents 8 and 9 were never fingerprinted
        _migrate(engine, "0009")
        columns = {c["name"] for c in inspect(engine).get_columns("documents")}
        assert not {"band0", "band1", "band2", "band3"} & columns
        with engine.connect() as conn:
            stored = set(conn.execute(text("SELECT key, document_id FROM simhash_keys")).all())
        assert stored == {(key, i) for i, value in simhashes.items() for key in lookup_keys(value)}

        _migrate(engine, "0008", downgrade=True)
        assert "simhash_keys" not in inspect(engine).get_table_names()
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, band0, band1, band2, band3 FROM documents ORDER BY id")).all()
        for i, *bands in rows:
            expected = [(simhashes[i] >> (16 * b)) & 0xFFFF for b in range(4)] if i in simhashes else [None] * 4
            assert bands == expected
    finally:
        engine.dispose()


def test_0023_drops_the_key_table_and_its_downgrade_fills_it_from_the_simhashes(db_url):
    """The lookup keys are those of ``documents.simhash`` (0023): the table goes, and comes back filled."""
    from storage.database import Database

    rng = random.Random(23)
    simhashes = {i: rng.getrandbits(64) for i in range(1, 6)}
    Database(db_url).close()  # migrated to head
    engine = make_engine(db_url)
    try:
        assert "simhash_keys" not in inspect(engine).get_table_names()
        _insert_documents(engine, simhashes, 7)  # documents 6 and 7 were never fingerprinted
        _migrate(engine, "0022", downgrade=True)
        with engine.connect() as conn:
            stored = set(conn.execute(text("SELECT key, document_id FROM simhash_keys")).all())
        assert stored == {(key, i) for i, value in simhashes.items() for key in lookup_keys(value)}
        _migrate(engine, "head")
        assert "simhash_keys" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
