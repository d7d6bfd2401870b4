"""The stored pledges of each place, indexed by character bigram, for one mining run.

Linking a new pledge to an earlier one of the same place (restated / changed) and finding a pledge that a later
report says is done both compare texts by character bigrams. The index is loaded once per place per run and
kept current as the run adds and completes pledges, so a document costs the pledges that share a bigram with
it, not every pledge of its place.
"""

from __future__ import annotations

import math
import sys
from array import array
from bisect import bisect_right, insort
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.extract.script import matching_text
from storage.models import Commitment, PledgeIndexVersion, Speech

OPEN = ("new", "accepted")
FULFILMENT = 0.5  # the least share of a pledge's bigrams that ``fulfilled`` is asked about (its prefix postings)
RECENT = 32  # latest pledges looked at per bigram when linking (see ``RegionPledges.most_similar``)


@lru_cache(maxsize=8192)  # a new pledge's action: compared (most_similar), then indexed (kept_bigrams)
def bigrams(text: str) -> frozenset[str]:
    form = matching_text(text)
    return frozenset([form[i : i + 2] for i in range(len(form) - 1)])


def kept_bigrams(text: str) -> tuple[str, ...]:
    """:func:`bigrams` as an index keeps them: sorted in a tuple (a third of a set's memory, and nothing for the
    garbage collector to walk), each distinct bigram held once in the process (interned), not once per pledge."""
    return tuple(sorted(map(sys.intern, bigrams(text))))


def _same_key(grams: Collection[str]) -> tuple[str, ...]:
    return grams if isinstance(grams, tuple) else tuple(sorted(grams))


def _postings() -> array:
    return array("l")  # positions as machine integers: no int object each, nothing for the garbage collector


@dataclass(slots=True)
class Pledge:
    id: int
    speech_id: int
    grams: Collection[str]  # its action's bigrams (:func:`kept_bigrams` when read from storage)
    deadline: str | None
    quantities: list | None
    status: str
    restated: bool = False  # said again with the same deadline and target: its first saying takes the evidence
    digest: int = 0  # of the stored fields it was built from (``refresh`` skips a row read again unchanged)


def pledge_digest(speech_id: int, action: str, deadline: str | None, quantities: list | None, status: str,
                  restated: bool) -> int:  # fmt: skip
    return hash((speech_id, action, deadline, repr(quantities), status, restated))


def make_pledge(id_: int, speech_id: int, action: str, deadline: str | None, quantities: list | None, status: str,
                restated: bool = False) -> Pledge:  # fmt: skip
    digest = pledge_digest(speech_id, action, deadline, quantities, status, restated)
    return Pledge(id_, speech_id, kept_bigrams(action), deadline, quantities, status, restated, digest)


