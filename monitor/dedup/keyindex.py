"""Near-duplicate lookup in memory: the documents' simhash lookup keys as sorted arrays, cached in a file.

A B-tree seek per lookup key costs more as the table outgrows the CPU caches (p50 ×1.6–3.3 from 10k to 1M
documents, see ``bench/bench_lookup.py``). Here the 10 keys of a fingerprint are found in a sorted ``uint32``
array through a bucket directory (≈ 4 entries per bucket, so a key costs two memory reads at any size), in a
compiled kernel that also applies the Hamming test against a dense per-document simhash array.

The source of truth is ``documents.simhash``: a document's keys are ``lookup_keys`` of it, so they are not stored
apart (a ``simhash_keys`` table, until migration 0023, took 10 rows per document at random places of its
B-tree: a fifth of clustering's time at 90,000 documents on SQLite, ``bench/README.md``, sixteenth round). The
file (:func:`cache_path`) records the ``simhash_keys_version`` row it reflects and a CRC of its arrays; a
missing, stale or corrupt file is rebuilt from the documents' simhashes. Keys written during a clustering run
go to an in-memory delta, the version row is bumped in the same unit of work as the simhashes
(:meth:`KeyIndex.stamp`), and :meth:`KeyIndex.save` writes the merged arrays (temp file + rename) only when the
database is still at the version this process last wrote. Only the clusterer writes simhashes, under the
cross-process ``cluster`` lock, so one process holds the index at a time. Extra entries (a deleted document, a
unit of work that failed) are harmless: the caller re-checks candidates against the database.
"""

from __future__ import annotations

import logging
import math
import mmap
import os
import secrets
import struct
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import blake2b
from itertools import chain
from pathlib import Path

import numba
import numpy as np
from sqlalchemy import Connection, Row, func, insert, select, update
from sqlalchemy.engine import make_url

from monitor.dedup.fingerprint import BLOCK_PAIRS, BLOCKS, KEY_BITS, hamming, lookup_keys
from monitor.dedup.match import NEAR_DISTANCE
from storage.database import Database
from storage.models import Document, SimhashKeysVersion

log = logging.getLogger(__name__)
ENV_CACHE = "SPEECHWATCH_CACHE_DIR"  # where PostgreSQL databases' index files go (default ~/.cache/speechwatch)
KEY_SPACE = len(BLOCK_PAIRS) << KEY_BITS  # every lookup key is below this: a uint32
BUCKET_ENTRIES = 4  # mean entries per directory bucket
MIN_BUCKET_BITS = 12
MAGIC = b"SWKEYS01"
HEADER = struct.Struct("<8sqqqqqI4x")  # magic, generation, stamp, entries, simhash slots, shift, CRC-32 of the rest
FETCH = 100_000  # documents per rebuild batch (and per progress line)
VERSION = SimhashKeysVersion.__table__
_SHIFTS = np.array([shift for shift, _ in BLOCKS], dtype=np.uint64)
_MASKS = np.array([(1 << width) - 1 for _, width in BLOCKS], dtype=np.uint64)
_FIRST = np.array([i for i, _ in BLOCK_PAIRS], dtype=np.int64)
_SECOND = np.array([j for _, j in BLOCK_PAIRS], dtype=np.int64)


@dataclass(frozen=True)
class Version:
    generation: int
    stamp: int


@dataclass(frozen=True)
class Arrays:
    """Entries sorted by key (``keys``, ``ids``), the simhash of each document id, and the bucket directory."""

    keys: np.ndarray  # uint32
    ids: np.ndarray  # uint32
    simhashes: np.ndarray  # uint64, indexed by document id
    directory: np.ndarray  # uint32: bucket b holds entries directory[b] .. directory[b + 1]
    shift: int  # a key's bucket is key >> shift


@numba.njit(cache=True, nogil=True)
def _keys_of(value: np.uint64) -> np.ndarray:
    blocks = (value >> _SHIFTS) & _MASKS
    keys = np.empty(_FIRST.size, dtype=np.uint32)
    for pair in range(_FIRST.size):
        high = np.uint64(pair) << np.uint64(KEY_BITS)
        keys[pair] = high | (blocks[_FIRST[pair]] << np.uint64(13)) | blocks[_SECOND[pair]]
    return keys


@numba.njit(cache=True, nogil=True)
def _keys_of_all(values: np.ndarray) -> np.ndarray:
    """The lookup keys of each simhash, row by row: an (n, 10) ``uint32`` array."""
    keys = np.empty((values.size, _FIRST.size), dtype=np.uint32)
    for row in range(values.size):
        keys[row] = _keys_of(values[row])
    return keys


