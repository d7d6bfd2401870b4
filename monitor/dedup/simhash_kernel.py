"""The simhash package's 64-bit simhash over code points, compiled with numba.

``simhash.Simhash(text)`` hashes every distinct 4-character window with md5 in Python and sums the bits of the
last 8 digest bytes, weighted by how often the window occurs. Summing over every window, repeats included, gives
the same sums, so this kernel needs no dictionary: each window's code points are encoded as UTF-8 into one md5
block (at most 16 bytes: always a single block), and the md5 compression runs on ``LANES`` windows at once, one
window per lane, in loops the compiler turns into SIMD instructions (md5 is serial within one message, so
across messages is where the parallelism is; 1.5–2.5x over one window at a time here). The 64 bits of each
digest tail are added to byte-wide counters, eight bits per operation.

Compiled on first use and cached on disk (``cache=True``, in ``__pycache__`` or numba's user cache when that is
not writable): a few seconds the first time on this machine, then well under a second to load in a new process
(see ``bench/bench_fingerprint.py``, which measures both).
"""

from __future__ import annotations

import math

import numba
import numpy as np

LANES = 16  # windows hashed together: 16 x 32 bits fills an AVX-512 register, two AVX2 ones
_SHIFTS = np.array((7, 12, 17, 22) * 4 + (5, 9, 14, 20) * 4 + (4, 11, 16, 23) * 4 + (6, 10, 15, 21) * 4, np.uint32)
_SINES = np.array([int(abs(math.sin(i + 1)) * 2**32) & 0xFFFFFFFF for i in range(64)], dtype=np.uint32)  # RFC 1321
_WORD = np.array([r if r < 16 else (5 * r + 1) % 16 if r < 32 else (3 * r + 5) % 16 if r < 48 else 7 * r % 16
                  for r in range(64)], dtype=np.int64)  # fmt: skip
_LANE_BITS = np.uint64(0x0101010101010101)
_FLUSH_EVERY = 15  # groups of LANES windows between counter flushes: 15 x 16 = 240 < 256, no byte overflows


@numba.njit(cache=True, nogil=True, inline="always")
def _put(blocks: np.ndarray, lane: int, position: int, byte: np.uint32) -> None:
    blocks[position >> 2, lane] |= byte << np.uint32(8 * (position & 3))


@numba.njit(cache=True, nogil=True)
def _utf8_block(points: np.ndarray, start: int, stop: int, blocks: np.ndarray, lane: int) -> None:
    """Lane ``lane`` of ``blocks`` (16 little-endian words per lane): ``points[start:stop]`` as UTF-8, padded."""
    for w in range(16):
        blocks[w, lane] = 0
    length = 0
    for j in range(start, stop):
        c = np.uint32(points[j])
        if c < 0x80:
            _put(blocks, lane, length, c)
            length += 1
        elif c < 0x800:
            _put(blocks, lane, length, np.uint32(0xC0 | (c >> 6)))
            _put(blocks, lane, length + 1, np.uint32(0x80 | (c & 0x3F)))
            length += 2
        elif c < 0x10000:
            _put(blocks, lane, length, np.uint32(0xE0 | (c >> 12)))
            _put(blocks, lane, length + 1, np.uint32(0x80 | ((c >> 6) & 0x3F)))
            _put(blocks, lane, length + 2, np.uint32(0x80 | (c & 0x3F)))
            length += 3
        else:
            _put(blocks, lane, length, np.uint32(0xF0 | (c >> 18)))
            _put(blocks, lane, length + 1, np.uint32(0x80 | ((c >> 12) & 0x3F)))
            _put(blocks, lane, length + 2, np.uint32(0x80 | ((c >> 6) & 0x3F)))
            _put(blocks, lane, length + 3, np.uint32(0x80 | (c & 0x3F)))
            length += 4
    _put(blocks, lane, length, np.uint32(0x80))
    blocks[14, lane] = np.uint32(length * 8)


@numba.njit(cache=True, nogil=True)
def _md5_lanes(blocks: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray) -> None:
    """The md5 compression of every lane's block from the initial state; the state is left in ``a, b, c, d``."""
    for lane in range(LANES):
        a[lane], b[lane], c[lane], d[lane] = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476
    for r in range(64):
        word, shift, sine = _WORD[r], _SHIFTS[r], _SINES[r]
        for lane in range(LANES):
            bb, cc, dd = b[lane], c[lane], d[lane]
            if r < 16:
                f = (bb & cc) | (~bb & dd)
            elif r < 32:
                f = (dd & bb) | (~dd & cc)
            elif r < 48:
                f = bb ^ cc ^ dd
            else:
                f = cc ^ (bb | ~dd)
            x = np.uint32(f + a[lane] + sine + blocks[word, lane])
            a[lane], d[lane], c[lane] = dd, cc, bb
            b[lane] = np.uint32(bb + np.uint32((x << shift) | (x >> np.uint32(32 - shift))))


@numba.njit(cache=True, nogil=True)
def _tail(c: np.uint32, d: np.uint32) -> np.uint64:
    """The last 8 digest bytes (the final ``c`` and ``d`` words, little-endian each) read big-endian."""
    c = np.uint32(c + np.uint32(0x98BADCFE))
    d = np.uint32(d + np.uint32(0x10325476))
    tail = np.uint64(0)
    for word in (c, d):
        for byte in range(4):
            tail = (tail << np.uint64(8)) | np.uint64((word >> np.uint32(8 * byte)) & np.uint32(0xFF))
    return tail


@numba.njit(cache=True, nogil=True)
def simhash_points(points: np.ndarray) -> np.uint64:
    """Simhash of the text whose code points (lower-cased word characters only) are ``points``.

    Windows as the package slides them: ``max(n - 3, 1)`` windows of 4 code points (one shorter window when the
    text has fewer than 4, the empty string included). A bit is set when more than half the windows set it.
    """
    n = points.shape[0]
    windows = max(n - 3, 1)
    counts = np.zeros(64, dtype=np.int64)
    lanes = np.zeros(8, dtype=np.uint64)  # 8 byte-wide counters per word, flushed before they can overflow
    blocks = np.zeros((16, LANES), dtype=np.uint32)
    a, b = np.zeros(LANES, dtype=np.uint32), np.zeros(LANES, dtype=np.uint32)
    c, d = np.zeros(LANES, dtype=np.uint32), np.zeros(LANES, dtype=np.uint32)
    for group, start in enumerate(range(0, windows, LANES)):
        used = min(LANES, windows - start)
        for lane in range(used):
            _utf8_block(points, start + lane, min(start + lane + 4, n), blocks, lane)
        _md5_lanes(blocks, a, b, c, d)
        for lane in range(used):
            tail = _tail(c[lane], d[lane])
            for k in range(8):
                lanes[k] += (tail >> np.uint64(k)) & _LANE_BITS
        if group % _FLUSH_EVERY == _FLUSH_EVERY - 1 or start + LANES >= windows:
            for k in range(8):
                for byte in range(8):
                    counts[byte * 8 + k] += np.int64((lanes[k] >> np.uint64(8 * byte)) & np.uint64(0xFF))
                lanes[k] = 0
    value = np.uint64(0)
    for j in range(64):
        if 2 * counts[j] > windows:
            value |= np.uint64(1) << np.uint64(j)
    return value
