"""Migrations run on first use, once, on both back ends."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from storage import migrate
from storage.database import Database
from storage.engine import make_engine, redact, resolve_url
from storage.search import index


def test_first_use_creates_the_schema_and_later_uses_do_nothing(db_url):
    db = Database(db_url)
    try:
        tables = set(inspect(db.engine).get_table_names())
        assert {"sources", "crawl_runs", "documents", "alembic_version"} <= tables
        assert migrate.current_revision(db.engine) == migrate.head_revision()
        assert migrate.upgrade(db.engine) is False
    finally:
        db.close()
        db.close()  # safe twice


def test_url_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv("SPEECHWATCH_DB", raising=False)
    assert resolve_url(None) == "sqlite:///data/speechwatch.db"
    assert resolve_url(str(tmp_path / "x.db")) == f"sqlite:///{tmp_path / 'x.db'}"
    monkeypatch.setenv("SPEECHWATCH_DB", "postgresql+psycopg://u@h/db")
    assert resolve_url(None) == "postgresql+psycopg://u@h/db"
    assert "secret" not in redact("postgresql+psycopg://u:secret@h/db")


def test_sqlite_runs_in_wal_mode(sqlite_url):
    with Database(sqlite_url) as db, db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def _open_after_barrier(url: str, barrier, results) -> None:
    barrier.wait()
    try:
        with Database(url) as db:
            results.put(len(inspect(db.engine).get_table_names()))
    except Exception as exc:  # noqa: BLE001 - reported to the test
        results.put(repr(exc))


def test_processes_meeting_a_fresh_sqlite_file_migrate_it_once(tmp_path):
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    barrier, results = ctx.Barrier(6), ctx.Queue()
    procs = [ctx.Process(target=_open_after_barrier, args=(url, barrier, results)) for _ in range(6)]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(timeout=10)
    assert all(isinstance(o, int) for o in outcomes), outcomes
    assert len(set(outcomes)) == 1 and outcomes[0] > 3
    with Database(url) as db:
        assert migrate.current_revision(db.engine) == migrate.head_revision()


def test_commitment_events_get_their_copy_from_details_when_migrated(db_url):
    """0013 fills the new ``document_id`` column from the events already stored."""
    from datetime import UTC, datetime

    import sqlalchemy as sa
    from alembic import command

    from storage.engine import make_engine

    def upgrade_to(conn, revision: str) -> None:
        config = migrate.alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, revision)

    events = sa.table("commitment_events", sa.column("commitment_id", sa.Integer), sa.column("at", sa.DateTime),
                      sa.column("action", sa.String), sa.column("details", sa.JSON))  # fmt: skip
    now = datetime.now(UTC).replace(tzinfo=None)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            upgrade_to(conn, "0012")
            conn.execute(sa.insert(events), [
                {"commitment_id": 1, "at": now, "action": "fulfilment", "details": {"document_id": 7}},
                {"commitment_id": 1, "at": now, "action": "accept", "details": {"from": "new", "to": "accepted"}},
                {"commitment_id": 2, "at": now, "action": "flagged", "details": {"document_id": 9, "related_id": None}},
                {"commitment_id": 2, "at": now, "action": "done", "details": None},
            ])  # fmt: skip
        with engine.begin() as conn:
            upgrade_to(conn, "head")
            rows = conn.execute(sa.text("SELECT action, document_id FROM commitment_events ORDER BY id")).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in rows] == [("fulfilment", 7), ("accept", None), ("flagged", 9), ("done", None)]


def test_a_connection_waits_while_another_switches_a_fresh_file_to_wal(tmp_path):
    """Opening a fresh file while another connection holds it (as a crawl's components do at once) waits for the
    lock instead of failing on the switch to WAL. (CI once saw "database is locked" from that switch under load,
    where SQLite answered busy without its busy handler; ``_use_wal`` now also tries again until the timeout.)"""
    import sqlite3
    import threading
    import time

    from storage.engine import make_engine

    path = tmp_path / "fresh.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")  # the file is taken, not yet in WAL mode
    release = threading.Timer(0.5, lambda: holder.execute("COMMIT"))
    release.start()
    engine = make_engine(f"sqlite:///{path}")
    try:
        started = time.monotonic()
        with engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        assert mode == "wal" and time.monotonic() - started >= 0.4
    finally:
        release.join()
        holder.close()
        engine.dispose()


def test_sqlite_search_tables_merge_8_segments_at_a_time_and_a_rebuild_keeps_it(sqlite_url):
    """Migration 0015: FTS5 ``automerge`` 8 (4 by default) on every search table, kept by ``rebuild``."""
    from storage.search import index

    tables = ("speech_fts_grams", "speech_fts_title", "commitment_fts_grams")
    db = Database(sqlite_url)
    try:
        for _ in range(2):
            with db.engine.begin() as conn:
                settings = {t: conn.exec_driver_sql(f"SELECT v FROM {t}_config WHERE k = 'automerge'").scalar()
                            for t in tables}  # fmt: skip
                assert settings == dict.fromkeys(tables, 8)
                index.rebuild(conn)
    finally:
        db.close()


def test_sqlite_trigram_tables_go_with_0021_and_come_back_filled_on_downgrade(sqlite_url):
    """0021 drops SQLite's FTS5 trigram tables (the grams and an ``instr`` check answer every search); its
    downgrade builds them again from the folded text kept in the body tables, with 0015's merge setting, so the
    code before finds what is stored; searches answer the same before and after."""
    from alembic import command

    from monitor.query import search_commitments, search_speeches
    from tests.storage.search_corpus import populate

    def trigram_tables(conn) -> set[str]:
        names = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE name IN ('speech_fts', 'commitment_fts')")
        return set(names.scalars())

    with Database(sqlite_url) as db:
        ids = populate(db)
        hits = {word: [h.speech_id for h in search_speeches(db, word).hits] for word in ("营商环境", "不见面审批")}
        assert hits["营商环境"] and hits["不见面审批"] == [ids["huzhou"]]
        config = migrate.alembic_config()
        with db.engine.begin() as conn:
            assert trigram_tables(conn) == set()
            config.attributes["connection"] = conn
            command.downgrade(config, "0020")
            assert trigram_tables(conn) == {"speech_fts", "commitment_fts"}
            phrase = "SELECT rowid FROM speech_fts WHERE speech_fts MATCH '\"不见面审批\"'"
            assert conn.exec_driver_sql(phrase).scalars().all() == [ids["huzhou"]]
            assert conn.exec_driver_sql("SELECT count(*) FROM commitment_fts WHERE commitment_fts MATCH "
                                        "'\"标准地\"'").scalar_one() == 1  # fmt: skip
            setting = "SELECT v FROM speech_fts_config WHERE k = 'automerge'"
            assert conn.exec_driver_sql(setting).scalar_one() == 8
            command.upgrade(config, "head")
            assert trigram_tables(conn) == set()
        assert {word: [h.speech_id for h in search_speeches(db, word).hits] for word in hits} == hits
        assert search_commitments(db, "标准地").total == 1


def test_postgresql_trigram_indexes_go_with_0016_and_come_back_on_downgrade(postgres_url):
    """0016 drops the pg_trgm indexes (the grams answer every search); its downgrade builds them again."""
    from alembic import command

    from storage.engine import make_engine
    from storage.search.index import TRIGRAM_INDEXES

    def indexes(conn) -> set[str]:
        return set(conn.exec_driver_sql("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%%trgm'").scalars())

    engine = make_engine(postgres_url)
    config = migrate.alembic_config()
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            assert indexes(conn) == set()
            command.downgrade(config, "0015")
            assert indexes(conn) == set(TRIGRAM_INDEXES)
            command.upgrade(config, "head")
            assert indexes(conn) == set()
    finally:
        engine.dispose()


def test_postgresql_grams_hold_a_character_alone_only_where_no_pair_starts_with_it_until_0017_is_undone(
    postgres_url,
):
    """Since 0017 a one-character search asks for a prefix; the downgrade writes every character again, which the
    exact lookups of the code before need. Searches answer the same throughout."""
    from alembic import command

    from monitor.query import search_speeches
    from tests.storage.search_corpus import populate

    def alone(conn, gram: str) -> int:  # speech rows holding the character as a lexeme of its own
        query = f"SELECT count(*) FROM speech_fts_text WHERE grams @@ '{gram}'::tsquery"
        return conn.exec_driver_sql(query).scalar_one()

    with Database(postgres_url) as db:
        ids = populate(db)
        hits = {word: {h.speech_id for h in search_speeches(db, word).hits} for word in ("口", "资", "营商环境")}
        assert hits["口"] == {ids["hangzhou"]}
        config = migrate.alembic_config()
        for target, singles in (("0016", True), ("head", True)):  # the upgrade leaves rows as they are
            with db.engine.begin() as conn:
                config.attributes["connection"] = conn
                (command.downgrade if target == "0016" else command.upgrade)(config, target)
                assert (alone(conn, "营") > 0) is singles and alone(conn, "营商") > 0
            assert {word: {h.speech_id for h in search_speeches(db, word).hits} for word in hits} == hits
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM speech_fts_text")
            index.index_speeches(conn, list(ids.values()))  # written anew: "营" only as the prefix of "营商"
            assert alone(conn, "营") == 0 and alone(conn, "营商") > 0
        assert {word: {h.speech_id for h in search_speeches(db, word).hits} for word in hits} == hits


def test_postgresql_long_text_columns_are_compressed_with_lz4_from_0018(postgres_url):
    """New rows of the long text columns are written with LZ4 (where the server has it); the downgrade undoes it."""
    from alembic import command

    columns = {"documents": ("text",), "speech_fts_text": ("title", "body", "grams"),
               "commitment_fts_text": ("action", "text", "grams")}  # fmt: skip

    def methods(conn) -> set[str]:
        pairs = " OR ".join(f"(attrelid = '{table}'::regclass AND attname = '{column}')"
                            for table, names in columns.items() for column in names)  # fmt: skip
        return set(conn.exec_driver_sql(f"SELECT attcompression FROM pg_attribute WHERE {pairs}").scalars())

    with Database(postgres_url) as db, db.engine.begin() as conn:
        if not conn.exec_driver_sql("SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                                    "WHERE name = 'default_toast_compression'").scalar():  # fmt: skip
            pytest.skip("this PostgreSQL server was built without LZ4")
        assert methods(conn) == {"l"}
        config = migrate.alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, "0017")
        assert methods(conn) == {""}  # the server's default
        command.upgrade(config, "head")
        assert methods(conn) == {"l"}


def test_pending_documents_are_found_by_partial_indexes_from_0019(db_url):
    """0019: the documents still to cluster or mine are indexed alone (a partial index each), the whole-column
    hash indexes and the commitments' redundant ``speech_id`` index go; the downgrade brings them back. (From
    0025 the documents to mine are queued in a table of their own: the test below.)"""
    from alembic import command

    from monitor.commitments.track import pending_copies
    from monitor.dedup.cluster import pending_documents

    old = {"ix_documents_fingerprinted_hash", "ix_documents_commitments_hash", "ix_commitments_speech_id"}
    new = {"ix_documents_unclustered"}

    def indexes(conn) -> set[str]:
        inspector = inspect(conn)
        return {ix["name"] for table in ("documents", "commitments") for ix in inspector.get_indexes(table)}

    with Database(db_url) as db:
        with db.engine.begin() as conn:
            assert new <= indexes(conn) and not old & indexes(conn)
            if conn.dialect.name == "sqlite":  # the pending lookups use them
                query = "EXPLAIN QUERY PLAN SELECT id FROM documents WHERE fingerprinted_hash IS NULL ORDER BY id"
                plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(query))
                assert "ix_documents_unclustered" in plan, plan
            config = migrate.alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "0019")
            assert "ix_documents_unmined" in indexes(conn)
            command.downgrade(config, "0018")
            assert old <= indexes(conn) and not (new | {"ix_documents_unmined"}) & indexes(conn)
            command.upgrade(config, "head")
            assert new <= indexes(conn) and not old & indexes(conn)
        assert pending_documents(db) == [] and pending_copies(db) == []


def test_postgresql_gin_indexes_keep_a_longer_pending_list_from_0020(postgres_url):
    """0020 sets the search GIN indexes' pending list to 64 MB (a rebuild keeps it) and takes the grams columns
    out of ANALYZE; its downgrade resets both."""
    from alembic import command

    from storage.search.index import GIN_INDEXES, PENDING_LIST_KB

    def options(conn) -> dict[str, list | None]:
        rows = conn.exec_driver_sql("SELECT relname, reloptions FROM pg_class WHERE relkind = 'i'").all()
        return {name: opts for name, opts in rows if name in GIN_INDEXES}

    def statistics(conn) -> set[int]:
        return set(conn.exec_driver_sql(
            "SELECT attstattarget FROM pg_attribute WHERE attname = 'grams' AND attrelid IN"
            " ('speech_fts_text'::regclass, 'commitment_fts_text'::regclass, 'speech_fts_title'::regclass)"
        ).scalars())  # fmt: skip

    expected = {name: [f"gin_pending_list_limit={PENDING_LIST_KB}"] for name in GIN_INDEXES}
    with Database(postgres_url) as db, db.engine.begin() as conn:
        assert options(conn) == expected and statistics(conn) == {0}
        index.rebuild(conn)
        assert options(conn) == expected
        config = migrate.alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, "0019")
        assert options(conn) == dict.fromkeys(GIN_INDEXES) and statistics(conn) == {-1}
        command.upgrade(config, "head")
        assert options(conn) == expected and statistics(conn) == {0}


def test_postgresql_analyze_skips_free_text_columns_from_0022(postgres_url):
    """0022 takes the columns only ever read (pages' HTML and text, commitments' sentences, …) out of ``ANALYZE``;
    filtered columns keep their statistics; the downgrade returns them to the server's default."""
    import importlib

    from alembic import command

    free_text = importlib.import_module("storage.migrations.versions.0022_free_text_statistics").FREE_TEXT

    def targets(conn) -> dict[tuple[str, str], int]:
        rows = conn.exec_driver_sql(
            "SELECT c.relname, a.attname, a.attstattarget FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
            " WHERE c.relname IN ('documents', 'commitments', 'commitment_events', 'speeches')"
            " AND a.attnum > 0 AND NOT a.attisdropped"  # a dropped column keeps a target of 0
        ).all()
        return {(table, column): target for table, column, target in rows}

    skipped = {(table, column) for table, columns in free_text.items() for column in columns}
    with Database(postgres_url) as db, db.engine.begin() as conn:
        before = targets(conn)
        assert skipped <= set(before)
        assert {before[key] for key in skipped} == {0}
        assert {target for key, target in before.items() if key not in skipped} == {-1}  # speaker, status, …
        conn.exec_driver_sql(
            "INSERT INTO documents (url, final_url, source, source_kind, first_seen_at, fetched_at, changed_at,"
            " http_status, content_hash, raw_html, raw_size, text, title, speaker)"
            " SELECT 'http://x/' || i, 'http://x/' || i, 's', 'gov', now(), now(), now(), 200, md5(i::text),"
            " 'html', 4, repeat('营商环境', 50), 'title', 'speaker ' || (i %% 3) FROM generate_series(1, 200) i"
        )
        conn.exec_driver_sql("ANALYZE documents")
        analyzed = set(conn.exec_driver_sql("SELECT attname FROM pg_stats WHERE tablename = 'documents'").scalars())
        assert {"url", "speaker", "content_hash"} <= analyzed and not analyzed & set(free_text["documents"])
        config = migrate.alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, "0021")
        assert set(targets(conn).values()) == {-1}
        command.upgrade(config, "head")
        assert targets(conn) == before


