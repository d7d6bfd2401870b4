"""Site profiles for the extractor: each host's learned chrome (from storage) and its source's selectors."""

from __future__ import annotations

import math
import threading

from monitor.extract.chrome import SiteChrome
from monitor.extract.core import SiteProfile
from monitor.extract.options import DEFAULT_OPTIONS, ExtractOptions
from storage.chrome import load_chrome_counts
from storage.database import Database


def worth_loading(pages: int, options: ExtractOptions = DEFAULT_OPTIONS) -> int:
    """The fewest pages a stored line must have been seen on to be loaded: half the count that makes a line chrome
    on a host of ``pages`` pages (at least 1).

    Every line at or above the threshold is loaded, so answers under the stored counts (the end-of-run
    re-extraction) are exact; a line below half of it needs a run of about as many pages as the host has already
    had to become chrome, and then the re-extraction at the end puts that run's pages right. Not loading the lines
    seen on few pages (a host's body lines: nearly all of its rows) keeps loading a profile flat as a host grows.
    """
    threshold = max(options.chrome_min_pages, math.ceil(options.chrome_min_share * pages))
    return max(1, threshold // 2)


class SiteProfiles:
    """A cache of profiles by host, loaded from storage on first use; safe to share between threads."""

    def __init__(self, db: Database, selectors: dict[str, str] | None = None, kind: str | None = None) -> None:
        self.db = db
        self.selectors = dict(selectors or {})
        self.kind = kind
        self._profiles: dict[str, SiteProfile] = {}
        self._lock = threading.Lock()

    def get(self, host: str) -> SiteProfile:
        with self._lock:
            profile = self._profiles.get(host)
            if profile is None:
                pages, counts = self.db.retrying(load_chrome_counts, self.db, host, min_pages=worth_loading)
                chrome = SiteChrome(host=host, pages=pages, counts=counts)
                profile = SiteProfile(host=host, kind=self.kind, selectors=self.selectors, chrome=chrome)
                self._profiles[host] = profile
            return profile
