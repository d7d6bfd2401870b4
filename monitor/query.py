"""Search speeches and commitments: the API the CLI (``speechwatch query``) and the HTTP server call.

``search_speeches(db, "融资 审批", SearchFilters(region="33"), limit=20, offset=0)`` returns a
:class:`SearchPage` of :class:`SpeechHit` (one per speech, reposts folded); ``search_commitments`` the same for
commitments. The query rules are in :mod:`storage.search.query`. Snippets mark each match as
``⟦match⟧`` (:data:`MARK_START`, :data:`MARK_END`; the characters themselves never come from the text).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

from sqlalchemy import Connection, select

from storage.database import Database
from storage.models import Commitment, Document, Speech
from storage.search.fold import fold, fold_with_map
from storage.search.query import (
    MAX_QUERY_CHARS,
    MAX_TERMS,
    TOTAL_CAP,
    Hits,
    ParsedQuery,
    QueryError,
    SearchFilters,
    commitment_hits,
    parse_query,
    speech_hits,
)

__all__ = ["MARK_END", "MARK_START", "MAX_QUERY_CHARS", "MAX_TERMS", "CommitmentHit", "QueryError", "SearchFilters",
           "SearchPage", "SpeechHit", "TOTAL_CAP", "search_commitments", "search_speeches", "snippet"]  # fmt: skip

MARK_START, MARK_END = "⟦", "⟧"
MAX_LIMIT = 500
TIME_LIMIT = 10.0  # seconds a search may run before it is stopped


@dataclass
class CopyRef:
    document_id: int
    canonical: bool
    url: str
    source: str
    source_kind: str
    published_at: str | None
    truncated: bool
    script: str | None


@dataclass
class SpeechHit:
    speech_id: int
    score: int  # how many of the query's words are in the title
    title: str | None
    title_marked: str | None  # the title with matches marked
    snippet: str  # from the canonical copy's text, matches marked
    speaker: str | None
    speaker_post: str | None
    organization: str | None
    region_code: str | None
    region: str | None
    speech_date: str | None
    doc_type: str | None
    topic: str | None
    copies: int
    commitments: int  # not counting targets quoted from higher bodies
    canonical_document_id: int | None
    url: str | None  # of the canonical copy
    source: str | None
    source_kind: str | None
    copy_list: list[CopyRef] | None = None  # with include_copies


@dataclass
class CommitmentHit:
    commitment_id: int
    score: int  # how many of the query's words are in the action
    snippet: str  # the commitment's text, matches marked
    text: str
    action: str | None
    status: str  # "overdue" for an accepted commitment past its deadline
    deadline: str | None
    deadline_precision: str | None
    deadline_text: str | None
    strength: str | None
    tier: str | None
    topic: str | None
    cited: bool
    speech_id: int
    speech_title: str | None
    speaker: str | None
    region_code: str | None
    region: str | None
    speech_date: str | None
    document_id: int | None
    url: str | None  # of the copy the commitment was first found in


@dataclass
class SearchPage:
    what: str  # "speeches" or "commitments"
    query: str
    terms: list[str]  # the words searched for, folded (simplified, lower case)
    total: int  # exact, or at least this many when total_capped (README "Search": "1,000+")
    limit: int
    offset: int
    hits: list[SpeechHit] | list[CommitmentHit]
    notices: list[str] = field(default_factory=list)
    seconds: float = 0.0
    total_capped: bool = False

    @property
    def next_offset(self) -> int | None:
        more = self.offset + self.limit < self.total or (self.total_capped and len(self.hits) == self.limit)
        return self.offset + self.limit if more else None

    @property
    def total_text(self) -> str:
        """``1,234``, or ``1,000+`` when the total is a lower bound."""
        return f"{self.total:,}" + ("+" if self.total_capped else "")

    def as_dict(self) -> dict:
        return {"ok": True, **asdict(self), "next_offset": self.next_offset}


def snippet(text: str | None, terms: tuple[str, ...] | list[str], width: int = 80) -> str:
    """About ``width`` characters of ``text`` around the first match, matches marked, line breaks as spaces.

    Matches are found in the folded text and mapped back, so a traditional text shows its own characters.
    Only the paragraph of the first match and the window shown are mapped character by character (a whole
    speech would cost milliseconds per hit).
    """
    text = (text or "").replace(MARK_START, "[").replace(MARK_END, "]")
    if not text:
        return ""
    first = _first_match(text, terms)
    start = max(0, first - width // 4)
    end = min(len(text), start + width)
    start = max(0, min(start, end - width))
    window = text[start:end]
    out = ["…" if start > 0 else ""]
    position = 0
    for span_start, span_end in _spans(window, terms):
        out.append(window[position:span_start] + MARK_START + window[span_start:span_end] + MARK_END)
        position = span_end
    out.append(window[position:] + ("…" if end < len(text) else ""))
    return " ".join("".join(out).split())


def _first_match(text: str, terms) -> int:
    """Where the first match starts in ``text`` (0 when none): the first paragraph whose folded form has a term."""
    offset = 0
    for line in text.split("\n"):
        folded = fold(line)
        if any(term in folded for term in terms):
            spans = _spans(line, terms)
            if spans:
                return offset + spans[0][0]
        offset += len(line) + 1
    return 0


def _spans(text: str, terms) -> list[tuple[int, int]]:
    """Merged, sorted ``(start, end)`` spans of the original text where a term occurs."""
    if not terms:
        return []
    folded, where = fold_with_map(text)
    spans = []
    for term in terms:
        at = folded.find(term)
        while at >= 0:
            spans.append((where[at], where[at + len(term) - 1] + 1))
            at = folded.find(term, at + 1)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}")
    if offset < 0:
        raise QueryError("offset must be 0 or more")


@contextmanager
def _time_limit(conn: Connection, seconds: float, words: bool) -> Iterator[None]:
    """Stop a search that runs too long (a user-driven query must not hold the database)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(seconds * 1000)}")
        conn.exec_driver_sql("SET LOCAL jit = off")  # compiling cost 130 ms, more than any search it sped up
        if words:
            # A word in 40 % of the speeches makes the planner prefer a sequential scan, which unpacks every
            # row's TOASTed gram vector: 21 ms instead of 0.5 ms over the GIN index at 3,000 speeches.
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        yield
        return
    raw = conn.connection.driver_connection
    deadline = time.monotonic() + seconds
    raw.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 10_000)
    try:
        yield
    finally:
        raw.set_progress_handler(None, 0)


