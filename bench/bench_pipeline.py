"""Ingest throughput: ``speechwatch ingest`` + post-run work per document, next to bare ``trafilatura.extract``.

The pages are the synthetic site's articles (``synthetic_site.py``: TRS templates, 3–6 KB synthetic bodies, every
page distinct), written with warcio into one WARC per run of ``--run-size`` pages. Each run goes through the
product's path exactly as ``speechwatch ingest FILE`` then the post-run work do it:

    monitor.ingest.ingest_warc        read the WARC → extract_item (extraction, classification) → to_record →
                                      store_documents (batches of 50) → reextract_run (re-extraction of the
                                      run's new pages once the sites' chrome is counted); extract_item runs in
                                      worker processes (SPEECHWATCH_INGEST_WORKERS) for runs of 200 pages or
                                      more: then this process's wait for their results is "extract (waiting)"
    monitor.postrun.process_new_documents   cluster_documents (fingerprint, candidates, speeches) → mine_commitments

Right before each run, ``trafilatura.extract(html)`` runs on the same run's pages (the baseline, same load), in a
child process of its own (``--baseline-here``: in this process, as before the eleventh round; this process's heap,
the product's caches, then slows the baseline too and flatters the ratio). The functions above are wrapped with
timers in this process (no product change) to show where the time goes. Per-document cost of the first and last
10 % of the documents shows whether it stays flat as the store grows.

    .venv/bin/python bench/bench_pipeline.py --db sqlite [--sizes 10000] [--run-size 1000]
    .venv/bin/python bench/bench_pipeline.py --db postgres [--sizes 10000]

To measure the cost per document at a large store without filling it each time, keep a filled store and start
from a copy of it, skipping the pages it already holds (``--statements`` adds where this process's SQL time goes):

    .venv/bin/python bench/bench_pipeline.py --db postgres --sizes 90000 --keep --dir /tmp/bench
    .venv/bin/python bench/bench_pipeline.py --db postgres --sizes 3000 --from-store bench_pipeline_<pid>_90000 \
        --skip 90000 --statements
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import synthetic_site  # noqa: E402

PHASES = ("extract", "extract (waiting)", "store", "re-extract", "cluster", "commitments")
MINING_PARTS = ("waiting for the worker", "links", "fulfilment", "search index", "pledge index")  # inside mining
REST_PARTS = ("last merge", "findings")  # inside the post-run, outside clustering and mining
BESIDE_PARTS = ("statistics",)  # in a thread of the post-run while clustering runs (PostgreSQL): not in the sum
GC_TIME, GC_FULL = "garbage collection", "full collections"  # this process's, during the pipeline (not a phase)
GC_FULL_TIME = "full collections' time"


@dataclass
class RunStats:
    first_doc: int
    docs: int
    trafilatura: float
    total: float
    parts: dict[str, float] = field(default_factory=dict)
    idle: dict[str, float] = field(default_factory=dict)  # phase -> idle core-seconds of the machine during it
    iowait: dict[str, float] = field(default_factory=dict)  # phase -> of those, core-seconds waiting for I/O
    rss: float = field(default_factory=lambda: resident_mib())  # this process's resident memory (MiB) at the end
    output: dict[str, int] = field(default_factory=dict)  # what mining wrote: new pledges, links, fulfilment evidence

    @property
    def rest(self) -> float:
        return self.total - sum(self.parts.get(phase, 0.0) for phase in PHASES)


TIMES: dict[str, float] = {}
IDLE: dict[str, float] = {}
IOWAIT: dict[str, float] = {}


def idle_seconds() -> tuple[float, float]:
    """Core-seconds the machine has been idle (``/proc/stat`` idle + iowait), and of those waiting for I/O
    (iowait: a core idle while a process of it waits for the disk); zeros where there is no /proc."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[4]) + int(fields[5])) / tick, int(fields[5]) / tick


def cores(group: list[RunStats], field: str, phase: str) -> float:
    """Idle cores on average while ``phase`` ran in ``group`` (``field``: ``idle``, or ``iowait`` of them)."""
    spent = sum(r.parts.get(phase, 0.0) for r in group)
    return sum(getattr(r, field).get(phase, 0.0) for r in group) / max(1e-9, spent)


