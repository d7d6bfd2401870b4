"""Crawled text made safe to show: bidi controls neutralised, links only to http(s), matches and pledges marked.

Everything here returns plain strings or :class:`markupsafe.Markup` built from escaped pieces, so a template can
never print a crawled string unescaped by accident.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from monitor.query import MARK_END, MARK_START

# U+202A–U+202E (embeddings, overrides) and U+2066–U+2069 (isolates) can reorder what a reader sees
# (CVE-2021-42574, "Trojan Source"); shown as nothing.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean(value: object) -> str:
    """The text to display: without bidi overrides or control characters; ``None`` becomes ``""``."""
    if value is None:
        return ""
    return CONTROL.sub("", BIDI_CONTROLS.sub("", str(value)))


def safe_href(url: object) -> str | None:
    """``url`` when it is an absolute http(s) URL with a host, else ``None`` (no ``javascript:``, ``data:`` …)."""
    if not isinstance(url, str):
        return None
    candidate = url.strip()
    if not candidate or any(ord(c) < 0x21 or c in "\u007f" for c in candidate) or BIDI_CONTROLS.search(candidate):
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return candidate


def link(label: object, url: object) -> Markup:
    """An ``<a>`` to ``url`` when it is http(s), else the label (and the URL) as plain text."""
    href = safe_href(url)
    text = clean(label)
    if href is None:
        return Markup("{}").format(text) if url in (None, "") else Markup("{} <code>{}</code>").format(text, clean(url))
    return Markup('<a href="{}" rel="noopener noreferrer nofollow" target="_blank">{}</a>').format(href, text)


def marked(value: object) -> Markup:
    """A search snippet with its ``⟦match⟧`` markers as ``<mark>`` (the markers never come from the text)."""
    text = clean(value).replace(MARK_END, MARK_START)
    out = Markup("")
    for n, part in enumerate(text.split(MARK_START)):
        out += Markup("<mark>{}</mark>").format(part) if n % 2 else escape(part)
    return out


@dataclass
class Segment:
    """A run of the speech text: plain, or one commitment's words."""

    text: str
    commitment_id: int | None = None
    status: str | None = None


def locate(text: str, commitment: dict, canonical_id: int | None) -> tuple[int, int] | None:
    """Where a commitment's words are in the canonical copy's text.

    The stored offsets are into the text of the copy it was mined from (``document_id``); they are trusted when that
    is the canonical copy and the slice still says the same, else the words are looked up in the text.
    """
    words = commitment.get("text") or ""
    start, end = commitment.get("start"), commitment.get("end")
    if (
        commitment.get("document_id") == canonical_id
        and isinstance(start, int)
        and isinstance(end, int)
        and 0 <= start < end <= len(text)
        and _same(text[start:end], words)
    ):
        return start, end
    if words:
        at = text.find(words)
        if at >= 0:
            return at, at + len(words)
    return None


def _same(a: str, b: str) -> bool:
    from monitor.extract.script import matching_text

    return a == b or matching_text(a) == matching_text(b)


def segments(text: str, commitments: list[dict], canonical_id: int | None) -> tuple[list[Segment], list[int]]:
    """The text cut into plain runs and commitment runs; also the ids of commitments not found in it.

    Overlapping commitments keep the first (earlier start, then longer); the others are listed as not placed.
    """
    placed, missing = [], []
    for c in commitments:
        where = locate(text, c, canonical_id)
        if where is None:
            missing.append(c["id"])
        else:
            placed.append((where[0], -where[1], c))
    placed.sort(key=lambda item: (item[0], item[1]))
    out: list[Segment] = []
    position = 0
    for start, negative_end, c in placed:
        end = -negative_end
        if start < position:
            missing.append(c["id"])
            continue
        if start > position:
            out.append(Segment(text[position:start]))
        out.append(Segment(text[start:end], c["id"], c.get("status")))
        position = end
    if position < len(text):
        out.append(Segment(text[position:]))
    return out, missing
