"""The per-place pledge index gives what comparing with every stored pledge gives."""

from __future__ import annotations

import math
import random

import pytest

from monitor.commitments.pledges import Pledge, RegionPledges, bigrams, kept_bigrams, make_pledge

WORDS = ["优化营商环境", "标准地", "出让", "审批", "一网通办", "完成", "建成", "企业开办", "融资", "平台", "三个工作日"]


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(WORDS) for _ in range(rng.randint(1, 5)))


def _pledges(rng: random.Random, n: int, kept: bool = False) -> list[Pledge]:
    """Pledges with their bigrams as a set (as tests build them) or as an index keeps those read from storage."""
    pledges = []
    for i in range(n):
        speech_id, text, status = rng.randint(1, 6), _text(rng), rng.choice(["new", "accepted", "done"])
        restated = rng.random() < 0.2
        pledges.append(make_pledge(i + 1, speech_id, text, None, None, status, restated) if kept
                       else Pledge(i + 1, speech_id, bigrams(text), None, None, status, restated=restated))  # fmt: skip
    return pledges


def _brute_similar(pledges: list[Pledge], text: str, speech_id: int, threshold: float) -> Pledge | None:
    grams, best, best_score = bigrams(text), None, threshold
    for pledge in sorted(pledges, key=lambda p: p.id):
        if pledge.speech_id == speech_id or not grams or not pledge.grams:
            continue
        score = len(grams & set(pledge.grams)) / len(grams | set(pledge.grams))
        if score >= best_score:
            best, best_score = pledge, score
    return best


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.8])
@pytest.mark.parametrize("kept", [False, True], ids=["sets", "kept"])
def test_most_similar_is_the_best_jaccard_of_another_speech_latest_on_a_tie(monkeypatch, kept: bool,
                                                                            threshold: float) -> None:  # fmt: skip
    """Exact against every pledge (texts of one bigram, which need share only one, and longer ones)."""
    monkeypatch.setattr("monitor.commitments.pledges.RECENT", 10**9)  # every pledge looked at: exact
    rng = random.Random(7)
    pledges = _pledges(rng, 120, kept)
    index = RegionPledges(pledges[:60])
    for pledge in pledges[60:]:
        index.add(pledge)
    for _ in range(300):
        text, speech_id = _text(rng), rng.randint(1, 6)
        expected = _brute_similar(pledges, text, speech_id, threshold)
        found = index.most_similar(text, speech_id, threshold)
        assert (found and found.id) == (expected and expected.id)


def _capped_similar(index: RegionPledges, text: str, speech_id: int, threshold: float, recent: int) -> Pledge | None:
    """What ``most_similar`` promises when it caps postings: the best Jaccard (the latest on a tie) among the
    pledges of other speeches holding two (or the one needed) of the probed rarest bigrams within each bigram's
    ``recent`` latest postings, after the pledges with the very same bigrams."""
    grams = bigrams(text)
    same = [p for p in index.entries if p is not None and set(p.grams) == grams and p.speech_id != speech_id]
    if same:
        return max(same, key=lambda p: p.id)
    needed = math.ceil(threshold * len(grams) - 1e-9)
    rarest = sorted(grams, key=lambda gram: len(index.index.get(gram, ())))[: len(grams) - needed + 2]
    looked_at = [set(index.index.get(gram, ())[-recent:]) for gram in rarest]
    best, best_score = None, threshold
    for position, pledge in enumerate(index.entries):
        if pledge is None or pledge.speech_id == speech_id:
            continue
        if sum(position in postings for postings in looked_at) < min(2, needed):
            continue
        score = len(grams & set(pledge.grams)) / len(grams | set(pledge.grams))
        if score > best_score or (score == best_score and (best is None or pledge.id > best.id)):
            best, best_score = pledge, score
    return best


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.8])
def test_most_similar_with_capped_postings_compares_each_candidate_that_could_win(monkeypatch, threshold) -> None:
    """With few postings looked at per bigram, the candidates left out on the Jaccard their hits allow (counting
    as shared the bigrams not probed, and those looked at only from after the candidate) are never the best."""
    monkeypatch.setattr("monitor.commitments.pledges.RECENT", 3)
    rng = random.Random(13)
    pledges = _pledges(rng, 150, kept=True)
    index = RegionPledges(pledges[:80])
    for pledge in pledges[80:]:
        index.add(pledge)
    assert any(len(postings) > 3 for postings in index.index.values())  # the cap is met
    answered = 0
    for _ in range(300):
        text, speech_id = _text(rng), rng.randint(1, 6)
        expected = _capped_similar(index, text, speech_id, threshold, 3)
        found = index.most_similar(text, speech_id, threshold)
        assert (found and found.id) == (expected and expected.id)
        answered += expected is not None
    assert answered > 50