class RegionPledges:
    """The non-cited pledges of one region code, by bigram; later entries of one id replace earlier ones."""

    def __init__(self, rows: Iterable[Pledge] = ()) -> None:
        self.entries: list[Pledge | None] = []
        self.index: dict[str, array] = defaultdict(_postings)  # bigram -> positions in ``entries``
        self.prefix: dict[str, array] = defaultdict(_postings)  # each pledge under its rarest bigrams (``fulfilled``)
        self.needs_one: set[int] = set()  # positions of pledges found by one of their prefix bigrams (``fulfilled``)
        self.position: dict[int, int] = {}
        self.same: dict[tuple[str, ...], list[tuple[int, int]]] = {}  # (id, position) by sorted bigrams, id order
        self.checked_at: datetime | None = None  # when the stored rows were last read
        self.seen_id = 0  # the highest commitment id stored (of any place) when they were last read
        self.version: tuple[int, int] | None = None  # of the stored pledges, when they were loaded
        for row in rows:
            self.add(row, prefix=False)
        for position in range(len(self.entries)):  # rarity known once all are counted
            self._post_prefix(position)

    @classmethod
    def load(cls, session: Session, region_code: str) -> RegionPledges:
        checked_at, version = datetime.now(UTC), stored_version(session)
        seen_id = session.scalar(select(func.max(Commitment.id))) or 0  # before the rows: a later one is read again
        loaded = cls(_read(session, region_code))
        loaded.checked_at, loaded.version, loaded.seen_id = checked_at, version, seen_id
        return loaded

    def refresh(self, session: Session, region_code: str) -> bool:
        """Read the rows added or updated since the last read; False when that is not the whole difference with
        the stored rows (a pledge deleted, moved to another speech or place since: the version row moved, see
        migration 0014), so the index must be loaded again."""
        return bool(refresh_indexes(session, {region_code: self}))

    def _take(self, row: tuple) -> None:
        """A stored row read again: indexed unless this index already holds it as it is stored."""
        position = self.position.get(row[0])
        entry = self.entries[position] if position is not None else None
        if entry is None or entry.digest != pledge_digest(*row[1:]):  # the last run's own pledges come back equal
            self.add(make_pledge(*row))

    def add(self, pledge: Pledge, prefix: bool = True) -> None:
        """Index a pledge, or re-index it after its action changed (its previous entry is dropped)."""
        previous = self.position.get(pledge.id)
        if previous is not None:
            replaced = self.entries[previous]
            if replaced is not None:
                self.same[_same_key(replaced.grams)].remove((replaced.id, previous))
            self.entries[previous] = None
        self.position[pledge.id] = len(self.entries)
        for gram in pledge.grams:
            self.index[gram].append(len(self.entries))
        same = self.same.setdefault(_same_key(pledge.grams), [])
        insort(same, (pledge.id, len(self.entries)))  # an append, but on re-adds
        self.entries.append(pledge)
        if prefix:
            self._post_prefix(len(self.entries) - 1)

    def _post_prefix(self, position: int) -> None:
        """Post the pledge under its |grams| − ⌈FULFILMENT·|grams|⌉ + 2 rarest bigrams (all, if it has fewer): a
        clause repeating at least that share of them holds two of these, or one when the share is one bigram
        (``needs_one``). Two rather than one: a clause's common bigram then brings a pledge as a candidate only
        with another one, 25x fewer candidates to compare at 380,000 pledges of a place (``bench/README.md``,
        fifteenth round); the rarest keep the lists short."""
        entry = self.entries[position]
        if entry is None or not entry.grams or entry.restated:
            return  # a restatement is not asked about: a report of completion goes to the pledge it restates
        needed = math.ceil(FULFILMENT * len(entry.grams) - 1e-9)
        if needed < 2:
            self.needs_one.add(position)
        rarest = sorted(entry.grams, key=lambda gram: (len(self.index[gram]), gram))
        for gram in rarest[: len(entry.grams) - needed + 2]:
            self.prefix[gram].append(position)

    def set_status(self, pledge_id: int, status: str) -> None:
        position = self.position.get(pledge_id)
        if position is not None and (entry := self.entries[position]) is not None:
            entry.status = status

    def most_similar(self, text: str, speech_id: int, threshold: float) -> Pledge | None:
        """The pledge of another speech with the highest bigram Jaccard ≥ ``threshold`` (the latest on a tie).

        Prefix filtering: a pledge at that Jaccard shares at least ⌈threshold·|grams|⌉ of the text's bigrams, so it
        shares two with any |grams| − ⌈threshold·|grams|⌉ + 2 of them (one, when it need share only one); only
        the pledges holding two of that many of the rarest bigrams are compared (a sixth of those holding one,
        ``bench/README.md``, fifteenth round), and of each such bigram's pledges only the ``RECENT`` latest: a
        pledge restated in more speeches than that links to one of its recent sayings (the cost stays flat however
        often a place repeats itself). A pledge with the very same bigrams is looked up first, by its set: about
        half the pledges of a place that repeats itself are said again word for word. Candidates are compared in
        the order of the best Jaccard their hits allow (counting as shared the bigrams not probed, and those
        whose postings were looked at only after the candidate's position), until none can reach the best found.
        """
        grams = bigrams(text)
        if not grams:
            return None
        for _, position in reversed(self.same.get(_same_key(grams), ())):  # Jaccard 1: the latest of them
            if (entry := self.entries[position]).speech_id != speech_id:
                return entry
        size = len(grams)
        needed = math.ceil(threshold * size - 1e-9)
        rarest = sorted(grams, key=lambda gram: len(self.index.get(gram, ())))[: size - needed + 2]
        hits: Counter[int] = Counter()
        starts: list[int] = []  # the first position looked at of each probed bigram not looked at whole
        for gram in rarest:
            if (postings := self.index.get(gram)) is not None:
                if len(postings) > RECENT:
                    starts.append(postings[-RECENT])
                hits.update(postings[-RECENT:])
        starts.sort()
        unknown = size - len(rarest) + len(starts)
        least = min(2, needed)
        candidates: list[tuple[float, int, Pledge]] = []
        for position, count in hits.items():
            if count < least or not _live(entry := self.entries[position], speech_id):
                continue
            # beyond its hits it may hold the bigrams not probed, and the probed ones whose postings (ascending)
            # were looked at only from after its position
            most = min(size, other := len(entry.grams), count + unknown - bisect_right(starts, position))
            candidates.append((most / (size + other - most), entry.id, entry))  # the best Jaccard it can have
        candidates.sort(key=lambda candidate: candidate[:2], reverse=True)  # then the newest first
        best: Pledge | None = None
        best_score = threshold
        for bound, id_, entry in candidates:
            if bound < best_score:
                break  # nor can any after it
            if best is not None and bound == best_score and id_ < best.id:
                continue  # at best a tie with a later pledge
            common = len(grams.intersection(entry.grams))
            score = common / (size + len(entry.grams) - common)
            if score > best_score or (score == best_score and (best is None or id_ > best.id)):
                best, best_score = entry, score
        return best

    def fulfilled(self, clauses: list[str], speech_id: int, threshold: float) -> list[tuple[Pledge, str]]:
        """Open pledges of other speeches with the clause that repeats the largest share (≥ ``threshold``) of
        their bigrams, the first such clause on a tie; in id order. Candidates come from the prefix postings
        (exact for ``threshold`` ≥ ``FULFILMENT``), so a common word of the clause does not bring every pledge."""
        if threshold < FULFILMENT:
            raise ValueError(f"the prefix postings answer shares of at least {FULFILMENT}")
        best: dict[int, tuple[float, int]] = {}
        for number, clause in enumerate(clauses):
            grams = bigrams(clause)
            hits: Counter[int] = Counter()
            for gram in grams:
                if (postings := self.prefix.get(gram)) is not None:
                    hits.update(postings)
            for position, count in hits.items():
                if count < 2 and position not in self.needs_one:
                    continue  # a share of FULFILMENT or more holds two of its prefix bigrams (``_post_prefix``)
                entry = self.entries[position]
                if not _live(entry, speech_id) or entry.status not in OPEN:
                    continue
                share = len(grams.intersection(entry.grams)) / len(entry.grams)
                if position not in best or share > best[position][0]:
                    best[position] = (share, number)
        found = [(self.entries[p], clauses[n]) for p, (share, n) in best.items() if share >= threshold]
        return sorted(found, key=lambda pair: pair[0].id)


