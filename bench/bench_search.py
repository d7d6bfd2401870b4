"""Search latency (p50 / p95) over 10k and 100k synthetic speeches, on SQLite and on PostgreSQL.

For each back end and size N: a fresh database (migrations applied, so the search index of migration 0008
exists), N speeches with a canonical document each (bodies from ``synthetic.py``; metadata drawn at random:
12 regions, 40 speakers, dates 2015–2024, doc types, topics) and 2 commitments per speech, bulk-inserted with
Core; then the index is built with ``storage.search.index.rebuild`` (the migration's backfill; timed). Then every
query of ``QUERIES`` (classes: 1 character, 2 characters common / rare, 3+ characters common / rare, several
words, traditional script, with a filter, filters only) runs ``--repeat`` times through the public API
(``monitor.query.search_speeches`` / ``search_commitments``, limit 20: SQL, page fetch and snippets), after
one warm-up run. Printed per class and overall: p50 / p95 in ms, and hits per query.

    .venv/bin/python bench/bench_search.py [--sizes 10000 100000] [--backends sqlite postgresql] [--kb 3]

PostgreSQL: ``--pg`` admin URL (default ``$SPEECHWATCH_TEST_PG`` or postgres@127.0.0.1:5432); each run
creates a database with a UTF-8 LC_CTYPE and drops it afterwards (``--keep`` keeps it).

``--reuse`` keeps the data between runs: SQLite files ``search-N.db`` in ``--dir`` and PostgreSQL databases
``speechwatch_bench_search_N`` are built once (same seed and size, so the same rows) and queried again on
later runs (migrations newer than the data are applied on opening, as in production).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from synthetic import body, random_cjk

from monitor.query import SearchFilters, search_commitments, search_speeches
from storage.database import Database
from storage.models import Commitment, Document, Speech
from storage.search import index

REGIONS = [("330500", "浙江省湖州市"), ("330100", "浙江省杭州市"), ("330200", "浙江省宁波市"),
           ("440300", "广东省深圳市"), ("440100", "广东省广州市"), ("320500", "江苏省苏州市"),
           ("320100", "江苏省南京市"), ("110000", "北京市"), ("310000", "上海市"),
           ("510100", "四川省成都市"), ("420100", "湖北省武汉市"), ("370200", "山东省青岛市")]  # fmt: skip
SURNAMES = "张王李赵刘陈杨黄周吴"
DOC_TYPES = ["speech"] * 6 + ["speech_report"] * 3 + ["transcript"]
TOPICS = ["business", "business", "business", "innovation", "finance", "approvals"]
COMMITMENTS = ["确保{y}年{m}月底前完成{w}改革", "力争年内落户{n}个{w}项目", "要加快{w}建设，年底前建成投用",
               "{y}年底前实现企业开办{w}全程网办", "争取新增{w}贷款{n}亿元"]  # fmt: skip
WORDS = ["标准地", "一网通办", "人才公寓", "产业基金", "政务服务", "不见面审批", "数字经济", "5G基站"]

#: (class, query, filters); "RARE" is replaced by a string planted in a few speeches
QUERIES = [
    ("1 char", "融", None), ("1 char", "口", None),
    ("2 chars common", "融资", None), ("2 chars common", "审批", None), ("2 chars common", "企业", None),
    ("2 chars rare", "RARE2", None),
    ("3+ chars common", "营商环境", None), ("3+ chars common", "优化营商环境", None),
    ("3+ chars common", "不见面审批", None),
    ("3+ chars rare", "RARE4", None), ("3+ chars rare", "在全市RARE4", None),
    ("several words", "融资 审批", None), ("several words", "营商环境 人才", None),
    ("traditional", "營商環境", None), ("traditional", "審批", None),
    ("with a filter", "营商环境", SearchFilters(region="3305")),
    ("with a filter", "融资", SearchFilters(date_from="2023", speaker="张")),
    ("filters only", "", SearchFilters(region="44", doc_type="speech")),
]  # fmt: skip
COMMITMENT_QUERIES = [("commitments", "标准地", None), ("commitments", "审批", None),
                      ("commitments", "人才公寓", SearchFilters(status="new")),
                      ("commitments", "贷款 亿元", None)]  # fmt: skip


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def populate(db: Database, n: int, kb: float, seed: int) -> dict[str, str]:
    """N speeches with one canonical document each, 2 commitments per speech; returns the planted rare words."""
    rng = random.Random(seed)
    rare = {"RARE2": random_cjk(rng, 2), "RARE4": random_cjk(rng, 4)}
    now = datetime.now(UTC)
    batch = 2000
    with db.write() as session:
        conn = session.connection()
        for start in range(0, n, batch):
            documents, speeches, commitments = [], [], []
            for i in range(start, min(n, start + batch)):
                code, region = rng.choice(REGIONS)
                text_ = body(rng, int(kb * 1024))
                if i % 997 == 0:  # a few speeches carry the rare strings
                    text_ = f"在全市{rare['RARE4']}工作会议上，{rare['RARE2']}同志讲话。\n" + text_
                speaker = rng.choice(SURNAMES) + random_cjk(rng, 1) + random_cjk(rng, 1)
                date = f"{rng.randint(2015, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                documents.append({
                    "id": i + 1, "url": f"http://bench.example/{i}", "final_url": f"http://bench.example/{i}",
                    "source": "bench", "source_kind": rng.choice(["gov", "gov", "template"]), "first_seen_at": now,
                    "fetched_at": now, "changed_at": now, "http_status": 200, "content_hash": f"{i:064d}",
                    "raw_html": b"", "raw_size": 0, "text": text_, "speech_id": i + 1,
                })  # fmt: skip
                speeches.append({
                    "id": i + 1, "canonical_document_id": i + 1, "copies": 1,
                    "title": f"在{region}{rng.choice(WORDS)}工作会议上的讲话", "speaker": speaker,
                    "organization": region + "人民政府", "region_code": code, "region": region, "speech_date": date,
                    "doc_type": rng.choice(DOC_TYPES), "topic": rng.choice(TOPICS), "created_at": now,
                    "updated_at": now,
                })  # fmt: skip
                for k in range(2):
                    pledge = rng.choice(COMMITMENTS).format(
                        y=rng.randint(2016, 2026), m=rng.randint(1, 12), n=rng.randint(1, 9), w=rng.choice(WORDS)
                    )
                    commitments.append({
                        "speech_id": i + 1, "key": f"{i}-{k}", "text": pledge, "action": pledge[2:],
                        "status": rng.choice(["new", "new", "accepted", "done"]), "strength": "strong",
                        "topic": rng.choice(["land", "finance", "approvals"]), "cited": False, "flagged": True,
                        "created_at": now, "updated_at": now,
                    })  # fmt: skip
            conn.execute(insert(Document), documents)
            conn.execute(insert(Speech), speeches)
            conn.execute(insert(Commitment), commitments)
    return rare


def build_index(db: Database) -> float:
    started = time.perf_counter()
    with db.write() as session:
        index.rebuild(session.connection())
    return time.perf_counter() - started


def size_of(db: Database, path: Path | None) -> str:
    if db.dialect == "sqlite" and path:
        total = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
        return f"{total / 2**20:,.0f} MiB file"
    with db.engine.connect() as conn:
        whole = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
        search = conn.execute(
            text("SELECT pg_total_relation_size('speech_fts_text') + pg_total_relation_size('commitment_fts_text')")
        ).scalar()
    return f"{whole / 2**20:,.0f} MiB database, of which search tables and indexes {search / 2**20:,.0f} MiB"


def run_queries(db: Database, rare: dict[str, str], repeat: int) -> None:
    by_class: dict[str, list[float]] = {}
    hits: dict[str, list[str]] = {}
    everything: list[float] = []
    for kind, query, filters in QUERIES + COMMITMENT_QUERIES:
        for placeholder, value in rare.items():
            query = query.replace(placeholder, value)
        search = search_commitments if kind == "commitments" else search_speeches
        page = search(db, query, filters, limit=20)  # warm-up
        for _ in range(repeat):
            started = time.perf_counter()
            page = search(db, query, filters, limit=20)
            elapsed = (time.perf_counter() - started) * 1000
            by_class.setdefault(kind, []).append(elapsed)
            if kind != "commitments":
                everything.append(elapsed)
        hits.setdefault(kind, []).append(page.total_text)
        median = statistics.median(by_class[kind][-repeat:])
        print(f"    {kind:<16} {query[:14]:<14} {page.total_text:>8} hits  p50 {median:7.1f} ms")
    print(f"  {'class':<18} {'p50 ms':>8} {'p95 ms':>8}   hits per query")
    for kind, values in by_class.items():
        print(f"  {kind:<18} {percentile(values, 0.5):8.1f} {percentile(values, 0.95):8.1f}   "
              f"{', '.join(hits[kind])}")  # fmt: skip
    print(f"  {'all speech queries':<18} {percentile(everything, 0.5):8.1f} {percentile(everything, 0.95):8.1f}")


def planted(seed: int) -> dict[str, str]:
    """The rare strings ``populate`` plants for ``seed`` (its first draws), for a reused database."""
    rng = random.Random(seed)
    return {"RARE2": random_cjk(rng, 2), "RARE4": random_cjk(rng, 4)}


def pg_database(admin_url: str, reuse_name: str | None = None):
    """(admin engine, database name, URL, whether it already existed): a new database, or the reused one."""
    from sqlalchemy.engine import make_url

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = reuse_name or f"speechwatch_bench_{uuid.uuid4().hex[:8]}"
    with engine.connect() as conn:
        existed = bool(conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar())
        if not existed:
            conn.execute(text(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                              "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"))  # fmt: skip
    return engine, name, make_url(admin_url).set(database=name).render_as_string(hide_password=False), existed


def has_rows(db: Database) -> bool:
    with db.engine.connect() as conn:
        return bool(conn.execute(text("SELECT count(*) FROM speech_fts_text")).scalar())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--kb", type=float, default=3.0, help="body size in KB of UTF-8 (3 KB ≈ 1,100 characters)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query")
    parser.add_argument(
        "--pg", default=os.environ.get("SPEECHWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--dir", type=Path, default=None, help="where SQLite files go (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--reuse", action="store_true", help="build each database once, keep it, query it again")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    import sqlite3

    print(f"bench_search  {datetime.now():%Y-%m-%d %H:%M}  {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    if args.reuse and not args.dir:
        parser.error("--reuse needs --dir (where the SQLite files stay)")
    keep = args.keep or args.reuse
    folder = args.dir or Path(tempfile.mkdtemp(prefix="bench_search_"))
    for backend in args.backends:
        for n in args.sizes:
            engine = name = path = None
            existed = False
            if backend == "sqlite":
                path = folder / f"search-{n}.db"
                existed = args.reuse and path.exists()
                for old in [] if existed else folder.glob(path.name + "*"):
                    old.unlink()
                url = f"sqlite:///{path}"
            else:
                reuse_name = f"speechwatch_bench_search_{n}" if args.reuse else None
                engine, name, url, existed = pg_database(args.pg, reuse_name)
            db = Database(url)
            existed = existed and has_rows(db)
            try:
                if backend == "postgresql":
                    with db.engine.connect() as conn:
                        version = conn.execute(text("SHOW server_version")).scalar()
                    print(f"\n{backend} {version}, N = {n:,} speeches ({args.kb:g} KB bodies), 2 commitments each")
                else:
                    print(f"\n{backend}, N = {n:,} speeches ({args.kb:g} KB bodies), 2 commitments each: {path}")
                if existed:
                    rare = planted(args.seed)
                    print(f"  reused (built by an earlier run with --reuse); {size_of(db, path)}")
                else:
                    started = time.perf_counter()
                    rare = populate(db, n, args.kb, args.seed)
                    inserted = time.perf_counter() - started
                    built = build_index(db)
                    print(f"  rows inserted in {inserted:.1f} s; index built in {built:.1f} s; {size_of(db, path)}")
                if backend == "postgresql":  # VACUUM too: a migration may have rewritten rows (0012's title grams)
                    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                        conn.execute(text("VACUUM ANALYZE"))
                run_queries(db, rare, args.repeat)
            finally:
                db.close()
                if engine is not None:
                    if not keep:
                        with engine.connect() as conn:
                            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    engine.dispose()
                elif path and not keep:
                    for old in folder.glob(path.name + "*"):
                        old.unlink()
            sys.stdout.flush()
    if not args.dir and not keep:
        folder.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
