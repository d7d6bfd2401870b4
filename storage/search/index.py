"""The search index: its tables per back end, and the calls that keep it in step with speeches and commitments.

Every row is keyed by the speech's (commitment's) own id and holds the folded text (:mod:`storage.search.fold`)
of two columns: for a speech its title (the *scored* column: relevance counts the words found there) and the
canonical copy's text; for a commitment its action (scored) and text.

SQLite (all written from Python by :func:`_replace`, no triggers)
    ``speech_fts_text`` (id, folded title, speech date, source hash) — narrow, read per hit to score and
    order; a trigger deletes it with its speech, so it also says which index rows are live;
    ``speech_fts_body`` (id, folded title and text) — what the FTS table holds, read to un-index a row and to
    check a word of 3+ characters (``instr``); ``speech_fts_grams``: contentless FTS5 table (``detail=none``,
    ``ascii`` tokenizer) of each row's distinct characters and character pairs, which answers words of 1–2
    characters exactly and gives the candidates for longer ones (every pair of the word's characters), as on
    PostgreSQL. SQLite 3.40 cannot delete from a contentless table without the old tokens: they are recomputed
    from the two plain tables, which is why those keep the folded text. Same for ``commitment_*``. (Until
    migration 0021, a contentless FTS5 ``trigram`` table, ``speech_fts``, found the longer words: writing it
    was a tenth of the post-run's CPU, and searches are as fast without it; ``bench/README.md``.)
PostgreSQL
    ``speech_fts_text`` (id, folded title, folded text, ``grams``, speech date, source hash; deleted with its
    speech by a trigger) with a GIN index on ``grams``, a ``tsvector`` of the pairs and of the characters that
    start none (written from Python as quoted lexemes: no text-search parser, language or locale is involved; a
    character is searched as a prefix, ``'营':*``, which finds the pairs it starts too; migration 0017). A search
    asks it for every pair of its words (``grams @@ '营商' & '商环' & '环境'``): exact for words of 1–2
    characters, and for longer words the candidates, whose folded text a ``LIKE '%营商环境%'`` then checks.
    (Until migration 0016, ``pg_trgm`` indexes of the folded columns found the longer words: keeping them up to
    date doubled the cost of clustering, and searches were no faster with them; ``bench/README.md``.)
Both (migration 0012, :func:`broad_query_ddl`)
    an index of the speech rows newest first, and the grams of the title alone (SQLite ``speech_fts_title``,
    PostgreSQL ``speech_fts_title``, a narrow table of ``grams`` ``tsvector`` with a GIN index, deleted with its
    text row), which a broad search reads instead of every hit (:mod:`storage.search.broad`).

Creating or changing a speech or commitment needs :func:`refresh_speech_index` /
:func:`refresh_commitment_index`, called from ``refresh_speech`` and from the commitment miner, inside their
unit of work; an unchanged row costs a fold and a hash. Deleting one needs nothing: a trigger on the base table
deletes the text row, and a new speech that reuses the id (SQLite) replaces what the FTS tables still hold for
it. :func:`rebuild` starts over (migration 0008's backfill; it also reclaims the space of deleted rows).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, Text, bindparam, text

from storage.bulk import insert_rows
from storage.search.fold import LONG, Folded, fold, gram_string, index_grams, merged_grams, stores_every_char

BATCH = 500

#: Texts folded ahead (:mod:`monitor.commitments.prefetch`): (document id or None, raw text) -> fold and grams
FoldedAhead = Callable[[int | None, str], Folded | None]

#: kind -> (base table, scored column, other column)
KINDS = {"speech": ("speeches", "title", "body"), "commitment": ("commitments", "action", "text")}


def _pg_table(name: str, *columns: Column) -> Table:
    """A PostgreSQL search table as :func:`storage.bulk.insert_rows` writes it (``grams``: a ``tsvector`` literal,
    read by the column's input function as a cast would; the tables themselves come from :func:`_pg_ddl`)."""
    return Table(name, _PG_TABLES, *columns)


_PG_TABLES = MetaData()
PG_TEXT_TABLES = {
    kind: _pg_table(f"{kind}_fts_text", Column(f"{kind}_id", Integer), Column(a, Text), Column(b, Text),
                    Column("grams", Text), Column("speech_date", String), Column("source_hash", String))
    for kind, (_, a, b) in KINDS.items()
}  # fmt: skip
PG_TITLE_TABLE = _pg_table("speech_fts_title", Column("speech_id", Integer), Column("grams", Text))


def trigram_ddl(kind: str) -> str:
    """SQLite's trigram table of a kind's two folded columns (migration 0008 until 0021; 0021's downgrade)."""
    _, a, b = KINDS[kind]
    return f"CREATE VIRTUAL TABLE {kind}_fts USING fts5({a}, {b}, content='', tokenize='trigram case_sensitive 1')"


def _sqlite_ddl(kind: str, table: str, a: str, b: str) -> list[str]:
    return [
        f"CREATE TABLE {kind}_fts_text ({kind}_id INTEGER PRIMARY KEY, {a} TEXT NOT NULL, speech_date VARCHAR(10), "
        "source_hash VARCHAR(40))",
        f"CREATE TABLE {kind}_fts_body ({kind}_id INTEGER PRIMARY KEY, {a} TEXT NOT NULL, {b} TEXT NOT NULL)",
        f"CREATE VIRTUAL TABLE {kind}_fts_grams USING fts5("
        "grams, content='', detail=none, columnsize=0, tokenize='ascii')",
        f"CREATE TRIGGER {table}_fts_forget AFTER DELETE ON {table} BEGIN "
        f"DELETE FROM {kind}_fts_text WHERE {kind}_id = old.id; END",
    ]


def broad_query_ddl(dialect: str) -> list[str]:
    """What a broad speech search reads instead of ranking every hit (migration 0012; idempotent).

    An index of the speech rows newest first (SQLite sorts NULL lowest, so an ascending index read backwards
    is ``speech_date DESC NULLS LAST``), and the title's characters and pairs on their own, to find the title
    hits, ``speech_fts_title``: SQLite a contentless FTS5 table like ``speech_fts_grams``; PostgreSQL a table of
    its own (a column of ``speech_fts_text`` would make its backfill rewrite every row and its GIN entries).
    """
    if dialect == "sqlite":
        return [
            "CREATE INDEX IF NOT EXISTS ix_speech_fts_text_newest ON speech_fts_text (speech_date, speech_id)",
            "CREATE VIRTUAL TABLE IF NOT EXISTS speech_fts_title USING fts5("
            "grams, content='', detail=none, columnsize=0, tokenize='ascii')",
        ]
    return [
        "CREATE INDEX IF NOT EXISTS ix_speech_fts_text_newest ON speech_fts_text "
        "(speech_date DESC NULLS LAST, speech_id DESC)",
        "CREATE TABLE IF NOT EXISTS speech_fts_title (speech_id INTEGER PRIMARY KEY "
        "REFERENCES speech_fts_text (speech_id) ON DELETE CASCADE, grams TSVECTOR NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS ix_speech_fts_title_grams ON speech_fts_title USING gin (grams) {GIN_OPTIONS}",
    ]


def backfill_title_grams(conn: Connection) -> int:
    """Write the title grams of every indexed speech row (migration 0012, on an index built before it)."""
    rows = conn.exec_driver_sql("SELECT speech_id, title FROM speech_fts_text").all()
    if conn.dialect.name == "sqlite":
        statement = text("INSERT INTO speech_fts_title(rowid, grams) VALUES (:id, :grams)")
        params = [{"id": key, "grams": gram_string(title)} for key, title in rows]
    else:
        statement = text("INSERT INTO speech_fts_title (speech_id, grams) VALUES (:id, CAST(:grams AS tsvector))")
        chars = stores_every_char(conn.dialect.name)
        params = [{"id": key, "grams": tsvector_literal(index_grams(title, chars=chars))} for key, title in rows]
    for start in range(0, len(params), BATCH):
        conn.execute(statement, params[start : start + BATCH])
    return len(rows)


#: PostgreSQL: how large (kB) a GIN index's pending list of new entries grows before the writer that fills it
#: merges it into the index (migration 0020; the server's default is 4 MB). :func:`merge_pending` merges it at
#: the end of each post-run, so searches between runs read no pending list.
PENDING_LIST_KB = 65536
SPEECH_GIN_INDEXES = ("ix_speech_fts_grams", "ix_speech_fts_title_grams")  # written by clustering alone
COMMITMENT_GIN_INDEXES = ("ix_commitment_fts_grams",)  # written by mining
GIN_INDEXES = (*SPEECH_GIN_INDEXES, *COMMITMENT_GIN_INDEXES)
GIN_OPTIONS = f"WITH (gin_pending_list_limit = {PENDING_LIST_KB})"


def _pg_indexes(kind: str) -> list[str]:
    """The GIN index of the grams (dropped while :func:`rebuild` writes every row)."""
    return [f"CREATE INDEX ix_{kind}_fts_grams ON {kind}_fts_text USING gin (grams) {GIN_OPTIONS}"]


def merge_pending(conn: Connection, indexes: Sequence[str] = GIN_INDEXES) -> int:
    """PostgreSQL: merge the GIN indexes' pending lists into the indexes; return the pages merged (0 elsewhere)."""
    if conn.dialect.name != "postgresql":
        return 0
    merged = conn.execute(
        _in("SELECT gin_clean_pending_list(c.oid) FROM pg_class c WHERE c.relname IN :ids AND c.relkind = 'i'"
            " AND c.relnamespace = current_schema()::regnamespace"),
        {"ids": list(indexes)},
    ).scalars()  # fmt: skip
    return sum(merged)


#: the pg_trgm indexes of the folded columns, which the grams replaced (migration 0016)
TRIGRAM_INDEXES = ("ix_speech_fts_title_trgm", "ix_speech_fts_body_trgm", "ix_commitment_fts_action_trgm",
                   "ix_commitment_fts_text_trgm")  # fmt: skip


def _pg_ddl(kind: str, table: str, a: str, b: str) -> list[str]:
    return [
        f"""CREATE TABLE {kind}_fts_text (
            {kind}_id INTEGER PRIMARY KEY,
            {a} TEXT NOT NULL,
            {b} TEXT NOT NULL,
            grams TSVECTOR NOT NULL,
            speech_date VARCHAR(10),
            source_hash VARCHAR(40)
        )""",
        f"""CREATE FUNCTION {table}_fts_forget() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM {kind}_fts_text WHERE {kind}_id = old.id;
            RETURN NULL;
        END $$""",
        f"CREATE TRIGGER {table}_fts_forget AFTER DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_fts_forget()",
    ]


def create_schema(conn: Connection) -> None:
    """Create the search tables and indexes for the connection's back end (migration 0008)."""
    if conn.dialect.name == "sqlite":
        for kind, (table, a, b) in KINDS.items():
            for statement in _sqlite_ddl(kind, table, a, b):
                conn.exec_driver_sql(statement)
        for statement in broad_query_ddl("sqlite"):
            conn.exec_driver_sql(statement)
        return
    for kind, (table, a, b) in KINDS.items():
        for statement in _pg_ddl(kind, table, a, b):
            conn.exec_driver_sql(statement)
    for statement in broad_query_ddl(conn.dialect.name):
        conn.exec_driver_sql(statement)
    for kind in KINDS:
        for statement in _pg_indexes(kind):
            conn.exec_driver_sql(statement)


def drop_schema(conn: Connection) -> None:
    for kind, (table, _, _) in KINDS.items():
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_fts_forget")
        else:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_fts_forget ON {table}")
            conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {table}_fts_forget()")
        suffixes = (
            ("_fts", "_fts_grams", "_fts_title", "_fts_body", "_fts_text")
            if conn.dialect.name == "sqlite"
            else ("_fts_title", "_fts_text")
        )
        for suffix in suffixes:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {kind}{suffix}")


def _hash(a: str, b: str, date: str | None) -> str:
    return hashlib.sha1(f"{a}\x00{b}\x00{date}".encode()).hexdigest()


def tsvector_literal(found: set[str]) -> str:
    """Grams as a ``tsvector`` literal (quoted lexemes: no text-search parser, no language, no positions)."""
    return " ".join(f"'{g}'" for g in sorted(found))  # folded grams hold only letters and digits


def _lexemes(found: str) -> str:
    """``tsvector_literal`` of a ``gram_string``."""
    return "'" + found.replace(" ", "' '") + "'" if found else ""


def _row_grams(scored: str, other: str, known: str | None, chars: bool) -> str:
    """The ``gram_string`` of a row's two folded columns; ``known``: the other column's, computed ahead.

    A scored column found whole in the other (a commitment's action cut from its text) adds nothing: each of its
    pairs is a pair there, each character that starts one of its pairs starts one there, and each of its last
    characters either ends a word there or starts a pair there. A long other column (a speech's text: ``LONG``
    characters or more) has both columns' grams computed again, on arrays: 2.4x faster than merging a title's
    grams into the ~1,700 of a speech."""
    if known is not None and scored in other:
        return known
    if known is None or len(other) >= LONG:
        return gram_string(scored, other, chars=chars)
    return merged_grams(scored, known, chars)


def _in(statement: str, name: str = "ids"):
    return text(statement).bindparams(bindparam(name, expanding=True))


def _replace(conn: Connection, kind: str, rows: Iterable[tuple[int, str, str, str | None, str | None]]) -> int:
    """Write some rows (``(id, scored, other, other's grams if known, speech date)``, texts folded), skipping
    those indexed as they are."""
    _, a, b = KINDS[kind]
    rows = [(key, x, y, _hash(x, y, date), date, known) for key, x, y, known, date in rows]
    if not rows:
        return 0
    known = conn.execute(_in(f"SELECT {kind}_id, source_hash FROM {kind}_fts_text WHERE {kind}_id IN :ids"),
                         {"ids": [r[0] for r in rows]})  # fmt: skip
    old = dict(known.all())
    changed = [row for row in rows if old.get(row[0], "") != row[3]]
    if not changed:
        return 0
    chars = stores_every_char(conn.dialect.name)  # whether the grams hold every character alone
    if conn.dialect.name == "postgresql":
        stale = [row[0] for row in changed if row[0] in old]
        if stale:
            conn.execute(_in(f"DELETE FROM {kind}_fts_text WHERE {kind}_id IN :ids"), {"ids": stale})
        insert_rows(conn, PG_TEXT_TABLES[kind], [  # PostgreSQL: one COPY (storage.bulk), not an INSERT per row
            {f"{kind}_id": key, a: x, b: y, "grams": _lexemes(_row_grams(x, y, known, chars)), "speech_date": date,
             "source_hash": digest} for key, x, y, digest, date, known in changed])  # fmt: skip
        if kind == "speech":  # the stale title rows went with their text rows (ON DELETE CASCADE)
            titles = [{"speech_id": key, "grams": tsvector_literal(index_grams(x, chars=chars))}
                      for key, x, *_ in changed]  # fmt: skip
            insert_rows(conn, PG_TITLE_TABLE, titles)
        return len(changed)
    # what the FTS tables hold is what the body table holds (the text row goes when its speech is deleted)
    stale = conn.execute(_in(f"SELECT {kind}_id FROM {kind}_fts_body WHERE {kind}_id IN :ids"),
                         {"ids": [row[0] for row in changed]}).scalars().all()  # fmt: skip
    if stale:  # a contentless FTS5 table forgets a row only when told its tokens
        previous = conn.execute(
            _in(f"SELECT b.{kind}_id, b.{a}, b.{b} FROM {kind}_fts_body b WHERE b.{kind}_id IN :ids"),
            {"ids": stale},
        ).all()  # fmt: skip
        if previous:
            conn.execute(
                text(f"INSERT INTO {kind}_fts_grams({kind}_fts_grams, rowid, grams) VALUES ('delete', :id, :grams)"),
                [{"id": r[0], "grams": gram_string(r[1], r[2])} for r in previous],
            )
            if kind == "speech":
                conn.execute(
                    text("INSERT INTO speech_fts_title(speech_fts_title, rowid, grams) VALUES ('delete', :id, :grams)"),
                    [{"id": r[0], "grams": gram_string(r[1])} for r in previous],
                )
        for table in (f"{kind}_fts_text", f"{kind}_fts_body"):
            conn.execute(_in(f"DELETE FROM {table} WHERE {kind}_id IN :ids"), {"ids": stale})
    params = [{"id": key, "a": x, "b": y, "hash": digest, "date": date, "grams": _row_grams(x, y, known, chars)}
              for key, x, y, digest, date, known in changed]  # fmt: skip
    conn.execute(
        text(f"INSERT INTO {kind}_fts_text ({kind}_id, {a}, speech_date, source_hash) VALUES (:id, :a, :date, :hash)"),
        params,
    )
    conn.execute(text(f"INSERT INTO {kind}_fts_body ({kind}_id, {a}, {b}) VALUES (:id, :a, :b)"), params)
    conn.execute(text(f"INSERT INTO {kind}_fts_grams(rowid, grams) VALUES (:id, :grams)"), params)
    if kind == "speech":
        conn.execute(text("INSERT INTO speech_fts_title(rowid, grams) VALUES (:id, :title)"),
                     [{"id": p["id"], "title": gram_string(p["a"])} for p in params])  # fmt: skip
    return len(changed)


def index_speeches(conn: Connection, speech_ids: Sequence[int], ahead: FoldedAhead | None = None) -> int:
    """(Re)index speeches from their title and canonical copy's text; return how many changed.

    A speech whose title and canonical text are unchanged is left alone, so calling this on every
    ``refresh_speech`` (each new copy) costs a fold and a hash, not an index write. ``ahead`` gives a canonical
    copy's text folded ahead (by document id and text), when it has it.
    """
    changed = 0
    for start in range(0, len(speech_ids), BATCH):
        chunk = list(speech_ids[start : start + BATCH])
        rows = conn.execute(
            _in(
                "SELECT s.id, s.title, d.text, s.speech_date, d.id FROM speeches s "
                "LEFT JOIN documents d ON d.id = s.canonical_document_id WHERE s.id IN :ids"
            ),
            {"ids": chunk},
        ).all()
        changed += _replace(conn, "speech", (
            (r[0], fold(r[1]), *_folded(ahead, r[4], r[2]), r[3]) for r in rows))  # fmt: skip
    return changed


def index_speech(conn: Connection, speech_id: int) -> bool:
    return index_speeches(conn, [speech_id]) > 0


def index_commitments(conn: Connection, commitment_ids: Sequence[int], ahead: FoldedAhead | None = None) -> int:
    """(Re)index commitments from their text and action; return how many changed. ``ahead`` gives a commitment
    text folded ahead (by text), when it has it."""
    changed = 0
    for start in range(0, len(commitment_ids), BATCH):
        chunk = list(commitment_ids[start : start + BATCH])
        rows = conn.execute(
            _in("SELECT id, action, text FROM commitments WHERE id IN :ids"),
            {"ids": chunk},
        ).all()
        changed += _replace(conn, "commitment", (
            (r[0], fold(r[1]), *_folded(ahead, None, r[2]), None) for r in rows))  # fmt: skip
    return changed


def _folded(ahead: FoldedAhead | None, document_id: int | None, raw: str | None) -> tuple[str, str | None]:
    """A long column folded, with its ``gram_string`` when it was computed ahead."""
    ready = ahead(document_id, raw) if ahead is not None and raw else None
    return ready if ready is not None else (fold(raw), None)


def index_commitments_of_speech(conn: Connection, speech_id: int) -> int:
    ids = conn.execute(text("SELECT id FROM commitments WHERE speech_id = :s"), {"s": speech_id}).scalars().all()
    return index_commitments(conn, ids)


def rebuild(conn: Connection) -> tuple[int, int]:
    """Empty the index and fold every speech and commitment again (migration backfill, or to start clean)."""
    postgres = conn.dialect.name == "postgresql"
    for kind in KINDS:
        if postgres:  # building GIN indexes once is much faster than keeping them up to date row by row
            conn.exec_driver_sql(f"DELETE FROM {kind}_fts_text")
            for statement in _pg_indexes(kind):
                conn.exec_driver_sql(f"DROP INDEX IF EXISTS {statement.split()[2]}")
        else:
            for suffix in ("_fts_text", "_fts_body"):
                conn.exec_driver_sql(f"DELETE FROM {kind}{suffix}")
            for suffix in ("_fts_grams", "_fts_title") if kind == "speech" else ("_fts_grams",):
                conn.exec_driver_sql(f"INSERT INTO {kind}{suffix}({kind}{suffix}) VALUES ('delete-all')")
    speeches = conn.exec_driver_sql("SELECT id FROM speeches ORDER BY id").scalars().all()
    commitments = conn.exec_driver_sql("SELECT id FROM commitments ORDER BY id").scalars().all()
    counts = index_speeches(conn, speeches), index_commitments(conn, commitments)
    if postgres:
        for kind in KINDS:
            for statement in _pg_indexes(kind):
                conn.exec_driver_sql(statement)
    return counts


def rewrite_grams(conn: Connection, chars: bool) -> int:
    """PostgreSQL: write every row's grams again, with every character alone or not (``chars`` of
    :func:`~storage.search.fold.index_grams`; migration 0017's downgrade). The GIN indexes are built again after."""
    indexes = [*(_pg_indexes(kind)[0] for kind in KINDS), broad_query_ddl("postgresql")[-1]]
    for statement in indexes:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {statement.split(' ON ')[0].split()[-1]}")
    written = 0
    for kind, (_, a, b) in KINDS.items():
        rows = conn.exec_driver_sql(f"SELECT {kind}_id, {a}, {b} FROM {kind}_fts_text").all()
        update = f"UPDATE {kind}_fts_text SET grams = CAST(:grams AS tsvector) WHERE {kind}_id = :id"
        title = "UPDATE speech_fts_title SET grams = CAST(:grams AS tsvector) WHERE speech_id = :id"
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            conn.execute(text(update), [{"id": key, "grams": _lexemes(gram_string(x, y, chars=chars))}
                                        for key, x, y in batch])  # fmt: skip
            if kind == "speech":
                conn.execute(text(title), [{"id": key, "grams": _lexemes(gram_string(x, chars=chars))}
                                           for key, x, _ in batch])  # fmt: skip
        written += len(rows)
    for statement in indexes:
        conn.exec_driver_sql(statement)
    return written


def refresh_speech_index(session, speech_id: int) -> bool:
    """Index one speech inside an ORM unit of work (flushes first, so the index sees the pending changes)."""
    session.flush()
    return index_speech(session.connection(), speech_id)


def refresh_commitment_index(session, speech_id: int) -> int:
    """Index the commitments of one speech inside an ORM unit of work (flushes first)."""
    session.flush()
    return index_commitments_of_speech(session.connection(), speech_id)