def _hits(db: Database, what: str, parsed: ParsedQuery, filters: SearchFilters, limit: int, offset: int,
          cap: int) -> Hits:  # fmt: skip
    from sqlalchemy.exc import OperationalError

    finder = speech_hits if what == "speeches" else commitment_hits
    with db.read() as session:
        conn = session.connection()
        try:
            with _time_limit(conn, TIME_LIMIT, words=not parsed.browse):
                found = finder(conn, parsed, filters, limit, offset, cap)
        except OperationalError as exc:
            message = str(exc.orig).lower()
            if "interrupt" in message or "statement timeout" in message or "canceling statement" in message:
                stopped = f"the search took over {TIME_LIMIT:.0f} s and was stopped: add words or filters"
                raise QueryError(stopped) from None
            raise
    return found


def search_speeches(
    db: Database,
    query: str | None,
    filters: SearchFilters | None = None,
    limit: int = 20,
    offset: int = 0,
    *,
    include_copies: bool = False,
    total_cap: int = TOTAL_CAP,
) -> SearchPage:
    """Speeches whose title or canonical text has every word of ``query``, one hit per speech (reposts folded).

    Ranked by how many words the title has, then newest speech date first. Raises :class:`QueryError` for a
    query or filter the user can fix.
    """
    started = time.perf_counter()
    _check_page(limit, offset)
    parsed = parse_query(query)
    filters = (filters or SearchFilters()).validated()
    found = _hits(db, "speeches", parsed, filters, limit, offset, total_cap)
    ids = [row[0] for row in found.rows]
    hits = []
    with db.read() as session:
        speeches = {s.id: s for s in session.scalars(select(Speech).where(Speech.id.in_(ids)))}
        canonical_ids = [s.canonical_document_id for s in speeches.values() if s.canonical_document_id]
        documents = {
            d.id: d
            for d in session.execute(
                select(Document.id, Document.text, Document.url, Document.source, Document.source_kind).where(
                    Document.id.in_(canonical_ids)
                )
            )
        }
        counts = _commitment_counts(session, ids)
        copies = _copies(session, ids, speeches) if include_copies else {}
    for speech_id, score in found.rows:
        speech = speeches[speech_id]
        document = documents.get(speech.canonical_document_id)
        hits.append(
            SpeechHit(
                speech_id=speech_id, score=score, title=speech.title,
                title_marked=snippet(speech.title, parsed.terms, width=max(80, len(speech.title or ""))),
                snippet=snippet(document.text if document else "", parsed.terms),
                speaker=speech.speaker, speaker_post=speech.speaker_post, organization=speech.organization,
                region_code=speech.region_code, region=speech.region, speech_date=speech.speech_date,
                doc_type=speech.doc_type, topic=speech.topic, copies=speech.copies,
                commitments=counts.get(speech_id, 0), canonical_document_id=speech.canonical_document_id,
                url=document.url if document else None, source=document.source if document else None,
                source_kind=document.source_kind if document else None,
                copy_list=copies.get(speech_id) if include_copies else None,
            )
        )  # fmt: skip
    return _page("speeches", parsed, found, limit, offset, hits, started)


