"""Fingerprint throughput: ``simhash.Simhash(text)`` (reference) vs ``simhash64`` vs full ``fingerprint``.

Synthetic 5 KB Chinese bodies (see ``synthetic.py``), one core (BLAS threads 1, CPU affinity one CPU). Every
value is checked against the reference. ``simhash64`` runs a numba kernel (md5 per window, compiled once and
cached on disk) and keeps no state between documents, so the sets differ only in their text:

- A: synthetic bodies; *first pass* is the first pass of the process over them (the kernel already loaded),
  *best pass* the best of ``--repeat``;
- B: other bodies from the same sentence pool;
- C: novel text, random CJK characters only (no 4-character window repeats).

The start-up cost is measured in fresh subprocesses: import and first call with the on-disk numba cache, and
with an empty cache (``NUMBA_CACHE_DIR`` set to a new directory), i.e. the compile a first install pays once.

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
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from datetime import datetime

import simhash
from synthetic import bodies, random_cjk

from monitor.dedup.fingerprint import fingerprint, matching_lines, paragraph_key, simhash64
from monitor.extract.script import matching_text
from storage.search.fold import nfkc


def pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


STARTUP = (
    "import time; t = time.perf_counter(); from monitor.dedup.fingerprint import simhash64; simhash64('营商环境'); "
    "print(time.perf_counter() - t)"
)


def startup_seconds(empty_cache: bool) -> float:
    """Import + first call of ``simhash64`` in a fresh process (with an empty numba cache: compile included)."""
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as cache:
        if empty_cache:
            env["NUMBA_CACHE_DIR"] = cache
        out = subprocess.run([sys.executable, "-c", STARTUP], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


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


def paragraph_keys_line_by_line(text: str) -> tuple[int, ...]:
    """The paragraph keys as the previous ``fingerprint`` made them: ``matching_text`` once per line."""
    return tuple(sorted({k for k in (paragraph_key(matching_text(p)) for p in text.splitlines()) if k is not None}))


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

    first = startup_seconds(empty_cache=True)
    cached = startup_seconds(empty_cache=False)
    print(f"start-up of a fresh process (import + first simhash64): {cached:.2f} s with the numba cache on disk, "
          f"{first:.2f} s with an empty cache (compile)")  # fmt: skip

    print("\nsimhash of the raw body")
    simhash64("warm-up")
    ref_a, ref_a_values = best_of(r, "A  simhash.Simhash(text).value  [reference]", reference, texts)
    cold, cold_values = best_of(1, "A  simhash64(text)  first pass", simhash64, texts)
    warm, warm_values = best_of(r, "A  simhash64(text)  best pass", simhash64, texts)
    ref_b, ref_b_values = best_of(r, "B  simhash.Simhash(text).value  [reference]", reference, unseen)
    steady, steady_values = best_of(r, "B  simhash64(text)  unseen docs", simhash64, unseen)
    ref_c, ref_c_values = best_of(r, "C  simhash.Simhash(text).value  [reference]", reference, novel)
    worst, worst_values = best_of(r, "C  simhash64(text)  novel text", simhash64, novel)
    pairs = [(ref_a_values, cold_values), (ref_a_values, warm_values), (ref_b_values, steady_values),
             (ref_c_values, worst_values)]  # fmt: skip
    mismatches = sum(a != b for ref, ours in pairs for a, b in zip(ref, ours, strict=True))
    checked = sum(len(ref) for ref, _ in pairs)

    print("\nfull fingerprint(text): matching_lines (one normalisation) + simhash64 + SHA-1 + paragraph keys")
    fp_a, fp_values = best_of(r, "A  fingerprint(text)", fingerprint, texts)
    fp_b, _ = best_of(r, "B  fingerprint(text)", fingerprint, unseen)
    fp_c, _ = best_of(r, "C  fingerprint(text)", fingerprint, novel)
    _, normalised = best_of(r, "A    part: matching_text(text)  [previous normalisation]", matching_text, texts)
    best_of(r, "A    part: matching_lines(text)", matching_lines, texts)
    best_of(r, "A    part: nfkc(text)  [vs unicodedata NFKC, next line]", nfkc, texts)
    best_of(r, "A    part: unicodedata.normalize('NFKC', text)", lambda t: unicodedata.normalize("NFKC", t), texts)
    best_of(r, "A    part: simhash64(matching_text(text))", simhash64, normalised)
    _, old_keys = best_of(r, "A    part: paragraph keys line by line  [previous]", paragraph_keys_line_by_line,
                          texts)  # fmt: skip
    norm_ref = [simhash.Simhash(n).value for n in normalised]
    mismatches += sum(f.simhash != v for f, v in zip(fp_values, norm_ref, strict=True))
    mismatches += sum(f.paragraph_keys != k for f, k in zip(fp_values, old_keys, strict=True))
    mismatches += sum("".join(matching_lines(t)) != n for t, n in zip(texts, normalised, strict=True))
    checked += 3 * len(norm_ref)
    keys = sum(len(f.paragraph_keys) for f in fp_values) / len(fp_values)

    print(f"\nidentical values: {checked - mismatches:,}/{checked:,} (simhash64(text) == Simhash(text).value on A "
          f"twice, B and C; on A: fingerprint(text).simhash == Simhash(matching_text(text)).value, paragraph keys "
          f"== line-by-line keys, join(matching_lines(text)) == matching_text(text))")  # fmt: skip
    print(f"paragraph keys per document: {keys:.1f}")
    print("\nspeed-up of simhash64 over simhash.Simhash (docs/s ratio, same documents)")
    print(f"  A first pass {cold / ref_a:4.1f}x   A best pass {warm / ref_a:4.1f}x   "
          f"B unseen docs {steady / ref_b:4.1f}x   C novel text {worst / ref_c:4.1f}x")  # fmt: skip
    print(f"  full fingerprint() vs the reference simhash alone: A {fp_a / ref_a:.1f}x, B {fp_b / ref_b:.1f}x, "
          f"C {fp_c / ref_c:.1f}x")  # fmt: skip
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
