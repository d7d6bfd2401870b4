"""Worker processes kept for the life of this process, so that each run does not pay for starting them.

Starting a spawned worker costs 1–2 s of CPU (imports, OpenCC's dictionaries, numba's cached kernels): as much as
extracting a few hundred pages. A process that runs one post-run or import after another (the scheduler, the
benchmark) keeps its workers between runs. Each job carries what it needs, so nothing of a finished run can leak
into a later one (the ingest workers key their site profiles by run). A pool that broke is replaced on next use.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

log = logging.getLogger(__name__)
_POOLS: dict[tuple[str, int], tuple[int, ProcessPoolExecutor]] = {}  # (kind, processes) -> (owner pid, pool)


def worker_count(variable: str, default: int) -> int:
    """Worker processes from the environment variable ``variable``: a whole number (0 turns them off); unset,
    ``default`` on a machine with a second core, else 0."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return default if (os.cpu_count() or 1) >= 2 else 0
    try:
        return max(0, int(value))
    except ValueError:
        raise ValueError(f"{variable} must be a whole number of worker processes, not {value!r}") from None


def shared_pool(kind: str, processes: int = 1) -> ProcessPoolExecutor:
    """The pool of ``processes`` spawned workers for ``kind`` (e.g. ``"mining"``, ``"ingest-0"``), started on
    first use and kept; a pool with one process runs its jobs one after another, in the order sent."""
    key = (kind, processes)
    owner, pool = _POOLS.get(key, (None, None))
    if pool is None or owner != os.getpid() or getattr(pool, "_broken", False):
        # spawn, not fork: the caller may hold threads (the scheduler) and open database connections
        pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"))
        _POOLS[key] = (os.getpid(), pool)
    return pool


def discard(pool: ProcessPoolExecutor) -> None:
    """Stop a pool that failed (its jobs cancelled); the next :func:`shared_pool` call starts a new one."""
    for key, (_, kept) in list(_POOLS.items()):
        if kept is pool:
            del _POOLS[key]
    pool.shutdown(wait=False, cancel_futures=True)


def shutdown_all() -> None:
    """Stop every kept worker (at exit, and for tests that count processes)."""
    while _POOLS:
        _, (owner, pool) = _POOLS.popitem()
        if owner == os.getpid():
            pool.shutdown(wait=True, cancel_futures=True)


atexit.register(shutdown_all)