def _commitment_counts(session, speech_ids: list[int]) -> dict[int, int]:
    from sqlalchemy import func

    if not speech_ids:
        return {}
    rows = session.execute(
        select(Commitment.speech_id, func.count())
        .where(Commitment.speech_id.in_(speech_ids), Commitment.cited.is_(False))
        .group_by(Commitment.speech_id)
    )
    return dict(rows.all())


def _copies(session, speech_ids: list[int], speeches: dict) -> dict[int, list[CopyRef]]:
    out: dict[int, list[CopyRef]] = {}
    if not speech_ids:
        return out
    rows = session.execute(
        select(Document.id, Document.speech_id, Document.url, Document.source, Document.source_kind,
               Document.published_at, Document.truncated, Document.script)
        .where(Document.speech_id.in_(speech_ids)).order_by(Document.id)
    )  # fmt: skip
    for row in rows:
        canonical = speeches[row.speech_id].canonical_document_id == row.id
        out.setdefault(row.speech_id, []).append(
            CopyRef(
                row.id,
                canonical,
                row.url,
                row.source,
                row.source_kind,
                row.published_at,
                bool(row.truncated),
                row.script,
            )  # fmt: skip
        )
    for refs in out.values():
        refs.sort(key=lambda ref: (not ref.canonical, ref.document_id))
    return out


def search_commitments(
    db: Database,
    query: str | None,
    filters: SearchFilters | None = None,
    limit: int = 20,
    offset: int = 0,
    *,
    total_cap: int = TOTAL_CAP,
) -> SearchPage:
    """Commitments whose text or action has every word of ``query``.

    Ranked by how many words the action has, then newest speech date first, then order in the speech.
    Targets quoted from higher bodies are left out unless ``filters.include_cited``.
    """
    from monitor.commitments.track import display_status

    started = time.perf_counter()
    _check_page(limit, offset)
    parsed = parse_query(query)
    filters = (filters or SearchFilters()).validated()
    found = _hits(db, "commitments", parsed, filters, limit, offset, total_cap)
    ids = [row[0] for row in found.rows]
    with db.read() as session:
        commitments = {c.id: c for c in session.scalars(select(Commitment).where(Commitment.id.in_(ids)))}
        speech_ids = {c.speech_id for c in commitments.values()}
        speeches = {s.id: s for s in session.scalars(select(Speech).where(Speech.id.in_(speech_ids)))}
        document_ids = {c.document_id for c in commitments.values() if c.document_id}
        urls = dict(session.execute(select(Document.id, Document.url).where(Document.id.in_(document_ids))).all())
    from datetime import date

    today = date.fromisoformat(filters.today)
    hits = []
    for commitment_id, score in found.rows:
        c = commitments[commitment_id]
        s = speeches.get(c.speech_id)
        hits.append(
            CommitmentHit(
                commitment_id=c.id, score=score, snippet=snippet(c.text, parsed.terms, width=120), text=c.text,
                action=c.action, status=display_status(c, today), deadline=c.deadline,
                deadline_precision=c.deadline_precision, deadline_text=c.deadline_text, strength=c.strength,
                tier=c.tier, topic=c.topic, cited=bool(c.cited), speech_id=c.speech_id,
                speech_title=s.title if s else None, speaker=s.speaker if s else None,
                region_code=s.region_code if s else None, region=s.region if s else None,
                speech_date=s.speech_date if s else None, document_id=c.document_id, url=urls.get(c.document_id),
            )
        )  # fmt: skip
    return _page("commitments", parsed, found, limit, offset, hits, started)


def _page(what, parsed: ParsedQuery, found: Hits, limit, offset, hits, started) -> SearchPage:
    notices = list(parsed.notices)
    if parsed.browse:
        notices.append("no words given: listing by the filters alone, newest first")
    return SearchPage(
        what=what, query=parsed.raw, terms=list(parsed.terms), total=found.total, limit=limit, offset=offset,
        hits=hits, notices=notices, seconds=round(time.perf_counter() - started, 4), total_capped=found.capped,
    )  # fmt: skip