def _live(entry: Pledge | None, other_than_speech: int) -> bool:
    return entry is not None and entry.speech_id != other_than_speech


SLACK = timedelta(seconds=2)  # rows updated this close before the last read are read again (clock steps, commits)
_CACHE: OrderedDict[tuple[str, str], RegionPledges] = OrderedDict()
_WRITTEN: dict[str, dict[int, tuple[datetime, str]]] = {}  # store -> id -> (updated_at, status): see remember_written
CACHED_REGIONS = 16


def refresh_indexes(session: Session, indexes: dict[str, RegionPledges], store: str | None = None) -> set[str]:
    """Bring indexes (by region code) up to date with one read of the rows added or updated since the oldest of
    their last reads; return the codes brought up to date. An index whose version is not the stored one is left
    out: what changed since is not all in the rows (it must be loaded again). Of the changed rows, those this
    process wrote to the ``store`` and its indexes hold as they are stored (:func:`remember_written`) are not
    read again."""
    version = stored_version(session)
    current = {code: index for code, index in indexes.items() if index.version is not None and index.version == version}
    if not current:
        return set()
    checked_at = datetime.now(UTC)
    after = min(index.seen_id for index in current.values())
    since = min(index.checked_at or checked_at for index in current.values()) - SLACK
    changed = _changed_ids(session, after, since)
    own = _WRITTEN.get(store, {}) if store else {}
    unknown = sorted(id_ for id_, state in changed.items() if own.get(id_) != state)
    for row in _rows_by_id(session, set(current), unknown):
        current[row[0]]._take(row[1:])
    seen_id = max(after, max(changed, default=0))
    for index in current.values():
        index.checked_at, index.seen_id = checked_at, max(index.seen_id, seen_id)
    if own:  # what a later read cannot meet again: updated before this one's window, ids up to what it saw
        _WRITTEN[store] = {id_: state for id_, state in own.items() if state[0] >= since}
    return set(current)


