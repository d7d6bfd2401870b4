"""Near-duplicate lookup (Hamming distance ≤ 3) among N random 64-bit fingerprints, six ways.

(index) the product: ``monitor.dedup.keyindex.KeyIndex``, the keys below as sorted arrays with a bucket
    directory, built by the product's own ``KeyIndex.open`` from that SQLite file (a rebuild from
    ``documents.simhash``, saved as ``<db>.simkeys``), then opened again from the file (memory-mapped, CRC
    checked) as a later clustering run does; queried with ``KeyIndex.near``;
(keys) the SQL key table (kept by the product until migration 0023), and the lookup ``monitor.dedup.cluster``
    made before ``KeyIndex``: SQLite ``simhash_keys(key, document_id)`` as migration 0009 makes it
    (``WITHOUT ROWID``, the primary key the only index), 10 keys per fingerprint
    (``monitor.dedup.fingerprint.lookup_keys``: a key per pair of 5 blocks), one ``key IN (…)`` joined to the
    fingerprints, Hamming in Python;
(pgkeys) the same key table and statement in PostgreSQL (``--pg URL``; a throwaway schema, filled with COPY);
(keys6) the measured alternative: a key per triple of 6 blocks (20 keys of 33 bits);
(a) ``simhash.SimhashIndex(objs, k=3)``: the package's in-memory index (4 dicts of string buckets);
(b) SQLite band columns, as ``documents.band0..band3`` were used before migration 0009: a throwaway file
    with ``fp(id, simhash, band0..band3)`` and one index per band, queried with
    ``WHERE band0=? OR band1=? OR band2=? OR band3=?`` and the Hamming test in Python;
(c) a sorted numpy band table: per band a sorted uint16 array of band values and the uint32 ids in that order,
    ``searchsorted`` per band, Hamming on the candidates with ``np.bitwise_count``.

Queries: half are stored fingerprints with 0–3 random bits flipped (recall must be 1.0), half are random.
Latency is per query, warm (everything in memory / the OS page cache).

    .venv/bin/python bench/bench_lookup.py [--sizes 10000 100000 1000000] [--queries 2000] [--max-build 180]
        [--only index keys package] [--pragma 'PRAGMA mmap_size=1073741824']
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sqlite3
import sys
import tempfile
import time
from datetime import datetime
from itertools import combinations
from pathlib import Path

import numpy as np
import simhash

from monitor.dedup.fingerprint import lookup_keys
from monitor.dedup.keyindex import KeyIndex, cache_path
from storage.database import Database

K = 3
MASK = (1 << 64) - 1


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def to_signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def bands(value: int) -> tuple[int, int, int, int]:
    return value & 0xFFFF, (value >> 16) & 0xFFFF, (value >> 32) & 0xFFFF, (value >> 48) & 0xFFFF


def make_queries(rng: np.random.Generator, fps: list[int], count: int) -> list[tuple[int, int | None]]:
    """``(query, planted id or None)``: half near-duplicates of a stored fingerprint, half random values."""
    queries: list[tuple[int, int | None]] = []
    for _ in range(count // 2):
        doc = int(rng.integers(len(fps)))
        value = fps[doc]
        for bit in rng.choice(64, size=int(rng.integers(0, K + 1)), replace=False).tolist():
            value ^= 1 << bit
        queries.append((value, doc))
    for value in rng.integers(0, np.iinfo(np.uint64).max, size=count - count // 2, dtype=np.uint64, endpoint=True):
        queries.append((int(value), None))
    order = rng.permutation(len(queries))
    return [queries[i] for i in order]


def deep_size_simhash_index(index: simhash.SimhashIndex) -> int:
    """Bytes held by the index: the bucket dict, its keys, the sets and every stored string."""
    total = sys.getsizeof(index.bucket)
    for key, bucket in index.bucket.items():
        total += sys.getsizeof(key) + sys.getsizeof(bucket) + sum(sys.getsizeof(entry) for entry in bucket)
    return total


# -- (a) simhash.SimhashIndex ------------------------------------------------------------------------------------


class PackageIndex:
    name = "simhash.SimhashIndex"

    def __init__(self, fps: list[int]) -> None:
        objs = [(str(i), simhash.Simhash(value)) for i, value in enumerate(fps)]
        gc.collect()
        before = rss_bytes()
        start = time.perf_counter()
        self.index = simhash.SimhashIndex(objs, k=K)
        self.build_seconds = time.perf_counter() - start
        self.rss_delta = rss_bytes() - before  # objs still alive: their memory is not counted twice
        del objs
        self.bytes = deep_size_simhash_index(self.index)
        self.note = f"deep size of buckets + strings; RSS delta {self.rss_delta / len(fps):,.0f} B/doc"

    def query(self, value: int) -> list[int]:
        return [int(i) for i in self.index.get_near_dups(simhash.Simhash(value))]

    def close(self) -> None:
        del self.index


# -- (b) SQLite band columns -------------------------------------------------------------------------------------


class SqliteBands:
    name = "SQLite band columns"
    SQL = "SELECT id, simhash FROM fp WHERE band0=? OR band1=? OR band2=? OR band3=?"

    def __init__(self, fps: list[int], directory: Path) -> None:
        self.path = directory / f"fp-{len(fps)}.db"
        self.path.unlink(missing_ok=True)
        start = time.perf_counter()
        self.db = sqlite3.connect(self.path)
        self.db.execute("CREATE TABLE fp(id INTEGER PRIMARY KEY, simhash BIGINT, band0 INT, band1 INT, band2 INT, "
                        "band3 INT)")  # fmt: skip
        for band in range(4):
            self.db.execute(f"CREATE INDEX ix_fp_band{band} ON fp(band{band})")
        with self.db:
            self.db.executemany(
                "INSERT INTO fp VALUES (?, ?, ?, ?, ?, ?)",
                ((i, to_signed(value), *bands(value)) for i, value in enumerate(fps)),
            )
        self.build_seconds = time.perf_counter() - start
        self.bytes = self.path.stat().st_size
        plan = self.db.execute("EXPLAIN QUERY PLAN " + self.SQL, (0, 0, 0, 0)).fetchall()
        plan_text = " / ".join(row[-1] for row in plan)
        uses_all = "MULTI-INDEX OR" in plan_text and all(f"ix_fp_band{b}" in plan_text for b in range(4))
        self.note = "file size; plan: " + ("MULTI-INDEX OR over the 4 band indexes" if uses_all else plan_text)

    def query(self, value: int) -> list[int]:
        rows = self.db.execute(self.SQL, bands(value)).fetchall()
        return [i for i, stored in rows if ((stored ^ value) & MASK).bit_count() <= K]

    def close(self) -> None:
        self.db.close()
        self.path.unlink(missing_ok=True)


# -- (d) the product: a block-pair key table in SQLite --------------------------------------------------------


class SqliteKeyTable:
    """``simhash_keys(key, document_id)`` as migration 0009 makes it, joined to the fingerprints in one statement.

    ``blocks=5``: the product's keys (``monitor.dedup.fingerprint.lookup_keys``: 5 blocks, a key per pair of
    blocks, 10 keys of 25–26 bits). ``blocks=6``: the measured alternative, a key per triple of 6 blocks (20 keys
    of 32 bits): fewer candidates, twice the rows and seeks.
    """

    def __init__(self, fps: list[int], directory: Path, blocks: int = 5) -> None:
        self.keys_of = lookup_keys if blocks == 5 else triple_keys
        self.name = "SQLite key table" if blocks == 5 else "SQLite key table 6/3"
        self.path = directory / f"keys{blocks}-{len(fps)}.db"
        self.path.unlink(missing_ok=True)
        start = time.perf_counter()
        self.db = sqlite3.connect(self.path)
        for pragma in PRAGMAS:
            self.db.execute(pragma)
        self.db.execute("CREATE TABLE documents(id INTEGER PRIMARY KEY, simhash BIGINT)")
        self.db.execute("CREATE TABLE simhash_keys(key BIGINT NOT NULL, document_id INTEGER NOT NULL, "
                        "PRIMARY KEY (key, document_id)) WITHOUT ROWID")  # fmt: skip
        with self.db:
            self.db.executemany("INSERT INTO documents VALUES (?, ?)", ((i, to_signed(v)) for i, v in enumerate(fps)))
            rows = sorted((key, i) for i, value in enumerate(fps) for key in self.keys_of(value))
            self.db.executemany("INSERT INTO simhash_keys VALUES (?, ?)", rows)
        del rows
        self.build_seconds = time.perf_counter() - start
        self.bytes = self.path.stat().st_size
        count = len(self.keys_of(0))
        self.sql = ("SELECT d.id, d.simhash FROM simhash_keys k JOIN documents d ON d.id = k.document_id "
                    f"WHERE k.key IN ({', '.join('?' * count)})")  # fmt: skip
        plan = " / ".join(row[-1] for row in self.db.execute("EXPLAIN QUERY PLAN " + self.sql, self.keys_of(0)))
        self.note = f"file size, {count} keys/doc; plan: {plan}"
        self.candidates = 0

    def query(self, value: int) -> list[int]:
        rows = self.db.execute(self.sql, self.keys_of(value)).fetchall()
        self.candidates += len(rows)  # a near neighbour comes once per key it shares
        return list({i for i, stored in rows if ((stored ^ value) & MASK).bit_count() <= K})

    def close(self) -> None:
        self.db.close()
        for suffix in ("", "-wal", "-shm", ".simkeys"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)


class ProductIndex:
    """``KeyIndex`` of the key table's SQLite file: built as a first clustering run would, then reopened.

    Queried after 500 documents were added through it (``write``, ``stamp``, ``save``: the end of a clustering
    run), so its arrays are the merged ones a later run maps from the file.
    """

    name = "KeyIndex (product)"

    def __init__(self, fps: list[int], table: SqliteKeyTable) -> None:
        with table.db:  # the version row migration 0011 adds
            table.db.execute("CREATE TABLE IF NOT EXISTS simhash_keys_version(id INTEGER PRIMARY KEY, "
                             "generation BIGINT NOT NULL, stamp BIGINT NOT NULL)")  # fmt: skip
            table.db.execute("INSERT OR REPLACE INTO simhash_keys_version VALUES (1, 0, 1)")
        url = f"sqlite:///{table.path}"
        cache_path(url).unlink(missing_ok=True)
        self.db = Database(url, apply_migrations=False)
        start = time.perf_counter()
        KeyIndex.open(self.db)  # no file: rebuilt from documents.simhash and saved
        self.build_seconds = time.perf_counter() - start
        self.bytes = cache_path(url).stat().st_size
        run = KeyIndex.open(self.db)  # a clustering run of 500 new documents, then its save
        with self.db.write() as session:
            for document in range(len(fps), len(fps) + 500):
                run.write(document, None, int.from_bytes(os.urandom(8)))
            run.stamp(session.connection())
        start = time.perf_counter()
        run.save(self.db)
        save = time.perf_counter() - start
        del run
        gc.collect()
        start = time.perf_counter()
        self.index = KeyIndex.open(self.db)  # the saved file, as the next run finds it
        load = time.perf_counter() - start
        assert not self.index.arrays.keys.flags.owndata, "the second open must map the file, not rebuild"
        self.note = (f"file size; build = rebuild from SQL + save; reopen (mmap + CRC) {load * 1000:,.0f} ms; "
                     f"save after 500 new documents {save * 1000:,.0f} ms")  # fmt: skip

    def query(self, value: int) -> list[int]:
        return list(self.index.near(value))

    def close(self) -> None:
        del self.index
        self.db.close()


class PostgresKeyTable:
    """The key table and its lookup statement in PostgreSQL, in a throwaway schema of the ``--pg`` database."""

    name = "PostgreSQL key table"

    def __init__(self, fps: list[int], url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url.replace("+psycopg", ""), autocommit=True)
        self.schema = f"bench_lookup_{os.getpid()}"
        start = time.perf_counter()
        self.conn.execute(f"CREATE SCHEMA {self.schema}")
        self.conn.execute(f"SET search_path TO {self.schema}")
        self.conn.execute("CREATE TABLE documents(id INTEGER PRIMARY KEY, simhash BIGINT)")
        self.conn.execute("CREATE TABLE simhash_keys(key BIGINT, document_id INTEGER, PRIMARY KEY (key, document_id))")
        with self.conn.cursor() as cur:
            with cur.copy("COPY documents (id, simhash) FROM STDIN") as copy:
                for i, value in enumerate(fps):
                    copy.write_row((i, to_signed(value)))
            with cur.copy("COPY simhash_keys (key, document_id) FROM STDIN") as copy:
                for i, value in enumerate(fps):
                    for key in lookup_keys(value):
                        copy.write_row((key, i))
        self.conn.execute("VACUUM ANALYZE documents")
        self.conn.execute("VACUUM ANALYZE simhash_keys")
        self.build_seconds = time.perf_counter() - start
        self.bytes = self.conn.execute("SELECT pg_total_relation_size('documents') + "
                                       "pg_total_relation_size('simhash_keys')").fetchone()[0]  # fmt: skip
        self.sql = ("SELECT d.id, d.simhash FROM simhash_keys k JOIN documents d ON d.id = k.document_id "
                    f"WHERE k.key IN ({', '.join(['%s'] * 10)})")  # fmt: skip
        plan = self.conn.execute("EXPLAIN " + self.sql, lookup_keys(0)).fetchall()
        server = self.conn.execute("SHOW server_version").fetchone()[0]
        self.note = f"PostgreSQL {server}, tables + indexes; plan: {plan[0][0].split('  (')[0].strip()}, ..."
        self.candidates = 0

    def query(self, value: int) -> list[int]:
        rows = self.conn.execute(self.sql, lookup_keys(value), prepare=True).fetchall()
        self.candidates += len(rows)
        return list({i for i, stored in rows if ((stored ^ value) & MASK).bit_count() <= K})

    def close(self) -> None:
        self.conn.execute(f"DROP SCHEMA {self.schema} CASCADE")
        self.conn.close()


PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"  # the tests' server
PRAGMAS: list[str] = []  # set from --pragma: e.g. "PRAGMA mmap_size=1073741824"
SIX_BLOCKS = ((0, 11), (11, 11), (22, 11), (33, 11), (44, 10), (54, 10))
TRIPLES = tuple(combinations(range(6), 3))


def triple_keys(value: int) -> tuple[int, ...]:
    """6 blocks of 10–11 bits; ≤ 3 differing bits leave ≥ 3 blocks equal: a 33-bit key per triple of blocks."""
    b = [(value >> shift) & ((1 << width) - 1) for shift, width in SIX_BLOCKS]
    return tuple((t << 33) | (b[i] << 22) | (b[j] << 11) | b[k] for t, (i, j, k) in enumerate(TRIPLES))


# -- (c) sorted numpy band table ---------------------------------------------------------------------------------


class NumpyBands:
    """The 4 band tables (band value, id), each sorted by band value, laid end to end in one uint32 array.

    Band ``b`` of value ``v`` is stored as the key ``b * 65536 + v``, so one vectorised ``searchsorted`` finds
    the 4 runs of candidates at once (4 separate calls per side cost more in numpy call overhead than the work).
    """

    name = "numpy sorted bands"

    def __init__(self, fps: list[int]) -> None:
        start = time.perf_counter()
        self.values = np.array(fps, dtype=np.uint64)
        keys, ids = [], []
        for band in range(4):
            column = ((self.values >> np.uint64(16 * band)) & np.uint64(0xFFFF)).astype(np.uint32)
            order = np.argsort(column, kind="stable")
            keys.append(column[order] + np.uint32(band << 16))
            ids.append(order.astype(np.uint32))
        self.keys, self.ids = np.concatenate(keys), np.concatenate(ids)
        self.offsets = np.array([0, 1 << 16, 2 << 16, 3 << 16, 1, (1 << 16) + 1, (2 << 16) + 1, (3 << 16) + 1],
                                dtype=np.uint32)  # fmt: skip
        self.build_seconds = time.perf_counter() - start
        self.bytes = self.values.nbytes + self.keys.nbytes + self.ids.nbytes
        self.note = "nbytes: simhash uint64 + 4 x (band key uint32 + id uint32)"

    def query(self, value: int) -> list[int]:
        b = bands(value)
        wanted = self.offsets + np.array(b + b, dtype=np.uint32)  # [band keys..., band keys + 1...]
        bounds = self.keys.searchsorted(wanted).tolist()
        runs = [self.ids[bounds[i] : bounds[i + 4]] for i in range(4) if bounds[i + 4] > bounds[i]]
        if not runs:
            return []
        candidates = np.concatenate(runs) if len(runs) > 1 else runs[0]
        close = candidates[np.bitwise_count(self.values[candidates] ^ np.uint64(value)) <= K]
        return list(set(close.tolist()))

    def close(self) -> None:
        del self.values, self.keys, self.ids


# -- the run -----------------------------------------------------------------------------------------------------


def measure(structure, queries: list[tuple[int, int | None]], n: int) -> dict:
    for value, _ in queries[:50]:  # warm-up
        structure.query(value)
    if hasattr(structure, "candidates"):
        structure.candidates = 0
    latencies = np.empty(len(queries), dtype=np.float64)
    found = planted = matches = 0
    for i, (value, doc) in enumerate(queries):
        start = time.perf_counter_ns()
        result = structure.query(value)
        latencies[i] = (time.perf_counter_ns() - start) / 1000
        matches += len(result)
        if doc is not None:
            planted += 1
            found += doc in result
    return {
        "name": structure.name,
        "n": n,
        "build": structure.build_seconds,
        "p50": float(np.percentile(latencies, 50)),
        "p99": float(np.percentile(latencies, 99)),
        "recall": found / planted,
        "bytes_per_doc": structure.bytes / n,
        "matches": matches / len(queries),
        "note": structure.note,
        "candidates": getattr(structure, "candidates", 0) / len(queries) if hasattr(structure, "candidates") else None,
    }


def report(row: dict) -> None:
    print(f"  {row['name']:<22} build {row['build']:8.2f} s   p50 {row['p50']:8.1f} µs   p99 {row['p99']:8.1f} µs   "
          f"recall {row['recall']:.3f}   {row['bytes_per_doc']:6.0f} B/doc   "
          + (f"{row['candidates']:.3f} key rows/query   " if row["candidates"] is not None else "")
          + f"({row['note']})", flush=True)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--max-build", type=float, default=180.0,
                        help="skip SimhashIndex where its build is estimated above this (seconds)")  # fmt: skip
    parser.add_argument("--dir", type=Path, default=None, help="where the throwaway SQLite files go (default: tmp)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pg", default=os.environ.get("SPEECHWATCH_TEST_PG", PG_DEFAULT),
                        help="PostgreSQL database for --only pgkeys (a throwaway schema, dropped after)")  # fmt: skip
    parser.add_argument("--pragma", action="append", default=[],
                        help="SQL for each key-table connection, e.g. 'PRAGMA mmap_size=1073741824'")  # fmt: skip
    parser.add_argument("--only", nargs="+", default=["index", "keys", "keys6", "numpy", "sqlite", "package"],
                        help="structures to measure (default: index keys keys6 numpy sqlite package)")  # fmt: skip
    args = parser.parse_args()
    PRAGMAS[:] = args.pragma

    print(f"bench_lookup  {datetime.now():%Y-%m-%d %H:%M}  {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, numpy {np.__version__}, SQLite {sqlite3.sqlite_version}, "
          f"load average {os.getloadavg()[0]:.2f}", "; key-table pragmas: " + "; ".join(args.pragma) if args.pragma
          else "")  # fmt: skip
    rng = np.random.default_rng(args.seed)
    rows: list[dict] = []
    package_rate: float | None = None  # seconds per document of the last SimhashIndex build
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for n in sorted(args.sizes):
            fps = rng.integers(0, np.iinfo(np.uint64).max, size=n, dtype=np.uint64, endpoint=True).tolist()
            queries = make_queries(rng, fps, args.queries)
            print(f"\nN = {n:,}  ({args.queries:,} queries, {args.queries // 2:,} planted near-duplicates)", flush=True)
            kinds = [kind for kind in args.only if kind != "package"]
            if "package" not in args.only:
                pass
            elif package_rate is not None and package_rate * n > args.max_build:
                print(f"  {'simhash.SimhashIndex':<22} skipped: build estimated at {package_rate * n:,.0f} s "
                      f"(> {args.max_build:.0f} s) from the previous size")  # fmt: skip
            else:
                kinds.append("package")
            table = SqliteKeyTable(fps, Path(tmp)) if {"index", "keys"} & set(kinds) else None
            for kind in kinds:
                if kind == "keys":
                    structure = table
                elif kind == "index":
                    structure = ProductIndex(fps, table)
                elif kind == "pgkeys":
                    structure = PostgresKeyTable(fps, args.pg)
                elif kind == "keys6":
                    structure = SqliteKeyTable(fps, Path(tmp), blocks=6)
                elif kind == "numpy":
                    structure = NumpyBands(fps)
                elif kind == "sqlite":
                    structure = SqliteBands(fps, Path(tmp))
                else:
                    structure = PackageIndex(fps)
                row = measure(structure, queries, n)
                if structure is not table:
                    structure.close()
                del structure
                gc.collect()
                rows.append(row)
                report(row)
                if row["name"] == "simhash.SimhashIndex":
                    package_rate = row["build"] / n
            if table is not None:
                table.close()
            print(f"  (mean matches per query: {rows[-1]['matches']:.2f})")

    print("\ngrowth of p50 latency from the smallest to the largest size measured")
    for name in dict.fromkeys(row["name"] for row in rows):
        mine = [row for row in rows if row["name"] == name]
        first, last = mine[0], mine[-1]
        print(f"  {name:<22} {first['n']:>9,} -> {last['n']:>9,}: p50 x{last['p50'] / first['p50']:.2f}, "
              f"p99 x{last['p99'] / first['p99']:.1f}")  # fmt: skip
    bad = [row for row in rows if row["recall"] < 1.0]
    for row in bad:
        print(f"RECALL BELOW 1.0: {row['name']} at {row['n']:,}: {row['recall']:.4f}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
