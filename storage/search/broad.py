"""The page of a broad speech search (more hits than the total counts) without ranking every hit.

Hits rank by score (how many words the title has), then newest first. So the top of the ranking is the title
hits (score > 0), all of them ranked, and then the newest speeches whose title has none of the words. For one
word, whose title hits all score 1, the newest rows are read for them first; otherwise they come from the title
grams (``speech_fts_title``: few rows per word, checked exactly against the title). The rest come from a walk
of at most :data:`WINDOW` index rows newest first (``ix_speech_fts_text_newest``) that stops at the last row
the page needs. A walked row is checked on its own: SQLite asks FTS5 about that one rowid for a word of 1–2
characters, and both check the row's folded text for a longer word. When the window holds too few hits (a word
rarer than the cap suggests, a narrow filter, a deep page) or a query of several words has too many title
candidates to check, :func:`broad_speech_page` returns ``None`` and the caller ranks every hit: the pages are the
same either way (tests compare them on both back ends), only the cost differs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, text

from storage.search.fold import gram_match, term_grams

if TYPE_CHECKING:
    from storage.search.query import ParsedQuery, _Sql

#: newest index rows walked for the hits whose title has none of the words; SQLite checks each against FTS5
#: (a word of 1–2 characters: 50–200 µs a row) or its folded text, PostgreSQL against the row's own text (≈ 13 µs)
WINDOW = {"sqlite": 200, "postgresql": 2_000}
#: title candidates a query of several words checks against the text at most (the same costs); ×10 on
#: PostgreSQL when a word has 3+ characters, as ranking every hit would then recheck every hit's text
TITLED = {"sqlite": 200, "postgresql": 2_000}
MAX_DEPTH = 200  # deeper pages (offset + limit) rank every hit
NEWEST_ROWS = "speech_date DESC NULLS LAST, speech_id DESC"  # the ranking's tie-break, and the index's order
NEWEST = "w.speech_date DESC NULLS LAST, w.speech_id DESC"


def _title_has(sql: _Sql, term: str) -> str:
    return sql.contains("w.title", term)


def _grams_query(sql: _Sql, terms: tuple[str, ...]) -> str:
    """Title-gram candidates for any of ``terms`` (each term's :func:`term_grams`, all of them)."""
    alternatives = []
    for term in terms:
        pieces = sorted(term_grams(term))
        joined = " AND " if sql.dialect == "sqlite" else " & "
        alternatives.append("(" + joined.join(gram_match(p, sql.dialect) for p in pieces) + ")")
    return sql.bind((" OR " if sql.dialect == "sqlite" else " | ").join(alternatives))


def like_pattern(term: str) -> str:
    """``%term%`` with ``LIKE``'s own characters escaped."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _has_term(sql: _Sql, term: str) -> str:
    """Row ``w`` holds ``term`` in its title or text (exact, like the full path's match).

    SQLite asks FTS5 about this one row (``rowid =``) for a word of 1–2 characters, and checks the row's folded
    text for a longer one, so a walk stops early instead of reading every hit.
    """
    short = len(term) <= 2
    if sql.dialect == "sqlite":
        if short:
            match = sql.bind(gram_match(term, "sqlite"))
            probe = (
                f"EXISTS (SELECT 1 FROM speech_fts_grams WHERE speech_fts_grams MATCH {match} AND rowid = w.speech_id)"
            )
        else:
            probe = (f"EXISTS (SELECT 1 FROM speech_fts_body x WHERE x.speech_id = w.speech_id AND "
                     f"{sql.contains('x.body', term)})")  # fmt: skip
        return f"({_title_has(sql, term)} OR {probe})"
    if short:
        lexeme = sql.bind(gram_match(term, "postgresql"))
        return f"({_title_has(sql, term)} OR w.grams @@ CAST({lexeme} AS tsquery))"
    pattern = sql.bind(like_pattern(term))
    return f"(w.title LIKE {pattern} OR w.body LIKE {pattern})"


def _window(conn: Connection, sql: _Sql) -> tuple[str, str]:
    """``(FROM, condition)`` for the newest :data:`WINDOW` rows as ``w``, read in ranking order.

    PostgreSQL: a subquery with ``LIMIT`` (its order lets the outer ``LIMIT`` stop early). SQLite: the index
    walked down to the last row of the window (a subquery would be read whole before the outer sort).
    """
    size = WINDOW[sql.dialect]
    if sql.dialect == "postgresql":
        return f"(SELECT * FROM speech_fts_text ORDER BY {NEWEST_ROWS} LIMIT {size}) w", "TRUE"
    edge = conn.execute(
        text(f"SELECT speech_date, speech_id FROM speech_fts_text ORDER BY {NEWEST_ROWS} LIMIT 1 OFFSET {size - 1}")
    ).first()
    if edge is None:
        return "speech_fts_text w", "1"
    date, key = sql.bind(edge[0]), sql.bind(edge[1])
    if edge[0] is None:
        return "speech_fts_text w", f"(w.speech_date IS NOT NULL OR w.speech_id >= {key})"
    return "speech_fts_text w", f"(w.speech_date > {date} OR (w.speech_date = {date} AND w.speech_id >= {key}))"


def broad_speech_page(
    conn: Connection, sql: _Sql, parsed: ParsedQuery, filtered: bool, limit: int, offset: int
) -> list[tuple[int, int]] | None:
    """The page ``[(speech_id, score), …]``, or ``None`` when the newest rows cannot tell it.

    ``sql`` holds the filter conditions on ``s`` (the speech); ``filtered`` says there are some.
    """
    need = offset + limit
    if need > MAX_DEPTH:
        return None
    candidates = _grams_query(sql, parsed.terms)
    most = TITLED[sql.dialect] * (10 if sql.dialect == "postgresql" and parsed.long_terms else 1)
    if len(parsed.terms) > 1 and _titled(conn, sql, candidates, most) > most:
        return None
    matched = [_has_term(sql, t) for t in parsed.terms]
    in_title = " OR ".join(_title_has(sql, t) for t in parsed.terms)
    score = " + ".join(f"(CASE WHEN {_title_has(sql, t)} THEN 1 ELSE 0 END)" for t in parsed.terms)
    speech = " CROSS JOIN speeches s" if filtered else ""
    conditions = [*matched, *sql.where, *(["s.id = w.speech_id"] if filtered else [])]
    if sql.dialect == "sqlite":  # the FTS5 list drives the join
        titled = (f"(SELECT rowid AS id FROM speech_fts_title WHERE speech_fts_title MATCH {candidates}) m "
                  "CROSS JOIN speech_fts_text w")  # fmt: skip
        conditions_titled = ["w.speech_id = m.id", *conditions]
    else:  # OFFSET 0 keeps the planner from reading the text indexes (every hit) instead of the title grams
        titled = (f"(SELECT t.* FROM speech_fts_title g JOIN speech_fts_text t ON t.speech_id = g.speech_id "
                  f"WHERE g.grams @@ CAST({candidates} AS tsquery) OFFSET 0) w")  # fmt: skip
        conditions_titled = conditions
    newest, within = _window(conn, sql)

    def walk(title: str, count: int) -> list[int]:
        return conn.execute(
            text(f"SELECT w.speech_id FROM {newest}{speech} WHERE {within} AND {title}({in_title}) AND "
                 f"{' AND '.join(conditions)} ORDER BY {NEWEST} LIMIT {count}"),
            sql.params,
        ).scalars().all()  # fmt: skip

    if len(parsed.terms) == 1:  # one word: every title hit scores 1, so the newest of them come first
        newest_titled = walk("", need)
        if len(newest_titled) == need:
            return [(key, 1) for key in newest_titled[offset:need]]
    first = conn.execute(
        text(f"SELECT w.speech_id, {score} AS score FROM {titled}{speech} WHERE ({in_title}) AND "
             f"{' AND '.join(conditions_titled)} ORDER BY score DESC, {NEWEST} LIMIT {need}"),
        sql.params,
    ).all()  # fmt: skip
    rows = [(row[0], int(row[1])) for row in first]
    if len(rows) < need:
        more = walk("NOT ", need - len(rows))
        if len(more) < need - len(rows):
            return None
        rows += [(key, 0) for key in more]
    return rows[offset:need]


def _titled(conn: Connection, sql: _Sql, candidates: str, most: int) -> int:
    """Title candidates, counted up to ``most + 1``."""
    if sql.dialect == "sqlite":
        found = f"SELECT rowid FROM speech_fts_title WHERE speech_fts_title MATCH {candidates} LIMIT {most + 1}"
    else:
        found = f"SELECT 1 FROM speech_fts_title WHERE grams @@ CAST({candidates} AS tsquery) LIMIT {most + 1}"
    return int(conn.execute(text(f"SELECT count(*) FROM ({found}) AS titled"), sql.params).scalar_one())
