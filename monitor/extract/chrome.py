"""Chrome learned per site: a short line that recurs on many pages of one host is chrome, whatever it says.

The statistics are plain counts (pages of the host, pages each line key was seen on); storage keeps them and
updates them as documents arrive (``storage.chrome``), so a new site needs no hand-written pattern.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from monitor.extract.options import DEFAULT_OPTIONS, ExtractOptions
from monitor.extract.script import matching_text


def line_key(line: str) -> int:
    """A signed 63-bit key of the line's matching form (fits a BigInteger column)."""
    digest = hashlib.blake2b(matching_text(line).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def page_keys(lines: Iterable[str], options: ExtractOptions = DEFAULT_OPTIONS) -> set[int]:
    """Keys of a page's short lines: the candidates for chrome, counted once per page."""
    return {line_key(line) for line in lines if 0 < len(line) <= options.chrome_max_line and matching_text(line)}


@dataclass
class SiteChrome:
    """Line statistics of one host; thread-safe so that extraction threads can learn while they work."""

    host: str
    pages: int = 0
    counts: dict[int, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def learn(self, keys: set[int]) -> None:
        with self._lock:
            self.pages += 1
            for key in keys:
                self.counts[key] = self.counts.get(key, 0) + 1

    def is_chrome(self, line: str, options: ExtractOptions = DEFAULT_OPTIONS) -> bool:
        if len(line) > options.chrome_max_line or self.pages < options.chrome_min_pages:
            return False
        seen = self.counts.get(line_key(line), 0)
        return seen >= options.chrome_min_pages and seen >= options.chrome_min_share * self.pages