def refresh_cached(session: Session, store: str) -> None:
    """Bring the store's cached indexes up to date with one read (the start of a mining run); drop those that
    must be loaded again. Cheaper than a read per place: each read costs the rows the last run changed, less
    those this process wrote itself."""
    cached = {key[1]: index for key, index in _CACHE.items() if key[0] == store}
    fresh = refresh_indexes(session, cached, store) if cached else set()
    for code in set(cached) - fresh:
        del _CACHE[(store, code)]


def remember_written(store: str, rows: Iterable[tuple[int, datetime, str]]) -> None:
    """``(id, updated_at, status)`` of commitments this process committed to ``store`` (new, or evidence added)
    while its indexes of their places took them as written: the next refresh does not read them again unless
    they changed since (another process reviewed one: its status or update time differs)."""
    written = _WRITTEN.setdefault(store, {})
    for id_, updated_at, status in rows:
        written[id_] = (updated_at, status)


def region_pledges(session: Session, store: str, region_code: str, refresh: bool = True) -> RegionPledges:
    """The place's pledge index, kept between mining runs of this process and brought up to date from storage
    (rows added or updated since; not when ``refresh`` is False: :func:`refresh_cached` did it for the run);
    loaded again whenever it no longer matches what is stored."""
    key = (store, region_code)
    cached = _CACHE.pop(key, None)
    if cached is None or (refresh and not cached.refresh(session, region_code)):
        cached = RegionPledges.load(session, region_code)
    _CACHE[key] = cached
    while len(_CACHE) > CACHED_REGIONS:
        _CACHE.popitem(last=False)
    return cached


def forget(store: str) -> None:
    """Drop a store's cached indexes (after a unit of work that added to them rolled back)."""
    for key in [key for key in _CACHE if key[0] == store]:
        del _CACHE[key]
    _WRITTEN.pop(store, None)


def _pledge_rows():
    return (
        select(Commitment.id, Commitment.speech_id, Commitment.action, Commitment.text, Commitment.deadline,
               Commitment.quantities, Commitment.status, Commitment.relation)
        .join(Speech, Speech.id == Commitment.speech_id)
        .where(Commitment.cited.is_(False))
    )  # fmt: skip


def _region_rows(region_code: str):
    return _pledge_rows().where(Speech.region_code == region_code)


def _rows(session: Session, region_code: str):
    """``(id, speech_id, action, deadline, quantities, status, restated)`` of the place's pledges."""
    return _fields(session.execute(_region_rows(region_code).order_by(Commitment.id)))


def _fields(rows: Iterable) -> Iterable[tuple]:
    for id_, speech_id, action, text, deadline, quantities, status, relation, *rest in rows:
        yield *rest, id_, speech_id, action or text, deadline, quantities, status, relation == "restated"


def _changed_ids(session: Session, after_id: int, updated_since: datetime) -> dict[int, tuple[datetime, str]]:
    """``id -> (updated_at, status)`` of the pledges of every place added after ``after_id`` or updated since:
    two index ranges over all places (ids, update times). A query naming the places lets the planner walk every
    pledge of them instead (SQLite without statistics does), which grows with the store."""
    columns = (Commitment.id, Commitment.updated_at, Commitment.status)
    found = {id_: (at, status) for id_, at, status in session.execute(select(*columns).where(Commitment.id > after_id))}
    found.update((id_, (at, status)) for id_, at, status in
                 session.execute(select(*columns).where(Commitment.updated_at >= updated_since)))  # fmt: skip
    return found


def _rows_by_id(session: Session, region_codes: set[str], ids: list[int]) -> list:
    """``(region_code, *pledge fields)`` of those of ``ids`` (sorted) that are pledges of the places, in id order
    (as a load indexes them)."""
    rows = []
    for start in range(0, len(ids), CHANGED_BATCH):
        chunk = ids[start : start + CHANGED_BATCH]
        query = _pledge_rows().add_columns(Speech.region_code).where(Commitment.id.in_(chunk))
        rows += _fields(row for row in session.execute(query) if row[-1] in region_codes)
    return sorted(rows, key=lambda row: row[1])


CHANGED_BATCH = 500


def _read(session: Session, region_code: str):
    for row in _rows(session, region_code):
        yield make_pledge(*row)


def stored_version(session: Session) -> tuple[int, int] | None:
    """``(stamp, generation)`` of the version row (migration 0014); None without one (an index is never trusted)."""
    row = session.execute(select(PledgeIndexVersion.stamp, PledgeIndexVersion.generation)
                          .where(PledgeIndexVersion.id == 1)).one_or_none()  # fmt: skip
    return (int(row[0]), int(row[1])) if row else None
