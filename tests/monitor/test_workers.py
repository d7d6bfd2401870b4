"""Worker pools kept for the life of the process: reused between runs, replaced when broken or discarded."""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool

import pytest

from monitor import workers


def process_id() -> int:
    return os.getpid()


def die() -> None:
    os._exit(3)


def test_a_kept_pool_is_reused_and_a_broken_or_discarded_one_replaced():
    first = workers.shared_pool("test")
    pid = first.submit(process_id).result(timeout=60)
    assert workers.shared_pool("test") is first  # the next run finds the started worker
    assert first.submit(process_id).result(timeout=60) == pid  # the same process: no second start-up
    with pytest.raises(BrokenProcessPool):
        first.submit(die).result(timeout=60)
    second = workers.shared_pool("test")
    assert second is not first and second.submit(process_id).result(timeout=60) != pid
    workers.discard(second)
    assert workers.shared_pool("test") is not second
    workers.shutdown_all()
    assert workers._POOLS == {}


def test_the_worker_count_is_a_whole_number_from_the_environment(monkeypatch):
    monkeypatch.setenv("SPEECHWATCH_TEST_WORKERS", " 3 ")
    assert workers.worker_count("SPEECHWATCH_TEST_WORKERS", 1) == 3
    monkeypatch.setenv("SPEECHWATCH_TEST_WORKERS", "-2")
    assert workers.worker_count("SPEECHWATCH_TEST_WORKERS", 1) == 0
    monkeypatch.setenv("SPEECHWATCH_TEST_WORKERS", "many")
    with pytest.raises(ValueError, match="SPEECHWATCH_TEST_WORKERS must be a whole number"):
        workers.worker_count("SPEECHWATCH_TEST_WORKERS", 1)
    monkeypatch.delenv("SPEECHWATCH_TEST_WORKERS")
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert workers.worker_count("SPEECHWATCH_TEST_WORKERS", 2) == 0  # one core: no workers by default
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert workers.worker_count("SPEECHWATCH_TEST_WORKERS", 2) == 2
