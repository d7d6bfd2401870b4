"""Site profiles load the lines that can matter, and their answers under the stored counts are exact."""

from __future__ import annotations

import random
from collections import Counter

from monitor.extract.chrome import SiteChrome
from monitor.profiles import SiteProfiles, worth_loading
from storage.chrome import apply_chrome_counts, load_chrome_counts


def test_half_the_chrome_threshold_of_the_host_is_loaded() -> None:
    assert worth_loading(0) == 1 and worth_loading(4) == 1  # a young host: every line (threshold 3)
    assert worth_loading(10) == 2  # threshold 5
    assert worth_loading(10_000) == 2_500  # threshold 5,000: the body lines of its pages stay in storage


def test_answers_under_the_stored_counts_are_those_of_a_full_load(database) -> None:
    rng = random.Random(5)
    host, pages = "www.example.gov.cn", 400
    counts = Counter({key: rng.choice([1, 1, 1, 2, 3, 50, 150, 199, 200, 201, 390]) for key in range(3_000)})
    with database.write() as session:
        apply_chrome_counts(session, database.dialect, host, pages, counts)
    profile = SiteProfiles(database).get(host).chrome
    full_pages, full = load_chrome_counts(database, host, min_pages=1)
    everything = SiteChrome(host=host, pages=full_pages, counts=full)
    assert profile.pages == pages and len(full) == 3_000
    assert len(profile.counts) < len(full) / 2  # the rare lines were left in storage
    assert all(profile.is_chrome_key(key) == everything.is_chrome_key(key) for key in full)
    assert sum(everything.is_chrome_key(key) for key in full) > 100  # the test asks about real chrome too
