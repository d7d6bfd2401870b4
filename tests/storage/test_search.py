"""The search index on both back ends: same hits, every query length, both scripts, kept in step, odd input."""

from __future__ import annotations

import random
import time
import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from monitor.dedup.canonical import refresh_speech
from monitor.query import QueryError, SearchFilters, search_commitments, search_speeches
from monitor.sampleweb.speeches import load_speeches
from storage.database import Database
from storage.documents import store_documents
from storage.models import Commitment, Document, Speech
from storage.search import index, refresh_commitment_index
from storage.search.fold import (
    LONG,
    _sorted_grams,
    fold,
    fold_with_map,
    folded_with_grams,
    gram_match,
    gram_string,
    grams,
    index_grams,
    merged_grams,
    nfkc,
    term_grams,
)
from storage.search.query import MAX_QUERY_CHARS, MAX_TERMS, _matches, _Sql, _where, parse_query
from tests.storage.search_corpus import SPEECHES, populate, record

QUERIES = ["融资", "审批", "審批", "营商环境", "營商環境", "口", "资", "5g", "5G", "１.５亿", '"1.5亿"', "1.5亿",
           "标准地 出让", "不见面审批", "优化 大会", "深圳 融资", "NEAR(融资 审批)", "融资 AND 审批", "融资*",
           "-融资", "title:融资", '"融资', "营商环境评价通知", "在全市优化营商环境大会上的讲话", "没有这个词",
           "AND 口", "最多跑一次", "一网通办", "15亿", "a", ""]  # fmt: skip


def oracle(query: str) -> set[str]:
    """Speech keys whose folded title or text holds every term: what the index must return."""
    terms = parse_query(query).terms
    found = set()
    for key, (title, copies, _) in SPEECHES.items():
        canonical = next((c for c in copies if c[2] == "gov"), copies[0])
        haystacks = (fold(title), fold(canonical[1]))
        if all(any(term in h for h in haystacks) for term in terms):
            found.add(key)
    return found


def keyed(page, ids: dict[str, int]) -> list[tuple[str, int]]:
    names = {v: k for k, v in ids.items()}
    return [(names[h.speech_id], h.score) for h in page.hits]


def test_fold_is_one_form_for_both_scripts_widths_cases_and_punctuation():
    assert fold("營商環境，優化！") == fold("营商环境,优化!") == "营商环境 优化"
    assert fold("ＡＢＣ　5Ｇ") == "abc 5g"
    assert fold("1.5億") == fold("1、5亿") == "1 5亿" != fold("15亿")
    for sample in ("審批時間壓縮至1個工作日。", "㈠要“一网通办”", "İstanbul 乾隆", ""):
        folded, where = fold_with_map(sample)
        assert folded == fold(sample) and len(where) == len(folded)
    assert grams("融资 审") == {"融", "资", "融资", "审"}
    assert sorted(gram_string("ab", "b c").split()) == ["a", "ab", "b", "c"]  # SQLite: in any order
    assert gram_string("ab", "b c", chars=False) == "ab b c"  # "a" starts "ab": found as its prefix
    assert index_grams("融资 审", chars=False) == {"融资", "资", "审"}
    assert gram_match("融", "sqlite") == '"融"' and gram_match("融", "postgresql") == "'融':*"
    assert gram_match("融资", "postgresql") == "'融资'"


