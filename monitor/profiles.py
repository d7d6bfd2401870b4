"""Site profiles for the extractor: each host's learned chrome (from storage) and its source's selectors."""

from __future__ import annotations

import threading

from monitor.extract.chrome import SiteChrome
from monitor.extract.core import SiteProfile
from storage.chrome import load_chrome_counts
from storage.database import Database


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
                pages, counts = self.db.retrying(load_chrome_counts, self.db, host, min_pages=1)
                chrome = SiteChrome(host=host, pages=pages, counts=counts)
                profile = SiteProfile(host=host, kind=self.kind, selectors=self.selectors, chrome=chrome)
                self._profiles[host] = profile
            return profile