@numba.njit(cache=True, nogil=True)
def _near(keys, ids, simhashes, directory, shift, value, limit):  # noqa: ANN001, ANN202 - numba types
    """Ids whose indexed simhash is within ``limit`` of ``value`` and share a key with it.

    The reads are done in rounds — the 10 buckets' bounds, their first keys, the matching entries' ids, those
    ids' simhashes — so that the cache misses of a round are independent and overlap: at 1M documents the
    arrays (≈ 100 MB) are far larger than the CPU caches, and reading key by key made p50 grow ×1.6.
    """
    wanted = _keys_of(value)
    starts, ends = np.empty(wanted.size, dtype=np.int64), np.empty(wanted.size, dtype=np.int64)
    for k in range(wanted.size):
        bucket = wanted[k] >> shift
        starts[k], ends[k] = directory[bucket], directory[bucket + 1]
    firsts = np.empty(wanted.size, dtype=np.uint32)
    for k in range(wanted.size):
        firsts[k] = keys[starts[k]] if starts[k] < ends[k] else 0
    hits = np.empty(16, dtype=np.int64)
    count = 0
    for k in range(wanted.size):
        i, end, key = starts[k], ends[k], wanted[k]
        if i == end or firsts[k] > key:
            continue
        while i < end and keys[i] < key:
            i += 1
        while i < end and keys[i] == key:
            if count == hits.size:
                hits = np.concatenate((hits, np.empty(count, dtype=np.int64)))
            hits[count] = i
            count += 1
            i += 1
    documents = np.empty(count, dtype=np.uint32)
    for h in range(count):
        documents[h] = ids[hits[h]]
    values = np.empty(count, dtype=np.uint64)
    for h in range(count):
        values[h] = simhashes[documents[h]]
    close = np.zeros(count, dtype=np.bool_)
    for h in range(count):
        bits, distance = values[h] ^ value, 0
        while bits and distance <= limit:
            bits &= bits - np.uint64(1)
            distance += 1
        close[h] = distance <= limit
    return documents[close]


def build(keys: np.ndarray, ids: np.ndarray, simhashes: np.ndarray, *, ordered: bool = False) -> Arrays:
    """Arrays from (key, document id) entries in any order and the per-id simhash array."""
    keys, ids = keys.astype(np.uint32, copy=False), ids.astype(np.uint32, copy=False)
    if not ordered:
        order = np.argsort(keys, kind="stable")
        keys, ids = keys[order], ids[order]
    bits = max(MIN_BUCKET_BITS, math.ceil(math.log2(max(keys.size / BUCKET_ENTRIES, 1))))
    shift = max(0, math.ceil(math.log2(KEY_SPACE)) - bits)
    starts = np.arange((KEY_SPACE >> shift) + 2, dtype=np.uint64) << np.uint64(shift)
    directory = np.searchsorted(keys, starts).astype(np.uint32)
    return Arrays(keys, ids, simhashes.astype(np.uint64, copy=False), directory, shift)


