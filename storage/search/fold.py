"""The one text form that search indexes and queries share, and the character grams of the short-query path.

``fold`` is NFKC, traditional → simplified (OpenCC ``t2s``), lower case, and every run of characters that are
not letters or digits (punctuation, spaces, line breaks, ``_``) turned into one space. Index and query both go
through it, so ``營商環境`` finds ``营商环境``, ``ＡＢＣ`` finds ``abc`` and ``1.5亿`` finds ``1、5亿``.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import insort
from functools import cache

NON_WORD = re.compile(r"[\W_]+")
WORD_RUN = re.compile(r"[^\W_]+")


@cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """OpenCC ``t2s``, kept character-aligned: a phrase rule that changes the length is applied per character.

    Alignment lets :func:`fold_with_map` point back into the original text for snippets.
    """
    converted = _t2s().convert(text)
    if len(converted) == len(text):
        return converted
    out = []
    for line in text.split("\n"):
        line_converted = _t2s().convert(line)
        if len(line_converted) != len(line):
            line_converted = "".join(c2 if len(c2 := _t2s().convert(c)) == 1 else c for c in line)
        out.append(line_converted)
    return "\n".join(out)


def fold(text: str | None) -> str:
    """The searchable form of ``text`` (see the module docstring)."""
    if not text:
        return ""
    form = to_simplified(unicodedata.normalize("NFKC", text)).lower()
    return NON_WORD.sub(" ", form).strip()


@cache
def _folds_to_space(char: str) -> bool:
    """A character that is not a letter or digit and whose NFKC form has none either (``，`` but not ``㈠``)."""
    return not WORD_RUN.search(unicodedata.normalize("NFKC", char))


@cache
def _nfkc(char: str) -> str:
    return unicodedata.normalize("NFKC", char)


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """Like :func:`fold` (character by character), with the original index of every folded character.

    Used on the few texts of one result page, to place highlights in the original text.
    """
    simplified = to_simplified(text)
    lowered = simplified.lower()
    runs = [(m.start(), m.group()) for m in WORD_RUN.finditer(lowered)]
    if (
        len(lowered) == len(text)
        and unicodedata.is_normalized("NFKC", "".join(run for _, run in runs))
        and all(_folds_to_space(c) for c in set(lowered) if not WORD_RUN.match(c))
    ):  # the usual case (letters stable, punctuation only punctuation under NFKC): at C speed
        where = []
        for n, (start, run) in enumerate(runs):
            if n:
                where.append(start - 1)  # the space stands for what separated the runs
            where.extend(range(start, start + len(run)))
        return " ".join(run for _, run in runs), where
    normal: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        for piece in _nfkc(char):
            normal.append(piece)
            origin.append(index)
    chars: list[str] = []
    where: list[int] = []
    for position, char in enumerate(to_simplified("".join(normal))):
        for lowered in char.lower():
            piece = " " if NON_WORD.match(lowered) else lowered
            if piece == " " and (not chars or chars[-1] == " "):
                continue
            chars.append(piece)
            where.append(origin[position])
    while chars and chars[-1] == " ":
        chars.pop()
        where.pop()
    return "".join(chars), where


def grams(folded: str) -> set[str]:
    """Every character and every pair of adjacent characters of a folded text, spaces excluded.

    A term of one or two characters occurs in the text exactly when it is one of these: the exact, index-only
    path for the short queries a trigram index cannot answer.
    """
    found = set(folded)
    found.update(a + b for a, b in zip(folded, folded[1:], strict=False))
    return {g for g in found if " " not in g}


def term_grams(term: str) -> set[str]:
    """The grams every text holding the folded ``term`` holds: its pairs without a space (the term itself when
    it is one character; its characters when every pair has a space, as in ``a b c``).

    A candidate filter, exact for terms of 1–2 characters; a longer term still needs its text checked.
    """
    if len(term) == 1:
        return {term}
    pairs = {term[i : i + 2] for i in range(len(term) - 1)}
    return {p for p in pairs if " " not in p} or {c for c in term if c != " "}


def gram_string(*folded: str) -> str:
    """The grams of some folded texts as one space-separated string (what the SQLite gram index stores)."""
    found: set[str] = set()
    for text in folded:
        found |= grams(text)
    return " ".join(sorted(found))


Folded = tuple[str, str]  # a text folded, and the grams of the folded text, sorted and joined by spaces


def folded_with_grams(text: str | None) -> Folded:
    """``fold(text)`` and its sorted grams as one space-separated string (``gram_string``): what the search index
    computes from a row's long column, in a worker process (one string pickles 10× faster than a list; sorted
    there, as PostgreSQL's ``tsvector`` input takes 0.18 ms more per row to sort them itself)."""
    folded = fold(text)
    return folded, " ".join(sorted(grams(folded)))


def merged_grams(folded: str, known: str) -> str:
    """``gram_string`` of ``folded`` and of the text whose ``gram_string`` is ``known``: a short text's few grams
    looked up in a long text's, computed ahead, and inserted in order."""
    padded = f" {known} "
    extra = [g for g in grams(folded) if f" {g} " not in padded]
    if not extra:
        return known
    merged = known.split()
    for gram in extra:
        insort(merged, gram)
    return " ".join(merged)
