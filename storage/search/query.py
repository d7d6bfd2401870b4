"""Search queries: the query grammar, the typed filters, and the SQL (one shape per back end, same hits).

Grammar (deliberately small; nothing typed is ever passed to FTS5 or ``LIKE`` as syntax):

- Every word must occur (AND), in the title or the text. Words are separated by spaces and punctuation;
  ``AND``, ``OR``, ``NOT`` and ``NEAR`` in capitals are dropped with a notice (all words are always required),
  and ``*``, ``-``, ``:``, ``(``, ``)`` are punctuation like any other.
- ``"…"`` (or “…”) keeps a phrase whole: ``"1.5亿"`` matches ``1.5亿`` and ``1、5亿`` but not ``15亿``.
- Matching is on the folded form (:func:`storage.search.fold.fold`): traditional and simplified script, full-
  and half-width, upper and lower case, and punctuation differences do not matter.
- A word of any length works: 1–2 characters are answered by the gram index; 3+ find their candidates there
  (every pair of the word's characters), which a check of the folded text confirms (``instr`` on SQLite,
  ``LIKE`` on PostgreSQL).
- The query is cut to :data:`MAX_QUERY_CHARS` characters and :data:`MAX_TERMS` words, with a notice.
- An empty query lists by the filters alone (newest first); a query with nothing searchable in it
  (only punctuation or operators) is a :class:`QueryError`.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy import Connection, text

from storage.search.broad import broad_speech_page, like_pattern
from storage.search.fold import NON_WORD, fold, gram_match, term_grams, to_simplified

TOTAL_CAP = 1_000  # hits counted at most: a larger total is "1,000+" (counting them all was the slow part)
MAX_QUERY_CHARS = 200
MAX_TERMS = 12
SHORT = 2  # terms of up to this many characters use the gram index
OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})
QUOTES = '"“”＂'
STATUSES = ("new", "accepted", "rejected", "done", "overdue")
SOURCE_KINDS = ("gov", "template")
STRENGTHS = ("strong", "aspirational", "general")
DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


class QueryError(ValueError):
    """A query or filter the user can fix, phrased for them (never a database error)."""


@dataclass(frozen=True)
class Hits:
    """A page of ``(id, score)`` rows and the total: exact, or a lower bound when ``capped``."""

    rows: list[tuple[int, int]]
    total: int
    capped: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    raw: str
    terms: tuple[str, ...]
    notices: tuple[str, ...] = ()

    @property
    def browse(self) -> bool:
        """No words: list by the filters alone."""
        return not self.terms

    @property
    def long_terms(self) -> tuple[str, ...]:
        return tuple(t for t in self.terms if len(t) > SHORT)

    @property
    def short_terms(self) -> tuple[str, ...]:
        return tuple(t for t in self.terms if len(t) <= SHORT)


def _pieces(raw: str) -> list[tuple[str, bool]]:
    """Split into (text, quoted) pieces; an unclosed quote runs to the end."""
    pieces, current, quoted = [], [], False
    for char in raw:
        if char in QUOTES:
            pieces.append(("".join(current), quoted))
            current, quoted = [], not quoted
        else:
            current.append(char)
    pieces.append(("".join(current), quoted))
    return [(piece, q) for piece, q in pieces if piece.strip()]


def parse_query(raw: str | None) -> ParsedQuery:
    """The words to search for, folded; see the module docstring for the rules."""
    raw = raw or ""
    notices: list[str] = []
    if not raw.strip():
        return ParsedQuery(raw="", terms=())
    if len(raw) > MAX_QUERY_CHARS:
        raw = raw[:MAX_QUERY_CHARS]
        notices.append(f"query cut to its first {MAX_QUERY_CHARS} characters")
    terms: list[str] = []
    dropped: set[str] = set()
    for piece, quoted in _pieces(raw):
        if quoted:
            candidates = [fold(piece)]
        else:
            candidates = []
            for word in NON_WORD.split(unicodedata.normalize("NFKC", piece)):
                if word in OPERATORS:
                    dropped.add(word)
                else:
                    candidates.append(fold(word))
        terms.extend(c for c in candidates if c and c not in terms)
    if dropped:
        notices.append(f"{', '.join(sorted(dropped))} ignored: there are no operators, every word must appear")
    terms = [t for t in terms if not any(t != other and t in other for other in terms)]  # implied by a longer one
    if not terms:
        raise QueryError(f"nothing to search for in {raw.strip()[:40]!r}: give letters, digits or Chinese characters")
    if len(terms) > MAX_TERMS:
        terms = terms[:MAX_TERMS]
        notices.append(f"only the first {MAX_TERMS} words are used")
    return ParsedQuery(raw=raw.strip(), terms=tuple(terms), notices=tuple(notices))


def _date_bounds(value: str | None, what: str) -> tuple[str, str] | None:
    """``2020`` → (2020-01-01, 2020-12-31); ``2020-8`` → (2020-08-01, 2020-08-31); a day → itself twice."""
    if value is None or not str(value).strip():
        return None
    match = DATE.match(str(value).strip())
    if not match:
        raise QueryError(f"{what}: {value!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        if day is not None:
            datetime(year, month, day)
            return (f"{year:04d}-{month:02d}-{day:02d}",) * 2
        if month is not None:
            last = calendar.monthrange(year, month)[1]
            return f"{year:04d}-{month:02d}-01", f"{year:04d}-{month:02d}-{last:02d}"
    except (ValueError, calendar.IllegalMonthError):
        raise QueryError(f"{what}: {value!r} is not a valid date") from None
    return f"{year:04d}-01-01", f"{year:04d}-12-31"


@dataclass(frozen=True)
class SearchFilters:
    """What to narrow a search to; ``None`` means any. Speech filters apply to a commitment's speech, and
    commitment filters to a speech's commitments (a speech matches when one of its commitments does)."""

    region: str | None = None  # region code prefix: 2 digits (province), 4 (city) or 6; 330000 means 33
    speaker: str | None = None  # part of the speaker's name (either script)
    organization: str | None = None  # part of the organization's name
    doc_type: str | None = None  # speech, speech_report, transcript, notice, other
    source_kind: str | None = None  # of the speech's canonical copy: gov or template
    date_from: str | None = None  # speech date, YYYY[-MM[-DD]], inclusive
    date_to: str | None = None
    topic: str | None = None  # the speech's topic
    has_commitments: bool | None = None
    status: str | None = None  # commitment status; "overdue" = accepted and past its deadline
    commitment_topic: str | None = None
    strength: str | None = None  # strong, aspirational, general
    deadline_from: str | None = None  # commitment deadline, YYYY[-MM[-DD]], inclusive
    deadline_to: str | None = None
    overdue: bool = False
    include_cited: bool = False  # commitments quoted from higher bodies are left out unless this is set
    today: str | None = field(default=None, compare=False)  # for "overdue"; default: today (UTC)

    def validated(self) -> SearchFilters:
        """A normalised copy; raise :class:`QueryError` naming the bad filter."""
        region = self.region
        if region is not None and str(region).strip():
            region = str(region).strip()
            if not re.fullmatch(r"\d{2}|\d{4}|\d{6}", region):
                raise QueryError(f"region: {region!r} is not a region code (2, 4 or 6 digits, e.g. 33 or 3305)")
            while len(region) > 2 and region.endswith("00"):
                region = region[:-2]
        else:
            region = None
        for name, allowed in (("status", STATUSES), ("source_kind", SOURCE_KINDS), ("strength", STRENGTHS)):
            value = getattr(self, name)
            if value is not None and value not in allowed:
                raise QueryError(f"{name}: {value!r} is not one of {', '.join(allowed)}")
        for name in ("date_from", "date_to", "deadline_from", "deadline_to"):
            _date_bounds(getattr(self, name), name.replace("_", " "))
        cleaned = {name: _clean(getattr(self, name)) for name in ("doc_type", "topic", "commitment_topic")}
        for name in ("speaker", "organization"):
            value = _clean(getattr(self, name))
            cleaned[name] = to_simplified(unicodedata.normalize("NFKC", value)) if value else None
        return replace(self, region=region, today=self.today or datetime.now(UTC).date().isoformat(), **cleaned)

    def commitment_filters_set(self) -> bool:
        return any(
            (self.status, self.commitment_topic, self.strength, self.deadline_from, self.deadline_to, self.overdue)
        )


