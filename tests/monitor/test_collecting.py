"""Fewer garbage collections while bulk work runs: the threshold raised, then put back."""

import gc
import threading

import pytest

from monitor.collecting import fewer_collections


@pytest.fixture
def thresholds():
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def tracked(obj: object) -> bool:
    """Whether ``obj`` is in a generation the collector walks (not set aside by ``gc.freeze``)."""
    return any(other is obj for other in gc.get_objects())


def test_the_first_threshold_is_raised_in_the_block_and_put_back_after(thresholds):
    with fewer_collections(20_000):
        assert gc.get_threshold() == (20_000, 10, 10)
        with fewer_collections(5_000):  # nested: never lowered below what the outer block set
            assert gc.get_threshold()[0] == 20_000
        assert gc.get_threshold() == (20_000, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("bulk work failed")
    assert gc.get_threshold() == (700, 10, 10)


def test_a_higher_setting_of_the_process_is_kept(thresholds):
    gc.set_threshold(100_000, 10, 10)
    with fewer_collections(20_000):
        assert gc.get_threshold()[0] == 100_000
    assert gc.get_threshold() == (100_000, 10, 10)


def test_blocks_overlapping_in_threads_put_back_the_setting_from_before_the_first(thresholds):
    inside, leave = threading.Event(), threading.Event()

    def bulk() -> None:
        with fewer_collections(20_000):
            inside.set()
            leave.wait(10)

    thread = threading.Thread(target=bulk)
    with fewer_collections(20_000):
        thread.start()
        assert inside.wait(10)
    assert gc.get_threshold()[0] == 20_000  # the thread's block is still open
    leave.set()
    thread.join()
    assert gc.get_threshold() == (700, 10, 10)


def test_what_the_process_holds_is_set_aside_in_the_block_and_put_back_after(thresholds):
    held = [[index] for index in range(1000)]  # tracked objects alive before the block
    assert gc.get_freeze_count() == 0
    with fewer_collections():
        assert gc.get_freeze_count() >= len(held) and not tracked(held[0])
        inner = [3]
        with fewer_collections():  # nested: nothing more set aside
            assert tracked(inner)
        cycle: list = []
        cycle.append(cycle)  # garbage in a cycle made in the block is still collected in it
        del cycle
        assert gc.collect() >= 1
    assert gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("bulk work failed")
    assert gc.get_freeze_count() == 0 and tracked(held[0])


def test_a_freeze_of_the_process_is_left_as_it_is(thresholds):
    frozen_before = [1]
    gc.freeze()
    try:
        younger = [2]  # tracked after the process's freeze: the block sets nothing more aside
        with fewer_collections():
            assert not tracked(frozen_before) and tracked(younger)
        assert not tracked(frozen_before) and gc.get_freeze_count() > 0  # the block did not put them back
    finally:
        gc.unfreeze()
    assert tracked(frozen_before)