def resident_mib() -> float:
    """This process's resident memory in MiB (0 where there is no /proc)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def time_garbage_collection() -> None:
    """Add this process's garbage-collection time (and its full collections) to ``TIMES``."""
    import gc

    started = [0.0]

    def callback(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
            return
        spent = time.perf_counter() - started[0]
        TIMES[GC_TIME] = TIMES.get(GC_TIME, 0.0) + spent
        if info.get("generation") == 2:
            TIMES[GC_FULL] = TIMES.get(GC_FULL, 0) + 1
            TIMES[GC_FULL_TIME] = TIMES.get(GC_FULL_TIME, 0.0) + spent

    gc.callbacks.append(callback)


STATEMENTS: dict[str, list[float]] = {}  # statement (its first words) -> [seconds, executions]


def time_statements(engine) -> None:
    """Add up the time of each SQL statement this process runs on ``engine`` (``--statements``)."""
    from sqlalchemy import event

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _stop(conn, cursor, statement, parameters, context, executemany):
        elapsed = time.perf_counter() - conn.info["bench_started"].pop()
        key = " ".join(statement.split())[:110]
        entry = STATEMENTS.setdefault(key, [0.0, 0])
        entry[0] += elapsed
        entry[1] += 1


def report_statements(docs: int, top: int = 20) -> None:
    total = sum(seconds for seconds, _ in STATEMENTS.values())
    print(f"  SQL in this process: {total / docs * 1000:.2f} ms/doc in {len(STATEMENTS)} statements; the top {top}:")
    ranked = sorted(STATEMENTS.items(), key=lambda item: -item[1][0])[:top]
    for key, (seconds, calls) in ranked:
        print(f"    {seconds / docs * 1000:6.3f} ms/doc {calls / docs:6.2f} calls/doc  {key}")


def instrument(commitments: bool) -> None:
    """Wrap the functions of the ingest and post-run path with timers (benchmark only); ``commitments=False``
    replaces ``mine_commitments`` with a no-op to show the rest of the path alone."""
    import monitor.ingest as ingest
    import monitor.ingest_workers as ingest_workers
    import monitor.postrun as postrun
    from monitor.commitments.track import MineCounts

    if not commitments:
        postrun.mine_commitments = lambda db: MineCounts()

    for module, name, phase in (
        (ingest_workers, "extract_item", "extract"),  # in this process (a small run, or no workers)
        (ingest, "store_documents", "store"),
        (ingest, "reextract_run", "re-extract"),
        (postrun, "cluster_documents", "cluster"),
        (postrun, "mine_commitments", "commitments"),
    ):
        setattr(module, name, _timed(phase, getattr(module, name)))
    import monitor.commitments.track as track
    from monitor.commitments.prefetch import Prefetcher

    Prefetcher.take = _timed("waiting for the worker", Prefetcher.take, idle_cores=False)
    # with extraction workers, this process only waits for their results
    ingest_workers.PageExtractor.wait = _timed("extract (waiting)", ingest_workers.PageExtractor.wait)
    for name, part in (("_link_across_speeches", "links"), ("_fulfilment_evidence", "fulfilment"),
                       ("index_commitments", "search index"), ("_region_pledges", "pledge index")):  # fmt: skip
        setattr(track, name, _timed(part, getattr(track, name), idle_cores=False))
    postrun.refresh_statistics = _timed("statistics", postrun.refresh_statistics, idle_cores=False)
    postrun.record_findings = _timed("findings", postrun.record_findings, idle_cores=False)
    merge = postrun.merge_pending  # also called by the merging thread, while mining runs: not counted here
    last_merge = _timed("last merge", merge, idle_cores=False)
    postrun.merge_pending = lambda *a, **k: (last_merge if threading.current_thread() is threading.main_thread()
                                             else merge)(*a, **k)  # fmt: skip


def _timed(phase: str, original: Callable, idle_cores: bool = True) -> Callable:
    """``original`` adding its time to ``phase``; ``idle_cores=False`` for the parts called per document (two reads
    of ``/proc/stat`` a call were 0.6 ms/doc of this process: 5 % of the pipeline's figure)."""

    def wrapper(*args, **kwargs):
        start, (idle, iowait) = time.perf_counter(), idle_seconds() if idle_cores else (0.0, 0.0)
        try:
            return original(*args, **kwargs)
        finally:
            TIMES[phase] = TIMES.get(phase, 0.0) + time.perf_counter() - start
            if idle_cores:
                idle_after, iowait_after = idle_seconds()
                IDLE[phase] = IDLE.get(phase, 0.0) + idle_after - idle
                IOWAIT[phase] = IOWAIT.get(phase, 0.0) + iowait_after - iowait

    return wrapper


def write_warc(path: Path, articles: list[synthetic_site.Article]) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=False)
        for article in articles:
            headers = StatusAndHeaders(
                "200 OK",
                [
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Last-Modified", article.published.strftime("%a, %d %b %Y 00:00:00 GMT")),
                ],
                protocol="HTTP/1.1",
            )
            record = writer.create_warc_record(
                article.url, "response", payload=BytesIO(article.html.encode("utf-8")), http_headers=headers
            )
            writer.write_record(record)


