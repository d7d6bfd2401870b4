"""Linking cost at a place holding many pledges: ``RegionPledges.most_similar`` on a kept store.

Loads the pledge index of one place (by default the one with the most pledges) from a store that
``bench_pipeline.py --keep`` filled, then asks ``most_similar`` about the actions of the place's latest
``--queries`` pledges, each for its own speech (so its own entry is never the answer, as when mining links a new
pledge), ``--repeat`` times. Printed: the index's size, µs per call (median over the repeats), how many calls
found a pledge, and with ``--check``, that the answers equal those of every candidate compared (the count bound
left out), which is slow.

    .venv/bin/python bench/bench_linking.py --db postgresql+psycopg://postgres@127.0.0.1:5432/bench_pipeline_<pid>_100000
    .venv/bin/python bench/bench_linking.py --db sqlite:////tmp/bench/bench_pipeline_<pid>_100000.db --queries 5000

To compare two versions of the code, run it from a checkout of each, alternating (the machine's speed drifts).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import time

from sqlalchemy import func, select

from monitor.commitments import pledges
from monitor.commitments.track import SIMILAR
from storage.database import Database
from storage.models import Commitment, Speech


def _largest_place(session) -> str:
    count = func.count(Commitment.id)
    query = (select(Speech.region_code, count).join(Commitment, Commitment.speech_id == Speech.id)
             .where(Speech.region_code.is_not(None)).group_by(Speech.region_code)
             .order_by(count.desc()).limit(1))  # fmt: skip
    return session.execute(query).one()[0]


def _queries(session, region_code: str, limit: int) -> list[tuple[str, int]]:
    query = (select(Commitment.action, Commitment.text, Commitment.speech_id)
             .join(Speech, Speech.id == Commitment.speech_id)
             .where(Speech.region_code == region_code, Commitment.cited.is_(False))
             .order_by(Commitment.id.desc()).limit(limit))  # fmt: skip
    return [(action or text, speech_id) for action, text, speech_id in session.execute(query)]


def _every_candidate(index: pledges.RegionPledges, text: str, speech_id: int) -> pledges.Pledge | None:
    """The answer when every pledge holding a probed bigram among its latest postings is compared."""
    grams = pledges.bigrams(text)
    best, best_score = None, SIMILAR
    same = [e for _, p in index.same.get(tuple(sorted(grams)), ()) if (e := index.entries[p]).speech_id != speech_id]
    if same:
        return same[-1]
    needed = math.ceil(SIMILAR * len(grams) - 1e-9)
    rarest = sorted(grams, key=lambda gram: len(index.index.get(gram, ())))[: len(grams) - needed + 2]
    counts: dict[int, int] = {}
    for gram in rarest:
        for position in index.index.get(gram, ())[-pledges.RECENT :]:
            counts[position] = counts.get(position, 0) + 1
    for position in sorted(counts, key=lambda p: -(index.entries[p].id if index.entries[p] else 0)):
        entry = index.entries[position]
        if counts[position] < min(2, needed) or entry is None or entry.speech_id == speech_id:
            continue
        common = len(grams.intersection(entry.grams))
        score = common / (len(grams) + len(entry.grams) - common)
        if score > best_score or (best is None and score == best_score):
            best, best_score = entry, score
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of a kept store")
    parser.add_argument("--region", help="region code (default: the place with the most pledges)")
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--check", action="store_true", help="compare every answer with every candidate's")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    database = Database(args.db)
    with database.read() as session:
        region = args.region or _largest_place(session)
        started = time.perf_counter()
        index = pledges.RegionPledges.load(session, region)
        loaded = time.perf_counter() - started
        queries = _queries(session, region, args.queries)
    live = sum(entry is not None for entry in index.entries)
    print(
        f"place {region}: {live:,} pledges, {len(index.index):,} bigrams, loaded in {loaded:.1f} s; "
        f"{len(queries):,} queries, threshold {SIMILAR}, RECENT {pledges.RECENT}"
    )
    rounds, found = [], 0
    for _ in range(args.repeat):
        pledges.bigrams.cache_clear()
        started = time.perf_counter()
        answers = [index.most_similar(text, speech_id, SIMILAR) for text, speech_id in queries]
        rounds.append((time.perf_counter() - started) / len(queries) * 1e6)
        found = sum(answer is not None for answer in answers)
    print(
        f"most_similar: {statistics.median(rounds):.1f} µs/call (median of {args.repeat}; "
        f"{', '.join(f'{r:.1f}' for r in rounds)}), {found:,} of {len(queries):,} found a pledge"
    )
    if args.check:
        wrong = sum(index.most_similar(text, speech_id, SIMILAR) is not _every_candidate(index, text, speech_id)
                    for text, speech_id in queries)  # fmt: skip
        print(f"check: {wrong} answers differ from comparing every candidate")


if __name__ == "__main__":
    main()
