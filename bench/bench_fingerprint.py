"""Fingerprint throughput: ``simhash.Simhash(text)`` (reference) vs ``simhash64`` vs full ``fingerprint``.

Synthetic 5 KB Chinese bodies (see ``synthetic.py``), one core (BLAS threads 1, CPU affinity one CPU). Every
value is checked against the reference. The digest cache of ``simhash64`` is reported

- cold: reset (``_CACHE.__init__()``, as in a fresh process), then one pass over set A;
- warm, same docs: a second pass over set A;
- warm, unseen docs: set B (other documents from the same sentence pool) after set A warmed the cache — the
  steady state of a crawl of one genre;
- novel text: set C, random CJK characters only, so no 4-character window is ever seen twice — the worst case
  for the cache (every feature is hashed with md5 in Python).

Each figure is the best of ``--repeat`` runs (the machine may be shared); the cache is reset before every cold
and novel run and re-warmed with set A before every unseen run.

    .venv/bin/python bench/bench_fingerprint.py [--docs 2000] [--repeat 3] [--kb 5] [--noise 0.05] [--seed 1]
"""

from __future__ import annotations

import os

os.environ["OPENBLAS_NUM_THREADS"] = "1"  # one core: before numpy loads its BLAS
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import argparse
import platform
import random
import sys
import time
from collections.abc import Callable
from datetime import datetime

import simhash
from synthetic import bodies, random_cjk

from monitor.dedup import fingerprint as fp_module
from monitor.dedup.fingerprint import fingerprint, paragraph_key, simhash64
from monitor.extract.script import matching_text


def pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def reset_cache() -> None:
    fp_module._CACHE.__init__()


def warm_with(texts: list[str]) -> Callable[[], None]:
    def setup() -> None:
        reset_cache()
        for text in texts:
            simhash64(text)

    return setup


def best_of(
    repeat: int, label: str, fn: Callable[[str], object], texts: list[str], setup: Callable[[], None] | None = None
) -> tuple[float, list]:
    """docs/s of the fastest of ``repeat`` passes (``setup`` before each), and the values of the last one."""
    best, values = float("inf"), []
    for _ in range(repeat):
        if setup:
            setup()
        start = time.perf_counter()
        values = [fn(text) for text in texts]
        best = min(best, time.perf_counter() - start)
    rate = len(texts) / best
    print(f"  {label:<52} {rate:>9,.0f} docs/s  {best / len(texts) * 1e3:>7.3f} ms/doc", flush=True)
    return rate, values


def reference(text: str) -> int:
    return simhash.Simhash(text).value


def paragraph_keys(text: str) -> tuple[int, ...]:
    """What ``fingerprint`` does for the paragraph index."""
    return tuple(sorted({k for k in (paragraph_key(p) for p in text.splitlines()) if k is not None}))


