"""Named cross-process locks on both back ends."""

from __future__ import annotations

import pytest

from storage.database import Database
from storage.locks import LockBusy, exclusive


def test_a_held_lock_refuses_a_second_holder(db_url):
    first, second = Database(db_url), Database(db_url)
    try:
        with exclusive(first, "scheduler"):
            with pytest.raises(LockBusy), exclusive(second, "scheduler", wait=False):
                pass
            with exclusive(second, "other-name", wait=False):
                pass
        with exclusive(second, "scheduler", wait=False):  # released
            pass
    finally:
        first.close()
        second.close()
