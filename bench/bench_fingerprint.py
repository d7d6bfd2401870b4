"""Fingerprint throughput: ``simhash.Simhash(text)`` (reference) vs ``simhash64`` vs full ``fingerprint``.

Synthetic 5 KB Chinese bodies (see ``synthetic.py``), one core (BLAS threads 1, CPU affinity one CPU).
Every value is checked against the reference. The digest cache of ``simhash64`` is reported cold (reset, as
in a fresh process), warm on the same documents, and warm on unseen documents (the steady state of a crawl).

    .venv/bin/python bench/bench_fingerprint.py [--docs 2000] [--kb 5] [--noise 0.05] [--seed 1]
"""

from __future__ import annotations

import os

os.environ["OPENBLAS_NUM_THREADS"] = "1"  # one core: before numpy loads its BLAS
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import argparse
import platform
import sys
import time
from collections.abc import Callable
from datetime import datetime

import simhash
from synthetic import bodies

from monitor.dedup import fingerprint as fp_module
from monitor.dedup.fingerprint import fingerprint, paragraph_key, simhash64
from monitor.extract.script import matching_text


def pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def timed(label: str, fn: Callable[[str], object], texts: list[str]) -> tuple[float, list]:
    start = time.perf_counter()
    values = [fn(text) for text in texts]
    seconds = time.perf_counter() - start
    rate = len(texts) / seconds
    print(f"  {label:<52} {rate:>9,.0f} docs/s  {seconds / len(texts) * 1e3:>7.3f} ms/doc  ({seconds:.2f} s)")
    return rate, values


def paragraph_keys(text: str) -> tuple[int, ...]:
    """What ``fingerprint`` does for the paragraph index."""
    return tuple(sorted({k for k in (paragraph_key(p) for p in text.splitlines()) if k is not None}))


def reset_cache() -> None:
    fp_module._CACHE.__init__()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=2000, help="documents per set (default 2000)")
    parser.add_argument("--kb", type=float, default=5.0, help="UTF-8 kilobytes per body (default 5)")
    parser.add_argument("--noise", type=float, default=0.05, help="share of random CJK characters (default 0.05)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    pinned = pin_one_core()
    print(f"bench_fingerprint  {datetime.now():%Y-%m-%d %H:%M}  {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, {pinned}, Python {platform.python_version()}, simhash "
          f"{getattr(simhash, '__version__', '2.1.x')}")  # fmt: skip

    start = time.perf_counter()
    texts = bodies(args.docs, seed=args.seed, target_bytes=int(args.kb * 1024), noise=args.noise)
    unseen = bodies(args.docs, seed=args.seed + 1000, target_bytes=int(args.kb * 1024), noise=args.noise)
    sizes = [len(t.encode("utf-8")) for t in texts]
    cjk = [sum(1 for c in t if "\u4e00" <= c <= "\u9fff") for t in texts]
    print(f"corpus: 2 x {args.docs:,} distinct bodies, mean {sum(sizes) / len(sizes) / 1024:.2f} KB UTF-8, "
          f"mean {sum(cjk) / len(cjk):,.0f} CJK characters, built in {time.perf_counter() - start:.1f} s")  # fmt: skip
    assert len(set(texts) | set(unseen)) == 2 * args.docs, "bodies are not distinct"

    print("\nsimhash of the raw body (set A)")
    ref_rate, ref_values = timed("simhash.Simhash(text).value  [reference]", lambda t: simhash.Simhash(t).value, texts)
    reset_cache()
    cold_rate, cold_values = timed("simhash64(text)  cold cache (reset)", simhash64, texts)
    warm_rate, warm_values = timed("simhash64(text)  warm cache, same docs", simhash64, texts)
    print("simhash of the raw body (set B, unseen; cache warmed by set A)")
    ref_b_rate, ref_b_values = timed("simhash.Simhash(text).value  [reference]", lambda t: simhash.Simhash(t).value,
                                     unseen)  # fmt: skip
    steady_rate, steady_values = timed("simhash64(text)  warm cache, unseen docs", simhash64, unseen)

    mismatches = sum(a != b for a, b in zip(ref_values, cold_values, strict=True))
    mismatches += sum(a != b for a, b in zip(ref_values, warm_values, strict=True))
    mismatches += sum(a != b for a, b in zip(ref_b_values, steady_values, strict=True))

    print("\nfull fingerprint(text): matching_text + simhash64 + SHA-1 + paragraph keys (set A)")
    reset_cache()
    fp_cold_rate, fp_cold = timed("fingerprint(text)  cold cache (reset)", fingerprint, texts)
    fp_warm_rate, _ = timed("fingerprint(text)  warm cache, same docs", fingerprint, texts)
    fp_steady_rate, _ = timed("fingerprint(text)  warm cache, unseen docs (set B)", fingerprint, unseen)
    _, normalised = timed("  part: matching_text(text)", matching_text, texts)
    timed("  part: simhash64(matching_text(text)), warm", simhash64, normalised)
    timed("  part: paragraph keys (matching_text per line)", paragraph_keys, texts)
    norm_ref = [simhash.Simhash(n).value for n in normalised]
    mismatches += sum(f.simhash != r for f, r in zip(fp_cold, norm_ref, strict=True))
    keys = sum(len(f.paragraph_keys) for f in fp_cold) / len(fp_cold)

    checked = 3 * args.docs + args.docs
    print(f"\nidentical values: {checked - mismatches:,}/{checked:,} "
          f"(simhash64 == Simhash(text).value on sets A cold/warm and B; fingerprint().simhash == "
          f"Simhash(matching_text(text)).value on A)")  # fmt: skip
    print(f"paragraph keys per document: {keys:.1f}; digest cache after the run: "
          f"{len(fp_module._CACHE.keys):,} merged + {len(fp_module._CACHE.pending):,} pending features")  # fmt: skip
    print("\nspeed-up of simhash64 over simhash.Simhash (docs/s ratio)")
    print(f"  cold cache: {cold_rate / ref_rate:5.1f}x   warm, same docs: {warm_rate / ref_rate:5.1f}x   "
          f"warm, unseen docs: {steady_rate / ref_b_rate:5.1f}x")  # fmt: skip
    print(f"  full fingerprint() vs reference simhash alone: cold {fp_cold_rate / ref_rate:.1f}x, "
          f"warm {fp_warm_rate / ref_rate:.1f}x, unseen {fp_steady_rate / ref_b_rate:.1f}x")  # fmt: skip
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