def open_database(kind: str, tmp: Path, size: int, args) -> tuple[str, Callable[[], None]]:
    if kind == "sqlite":
        path = tmp / f"pipeline-{size}.db"
        if args.from_store:
            import shutil

            shutil.copyfile(args.from_store, path)
        return f"sqlite:///{path}", lambda: None
    import psycopg

    name = f"bench_pipeline_{os.getpid()}_{size}"
    admin = psycopg.connect(args.pg_admin, autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    if args.from_store:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{args.from_store}"')
    else:
        admin.execute(
            f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
        )

    def drop() -> None:
        if not args.keep:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return f"{args.pg_base}/{name}", drop


class Baseline:
    """``trafilatura.extract`` timed on a run's pages, in a spawned child process (a fresh heap) or in this one."""

    def __init__(self, here: bool) -> None:
        self.conn = self.process = None
        if not here:
            import multiprocessing

            context = multiprocessing.get_context("spawn")
            self.conn, child = context.Pipe()
            self.process = context.Process(target=_baseline_child, args=(child,), daemon=True)
            self.process.start()
            self.conn.recv()  # ready: trafilatura imported and warmed up

    def seconds(self, pages: list[str]) -> float:
        if self.conn is None:
            return _extract_all(pages)
        self.conn.send(pages)
        return self.conn.recv()

    def close(self) -> None:
        """Stop the child; one that already died (the error that ended the run is the one to see) is not waited for."""
        if self.conn is None:
            return
        with contextlib.suppress(OSError):  # a broken pipe: the child is gone
            self.conn.send(None)
        self.process.join(10)
        if self.process.is_alive():
            self.process.terminate()


def _extract_all(pages: list[str]) -> float:
    import trafilatura

    started = time.perf_counter()
    for html in pages:
        trafilatura.extract(html)
    return time.perf_counter() - started


def _baseline_child(conn) -> None:
    _extract_all([article.html for article in synthetic_site.articles(20, 2, seed=99)])  # warm up
    conn.send(None)
    while (pages := conn.recv()) is not None:
        conn.send(_extract_all(pages))


def run(size: int, args, tmp: Path) -> None:
    from sqlalchemy import func, select

    from crawler.sources import load_sources
    from monitor.ingest import ingest_warc
    from monitor.postrun import process_new_documents
    from storage.database import Database
    from storage.models import Commitment, Document, Speech

    sources = tmp / "bench-sources.toml"
    sources.write_text(synthetic_site.sources_toml(args.hosts), encoding="utf-8")
    source = load_sources(sources)[0]
    url, drop = open_database(args.db, tmp, size, args)
    db = Database(url)
    if args.statements:
        time_statements(db.engine)
    print(f"\nN = {size:,} on {args.db} ({db.display_url}), runs of {args.run_size:,} pages", flush=True)
    pages = synthetic_site.iter_articles(args.skip + size, args.hosts, args.seed)
    for _ in range(args.skip):  # the pages a copied store already holds
        next(pages)
    STATEMENTS.clear()
    runs: list[RunStats] = []
    warm_ups: list[RunStats] = []
    started = time.monotonic()
    generating = 0.0
    try:
        done = 0
        while done < size:
            t0 = time.perf_counter()
            chunk = [next(pages) for _ in range(min(args.run_size, size - done))]
            warc = tmp / "run.warc"
            write_warc(warc, chunk)
            generating += time.perf_counter() - t0
            baseline = args.baseline.seconds([article.html for article in chunk])
            TIMES.clear()
            IDLE.clear()
            IOWAIT.clear()
            t0 = time.perf_counter()
            run_id, counts = ingest_warc(db, warc, source)
            mined = process_new_documents(db, [run_id]).mined
            total = time.perf_counter() - t0
            output = {"new pledges": mined.new, "links": mined.restated + mined.changed,
                      "fulfilment evidence": mined.fulfilment}  # fmt: skip
            if counts.pages != len(chunk):
                raise SystemExit(f"run {run_id}: {counts.pages} pages ingested of {len(chunk)}")
            if len(warm_ups) < args.warm_up:  # not counted: the process's caches are cold
                warm_ups.append(RunStats(done + 1, len(chunk), baseline, total))
                STATEMENTS.clear()
            else:
                stats = RunStats(done + 1, len(chunk), baseline, total, dict(TIMES), dict(IDLE), dict(IOWAIT),
                                 output=output)  # fmt: skip
                runs.append(stats)
            done += len(chunk)
            last = runs[-1] if runs else warm_ups[-1]
            warm = "" if runs else "  (warm-up, not counted)"
            pipeline_ms, baseline_ms = last.total / last.docs * 1000, last.trafilatura / last.docs * 1000
            print(
                f"  {done:>9,} docs {time.monotonic() - started:8.1f} s   this run: pipeline {pipeline_ms:6.1f}"
                f" ms/doc ({last.docs / last.total:5.1f} docs/s)  trafilatura {baseline_ms:5.1f}"
                f" ms/doc ({last.docs / last.trafilatura:5.1f} docs/s)  ratio {last.trafilatura / last.total:.2f}x"
                f"  load {os.getloadavg()[0]:.2f}{warm}",
                flush=True,
            )
            if time.monotonic() - started > args.time_limit:
                print(f"  stopped after {args.time_limit} s (--time-limit), at {done:,} documents", flush=True)
                break
        with db.read() as session:
            stored = session.scalar(select(func.count()).select_from(Document))
            speeches = session.scalar(select(func.count()).select_from(Speech))
            commitments = session.scalar(select(func.count()).select_from(Commitment))
    finally:
        db.close()
        drop()
    report(runs, size)
    if args.statements:
        report_statements(sum(r.docs for r in runs))
    pipeline = sum(r.total for r in runs)
    baseline = sum(r.trafilatura for r in runs)
    docs = sum(r.docs for r in runs)
    print(
        f"  total: {docs:,} docs; pipeline {pipeline:.1f} s = {docs / pipeline:.1f} docs/s; trafilatura.extract"
        f" {baseline:.1f} s = {docs / baseline:.1f} docs/s; ratio pipeline/trafilatura {baseline / pipeline:.2f}x"
        f" (goal >= 0.33x); generating pages + WARC {generating:.1f} s, not counted"
    )
    print(f"  stored: {stored:,} documents, {speeches:,} speeches, {commitments:,} commitments")


def report(runs: list[RunStats], size: int) -> None:
    tenth = max(1, round(len(runs) / 10))
    print(f"N = {size:,}: per-document cost, first vs last 10 % ({tenth} run{'s' if tenth > 1 else ''} each)")
    rows = []
    for label, group in (("first 10 %", runs[:tenth]), ("last 10 %", runs[-tenth:])):
        docs = sum(r.docs for r in group)
        total = sum(r.total for r in group) / docs * 1000
        base = sum(r.trafilatura for r in group) / docs * 1000
        parts = {p: sum(r.parts.get(p, 0.0) for r in group) / docs * 1000 for p in PHASES}
        rest = total - sum(parts.values())
        shown = ", ".join(f"{p} {v:.1f}" for p, v in parts.items())
        first, last = group[0].first_doc, group[-1].first_doc + group[-1].docs - 1
        print(
            f"  {label:<11} docs {first:>7,}–{last:<7,} pipeline {total:6.1f} ms/doc [{shown}, rest (WARC read,"
            f" runs) {rest:.1f}]   trafilatura {base:5.1f} ms/doc   ratio {base / total:.2f}x"
        )
        mining = {p: sum(r.parts.get(p, 0.0) for r in group) / docs * 1000 for p in MINING_PARTS}
        print(f"  {'':<11} within commitments: " + ", ".join(f"{p} {v:.1f}" for p, v in mining.items()))
        within = {p: sum(r.parts.get(p, 0.0) for r in group) / docs * 1000 for p in REST_PARTS}
        print(f"  {'':<11} within rest: " + ", ".join(f"{p} {v:.1f}" for p, v in within.items()))
        beside = {p: sum(r.parts.get(p, 0.0) for r in group) / docs * 1000 for p in BESIDE_PARTS}
        print(f"  {'':<11} beside clustering (a thread): " + ", ".join(f"{p} {v:.1f}" for p, v in beside.items()))
        collected = sum(r.parts.get(GC_TIME, 0.0) for r in group) / docs * 1000
        full = sum(r.parts.get(GC_FULL, 0) for r in group)
        full_time = sum(r.parts.get(GC_FULL_TIME, 0.0) for r in group) / docs * 1000
        print(
            f"  {'':<11} this process: garbage collection {collected:.1f} ms/doc across the phases ({full:.0f} full"
            f" collections: {full_time:.1f}), resident {group[-1].rss:,.0f} MiB at the end"
        )
        shown = ", ".join(f"{p} {cores(group, 'idle', p):.2f} (I/O wait {cores(group, 'iowait', p):.2f})"
                          for p in PHASES if parts[p] > 0.05)  # fmt: skip
        print(f"  {'':<11} idle cores (of {os.cpu_count()}) during: {shown}")
        made = ", ".join(f"{k} {sum(r.output.get(k, 0) for r in group) / docs:.2f}" for k in group[0].output)
        print(f"  {'':<11} written by mining per doc: {made}")  # work that grows with the store, not overhead
        rows.append((total, parts, base))
    docs = sum(r.docs for r in runs)
    parts = {p: sum(r.parts.get(p, 0.0) for r in runs) / docs * 1000 for p in PHASES}
    total, base = sum(r.total for r in runs) / docs * 1000, sum(r.trafilatura for r in runs) / docs * 1000
    shown = ", ".join(f"{p} {v:.2f}" for p, v in parts.items())
    print(f"  all {len(runs)} runs   pipeline {total:6.1f} ms/doc [{shown}]   trafilatura {base:5.1f} ms/doc"
          f"   ratio {base / total:.2f}x")  # fmt: skip
    (first_total, first_parts, first_base), (last_total, last_parts, last_base) = rows
    growth = ", ".join(f"{p} x{last_parts[p] / first_parts[p]:.2f}" for p in PHASES if first_parts[p] > 0.05)
    print(f"  ratio last/first: pipeline x{last_total / first_total:.2f} ({growth})")
    # the machine's own drift over a long run shows in the baseline too: the pipeline's cost in trafilatura's
    normalised = (last_total / last_base) / (first_total / first_base)
    print(f"  ratio last/first of the pipeline's cost in units of trafilatura's (same runs): x{normalised:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--run-size", type=int, default=1000, help="pages per ingest run (one WARC each)")
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--time-limit", type=float, default=900, help="seconds per size; the run stops early")
    parser.add_argument("--pg-admin", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--pg-base", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--no-commitments", action="store_true", help="skip mining commitments (a no-op instead)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--from-store", help="start from a copy of this store (PostgreSQL database or SQLite file)")
    parser.add_argument("--skip", type=int, default=0, help="skip this many pages (those --from-store holds)")
    parser.add_argument("--statements", action="store_true", help="add up the time of each SQL statement")
    parser.add_argument("--warm-up", type=int, default=0, help="runs done first and not counted (cold caches)")
    parser.add_argument("--baseline-here", action="store_true", help="time trafilatura in this process, not a child")
    args = parser.parse_args()
    import trafilatura

    print(
        f"bench_pipeline  {datetime.now():%Y-%m-%d %H:%M}  {platform.machine()}, {os.cpu_count()} cores, Python"
        f" {platform.python_version()}, trafilatura {trafilatura.__version__}, store {args.db},"
        f"{' commitments NOT mined,' if args.no_commitments else ''} load average"
        f" {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    instrument(commitments=not args.no_commitments)
    time_garbage_collection()
    args.baseline = Baseline(here=args.baseline_here)
    print(f"baseline: trafilatura.extract in {'this process' if args.baseline_here else 'a child process'}")
    try:
        with tempfile.TemporaryDirectory(dir=args.dir) as tmp_dir:
            tmp = args.dir if args.keep and args.dir else Path(tmp_dir)
            for size in args.sizes:
                run(size, args, tmp)
    finally:
        args.baseline.close()
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
