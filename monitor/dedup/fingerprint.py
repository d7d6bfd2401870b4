"""Fingerprints of a normalised body: 64-bit simhash, exact hash, paragraph keys and 5-gram shingles.

The ``simhash`` package is the reference for what the simhash is: :func:`simhash64` gives exactly
``simhash.Simhash(text).value`` (4-character windows of the lower-cased word characters, md5 per feature, last
8 bytes, majority per bit), but caches feature hashes and sums bits with numpy, which makes it several times
faster (see ``bench/bench_fingerprint.py``). The tests check the two agree.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np

from monitor.extract.script import matching_text

WORD = re.compile(r"[\w\u4e00-\u9fcc]+")
WIDTH = 4  # the simhash package's feature width
BAND_BITS = 16  # 4 bands of 16 bits: any two fingerprints within distance 3 share a band (pigeonhole)
MIN_PARAGRAPH = 12  # normalised characters for a paragraph to get an index key
SHINGLE = 5  # characters per shingle for containment


_BASE = np.uint64(0x100000001B3)  # polynomial key of a 4-character window (collisions ~2^-64)


class _DigestCache:
    """md5 digests (last 8 bytes, as big-endian uint64) of features by window key, looked up with numpy.

    Known keys live in sorted arrays (vectorised ``searchsorted``); new ones go to a dict and are merged into
    the arrays in bulk. Bounded: cleared when it holds ``limit`` features.
    """

    def __init__(self, limit: int = 4_000_000, merge_every: int = 50_000) -> None:
        self.limit, self.merge_every = limit, merge_every
        self.keys = np.empty(0, dtype=np.uint64)
        self.values = np.empty(0, dtype=np.uint64)
        self.pending: dict[int, int] = {}

    def lookup(self, keys: np.ndarray, first: np.ndarray, content: str) -> np.ndarray:
        out = np.zeros(len(keys), dtype=np.uint64)
        if len(self.keys):
            where = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
            found = self.keys[where] == keys
            out[found] = self.values[where[found]]
        else:
            found = np.zeros(len(keys), dtype=bool)
        for index in np.flatnonzero(~found).tolist():
            key = int(keys[index])
            value = self.pending.get(key)
            if value is None:
                start = int(first[index])
                digest = hashlib.md5(content[start : start + WIDTH].encode("utf-8")).digest()[-8:]
                value = self.pending[key] = int.from_bytes(digest, "big")
            out[index] = value
        if len(self.pending) >= self.merge_every:
            self._merge()
        return out

    def _merge(self) -> None:
        if len(self.keys) + len(self.pending) > self.limit:
            self.keys, self.values = np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.uint64)
        new_keys = np.fromiter(self.pending.keys(), dtype=np.uint64, count=len(self.pending))
        new_values = np.fromiter(self.pending.values(), dtype=np.uint64, count=len(self.pending))
        keys = np.concatenate([self.keys, new_keys])
        order = np.argsort(keys, kind="stable")
        self.keys, self.values = keys[order], np.concatenate([self.values, new_values])[order]
        self.pending.clear()


_CACHE = _DigestCache()


def simhash64(text: str) -> int:
    """``simhash.Simhash(text).value``, computed faster.

    The same features (4-character windows of the lower-cased word characters), the same md5 per feature and
    the same majority per bit; but windows are keyed and counted with numpy, digests are cached per feature
    across documents and looked up vectorised, and the bit sums are one matrix product.
    """
    content = "".join(WORD.findall(text.lower()))
    if len(content) <= WIDTH:
        digest = hashlib.md5(content.encode("utf-8")).digest()[-8:]
        hashes, weights = np.array([int.from_bytes(digest, "big")], dtype=np.uint64), np.array([1])
    else:
        points = np.frombuffer(content.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        with np.errstate(over="ignore"):
            keys = ((points[:-3] * _BASE + points[1:-2]) * _BASE + points[2:-1]) * _BASE + points[3:]
        unique, first, weights = np.unique(keys, return_index=True, return_counts=True)
        hashes = _CACHE.lookup(unique, first, content)
    bits = np.unpackbits(hashes.astype(">u8").view(np.uint8)).reshape(-1, 64).astype(np.float64)
    sums = weights.astype(np.float64) @ bits  # BLAS; exact for counts below 2**53
    return int.from_bytes(np.packbits(sums > weights.sum() / 2).tobytes(), "big")


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & 0xFFFFFFFFFFFFFFFF).bit_count()


def bands(value: int) -> tuple[int, int, int, int]:
    """The four 16-bit bands of a fingerprint (indexed columns in storage)."""
    return tuple((value >> (BAND_BITS * i)) & 0xFFFF for i in range(4))  # type: ignore[return-value]


def to_signed(value: int) -> int:
    """Unsigned 64-bit → signed, for a BigInteger column."""
    return value - (1 << 64) if value >= 1 << 63 else value


def to_unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def paragraph_key(paragraph: str) -> int | None:
    """A signed 63-bit key of a paragraph's matching form; None for short ones (headings, formulas)."""
    normalised = matching_text(paragraph)
    if len(normalised) < MIN_PARAGRAPH:
        return None
    return int.from_bytes(hashlib.blake2b(normalised.encode("utf-8"), digest_size=8).digest(), "big") >> 1


def shingles(normalised: str, size: int = SHINGLE) -> set[int]:
    """Hashed character ``size``-grams of a normalised text."""
    return {hash(normalised[i : i + size]) for i in range(max(len(normalised) - size + 1, 0))}


def containment(smaller: set[int], larger: set[int]) -> float:
    """Share of the smaller text's shingles found in the larger one."""
    if not smaller:
        return 0.0
    return len(smaller & larger) / len(smaller)


@dataclass(frozen=True)
class Fingerprint:
    simhash: int  # unsigned 64-bit
    exact: str  # SHA-1 of the normalised text
    length: int  # normalised characters
    paragraph_keys: tuple[int, ...]


def fingerprint(text: str) -> Fingerprint:
    """Fingerprints of an extracted body (one paragraph per line)."""
    normalised = matching_text(text)
    keys = tuple(sorted({k for k in (paragraph_key(p) for p in text.splitlines()) if k is not None}))
    return Fingerprint(
        simhash=simhash64(normalised),
        exact=hashlib.sha1(normalised.encode("utf-8")).hexdigest(),
        length=len(normalised),
        paragraph_keys=keys,
    )