def novel_bodies(count: int, seed: int, characters: int) -> list[str]:
    rng = random.Random(seed)
    return ["\n".join(random_cjk(rng, 150) for _ in range(characters // 150)) for _ in range(count)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=2000, help="documents per set (default 2000)")
    parser.add_argument("--repeat", type=int, default=3, help="passes per figure, the best is kept (default 3)")
    parser.add_argument("--kb", type=float, default=5.0, help="UTF-8 kilobytes per body (default 5)")
    parser.add_argument("--noise", type=float, default=0.05, help="share of random CJK characters (default 0.05)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    r = args.repeat

    pinned = pin_one_core()
    print(f"bench_fingerprint  {datetime.now():%Y-%m-%d %H:%M}  {platform.machine()}, {os.cpu_count()} cores, "
          f"{pinned}, Python {platform.python_version()}, simhash 2.1.2 package, load average "
          f"{os.getloadavg()[0]:.2f}")  # fmt: skip

    start = time.perf_counter()
    texts = bodies(args.docs, seed=args.seed, target_bytes=int(args.kb * 1024), noise=args.noise)
    unseen = bodies(args.docs, seed=args.seed + 1000, target_bytes=int(args.kb * 1024), noise=args.noise)
    novel = novel_bodies(max(1, args.docs // 4), args.seed + 2000, 1650)
    sizes = [len(t.encode("utf-8")) for t in texts]
    cjk = [sum(1 for c in t if "\u4e00" <= c <= "\u9fff") for t in texts]
    print(f"corpus: sets A and B of {args.docs:,} distinct bodies each, mean {sum(sizes) / len(sizes) / 1024:.2f} KB "
          f"UTF-8, mean {sum(cjk) / len(cjk):,.0f} CJK characters; set C: {len(novel):,} novel bodies of 1,650 "
          f"random CJK characters; built in {time.perf_counter() - start:.1f} s; best of {r} passes")  # fmt: skip
    assert len(set(texts) | set(unseen)) == 2 * args.docs, "bodies are not distinct"

    print("\nsimhash of the raw body")
    ref_a, ref_a_values = best_of(r, "A  simhash.Simhash(text).value  [reference]", reference, texts)
    cold, cold_values = best_of(r, "A  simhash64(text)  cold cache (reset)", simhash64, texts, reset_cache)
    warm, warm_values = best_of(r, "A  simhash64(text)  warm cache, same docs", simhash64, texts)
    ref_b, ref_b_values = best_of(r, "B  simhash.Simhash(text).value  [reference]", reference, unseen)
    steady, steady_values = best_of(r, "B  simhash64(text)  warm cache (A), unseen docs", simhash64, unseen,
                                    warm_with(texts))  # fmt: skip
    ref_c, ref_c_values = best_of(r, "C  simhash.Simhash(text).value  [reference]", reference, novel)
    worst, worst_values = best_of(r, "C  simhash64(text)  novel text, cold cache", simhash64, novel, reset_cache)
    pairs = [(ref_a_values, cold_values), (ref_a_values, warm_values), (ref_b_values, steady_values),
             (ref_c_values, worst_values)]  # fmt: skip
    mismatches = sum(a != b for ref, ours in pairs for a, b in zip(ref, ours, strict=True))
    checked = sum(len(ref) for ref, _ in pairs)

    print("\nfull fingerprint(text): matching_text + simhash64 + SHA-1 + paragraph keys")
    fp_cold, fp_values = best_of(r, "A  fingerprint(text)  cold cache (reset)", fingerprint, texts, reset_cache)
    fp_warm, _ = best_of(r, "A  fingerprint(text)  warm cache, same docs", fingerprint, texts)
    fp_steady, _ = best_of(r, "B  fingerprint(text)  warm cache (A), unseen docs", fingerprint, unseen,
                           warm_with([matching_text(t) for t in texts]))  # fmt: skip
    _, normalised = best_of(r, "A    part: matching_text(text)", matching_text, texts)
    best_of(r, "A    part: simhash64(matching_text(text)), warm", simhash64, normalised)
    best_of(r, "A    part: paragraph keys (matching_text per line)", paragraph_keys, texts)
    norm_ref = [simhash.Simhash(n).value for n in normalised]
    mismatches += sum(f.simhash != v for f, v in zip(fp_values, norm_ref, strict=True))
    checked += len(norm_ref)
    keys = sum(len(f.paragraph_keys) for f in fp_values) / len(fp_values)

    print(f"\nidentical values: {checked - mismatches:,}/{checked:,} (simhash64(text) == Simhash(text).value on A "
          f"cold and warm, B and C; fingerprint(text).simhash == Simhash(matching_text(text)).value on A)")  # fmt: skip
    print(f"paragraph keys per document: {keys:.1f}; digest cache at the end: {len(fp_module._CACHE.keys):,} merged "
          f"+ {len(fp_module._CACHE.pending):,} pending features (limit {fp_module._CACHE.limit:,})")  # fmt: skip
    print("\nspeed-up of simhash64 over simhash.Simhash (docs/s ratio, same documents)")
    print(f"  A cold cache {cold / ref_a:4.1f}x   A warm, same docs {warm / ref_a:4.1f}x   "
          f"B warm, unseen docs {steady / ref_b:4.1f}x   C novel text {worst / ref_c:4.1f}x")  # fmt: skip
    print(f"  full fingerprint() vs the reference simhash alone: A cold {fp_cold / ref_a:.1f}x, "
          f"A warm {fp_warm / ref_a:.1f}x, B unseen {fp_steady / ref_b:.1f}x")  # fmt: skip
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
