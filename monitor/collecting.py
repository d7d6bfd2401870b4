"""Fewer garbage collections while bulk work runs (the post-run's clustering and mining, an ingest).

CPython collects its youngest generation every 700 tracked objects allocated (net), and an object that is alive
at two such collections moves to the oldest generation, whose collection walks every tracked object the process
holds. Bulk work holds thousands of rows at a time (a unit of work's ORM objects, a chunk's rows) for a few
milliseconds: at 700 they were collected young, promoted while still in use, and counted towards the next full
collection, which at a store of 100,000 documents walks the pledge indexes' millions of objects
(``bench/README.md``, fourteenth round). With a larger first threshold they die first, by reference counting.

What the process holds when the first block begins (the pledge indexes cached from earlier runs, the caches) is
set aside from collections until the last block ends (``gc.freeze``; ``gc.unfreeze`` after), so the full
collections that bulk work still brings walk only what it allocated: one took 4 s at 90,000 documents (the
fifteenth round). Nothing is lost by it: an object set aside is still freed by reference counting, and one in
a reference cycle is collected after the block. A process that froze objects itself keeps its own freeze.
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
_FROZE = [False]  # whether the first block set objects aside (the last one puts them back)


@contextmanager
def fewer_collections(young: int = YOUNG) -> Iterator[None]:
    """Raise the first collection threshold to at least ``young`` while the block runs (never lower it), then put
    back what was set before the first such block began (blocks may nest or overlap in threads); the objects
    alive when the first block began are set aside from collections until the last one ends."""
    with _LOCK:
        if _DEPTH[0] == 0:
            _SAVED[:] = [gc.get_threshold()]
            _FROZE[0] = gc.get_freeze_count() == 0  # a process's own freeze is left as it is
            if _FROZE[0]:
                gc.freeze()
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
                if _FROZE[0]:
                    gc.unfreeze()