@pytest.mark.parametrize("threshold", [0.5, 0.75, 1.0])
@pytest.mark.parametrize("kept", [False, True], ids=["sets", "kept"])
def test_fulfilled_finds_each_open_pledge_with_its_best_clause(kept: bool, threshold: float) -> None:
    """Exact against every pledge: those of one or two bigrams (found by one prefix bigram) and those of more
    (by two), indexed at load or added after (their prefix bigrams chosen by the rarity of the moment)."""
    rng = random.Random(11)
    pledges = _pledges(rng, 80, kept)
    index = RegionPledges(pledges[:50])
    for pledge in pledges[50:]:
        index.add(pledge)
    assert index.needs_one and len(index.needs_one) < len(pledges)  # both kinds are asked about
    for _ in range(100):
        clauses, speech_id = [_text(rng) for _ in range(rng.randint(1, 4))], rng.randint(1, 6)
        expected = []
        for pledge in pledges:
            if pledge.speech_id == speech_id or pledge.status not in ("new", "accepted") or not pledge.grams:
                continue
            if pledge.restated:  # its first saying takes the evidence
                continue
            grams = set(pledge.grams)
            best = max(clauses, key=lambda c: len(grams & bigrams(c)) / len(grams))
            if len(grams & bigrams(best)) / len(grams) >= threshold:
                expected.append((pledge.id, best))
        found = [(pledge.id, clause) for pledge, clause in index.fulfilled(clauses, speech_id, threshold)]
        assert found == expected


def test_an_index_keeps_each_bigram_once_for_all_its_pledges() -> None:
    first = make_pledge(1, 1, "完成标准地出让", None, None, "new")
    second = make_pledge(2, 2, "标准地出让", None, None, "new")
    assert first.grams == tuple(sorted(bigrams("完成标准地出让")))
    shared = set(first.grams) & set(second.grams)
    assert shared == {"标准", "准地", "地出", "出让"}
    for gram in shared:  # the same string object, not an equal copy per pledge
        assert first.grams[first.grams.index(gram)] is second.grams[second.grams.index(gram)]
    assert kept_bigrams("") == ()


def test_a_pledge_whose_action_changed_is_found_by_its_new_text_only() -> None:
    index = RegionPledges([Pledge(1, 1, bigrams("完成标准地出让"), None, None, "new")])
    assert index.most_similar("完成标准地出让", 2, 0.5).id == 1
    index.add(Pledge(1, 1, bigrams("建成一网通办平台"), None, None, "new"))
    assert index.most_similar("完成标准地出让", 2, 0.5) is None
    assert index.most_similar("建成一网通办平台", 2, 0.5).id == 1
    index.set_status(1, "done")
    assert index.fulfilled(["已建成一网通办平台"], 2, 0.5) == []


def _stored_pledges(database, texts_by_speech: dict[str, list[str]], region_code: str = "330502") -> None:
    from datetime import UTC, datetime

    from storage.models import Commitment, Speech

    now = datetime.now(UTC)
    with database.write() as session:
        for name, texts in texts_by_speech.items():
            speech = Speech(title=name, region_code=region_code, created_at=now, updated_at=now)
            session.add(speech)
            session.flush()
            for i, text in enumerate(texts):
                session.add(Commitment(speech_id=speech.id, key=f"{name}{i}", text=text, action=text, status="new",
                                       created_at=now, updated_at=now))  # fmt: skip


def test_the_cached_index_follows_the_store_between_runs(database) -> None:
    from sqlalchemy import delete, select

    from monitor.commitments.pledges import region_pledges
    from monitor.commitments.track import review
    from storage.models import Commitment

    store = f"test-{id(database)}"
    _stored_pledges(database, {"a": ["完成标准地出让", "建成一网通办平台"]})
    with database.read() as session:
        first = region_pledges(session, store, "330502")
    assert first.most_similar("完成标准地出让", 0, 0.5) is not None
    _stored_pledges(database, {"b": ["实现企业开办全程网办"]})  # another run added a pledge
    with database.read() as session:
        platform = session.scalar(select(Commitment.id).where(Commitment.text == "建成一网通办平台"))
    review(database, platform, "reject", reviewer="analyst")
    with database.read() as session:
        second = region_pledges(session, store, "330502")
    assert second is first  # brought up to date, not read again
    slots = len(second.entries)
    with database.read() as session:
        assert region_pledges(session, store, "330502") is first
    assert len(first.entries) == slots  # rows read again but stored as indexed are not indexed twice
    assert second.most_similar("实现企业开办全程网办", 0, 0.5).speech_id != 0
    assert second.fulfilled(["已建成一网通办平台"], 0, 0.5) == []
    with database.write() as session:  # a pledge deleted (a merge): the index is read again
        session.execute(delete(Commitment).where(Commitment.text == "完成标准地出让"))
    with database.read() as session:
        third = region_pledges(session, store, "330502")
    assert third is not first and third.most_similar("完成标准地出让", 0, 0.5) is None