def test_the_unused_exact_hash_index_goes_with_0024(db_url):
    """Nothing looks documents up by ``exact_hash``: 0024 drops its index, the downgrade builds it again."""
    from alembic import command

    def indexed(conn) -> bool:
        return "ix_documents_exact_hash" in {ix["name"] for ix in inspect(conn).get_indexes("documents")}

    with Database(db_url) as db, db.engine.begin() as conn:
        assert not indexed(conn)
        config = migrate.alembic_config()
        config.attributes["connection"] = conn
        command.downgrade(config, "0023")
        assert indexed(conn)
        command.upgrade(config, "head")
        assert not indexed(conn)


def test_0025_queues_the_unmined_documents_and_its_downgrade_marks_the_others_mined(db_url):
    """0025: documents whose ``commitments_hash`` was NULL go to ``unmined_documents``, the column and its partial
    index go; the downgrade gives every document not queued its content hash back (it was mined with that text)."""
    from alembic import command

    from tests.storage.test_dedup_index_migration import _insert_documents

    def columns(conn) -> set[str]:
        return {column["name"] for column in inspect(conn).get_columns("documents")}

    engine = make_engine(db_url)
    try:
        config = migrate.alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0024")
        _insert_documents(engine, {}, 5)
        with engine.begin() as conn:  # documents 1, 2 and 4 were mined with their text; 3 and 5 were not
            conn.execute(text("UPDATE documents SET content_hash = 'h' || id, commitments_hash = 'h' || id "
                              "WHERE id IN (1, 2, 4)"))  # fmt: skip
            config.attributes["connection"] = conn
            command.upgrade(config, "0025")
            assert "commitments_hash" not in columns(conn)
            assert "ix_documents_unmined" not in {ix["name"] for ix in inspect(conn).get_indexes("documents")}
            queued = conn.execute(text("SELECT document_id, content_hash FROM unmined_documents ORDER BY 1")).all()
            assert [tuple(row) for row in queued] == [(3, "h"), (5, "h")]  # each waits for the text it holds
            conn.execute(text("DELETE FROM unmined_documents WHERE document_id = 5"))  # mined since
            conn.execute(text("DELETE FROM documents WHERE id = 3"))  # the queue row goes with its document
            assert conn.execute(text("SELECT count(*) FROM unmined_documents")).scalar_one() == 0
            conn.execute(text("INSERT INTO unmined_documents VALUES (4, 'h4')"))  # to be mined again
            command.downgrade(config, "0024")
            marks = conn.execute(text("SELECT id, commitments_hash FROM documents ORDER BY id")).all()
            assert [tuple(row) for row in marks] == [(1, "h1"), (2, "h2"), (4, None), (5, "h")]
            assert "ix_documents_unmined" in {ix["name"] for ix in inspect(conn).get_indexes("documents")}
            assert "unmined_documents" not in inspect(conn).get_table_names()
            command.upgrade(config, "head")
            queued = conn.execute(text("SELECT document_id FROM unmined_documents ORDER BY 1")).scalars().all()
            assert queued == [4]
    finally:
        engine.dispose()
