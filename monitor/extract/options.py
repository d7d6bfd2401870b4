"""Every knob of the extractor in one place (trafilatura style)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExtractOptions:
    chrome_min_pages: int = 3  # a line is learned chrome once seen on at least this many pages of a host …
    chrome_min_share: float = 0.5  # … and on at least this share of the host's pages
    chrome_max_line: int = 120  # only lines up to this many characters are counted as chrome candidates
    promo_max_line: int = 30  # a promotion keyword removes a line only up to this length (or with a handle)
    header_scan_lines: int = 10  # the speech header (title, ——在…讲话, byline, date) is looked for this far
    min_body_chars: int = 200  # a selected block shorter than this falls back to the next strategy
    bizenv_threshold: float = 1.0  # relevance score from which the topic is "bizenv"
    traditional_share: float = 0.02  # share of characters changed by t2s from which a text is traditional


DEFAULT_OPTIONS = ExtractOptions()