def cache_path(url: str) -> Path | None:
    """The index file: ``<database>.simkeys`` beside a SQLite file; per server and database under
    ``$SPEECHWATCH_CACHE_DIR`` (default ``~/.cache/speechwatch``) for PostgreSQL; None for in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        return Path(f"{database}.simkeys") if database and database != ":memory:" else None
    where = f"{parsed.get_backend_name()}://{parsed.username}@{parsed.host}:{parsed.port}/{parsed.database}"
    directory = Path(os.environ.get(ENV_CACHE) or Path.home() / ".cache" / "speechwatch")
    return directory / f"{parsed.database}-{blake2b(where.encode(), digest_size=8).hexdigest()}.simkeys"


def read_version(conn: Connection) -> Version:
    row = conn.execute(select(VERSION.c.generation, VERSION.c.stamp).where(VERSION.c.id == 1)).one_or_none()
    return Version(row.generation, row.stamp) if row else Version(-1, 0)


class KeyIndex:
    """The lookup keys of one database in memory, plus the keys written since they were loaded."""

    def __init__(self, arrays: Arrays, version: Version, path: Path | None) -> None:
        self.arrays, self.version, self.path = arrays, version, path
        self._delta: dict[int, list[tuple[int, int]]] = {}  # key -> [(document id, simhash)] written this run
        self._dropped: set[tuple[int, int]] = set()  # (key, document id) replaced this run
        self._unstamped = self._unsaved = False

    @classmethod
    def open(cls, db: Database) -> KeyIndex:
        """The index of ``db``: its cache file when it matches the database's version, else rebuilt (and saved)."""
        path = cache_path(db.url)
        with db.engine.connect() as conn:
            version = read_version(conn)
        arrays = _load(path, version) if path else None
        if arrays is not None:
            return cls(arrays, version, path)
        index = cls(rebuild(db), version, path)
        index._unsaved = True
        index.save(db)
        return index

    def near(self, value: int) -> set[int]:
        """Documents whose keys share one with ``value`` and whose simhash (as indexed) is within 3 bits.

        A superset is possible (entries of changed or deleted documents): callers re-check against the database.
        """
        a = self.arrays
        found = set(_near(a.keys, a.ids, a.simhashes, a.directory, a.shift, np.uint64(value), NEAR_DISTANCE).tolist())
        if self._delta:
            for key in lookup_keys(value):
                found.update(d for d, other in self._delta.get(key, ()) if hamming(other, value) <= NEAR_DISTANCE)
        return found

    def write(self, document_id: int, old: int | None, new: int) -> None:
        """Replace a document's keys (those of simhash ``old``, if any) by those of ``new``, as the unit of work
        that stores ``new`` as its simhash does; call :meth:`stamp` in that unit of work before it commits."""
        if old is not None:
            for key in lookup_keys(old):
                self._dropped.add((key, document_id))
                if key in self._delta:
                    self._delta[key] = [entry for entry in self._delta[key] if entry[0] != document_id]
        for key in lookup_keys(new):
            self._delta.setdefault(key, []).append((document_id, new))
        self._unstamped = self._unsaved = True

    def stamp(self, conn: Connection) -> None:
        """Bump the version row in ``conn``'s unit of work if keys were written since the last stamp."""
        if not self._unstamped:
            return
        version = Version(self.version.generation + 1, secrets.randbits(63))
        if not conn.execute(update(VERSION).where(VERSION.c.id == 1).values(**_row(version))).rowcount:
            conn.execute(insert(VERSION).values(id=1, **_row(version)))
        self.version, self._unstamped = version, False

    def save(self, db: Database) -> None:
        """Write base + delta to the cache file if the database is at the version this index last stamped."""
        if not self._unsaved or self.path is None:
            return
        with db.engine.connect() as conn:
            current = read_version(conn)
        if current != self.version or self._unstamped:
            log.warning("simhash key index not saved: database at generation %s, index at %s",
                        current.generation, self.version.generation)  # fmt: skip
            return
        self.arrays = self._merged()
        self._delta, self._dropped = {}, set()
        started = time.perf_counter()
        try:
            _write(self.path, self.arrays, self.version)
        except OSError as exc:  # a cache: the next run rebuilds it, the clustering done stays done
            log.warning("simhash key index not saved to %s: %s", self.path, exc)
            return
        self._unsaved = False
        log.debug("simhash key index saved to %s (%s entries, %.2f s)", self.path, f"{self.arrays.keys.size:,}",
                  time.perf_counter() - started)  # fmt: skip

    def _merged(self) -> Arrays:
        a = self.arrays
        keys, ids = a.keys, a.ids
        if self._dropped:  # each (key, id) found by its key's run: no pass over all entries
            dropped = sorted(self._dropped)
            wanted = np.array([key for key, _ in dropped], dtype=np.uint32)
            starts, ends = np.searchsorted(keys, wanted), np.searchsorted(keys, wanted, side="right")
            keep = np.ones(keys.size, dtype=bool)
            for (_, document), start, end in zip(dropped, starts.tolist(), ends.tolist(), strict=True):
                keep[start + np.flatnonzero(ids[start:end] == document)] = False
            keys, ids = keys[keep], ids[keep]
        entries = sorted((key, document) for key, pairs in self._delta.items() for document, _ in pairs)
        simhashes = a.simhashes
        if entries:
            new_keys = np.array([key for key, _ in entries], dtype=np.uint32)
            new_ids = np.array([document for _, document in entries], dtype=np.uint32)
            at = np.searchsorted(keys, new_keys, side="right")
            keys, ids = np.insert(keys, at, new_keys), np.insert(ids, at, new_ids)
            latest = {document: value for pairs in self._delta.values() for document, value in pairs}
            simhashes = np.zeros(max(simhashes.size, max(latest) + 1), dtype=np.uint64)
            simhashes[: a.simhashes.size] = a.simhashes
            simhashes[np.array(list(latest), dtype=np.int64)] = np.array(list(latest.values()), dtype=np.uint64)
        return build(keys, ids, simhashes, ordered=True)


def _row(version: Version) -> dict[str, int]:
    return {"generation": version.generation, "stamp": version.stamp}


