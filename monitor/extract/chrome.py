"""Chrome learned per site: a short line that recurs on many pages of one host is chrome, whatever it says.

The statistics are plain counts (pages of the host, pages each line key was seen on); storage keeps them and
updates them as documents arrive (``storage.chrome``), so a new site needs no hand-written pattern.
"""

from __future__ import annotations

import hashlib
import threading
from array import array
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
        return self.is_chrome_key(line_key(line), options)

    def is_chrome_key(self, key: int, options: ExtractOptions = DEFAULT_OPTIONS) -> bool:
        """The rule for a short line, by its key."""
        if self.pages < options.chrome_min_pages:
            return False
        seen = self.counts.get(key, 0)
        return seen >= options.chrome_min_share * self.pages and seen >= options.chrome_min_pages


class ChromeChecks:
    """Learned-chrome answers one extraction relied on (an ``is_learned_chrome`` callable that records them).

    The extractor's result depends on the site's statistics only through these answers, so a page whose
    answers all hold under the statistics of a later moment would be extracted the same then: re-extracting
    a run once its sites' chrome is counted can skip it (``holds_under``).
    """

    def __init__(self, chrome: SiteChrome, options: ExtractOptions = DEFAULT_OPTIONS) -> None:
        self.chrome = chrome
        self.options = options
        self.answers: dict[int, bool] = {}

    def __call__(self, line: str) -> bool:
        if len(line) > self.options.chrome_max_line:
            return False  # no statistics make a long line chrome
        key = line_key(line)
        answer = self.answers[key] = self.chrome.is_chrome_key(key, self.options)
        return answer

    def packed(self) -> tuple[array, array]:
        """The answers as two compact arrays of keys (chrome, not chrome), for keeping many pages' answers."""
        chrome = array("q", [key for key, answer in self.answers.items() if answer])
        return chrome, array("q", [key for key, answer in self.answers.items() if not answer])


def answers_hold(packed: tuple[array, array], chrome: SiteChrome, options: ExtractOptions = DEFAULT_OPTIONS) -> bool:
    """Whether every recorded answer (``ChromeChecks.packed``) is still the answer under ``chrome``."""
    chrome_keys, plain_keys = packed
    return all(chrome.is_chrome_key(key, options) for key in chrome_keys) and not any(
        chrome.is_chrome_key(key, options) for key in plain_keys
    )