def test_fast_nfkc_is_nfkc():
    rng = random.Random(5)
    samples = [s.body for s in load_speeches().values()]
    samples.append("".join(chr(rng.randrange(0x20, 0x30000)) for _ in range(20_000)).encode("utf-8", "ignore").decode())
    odd = "ＡＢＣ　１２３，。！ ﬁ ㈠ ① ² ｶﾞ é\u0301 가\u1100\u1161 \u2028 x\u0308\u0323"
    samples += [odd, odd * (LONG // len(odd) + 1)]  # short: unicodedata itself; long: the table first
    for sample in samples:
        assert nfkc(sample) == unicodedata.normalize("NFKC", sample)
    assert len(samples[-1]) >= LONG > len(odd)


def reference_gram_string(*folded: str, chars: bool) -> str:
    """``index_grams`` sorted and joined: what ``gram_string`` returns (PostgreSQL's order; SQLite's in any)."""
    return " ".join(sorted(index_grams(*folded, chars=chars)))


@given(st.lists(st.text(alphabet="营商环境標準地ab 1.，\t\u3000\x1c𠀋𠀀", max_size=300), min_size=1, max_size=3),
       st.booleans())  # fmt: skip
def test_the_array_grams_of_long_texts_are_the_sorted_set_grams(texts: list[str], chars: bool):
    """``_sorted_grams`` (texts of ``LONG`` characters and more) gives the word-by-word grams, sorted as Python
    sorts strings: astral characters, whitespace other than a space, empty and all-space texts included."""
    folded = tuple(texts)  # unfolded too: any whitespace separates words, as in str.split
    assert _sorted_grams(folded, chars) == reference_gram_string(*folded, chars=chars)
    long = tuple(piece * (LONG // max(len(piece), 1) + 1) for piece in texts)
    expected = reference_gram_string(*long, chars=chars)
    got = gram_string(*long, chars=chars)
    assert got == expected if sum(map(len, long)) >= LONG or not chars else sorted(got.split()) == expected.split()


def test_the_array_grams_of_the_sample_speeches_are_the_set_grams():
    for speech in load_speeches().values():
        folded = fold(speech.body)
        assert len(folded) >= LONG
        for chars in (True, False):
            assert gram_string(folded, chars=chars) == reference_gram_string(folded, chars=chars)
            assert gram_string(fold(speech.title), folded, chars=chars) == reference_gram_string(
                fold(speech.title), folded, chars=chars)  # fmt: skip


@given(st.text(alphabet="营商环境標準地ab 1.，", max_size=60), st.sampled_from("营商环境标准地ab1"))
def test_a_character_is_a_prefix_of_the_postgresql_grams_exactly_when_the_text_holds_it(text: str, char: str):
    """The premise of storing a character alone only where no pair starts with it (PostgreSQL, migration 0017)."""
    folded = fold(text)
    stored = index_grams(folded, chars=False)
    assert any(gram.startswith(char) for gram in stored) == (char in folded)
    assert stored <= grams(folded) and {g for g in grams(folded) if len(g) == 2} <= stored


@given(st.lists(st.text(alphabet="营商环境標準地ab 1.，", max_size=40), min_size=1, max_size=3), st.booleans())
def test_the_grams_are_every_character_and_adjacent_pair_without_a_space(texts: list[str], chars: bool):
    """The word-by-word computation equals the definition, character by character."""
    folded = [fold(text) for text in texts]
    every = [{c for c in f if c != " "} | {f[i : i + 2] for i in range(len(f) - 1) if " " not in f[i : i + 2]}
             for f in folded]  # fmt: skip
    assert [grams(f) for f in folded] == every
    union = set().union(*every)
    starts = {g[0] for g in union if len(g) == 2}
    expected = union if chars else {g for g in union if len(g) == 2 or g not in starts}
    assert index_grams(*folded, chars=chars) == expected


@given(
    st.text(alphabet="营商环境标准地出让ab 12", max_size=40),
    st.text(alphabet="营商环境优化讲话ab 34", max_size=80),
    st.booleans(),
)
def test_a_short_texts_grams_merged_into_a_long_texts_are_the_union(short: str, long: str, chars: bool):
    folded, known = folded_with_grams(long, chars)
    assert folded == fold(long) and set(known.split()) == set(gram_string(folded, chars=chars).split())
    merged, expected = merged_grams(fold(short), known, chars), gram_string(fold(short), folded, chars=chars)
    if chars:  # SQLite's, in any order, each gram once
        assert sorted(merged.split()) == sorted(expected.split()) and not merged.startswith(" ")
    else:  # PostgreSQL's, sorted
        assert merged == expected


@given(
    st.text(alphabet="营商环境标准地ab 12，", max_size=80),
    st.integers(0, 80),
    st.integers(0, 30),
    st.text(alphabet="营商出让ab 3", max_size=20),
    st.booleans(),
)
def test_a_row_whose_scored_text_is_cut_from_its_other_text_has_the_other_texts_grams(
    long: str, start: int, length: int, short: str, chars: bool
):
    """A commitment's action cut from its text (a prefix, a middle, a word's half) adds no gram: the row's grams
    are the text's, computed ahead, and the same as both texts' when the action is not cut from it."""
    folded, known = folded_with_grams(long, chars)
    for scored in (folded[start : start + length], fold(short)):
        expected = gram_string(scored, folded, chars=chars)
        got = index._row_grams(scored, folded, known, chars)
        assert sorted(got.split()) == sorted(expected.split()) and (chars or got == expected)
        if scored in folded:
            assert got is known


def test_a_contentless_gram_row_is_deleted_with_its_tokens_in_any_order() -> None:
    """SQLite's gram strings are not sorted (``gram_string``), and a row's are computed again to un-index it: the
    premise that FTS5 (``detail=none``) deletes a contentless row whatever the order of the tokens it is given."""
    import random
    import sqlite3

    rng = random.Random(5)
    vocabulary = [chr(0x4E00 + n) + chr(0x4E00 + m) for n in range(30) for m in range(30)]
    rows = {rowid: rng.sample(vocabulary, 120) for rowid in range(1, 201)}
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE g USING fts5(grams, content='', detail=none, columnsize=0, tokenize='ascii')")
    conn.executemany("INSERT INTO g(rowid, grams) VALUES (?, ?)", [(r, " ".join(t)) for r, t in rows.items()])
    for rowid in range(1, 201, 2):  # every other row deleted with its tokens shuffled
        shuffled = rng.sample(rows[rowid], len(rows[rowid]))
        conn.execute("INSERT INTO g(g, rowid, grams) VALUES ('delete', ?, ?)", (rowid, " ".join(shuffled)))
    conn.execute("INSERT INTO g(g) VALUES ('integrity-check')")
    for gram in vocabulary[:200]:
        found = {r for (r,) in conn.execute("SELECT rowid FROM g WHERE g MATCH ?", (f'"{gram}"',))}
        assert found == {r for r, tokens in rows.items() if gram in tokens and r % 2 == 0}


@given(st.text(alphabet="营商环境標準地ab 1.，", max_size=60), st.integers(0, 60), st.integers(1, 12))
def test_a_text_holding_a_word_holds_the_words_grams(text: str, start: int, length: int):
    """The premise of the gram candidates (PostgreSQL's only index): no text holding the word is missed."""
    folded = fold(text)
    term = folded[start : start + length].strip()
    if term:
        assert term_grams(term) <= grams(folded)
        stored = index_grams(folded, chars=False)  # PostgreSQL's, where a character is matched as a prefix
        assert all(g in stored if len(g) == 2 else any(s.startswith(g) for s in stored) for g in term_grams(term))
    assert term_grams("a b c") == {"a", "b", "c"} and term_grams("口") == {"口"}
    assert term_grams("1 5亿") == {"5亿"} and term_grams("营商环境") == {"营商", "商环", "环境"}


def test_postgresql_finds_long_words_through_the_grams_index(postgres_url):
    """No pg_trgm index is kept (migration 0016): a word of 3+ characters is looked up in the grams' GIN index."""
    with Database(postgres_url) as db:
        populate(db)
        with db.engine.connect() as conn:
            found = {row[0] for row in conn.exec_driver_sql("SELECT indexname FROM pg_indexes WHERE indexname LIKE "
                                                            "'%%fts%%' AND indexdef LIKE '%%gin%%'")}  # fmt: skip
            assert found == {"ix_speech_fts_grams", "ix_commitment_fts_grams", "ix_speech_fts_title_grams"}
            conn.exec_driver_sql("SET enable_seqscan = off")  # the tiny corpus would be read whole otherwise
            sql = _Sql("postgresql")
            source = _matches(sql, parse_query("营商环境"), "speech", "title", "body")
            statement = text(f"EXPLAIN SELECT t.speech_id FROM {source}{_where(sql)}")
            plan = "\n".join(row[0] for row in conn.execute(statement, sql.params))
        assert "ix_speech_fts_grams" in plan


def test_a_long_word_is_checked_against_the_text_not_only_its_pairs(database):
    """Both back ends find a word of 3+ characters through its pairs (SQLite since migration 0021, PostgreSQL since
    0016) and check the text: a speech holding every pair of 营商环境 but not the word is no hit, in the ranked
    path or the broad one (a cap of 1 makes every search broad), nor is a commitment; the word in the title is."""
    ids = populate(database)
    pairs = "营商商环环境"  # 营商, 商环, 环境: every pair of the word, never the word
    store_documents(database, [record("http://tpl.example/pairs", f"同志们：{pairs}。", "template", False, "对照", {}),
                               record("http://tpl.example/titled", "同志们：今天开会。", "template", False,
                                      "营商环境专题会", {})])  # fmt: skip
    now = datetime.now(UTC)
    with database.write() as session:
        for key, url in (("pairs", "http://tpl.example/pairs"), ("titled", "http://tpl.example/titled")):
            speech = Speech(created_at=now, updated_at=now, copies=0)
            session.add(speech)
            session.flush()
            session.scalar(select(Document).where(Document.url == url)).speech_id = speech.id
            session.flush()
            refresh_speech(session, speech.id)
            ids[key] = speech.id
        session.add(Commitment(speech_id=ids["pairs"], key="pairs-0", text=f"要{pairs}", action=pairs, status="new",
                               flagged=True, created_at=now, updated_at=now))  # fmt: skip
        refresh_commitment_index(session, ids["pairs"])
    for cap in (1_000, 1):
        found = {h.speech_id for h in search_speeches(database, "营商环境", limit=5, total_cap=cap).hits}
        assert found == {ids[key] for key in ("huzhou", "shenzhen", "notice", "titled")}, cap  # not "pairs"
        assert ids["pairs"] in {h.speech_id for h in search_speeches(database, "商商环", total_cap=cap).hits}
    assert search_commitments(database, "营商环境").total == 0
    assert search_commitments(database, "商商环").total == 1


def test_query_grammar():
    assert parse_query("融资 AND 审批").terms == ("融资", "审批")
    assert parse_query("融资 AND 审批").notices
    assert parse_query("融资 融资难").terms == ("融资难",)  # implied by the longer word
    assert parse_query('"优化 营商"').terms == ("优化 营商",)
    assert parse_query('"未闭合 的引号').terms == ("未闭合 的引号",)
    assert parse_query("  ").browse and parse_query(None).browse
    long = parse_query("融" * (MAX_QUERY_CHARS + 50))
    assert len(long.terms[0]) == MAX_QUERY_CHARS and "cut" in long.notices[0]
    many = parse_query(" ".join(f"词{n:02d}" for n in range(MAX_TERMS + 5)))
    assert len(many.terms) == MAX_TERMS and many.notices
    for nothing in ("!!!", "。，、", "AND OR NOT NEAR", '""', "* - : ( )"):
        with pytest.raises(QueryError, match="nothing to search for"):
            parse_query(nothing)


def test_every_query_finds_what_the_oracle_finds(database):
    ids = populate(database)
    for query in QUERIES:
        if not query.strip():
            continue
        page = search_speeches(database, query, limit=50)
        assert {key for key, _ in keyed(page, ids)} == oracle(query), query
        assert page.total == len(page.hits)


def test_short_and_traditional_queries(database):
    ids = populate(database)
    assert {k for k, _ in keyed(search_speeches(database, "融资"), ids)} == {"huzhou", "shenzhen"}
    assert {k for k, _ in keyed(search_speeches(database, "審批"), ids)} == {"huzhou", "shenzhen"}
    assert {k for k, _ in keyed(search_speeches(database, "口"), ids)} == {"hangzhou"}
    assert {k for k, _ in keyed(search_speeches(database, "資"), ids)} == {"huzhou", "shenzhen", "punctuation"}
    page = search_speeches(database, "营商环境")  # the traditional speech is found by a simplified query
    assert "shenzhen" in {k for k, _ in keyed(page, ids)}
    snippet = next(h.snippet for h in page.hits if h.speech_id == ids["shenzhen"])
    assert "⟦營商環境⟧" in snippet  # highlighted in the text's own script


def test_both_back_ends_return_the_same_hits_in_the_same_order(sqlite_url, postgres_url):
    pages = {}
    for url in (sqlite_url, postgres_url):
        with Database(url) as db:
            ids = populate(db)
            filters = [SearchFilters(), SearchFilters(region="33"), SearchFilters(date_from="2020", date_to="2021-03"),
                       SearchFilters(has_commitments=True), SearchFilters(status="overdue", today="2024-01-01"),
                       SearchFilters(source_kind="template", speaker="李")]  # fmt: skip
            pages[url] = [
                (keyed(search_speeches(db, q, f, limit=3, offset=o), ids),
                 [(h.commitment_id, h.score, h.status) for h in search_commitments(db, q, f, limit=50).hits])
                for q in QUERIES for f in filters for o in (0, 2)
            ]  # fmt: skip
    assert pages[sqlite_url] == pages[postgres_url]


def test_the_index_follows_changed_and_deleted_speeches(database):
    ids = populate(database)
    changed = SPEECHES["hangzhou"][1][0]
    store_documents(database, [record(changed[0], "今天研究人工智能产业。", "gov", False, "新标题", {})])
    with database.write() as session:
        refresh_speech(session, ids["hangzhou"])
    assert search_speeches(database, "口").total == 0
    assert [h.speech_id for h in search_speeches(database, "人工智能").hits] == [ids["hangzhou"]]
    assert [h.speech_id for h in search_speeches(database, "新标题").hits] == [ids["hangzhou"]]
    with database.write() as session:
        refresh_speech(session, ids["hangzhou"])  # unchanged: nothing is rewritten
        assert index.index_speech(session.connection(), ids["hangzhou"]) is False
    with database.write() as session:
        session.execute(Speech.__table__.delete().where(Speech.id == ids["huzhou"]))
        session.execute(Document.__table__.update().where(Document.speech_id == ids["huzhou"]).values(speech_id=None))
    for word in ("融资", "标准地", "湖"):  # its index row may stay behind, but is never a hit
        assert ids["huzhou"] not in {h.speech_id for h in search_speeches(database, word).hits}
    store_documents(database, [record("http://new/1", "全新的内容。", "gov", False, "另一篇", {})])
    now = datetime.now(UTC)
    with database.write() as session:  # a new speech that reuses the id replaces the row, grams included
        session.add(Speech(id=ids["huzhou"], created_at=now, updated_at=now, copies=0))
        session.flush()
        session.scalar(select(Document).where(Document.url == "http://new/1")).speech_id = ids["huzhou"]
        session.flush()
        refresh_speech(session, ids["huzhou"])
    assert [h.speech_id for h in search_speeches(database, "全新").hits] == [ids["huzhou"]]
    for word in ("融资", "标准地", "湖", "资"):
        assert ids["huzhou"] not in {h.speech_id for h in search_speeches(database, word).hits}, word


def test_the_index_follows_changed_commitments(database):
    ids = populate(database)
    with database.write() as session:
        row = session.scalar(select(Commitment).where(Commitment.text.contains("不见面审批")))
        row.text, row.action = "要在年内建成人才公寓", "建成人才公寓"
        refresh_commitment_index(session, ids["huzhou"])
    assert search_commitments(database, "不见面").total == 0
    assert search_commitments(database, "人才公寓").total == 1
    with database.write() as session:
        session.execute(Commitment.__table__.delete().where(Commitment.text.contains("人才公寓")))
    assert search_commitments(database, "人才公寓").total == 0


def test_rebuild_backfills_what_is_stored(database):
    ids = populate(database)
    with database.write() as session:
        conn = session.connection()
        index.drop_schema(conn)
        index.create_schema(conn)
        speeches, commitments = index.rebuild(conn)
    assert (speeches, commitments) == (len(SPEECHES), 5)
    assert {h.speech_id for h in search_speeches(database, "融资").hits} == {ids["huzhou"], ids["shenzhen"]}


ODD = ['"', '""', "'", "AND", "OR 融资", "NEAR(融资, 审批)", "融资 NOT 审批", "*", "融*", "-", "title:融资", ":",
       "(", ")", "((融资))", "\\", "%", "_", "%_%", "'; DROP TABLE speeches; --", '" OR 1=1 --', "\x00融资",
       "融" * 5000, "营商环境 " * 400, "🙂", "\u200b", "​融资​", "ＡＮＤ", "^融资", "{融资}", "融资 +审批"]  # fmt: skip


def test_odd_input_is_a_clear_message_or_a_result_never_a_database_error(database):
    populate(database)
    for query in ODD:
        for search in (search_speeches, search_commitments):
            try:
                page = search(database, query)
            except QueryError as exc:
                assert "nothing to search for" in str(exc), query
            else:
                assert page.total >= 0
    with database.read() as session:
        assert session.scalar(select(Speech.id).limit(1)) is not None  # nothing was dropped
    bad_filters = [SearchFilters(region="abc"), SearchFilters(date_from="2020-13"), SearchFilters(status="x"),
                   SearchFilters(deadline_to="soon")]  # fmt: skip
    for filters in bad_filters:
        with pytest.raises(QueryError):
            search_speeches(database, "融资", filters)
    for filters in (SearchFilters(speaker="\x00李'--"), SearchFilters(organization="%")):
        assert search_speeches(database, "融资", filters).total == 0
    assert search_speeches(database, "融资", SearchFilters(topic="\x00")).total == 2  # control characters dropped


# Hypothesis runs inside plain tests: pytest-twisted (the suite's reactor plugin) cannot call @given tests itself.


def test_any_text_is_answered_or_refused_clearly(database):
    populate(database)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(query=st.text(max_size=40))
    def check(query):
        try:
            page = search_speeches(database, query, limit=5)
        except QueryError:
            return
        assert page.total >= len(page.hits)

    check()


def test_any_piece_of_a_text_finds_its_speech_in_either_script(database):
    import opencc

    ids = populate(database)
    to_traditional = opencc.OpenCC("s2t")

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def check(data):
        key = data.draw(st.sampled_from(sorted(SPEECHES)))
        body = fold(next(c for c in SPEECHES[key][1] if not c[3])[1])
        start = data.draw(st.integers(0, len(body) - 1))
        piece = body[start : start + data.draw(st.integers(1, 6))].strip()
        if not piece:
            return
        if data.draw(st.booleans()):
            piece = to_traditional.convert(piece)
        found = {h.speech_id for h in search_speeches(database, f'"{piece}"', limit=50).hits}
        assert ids[key] in found, piece

    check()


def test_pending_gin_entries_are_found_before_and_after_the_post_run_merges_them(postgres_url):
    """PostgreSQL keeps new GIN entries in a pending list (up to 64 MB, migration 0020): a search finds the rows
    written outside a post-run, and the same after :func:`~storage.search.index.merge_pending`; a post-run merges
    what it wrote when it ends."""
    from monitor.postrun import process_new_documents
    from storage.search.index import merge_pending

    with Database(postgres_url) as db:
        populate(db)
        before = {q: oracle_ids(db, q) for q in ("营商", "营商环境", "营")}
        assert all(before.values())
        with db.engine.begin() as conn:
            assert merge_pending(conn) > 0  # the corpus's entries were pending
        assert {q: oracle_ids(db, q) for q in before} == before
        title, copies, meta = next(iter(SPEECHES.values()))
        url, body, kind, cut = copies[0]
        store_documents(db, [record(url + "/again", body + "\n再次强调。", kind, cut, title, meta)])
        process_new_documents(db)
        with db.engine.begin() as conn:
            assert merge_pending(conn) == 0  # the post-run merged what it wrote


def oracle_ids(db, query: str) -> list[int]:
    """The speech ids a search finds, in order."""
    return [hit.speech_id for hit in search_speeches(db, query, limit=50).hits]


def test_speech_gin_entries_are_merged_in_a_thread_while_mining_runs(postgres_url, monkeypatch, caplog):
    """``monitor.postrun.merging`` merges the speeches' pending GIN entries on its own connection while its block
    runs (the commitments' stay pending: mining writes them); a failure there is logged, not raised."""
    import monitor.postrun as postrun
    from storage.search.index import SPEECH_GIN_INDEXES, merge_pending

    with Database(postgres_url) as db:
        populate(db)
        with postrun.merging(db, SPEECH_GIN_INDEXES):
            pass
        with db.engine.begin() as conn:
            assert merge_pending(conn, SPEECH_GIN_INDEXES) == 0  # merged by the thread
            assert merge_pending(conn, ["ix_commitment_fts_grams"]) > 0  # left for the end of the post-run

        def fail(conn, indexes):
            raise RuntimeError("server gone")

        monkeypatch.setattr(postrun, "merge_pending", fail)
        with postrun.merging(db, SPEECH_GIN_INDEXES):
            pass
        assert "merged at the end" in caplog.text


def test_commitment_gin_entries_are_merged_every_few_seconds_while_the_block_runs(postgres_url, monkeypatch):
    """With ``then``, the thread goes on to merge those indexes' pending entries (what mining writes) every
    ``every`` seconds until the block ends, so that less is left for the end of the post-run."""
    import monitor.postrun as postrun
    from storage.search.index import COMMITMENT_GIN_INDEXES, SPEECH_GIN_INDEXES, merge_pending

    calls: list[tuple[tuple[str, ...], int]] = []

    def recorded(conn, indexes):
        calls.append((tuple(indexes), merged := merge_pending(conn, indexes)))
        return merged

    monkeypatch.setattr(postrun, "merge_pending", recorded)
    with Database(postgres_url) as db:
        populate(db)
        with postrun.merging(db, SPEECH_GIN_INDEXES, then=COMMITMENT_GIN_INDEXES, every=0.05):
            waited = time.monotonic() + 20
            while not any(i == COMMITMENT_GIN_INDEXES for i, _ in calls) and time.monotonic() < waited:
                time.sleep(0.02)
        assert calls[0][0] == SPEECH_GIN_INDEXES and calls[0][1] > 0  # the speeches' first
        assert [merged for i, merged in calls if i == COMMITMENT_GIN_INDEXES][0] > 0  # then the commitments'
        with db.engine.begin() as conn:
            assert merge_pending(conn, COMMITMENT_GIN_INDEXES) == 0  # nothing left for the end
        count = len(calls)
        time.sleep(0.2)
        assert len(calls) == count  # the thread stopped with the block
