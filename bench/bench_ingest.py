"""End-to-end clustering cost into SQLite through the real code path.

For each size N: a fresh SQLite file (migrations applied by ``storage.database.Database``), synthetic documents
(see ``synthetic.py``, 2–5 KB bodies) of which 10 % are near-duplicates and 5 % truncated copies of earlier
documents, stored with ``storage.documents.store_documents`` in batches of 500, each batch followed by
``monitor.dedup.cluster.cluster_documents(db)`` (which clusters exactly that batch). Every batch is timed;
the functions ``cluster_documents`` calls are wrapped with timers (no product code is changed) to show where
the time goes. The point: per-document cost in the last 10 % of documents against the first 10 %.

    .venv/bin/python bench/bench_ingest.py [--sizes 10000 100000] [--batch 500] [--time-limit 1200]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from synthetic import body, near_duplicate, truncated_copy

import monitor.dedup.canonical as canonical_module
import monitor.dedup.cluster as cluster_module
from monitor.extract.script import matching_text
from storage.database import Database
from storage.documents import DocumentRecord, content_hash_of, store_documents
from storage.models import Document, Speech

WRAPPED = ("pending_documents", "fingerprint", "_candidates", "compare", "_write_keys", "refresh_speech")


@dataclass
class Timer:
    seconds: float = 0.0
    calls: int = 0
    items: int = 0  # candidates returned by _candidates; links found by compare


@dataclass
class BatchStats:
    first_doc: int
    docs: int
    store: float
    cluster: float
    parts: dict[str, Timer] = field(default_factory=dict)


TIMERS: dict[str, Timer] = {}


def instrument(search_index: bool) -> None:
    """Wrap the functions ``cluster_documents`` looks up in its module with timers (benchmark only).

    ``refresh_speech`` includes the search index's refresh (``storage.search``, called from it), timed apart;
    ``search_index=False`` replaces that refresh with a no-op to show the dedup path alone.
    """
    for name in WRAPPED:
        original = getattr(cluster_module, name)
        setattr(cluster_module, name, _timed(name, original))
    refresh_index = canonical_module.refresh_speech_index if search_index else (lambda session, speech_id: False)
    canonical_module.refresh_speech_index = _timed("search index", refresh_index)


def _timed(name: str, original: Callable) -> Callable:
    def wrapper(*args, **kwargs):
        timer = TIMERS.setdefault(name, Timer())
        start = time.perf_counter()
        result = original(*args, **kwargs)
        timer.seconds += time.perf_counter() - start
        timer.calls += 1
        if name == "_candidates":
            timer.items += len(result[0])
        elif name == "compare":
            timer.items += result is not None
        return result

    return wrapper


def make_record(index: int, text: str, kind: str, truncated: bool) -> DocumentRecord:
    title = f"在优化营商环境大会上的讲话（{index}）"
    html = "<html><head><title>{}</title></head><body><h1>{}</h1><div class='content'>{}</div></body></html>".format(
        title, title, "".join(f"<p>{line}</p>" for line in text.split("\n"))
    )
    source = "bench_gov" if kind == "gov" else "bench_tpl"
    url = f"https://{source}.example.cn/art/{index:07d}.html"
    return DocumentRecord(
        url=url,
        final_url=url,
        source=source,
        source_kind=kind,
        http_status=200,
        content_hash=content_hash_of(text, b""),
        raw_html=html.encode("utf-8"),
        text=text,
        title=title,
        page_title=title,
        published_at="2026-01-01",
        analysis={"match_text": matching_text(text), "truncated": truncated, "doc_type": "speech"},
    )


class Corpus:
    """Documents in id order; copies point at an earlier original (ground truth for the sanity check)."""

    def __init__(self, seed: int, dup: float, trunc: float, kb_min: float, kb_max: float) -> None:
        self.rng = random.Random(seed)
        self.dup, self.trunc, self.kb_min, self.kb_max = dup, trunc, kb_min, kb_max
        self.originals: list[tuple[int, str]] = []  # (index, text)
        self.copies: dict[int, int] = {}  # copy index -> original index
        self.count = 0

    def next_batch(self, size: int) -> list[DocumentRecord]:
        records = []
        for _ in range(size):
            index = self.count
            self.count += 1
            roll = self.rng.random()
            if self.originals and roll < self.dup + self.trunc:
                origin, text = self.rng.choice(self.originals)
                truncated = roll >= self.dup
                copy = truncated_copy(self.rng, text) if truncated else near_duplicate(self.rng, text)
                self.copies[index] = origin
                records.append(make_record(index, copy, "template", truncated))
            else:
                text = body(self.rng, int(self.rng.uniform(self.kb_min, self.kb_max) * 1024))
                self.originals.append((index, text))
                records.append(make_record(index, text, "gov", False))
        return records


def summarise(label: str, batches: list[BatchStats]) -> dict:
    docs = sum(b.docs for b in batches)
    parts: dict[str, Timer] = {}
    for b in batches:
        for name, timer in b.parts.items():
            total = parts.setdefault(name, Timer())
            total.seconds += timer.seconds
            total.calls += timer.calls
            total.items += timer.items
    cluster = sum(b.cluster for b in batches)
    store = sum(b.store for b in batches)

    def ms(name: str) -> float:
        return parts.get(name, Timer()).seconds / docs * 1e3

    per_batch_scan = parts.get("pending_documents", Timer()).seconds / len(batches) * 1e3
    inner = sum(parts.get(name, Timer()).seconds for name in WRAPPED)
    candidates = parts.get("_candidates", Timer())
    links = parts.get("compare", Timer()).items
    print(f"  {label:<14} docs {batches[0].first_doc + 1:>7,}–{batches[-1].first_doc + batches[-1].docs:<7,} "
          f"store {store / docs * 1e3:6.2f} ms/doc   cluster {cluster / docs * 1e3:6.2f} ms/doc   "
          f"[pending scan {per_batch_scan:7.1f} ms/batch = {ms('pending_documents'):5.2f} ms/doc, "
          f"fingerprint {ms('fingerprint'):5.2f}, candidates query {ms('_candidates'):5.2f} "
          f"({candidates.items / docs:5.2f}/doc), compare {ms('compare'):5.2f} ({links / docs:4.2f} links/doc), "
          f"refresh_speech {ms('refresh_speech'):5.2f} (search index {ms('search index'):5.2f}), "
          f"_write_keys {ms('_write_keys'):4.2f}, "
          f"rest (read/update/commit) {(cluster - inner) / docs * 1e3:5.2f}]")  # fmt: skip
    return {"store": store / docs * 1e3, "cluster": cluster / docs * 1e3}


def run(n: int, args: argparse.Namespace, directory: Path) -> None:
    path = directory / f"ingest-{n}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = Database(f"sqlite:///{path}")
    corpus = Corpus(args.seed, args.dup, args.trunc, args.kb_min, args.kb_max)
    batches: list[BatchStats] = []
    generation = 0.0
    started = time.perf_counter()
    report_every = max(args.batch, (n // 10) // args.batch * args.batch)
    print(f"\nN = {n:,}: {path}  (batches of {args.batch}, {args.dup:.0%} near-duplicates, "
          f"{args.trunc:.0%} truncated copies, {args.kb_min:g}–{args.kb_max:g} KB bodies)", flush=True)  # fmt: skip
    stopped = False
    while corpus.count < n:
        start = time.perf_counter()
        records = corpus.next_batch(min(args.batch, n - corpus.count))
        generation += time.perf_counter() - start
        first = corpus.count - len(records)

        start = time.perf_counter()
        written = store_documents(db, records)
        store = time.perf_counter() - start
        assert written.new == len(records), written

        TIMERS.clear()
        start = time.perf_counter()
        counts = cluster_module.cluster_documents(db)
        cluster = time.perf_counter() - start
        assert counts.documents == len(records), counts
        batches.append(BatchStats(first, len(records), store, cluster, dict(TIMERS)))

        if corpus.count % report_every == 0 or corpus.count == n:
            window = batches[-(report_every // args.batch) :]
            docs = sum(b.docs for b in window)
            scan = sum(b.parts["pending_documents"].seconds for b in window) / len(window) * 1e3
            cands = sum(b.parts.get("_candidates", Timer()).items for b in window) / docs
            links = sum(b.parts.get("compare", Timer()).items for b in window) / docs
            print(f"  {corpus.count:>9,} docs  {time.perf_counter() - started:7.1f} s   last {docs:,}: "
                  f"store {sum(b.store for b in window) / docs * 1e3:5.2f} ms/doc, "
                  f"cluster {sum(b.cluster for b in window) / docs * 1e3:6.2f} ms/doc "
                  f"(pending scan {scan:6.1f} ms/batch, {cands:.2f} candidates/doc, {links:.2f} links/doc)",
                  flush=True)  # fmt: skip
        if time.perf_counter() - started > args.time_limit and corpus.count < n:
            print(f"  STOPPED at {corpus.count:,} documents: time limit of {args.time_limit:.0f} s reached")
            stopped = True
            break

    done = corpus.count
    tenth = max(1, round(len(batches) / 10))
    print(f"\nN = {n:,}{f' (stopped at {done:,})' if stopped else ''}: per-document cost, first vs last 10 %")
    first = summarise("first 10 %", batches[:tenth])
    last = summarise("last 10 %", batches[-tenth:])
    total_store = sum(b.store for b in batches)
    total_cluster = sum(b.cluster for b in batches)
    print(f"  ratio last/first: cluster x{last['cluster'] / first['cluster']:.2f}, "
          f"store x{last['store'] / first['store']:.2f}")  # fmt: skip
    print(f"  total: {done:,} docs in {total_store + total_cluster:,.1f} s store+cluster "
          f"({done / (total_store + total_cluster):,.1f} docs/s; store {total_store:,.1f} s, "
          f"cluster {total_cluster:,.1f} s; generating the texts {generation:,.1f} s, not counted)")  # fmt: skip

    with db.read() as session:
        speeches = session.scalar(select(func.count(Speech.id)))
        speech_of = dict(session.execute(select(Document.url, Document.speech_id)).all())
    by_index = {int(url.rsplit("/", 1)[1].split(".")[0]): sid for url, sid in speech_of.items()}
    joined = sum(by_index[copy] == by_index[origin] for copy, origin in corpus.copies.items() if copy < done)
    planted = sum(1 for copy in corpus.copies if copy < done)
    originals = [index for index, _ in corpus.originals if index < done]
    false_merges = len(originals) - len({by_index[i] for i in originals})
    size = sum(Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists())
    print(f"  check: {speeches:,} speeches; planted copies in their original's speech {joined:,}/{planted:,}; "
          f"originals merged with another original {false_merges:,}; database {size / 2**20:,.0f} MiB "
          f"({size / done / 1024:.1f} KiB/doc)")  # fmt: skip
    db.close()
    if not args.keep:
        for suffix in ("", "-wal", "-shm", ".cluster.lock"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--dup", type=float, default=0.10, help="share of near-duplicates (default 0.10)")
    parser.add_argument("--trunc", type=float, default=0.05, help="share of truncated copies (default 0.05)")
    parser.add_argument("--kb-min", type=float, default=2.0)
    parser.add_argument("--kb-max", type=float, default=5.0)
    parser.add_argument("--time-limit", type=float, default=1200.0, help="seconds per size before stopping early")
    parser.add_argument("--dir", type=Path, default=None, help="where the SQLite files go (default: tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite files")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--no-search-index", action="store_true",
                        help="skip the search index refresh (storage.search) to time the dedup path alone")  # fmt: skip
    args = parser.parse_args()

    print(f"bench_ingest  {datetime.now():%Y-%m-%d %H:%M}  {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, SQLite (WAL, synchronous=NORMAL), load average "
          f"{os.getloadavg()[0]:.2f}{'; search index refresh skipped' if args.no_search_index else ''}")  # fmt: skip
    instrument(search_index=not args.no_search_index)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        directory = args.dir if args.keep and args.dir else Path(tmp)
        for n in args.sizes:
            run(n, args, directory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
