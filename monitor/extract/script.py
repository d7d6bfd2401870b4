"""Script (simplified / traditional), masked names and the normalised text used for matching."""

from __future__ import annotations

import re
from functools import cache, lru_cache

import numpy as np

from storage.search.fold import nfkc

MASK = re.compile(
    r"(?:[XxＸ×]{1,3}|[*＊]{2,}|某某?)(?=[省市区縣县镇乡街局委办])|(?<![A-Za-z])(?:XXX|XX|xx|xxx)(?![A-Za-z])|[*＊]{2,}"
)
MASK_CHAR = re.compile("[XxＸ×*＊某]")  # every mask holds one: a quick search first (most texts hold none)
NON_TEXT = re.compile(r"[\W_]+", re.UNICODE)


@cache
def _converter(config: str):
    import opencc

    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    return _converter("t2s").convert(text)


def code_points(text: str) -> np.ndarray:
    """The text's code points (lone surrogates too), for counting and comparing characters at C speed."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _cjk(points: np.ndarray) -> np.ndarray:
    return points[(points >= 0x4E00) & (points <= 0x9FFF)]


def count_cjk(text: str) -> int:
    """Characters of the CJK Unified Ideographs block (U+4E00–U+9FFF) in ``text``."""
    return len(_cjk(code_points(text)))


def detect_script(text: str, threshold: float = 0.02) -> str:
    """``traditional`` when converting to simplified changes at least ``threshold`` of the CJK characters."""
    cjk = _cjk(code_points(text))[:20_000]
    if not len(cjk):
        return "simplified"
    converted = code_points(to_simplified(cjk.tobytes().decode("utf-32-le")))
    both = min(len(cjk), len(converted))  # a phrase rule may change the length: compared as far as both go
    changed = int(np.count_nonzero(cjk[:both] != converted[:both]))
    return "traditional" if changed / len(cjk) >= threshold else "simplified"


def has_masked_names(text: str) -> bool:
    """Names masked by reposters: ``X市``, ``XX区``, ``**``, ``xx``, ``某某县``."""
    return MASK_CHAR.search(text) is not None and MASK.search(text) is not None


def matching_text(text: str) -> str:
    """NFKC, simplified script, no punctuation or whitespace: the form reposts are compared in."""
    if len(text) <= SHORT:  # clauses: mining compares each with the speech's others, again and again
        return _matching_short(text)
    return _matching(text)


SHORT = 400  # characters of a text whose matching form is remembered


def _matching(text: str) -> str:
    return NON_TEXT.sub("", to_simplified(nfkc(text)))


_matching_short = lru_cache(maxsize=32_768)(_matching)