def test_one_read_brings_every_cached_place_up_to_date(database) -> None:
    """The start of a mining run: the rows changed since are read once for all the cached places, each place
    takes its own, and a place whose index must be loaded again is dropped from the cache."""
    from sqlalchemy import delete, event

    from monitor.commitments.pledges import refresh_cached, region_pledges
    from storage.models import Commitment

    store = f"test-{id(database)}"
    _stored_pledges(database, {"a": ["完成标准地出让"]})
    _stored_pledges(database, {"b": ["建成一网通办平台"]}, region_code="330100")
    with database.read() as session:
        huzhou, hangzhou = region_pledges(session, store, "330502"), region_pledges(session, store, "330100")
    _stored_pledges(database, {"c": ["实现企业开办全程网办"]})
    _stored_pledges(database, {"d": ["新建人才公寓500套"]}, region_code="330100")
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731  (before_cursor_execute's statement)
    event.listen(database.engine, "before_cursor_execute", listener)
    try:
        with database.read() as session:
            refresh_cached(session, store)
        reads = len(statements)
        with database.read() as session:  # the run then takes them as they are
            assert region_pledges(session, store, "330502", refresh=False) is huzhou
            assert region_pledges(session, store, "330100", refresh=False) is hangzhou
        assert len(statements) == reads  # no read per place
    finally:
        event.remove(database.engine, "before_cursor_execute", listener)
    assert reads <= 4  # the version row, the two id ranges, the changed rows by id
    assert huzhou.most_similar("实现企业开办全程网办", 0, 0.5) is not None
    assert huzhou.most_similar("新建人才公寓500套", 0, 0.5) is None  # the other place's pledge
    assert hangzhou.most_similar("新建人才公寓500套", 0, 0.5) is not None
    with database.write() as session:  # a pledge deleted: both must be loaded again
        session.execute(delete(Commitment).where(Commitment.text == "完成标准地出让"))
    with database.read() as session:
        refresh_cached(session, store)
        reloaded = region_pledges(session, store, "330502", refresh=False)
    assert reloaded is not huzhou and reloaded.most_similar("完成标准地出让", 0, 0.5) is None


def test_a_pledge_restated_many_times_links_to_a_recent_saying() -> None:
    """Only the latest ``RECENT`` pledges per rare bigram are compared, so the cost stays flat: a near pledge
    among them is the answer, and an old near one beyond them is not looked for; a pledge with the very same
    bigrams is found however old (by its set), the latest such on a tie, never one of the asking speech."""
    from monitor.commitments.pledges import RECENT

    text = "确保年底前完成标准地出让"
    old_near = Pledge(1, 1, bigrams(text + "的"), None, None, "new")
    restated = [Pledge(i, i, bigrams(text + "工作"), None, None, "new") for i in range(2, RECENT + 10)]
    index = RegionPledges([old_near, *restated])
    assert index.most_similar(text, 0, 0.5).id == RECENT + 9  # the latest saying, not the closer but old first one
    assert RegionPledges([old_near, *restated[:5]]).most_similar(text, 0, 0.5).id == 1  # within reach: the best
    exact = [Pledge(1, 1, bigrams(text), None, None, "new"), Pledge(2, 2, bigrams(text), None, None, "new")]
    index = RegionPledges([*exact, *restated[1:]])
    assert index.most_similar(text, 0, 0.5).id == 2  # the same bigrams, however old: the latest of them
    assert index.most_similar(text, 2, 0.5).id == 1  # not the asking speech's own
    index.add(Pledge(2, 2, bigrams(text + "项目"), None, None, "new"))  # its action changed: no longer the same
    assert index.most_similar(text, 0, 0.5).id == 1


def test_whatever_takes_a_pledge_out_of_its_place_moves_the_version_row(database) -> None:
    """The triggers of migration 0014: a cached index trusts the rows added or updated since only while the
    version is the one it loaded at; every other way a pledge leaves its place's index moves it."""
    from sqlalchemy import delete, select, update

    from monitor.commitments.pledges import region_pledges, stored_version
    from storage.models import Commitment, Speech

    store = f"test-{id(database)}"
    _stored_pledges(database, {"a": ["完成标准地出让", "建成一网通办平台"], "b": ["实现企业开办全程网办"],
                               "c": ["新建人才公寓500套"]})  # fmt: skip
    with database.read() as session:
        speeches = dict(session.execute(select(Speech.title, Speech.id)).all())

    def version():
        with database.read() as session:
            return stored_version(session)

    changes = [
        update(Commitment).where(Commitment.text == "建成一网通办平台").values(speech_id=speeches["b"]),  # merged
        update(Commitment).where(Commitment.text == "实现企业开办全程网办").values(cited=True),
        update(Speech).where(Speech.id == speeches["c"]).values(region_code="330100"),  # the place changed
        delete(Commitment).where(Commitment.text == "完成标准地出让"),
        delete(Speech).where(Speech.id == speeches["a"]),  # no pledges left: nothing to move
        delete(Speech).where(Speech.id == speeches["b"]),  # its pledges are orphans now
    ]
    moved = []
    for change in changes:
        with database.read() as session:
            cached = region_pledges(session, store, "330502")
        before = version()
        with database.write() as session:
            session.execute(change)
        moved.append(version() != before)
        with database.read() as session:
            assert (region_pledges(session, store, "330502") is cached) is not moved[-1]
    assert moved == [True, True, True, True, False, True]
    with database.write() as session:  # an update the rows show (a review, a fuller text) keeps the version
        before = stored_version(session)
        session.execute(update(Commitment).values(status="accepted"))
        session.execute(update(Speech).values(title="x"))
    assert version() == before