def rebuild(db: Database) -> Arrays:
    """The arrays of the documents' simhashes and their keys (progress logged per ``FETCH`` documents)."""
    started = time.perf_counter()
    with db.engine.connect() as conn:
        total = conn.execute(select(func.count()).where(Document.simhash.is_not(None))).scalar_one()
        log.info("rebuilding the simhash key index from %s (%s documents)", db.display_url, f"{total:,}")
        conn = conn.execution_options(stream_results=True, yield_per=FETCH)
        parts, done = [], 0
        for part in conn.execute(select(Document.id, Document.simhash).where(Document.simhash.is_not(None))
                                 ).partitions():  # fmt: skip
            parts.append(_pairs(part))
            done += len(part)
            if total > FETCH:
                log.info("simhash key index: %s / %s documents read", f"{done:,}", f"{total:,}")
    pairs = np.concatenate(parts) if parts else np.empty((0, 2), dtype=np.int64)
    values = np.ascontiguousarray(pairs[:, 1]).view(np.uint64)
    simhashes = np.zeros(int(pairs[:, 0].max(initial=-1)) + 1, dtype=np.uint64)
    simhashes[pairs[:, 0]] = values
    keys = _keys_of_all(values).reshape(-1)
    arrays = build(keys, np.repeat(pairs[:, 0], _FIRST.size), simhashes)
    log.info("simhash key index rebuilt: %s keys in %.1f s", f"{keys.size:,}", time.perf_counter() - started)
    return arrays


def _pairs(rows: Sequence[Row]) -> np.ndarray:
    """Rows of two integers as an (n, 2) int64 array (``np.array(rows)`` would index every row by name)."""
    return np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=2 * len(rows)).reshape(-1, 2)


def _layout(entries: int, slots: int, shift: int) -> tuple[int, ...]:
    """Byte offsets of simhashes, keys, ids, directory and the end, after the header."""
    directory = (KEY_SPACE >> shift) + 2
    offsets = [HEADER.size, HEADER.size + 8 * slots]
    offsets += [offsets[-1] + 4 * entries, offsets[-1] + 8 * entries]
    return (*offsets, offsets[-1] + 4 * directory)


def _write(path: Path, a: Arrays, version: Version) -> None:
    parts = (a.simhashes, a.keys, a.ids, a.directory)
    crc = 0
    for part in parts:
        crc = zlib.crc32(memoryview(np.ascontiguousarray(part)).cast("B"), crc)
    header = HEADER.pack(MAGIC, version.generation, version.stamp, a.keys.size, a.simhashes.size, a.shift, crc)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as handle:
            handle.write(header)
            for part in parts:
                handle.write(memoryview(np.ascontiguousarray(part)).cast("B"))
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _load(path: Path, version: Version) -> Arrays | None:
    """The file's arrays (memory-mapped, shared with the page cache) if it reflects ``version``, else None."""
    try:
        with path.open("rb") as handle:
            head = handle.read(HEADER.size)
            if len(head) < HEADER.size or head[:8] != MAGIC:
                raise ValueError("not an index file" if head[:8] != MAGIC else "truncated header")
            _, generation, stamp, entries, slots, shift, crc = HEADER.unpack(head)
            if Version(generation, stamp) != version:
                log.info("simhash key index %s is at generation %s, the database at %s: rebuilding",
                         path, generation, version.generation)  # fmt: skip
                return None
            ends = _layout(entries, slots, shift)
            if os.fstat(handle.fileno()).st_size != ends[-1]:
                raise ValueError(f"{os.fstat(handle.fileno()).st_size} bytes, the header says {ends[-1]}")
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except FileNotFoundError:
        log.info("no simhash key index at %s yet: building it", path)
        return None
    except (OSError, ValueError, struct.error) as exc:
        log.warning("simhash key index %s is unreadable (%s): rebuilding it", path, exc)
        return None
    view = memoryview(mapped)
    if zlib.crc32(view[HEADER.size :]) != crc:
        log.warning("simhash key index %s is corrupt (CRC mismatch): rebuilding it", path)
        return None

    def array(dtype: type, start: int, stop: int) -> np.ndarray:
        return np.frombuffer(mapped, dtype=dtype, count=(stop - start) // np.dtype(dtype).itemsize, offset=start)

    return Arrays(keys=array(np.uint32, ends[1], ends[2]), ids=array(np.uint32, ends[2], ends[3]),
                  simhashes=array(np.uint64, ends[0], ends[1]), directory=array(np.uint32, ends[3], ends[4]),
                  shift=shift)  # fmt: skip