def _clean(value: str | None) -> str | None:
    """Without control characters (PostgreSQL refuses NUL in text) and outer spaces; ``None`` when empty."""
    if value is None:
        return None
    value = "".join(c for c in str(value) if unicodedata.category(c) != "Cc").strip()
    return value[:MAX_QUERY_CHARS] or None


class _Sql:
    """Conditions and bound parameters, collected as a query is built."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.where: list[str] = []
        self.params: dict[str, object] = {}

    def bind(self, value: object) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def contains(self, column: str, value: str) -> str:
        function = "instr" if self.dialect == "sqlite" else "strpos"
        return f"{function}({column}, {self.bind(value)}) > 0"


def _speech_conditions(sql: _Sql, f: SearchFilters, s: str = "s") -> None:
    if f.region:
        sql.where.append(f"{s}.region_code LIKE {sql.bind(f.region + '%')}")
    if f.speaker:
        sql.where.append(sql.contains(f"{s}.speaker", f.speaker))
    if f.organization:
        sql.where.append(sql.contains(f"{s}.organization", f.organization))
    if f.doc_type:
        sql.where.append(f"{s}.doc_type = {sql.bind(f.doc_type)}")
    if f.topic:
        sql.where.append(f"{s}.topic = {sql.bind(f.topic)}")
    if f.source_kind:
        sql.where.append(
            f"EXISTS (SELECT 1 FROM documents d WHERE d.id = {s}.canonical_document_id "
            f"AND d.source_kind = {sql.bind(f.source_kind)})"
        )
    start = _date_bounds(f.date_from, "date from")
    if start:  # a speech dated only to the month or year counts when its period reaches the range
        sql.where.append(
            f"(CASE length({s}.speech_date) WHEN 4 THEN {s}.speech_date || '-12-31' "
            f"WHEN 7 THEN {s}.speech_date || '-31' ELSE {s}.speech_date END) >= {sql.bind(start[0])}"
        )
    end = _date_bounds(f.date_to, "date to")
    if end:
        sql.where.append(f"{s}.speech_date <= {sql.bind(end[1])}")


def _commitment_conditions(sql: _Sql, f: SearchFilters, c: str = "c") -> None:
    if not f.include_cited:
        sql.where.append(f"{c}.cited = {sql.bind(False)}")
    if f.status == "overdue" or f.overdue:
        sql.where.append(f"{c}.status = 'accepted' AND {c}.deadline < {sql.bind(f.today)}")
    elif f.status:
        sql.where.append(f"{c}.status = {sql.bind(f.status)}")
    if f.commitment_topic:
        sql.where.append(f"{c}.topic = {sql.bind(f.commitment_topic)}")
    if f.strength:
        sql.where.append(f"{c}.strength = {sql.bind(f.strength)}")
    start = _date_bounds(f.deadline_from, "deadline from")
    if start:
        sql.where.append(f"{c}.deadline >= {sql.bind(start[0])}")
    end = _date_bounds(f.deadline_to, "deadline to")
    if end:
        sql.where.append(f"{c}.deadline <= {sql.bind(end[1])}")


def _matches(sql: _Sql, parsed: ParsedQuery, kind: str, a: str, b: str, row: str | None = None) -> str:
    """The folded-text rows (alias ``t``) holding every term in column ``a`` or ``b``, as a FROM clause.

    Both ask the gram index for the grams of every term (:func:`term_grams`): exact for 1–2 characters, and the
    candidates of longer terms, whose folded columns are then checked. SQLite: the FTS5 results drive the query,
    in rowid order, so a ``LIMIT`` stops them early (``CROSS JOIN`` fixes the join order; left to itself the
    planner may walk a filter's index and probe the match list for every row), and a candidate's title, then
    its text (``x``, read only then) are checked with ``instr``; ``row``, the key of a table the caller joins
    to filter (``s.id``), makes the text check wait for that table's filters (SQLite checks a condition in the
    innermost table it names, after the simple ones). PostgreSQL: the GIN index of the gram
    ``tsvector``, and a ``LIKE`` check of the row, in a subquery (``OFFSET 0``) so that a filter's join cannot
    turn them into a check of every row's TOASTed text.
    """
    lexemes = sorted(set().union(*(term_grams(term) for term in parsed.terms)))
    if sql.dialect == "sqlite":
        grams = " AND ".join(gram_match(g, "sqlite") for g in lexemes)
        sql.where += [f"m.{kind}_fts_grams MATCH {sql.bind(grams)}", f"t.{kind}_id = m.rowid"]
        for term in parsed.long_terms:  # the grams only say a longer term may be there
            text_has = f"EXISTS (SELECT 1 FROM {kind}_fts_body x WHERE x.{kind}_id = {row or f't.{kind}_id'} AND "
            sql.where.append(f"({sql.contains(f't.{a}', term)} OR {text_has}{sql.contains(f'x.{b}', term)}))")
        return f"{kind}_fts_grams m CROSS JOIN {kind}_fts_text t"
    query = " & ".join(gram_match(g, "postgresql") for g in lexemes)
    matched = [f"t.grams @@ CAST({sql.bind(query)} AS tsquery)"]
    for term in parsed.long_terms:  # the grams only say a longer term may be there
        pattern = sql.bind(like_pattern(term))
        matched.append(f"(t.{a} LIKE {pattern} OR t.{b} LIKE {pattern})")
    return f"(SELECT * FROM {kind}_fts_text t WHERE {' AND '.join(matched)} OFFSET 0) t"


def _score(sql: _Sql, parsed: ParsedQuery, column: str) -> str:
    """Relevance: how many of the words occur in ``column`` (the title; a commitment's action)."""
    if parsed.browse:
        return "0"
    return " + ".join(f"(CASE WHEN {sql.contains(column, term)} THEN 1 ELSE 0 END)" for term in parsed.terms)


def _newest_first(alias: str) -> str:
    return f"{alias}.speech_date DESC NULLS LAST"


def speech_hits(
    conn: Connection, parsed: ParsedQuery, filters: SearchFilters, limit: int, offset: int, cap: int = TOTAL_CAP
) -> Hits:
    """One row per speech, by score, then speech date (undated last), then newest id; total counted to ``cap``.

    A query with more than ``cap`` hits is answered from its title hits and the newest rows when they tell the
    page (:mod:`storage.search.broad`), else by ranking every hit.
    """
    sql = _Sql(conn.dialect.name)
    _speech_conditions(sql, filters)
    if filters.commitment_filters_set() or filters.has_commitments is not None:
        inner = _Sql(sql.dialect)
        inner.params = sql.params  # one namespace of parameters
        _commitment_conditions(inner, filters)
        exists = "EXISTS (SELECT 1 FROM commitments c WHERE c.speech_id = s.id" + "".join(
            f" AND {w}" for w in inner.where
        )
        sql.where.append(("NOT " if filters.has_commitments is False else "") + exists + ")")
    filtered = bool(sql.where)
    broad = _Sql(sql.dialect)
    broad.where, broad.params = list(sql.where), dict(sql.params)
    if parsed.browse:
        source, key, dated = "speeches s", "s.id", "s"
    else:
        row = "s.id" if filtered else None  # the filters first: a text is read only for the speeches they keep
        source, key, dated = _matches(sql, parsed, "speech", "title", "body", row), "t.speech_id", "t"
        if filtered:  # filters on the speech: join it (the index row carries the date, so only then)
            source += " CROSS JOIN speeches s"
            sql.where.append("s.id = t.speech_id")
    score = _score(sql, parsed, "t.title")
    order = f"score DESC, {_newest_first(dated)}, {key} DESC"
    total, capped = _count(conn, sql, source, cap)
    rows = broad_speech_page(conn, broad, parsed, filtered, limit, offset) if capped and not parsed.browse else None
    if rows is None:
        rows = _page(conn, sql, f"{key}, {score} AS score", source, order, limit, offset)
    return _hits(rows, total, capped, limit, offset)


def commitment_hits(
    conn: Connection, parsed: ParsedQuery, filters: SearchFilters, limit: int, offset: int, cap: int = TOTAL_CAP
) -> Hits:
    """``(commitment_id, score)`` rows by score, then speech date, then order in the speech; total up to ``cap``."""
    sql = _Sql(conn.dialect.name)
    if parsed.browse:
        source = "commitments c LEFT JOIN speeches s ON s.id = c.speech_id"
    else:
        source = _matches(sql, parsed, "commitment", "action", "text", "c.id") + " CROSS JOIN commitments c"
        source += " LEFT JOIN speeches s ON s.id = c.speech_id"
        sql.where.append("c.id = t.commitment_id")
    score = _score(sql, parsed, "t.action")
    _commitment_conditions(sql, filters)
    _speech_conditions(sql, filters)
    order = f"score DESC, {_newest_first('s')}, c.id"
    total, capped = _count(conn, sql, source, cap)
    return _hits(
        _page(conn, sql, f"c.id, {score} AS score", source, order, limit, offset), total, capped, limit, offset
    )


def _where(sql: _Sql) -> str:
    return " WHERE " + " AND ".join(sql.where) if sql.where else ""


def _count(conn: Connection, sql: _Sql, source: str, cap: int) -> tuple[int, bool]:
    """``(hits, capped)``: at most ``cap`` hits are counted (a broad query stops there instead of reading all)."""
    counted = f"SELECT count(*) FROM (SELECT 1 FROM {source}{_where(sql)} LIMIT {sql.bind(cap + 1)}) AS hits"
    found = int(conn.execute(text(counted), sql.params).scalar_one())
    return min(found, cap), found > cap


def _page(
    conn: Connection, sql: _Sql, columns: str, source: str, order: str, limit: int, offset: int
) -> list[tuple[int, int]]:
    bounds = f"LIMIT {sql.bind(limit)} OFFSET {sql.bind(offset)}"
    page = f"SELECT {columns} FROM {source}{_where(sql)} ORDER BY {order} {bounds}"
    return [(row[0], int(row[1])) for row in conn.execute(text(page), sql.params)]


def _hits(rows: list[tuple[int, int]], total: int, capped: bool, limit: int, offset: int) -> Hits:
    """The page with its total: a page cut short tells the exact total; past the cap, a full one raises the bound."""
    if 0 < len(rows) < limit:
        return Hits(rows, offset + len(rows))
    if capped:
        return Hits(rows, max(total, offset + len(rows)) if rows else total, True)
    return Hits(rows, total)
