"""Fingerprints of a normalised body: 64-bit simhash, exact hash, paragraph keys, lookup keys and 5-gram shingles.

The ``simhash`` package is the reference for what the simhash is: :func:`simhash64` gives exactly
``simhash.Simhash(text).value`` (4-character windows of the lower-cased word characters, md5 per window, last
8 bytes, majority per bit), computed by a numba kernel (:mod:`monitor.dedup.simhash_kernel`) 11–23x faster on
any text, novel or not (see ``bench/bench_fingerprint.py``). The tests check the two agree.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from monitor.dedup.simhash_kernel import simhash_points
from monitor.extract.script import NON_TEXT, to_simplified
from storage.search.fold import nfkc

NOT_WORD = re.compile(r"[^\w\u4e00-\u9fcc]+")  # the complement of the simhash package's word pattern
MIN_PARAGRAPH = 12  # normalised characters for a paragraph to get an index key
SHINGLE = 5  # characters per shingle for containment
# Lookup keys: 5 blocks of 13, 13, 13, 13 and 12 bits. Two fingerprints within distance 3 differ in at most 3
# blocks, so they agree exactly on at least 2: one key per pair of blocks (10 keys of 26 or 25 bits) finds them.
BLOCKS = ((0, 13), (13, 13), (26, 13), (39, 13), (52, 12))  # (shift, width)
BLOCK_PAIRS = tuple(combinations(range(len(BLOCKS)), 2))
KEY_BITS = 26  # block-pair values fit in 26 bits; the pair's index goes above them


def simhash64(text: str) -> int:
    """``simhash.Simhash(text).value``: the same windows, md5 and majority, compiled (no per-window Python)."""
    content = NOT_WORD.sub("", text.lower())
    return int(simhash_points(np.frombuffer(content.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)))


def matching_lines(text: str) -> list[str]:
    """``[matching_text(line) for line in text.splitlines()]`` with one normalisation of the whole text.

    NFKC, OpenCC and the punctuation filter never join or split lines (no line break composes, converts or is
    kept), so normalising once and splitting after gives the same lines; their concatenation is
    ``matching_text(text)``. The tests check both.
    """
    return [NON_TEXT.sub("", line) for line in to_simplified(nfkc(text)).splitlines()]


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & 0xFFFFFFFFFFFFFFFF).bit_count()


def lookup_keys(value: int) -> tuple[int, ...]:
    """The 10 block-pair keys of a fingerprint: two fingerprints within distance 3 share at least one."""
    blocks = [(value >> shift) & ((1 << width) - 1) for shift, width in BLOCKS]
    return tuple((pair << KEY_BITS) | (blocks[i] << 13) | blocks[j] for pair, (i, j) in enumerate(BLOCK_PAIRS))


def to_signed(value: int) -> int:
    """Unsigned 64-bit → signed, for a BigInteger column."""
    return value - (1 << 64) if value >= 1 << 63 else value


def to_unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def paragraph_key(normalised: str) -> int | None:
    """A signed 63-bit key of a paragraph's matching form; None for short ones (headings, formulas)."""
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
    """Fingerprints of an extracted body (one paragraph per line), normalising it once."""
    lines = matching_lines(text)
    normalised = "".join(lines)
    return Fingerprint(
        simhash=simhash64(normalised),
        exact=hashlib.sha1(normalised.encode("utf-8")).hexdigest(),
        length=len(normalised),
        paragraph_keys=tuple(sorted({key for key in map(paragraph_key, lines) if key is not None})),
    )
