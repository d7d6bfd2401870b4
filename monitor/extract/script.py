"""Script (simplified / traditional), masked names and the normalised text used for matching."""

from __future__ import annotations

import re
from functools import cache, lru_cache

from storage.search.fold import nfkc

MASK = re.compile(
    r"(?:[XxＸ×]{1,3}|[*＊]{2,}|某某?)(?=[省市区縣县镇乡街局委办])|(?<![A-Za-z])(?:XXX|XX|xx|xxx)(?![A-Za-z])|[*＊]{2,}"
)
NON_TEXT = re.compile(r"[\W_]+", re.UNICODE)


@cache
def _converter(config: str):
    import opencc

    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    return _converter("t2s").convert(text)


def detect_script(text: str, threshold: float = 0.02) -> str:
    """``traditional`` when converting to simplified changes at least ``threshold`` of the CJK characters."""
    cjk = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    if not cjk:
        return "simplified"
    sample = "".join(cjk[:20_000])
    converted = to_simplified(sample)
    changed = sum(1 for a, b in zip(sample, converted, strict=False) if a != b)
    return "traditional" if changed / len(sample) >= threshold else "simplified"


def has_masked_names(text: str) -> bool:
    """Names masked by reposters: ``X市``, ``XX区``, ``**``, ``xx``, ``某某县``."""
    return bool(MASK.search(text))


def matching_text(text: str) -> str:
    """NFKC, simplified script, no punctuation or whitespace: the form reposts are compared in."""
    if len(text) <= SHORT:  # clauses: mining compares each with the speech's others, again and again
        return _matching_short(text)
    return _matching(text)


SHORT = 400  # characters of a text whose matching form is remembered


def _matching(text: str) -> str:
    return NON_TEXT.sub("", to_simplified(nfkc(text)))


_matching_short = lru_cache(maxsize=32_768)(_matching)
