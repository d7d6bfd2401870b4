"""Fewer garbage collections while bulk work runs (the post-run's clustering and mining, an ingest).

CPython collects its youngest generation every 700 tracked objects allocated (net), and an object that is alive
at two such collections moves to the oldest generation, whose collection walks every tracked object the process
holds. Bulk work holds thousands of rows at a time (a unit of work's ORM objects, a chunk's rows) for a few
milliseconds: at 700 they were collected young, promoted while still in use, and counted towards the next full
collection, which at a store of 100,000 documents walks the pledge indexes' millions of objects
(``bench/README.md``, fourteenth round). With a larger first threshold they die first, by reference counting.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: tracked objects allocated (net) between collections of the youngest generation while bulk work runs
YOUNG = 20_000
_LOCK = threading.Lock()
_DEPTH = [0]  # bulk blocks open in this process (thresholds are per process)
_SAVED: list[tuple[int, int, int]] = []


@contextmanager
def fewer_collections(young: int = YOUNG) -> Iterator[None]:
    """Raise the first collection threshold to at least ``young`` while the block runs (never lower it), then put
    back what was set before the first such block began (blocks may nest or overlap in threads)."""
    with _LOCK:
        if _DEPTH[0] == 0:
            _SAVED[:] = [gc.get_threshold()]
        _DEPTH[0] += 1
        first, *rest = gc.get_threshold()
        gc.set_threshold(max(young, first), *rest)
    try:
        yield
    finally:
        with _LOCK:
            _DEPTH[0] -= 1
            if _DEPTH[0] == 0:
                gc.set_threshold(*_SAVED.pop())
