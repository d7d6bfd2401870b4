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
from operator import add

import numpy as np

NON_WORD = re.compile(r"[\W_]+")
WORD_RUN = re.compile(r"[^\W_]+")
#: characters from which the array paths (:func:`nfkc`, :func:`gram_string`) are faster than plain Python; below
#: it their set-up costs more (both cross over near 80 characters here, ``bench/README.md``, fifteenth round)
LONG = 128


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


@cache
def _compatibility_singles() -> np.ndarray:
    """Per BMP code point: itself, or the one character NFKC maps it to when NFKD maps it to the same.

    Replacing a character by its full compatibility decomposition never changes a string's NFKC (NFKC is the
    composition of the concatenated decompositions), so mapping these ahead of ``unicodedata.normalize`` is
    exact; it lets the normaliser's quick check pass on Chinese text, whose full-width punctuation otherwise
    sends all of it down the slow path (0.23 ms of 0.32 ms for a 5 KB body).
    """
    table = np.arange(0x10000, dtype=np.uint32)
    for point in range(0x10000):
        if 0xD800 <= point < 0xE000:
            continue
        char = chr(point)
        decomposed = unicodedata.normalize("NFKD", char)
        if len(decomposed) == 1 and decomposed != char and decomposed == unicodedata.normalize("NFKC", char):
            table[point] = ord(decomposed)
    return table


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, several times faster on long Chinese text (see above)."""
    if len(text) < LONG:
        return unicodedata.normalize("NFKC", text)
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    mapped = np.where(points < 0x10000, _compatibility_singles()[np.minimum(points, 0xFFFF)], points)
    return unicodedata.normalize("NFKC", mapped.tobytes().decode("utf-32-le", "surrogatepass"))


def fold(text: str | None) -> str:
    """The searchable form of ``text`` (see the module docstring)."""
    if not text:
        return ""
    form = to_simplified(nfkc(text)).lower()
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
    found: set[str] = set()
    for word in folded.split():
        found.update(word)
        found.update(map(add, word, word[1:]))  # its pairs, at C speed
    return found


def index_grams(*folded: str, chars: bool = True) -> set[str]:
    """What a gram index stores of some folded texts: their :func:`grams`; with ``chars=False`` (PostgreSQL) less
    each character that starts one of the pairs, since a search finds it as the prefix of that pair
    (:func:`gram_match`): a third fewer entries per text, and the GIN index's upkeep per speech row 1.5 -> 0.9 ms
    (``bench/README.md``). SQLite keeps every character: FTS5's prefix queries were 3.7x slower, and writing
    the fewer tokens no faster."""
    pairs: set[str] = set()
    starts: set[str] = set()  # with chars: every character; without: those that start a pair
    ends: set[str] = set()  # the last characters of the words: the only ones that may start no pair
    for text in folded:
        for word in text.split():
            pairs.update(map(add, word, word[1:]))
            if chars:
                starts.update(word)
            else:
                starts.update(word[:-1])
                ends.add(word[-1])
    return pairs | starts if chars else pairs | (ends - starts)


def stores_every_char(dialect: str) -> bool:
    """Whether the back end's gram index holds every character alone (``chars`` of :func:`index_grams`)."""
    return dialect == "sqlite"


def term_grams(term: str) -> set[str]:
    """The grams every text holding the folded ``term`` holds: its pairs without a space (the term itself when
    it is one character; its characters when every pair has a space, as in ``a b c``).

    A candidate filter (each through :func:`gram_match`), exact for terms of 1–2 characters; a longer term still
    needs its text checked.
    """
    if len(term) == 1:
        return {term}
    pairs = {term[i : i + 2] for i in range(len(term) - 1)}
    return {p for p in pairs if " " not in p} or {c for c in term if c != " "}


def gram_match(gram: str, dialect: str) -> str:
    """One gram as a term of a gram-index query: FTS5 ``"营商"``, ``"营"``; ``tsquery`` ``'营商'``, and a character
    as a prefix, ``'营':*``, since PostgreSQL stores it alone only where no pair starts with it (folded grams hold
    only letters and digits: no quoting beyond this)."""
    if stores_every_char(dialect):
        return f'"{gram}"'
    return f"'{gram}':*" if len(gram) == 1 else f"'{gram}'"


def gram_string(*folded: str, chars: bool = True) -> str:
    """The :func:`index_grams` of some folded texts as one space-separated string: sorted for PostgreSQL
    (``chars=False``), whose ``tsvector`` input took 0.18 ms more per row to sort them itself; in any order for
    SQLite's FTS5, which keeps no positions in the gram tables (``detail=none``; a contentless row is deleted
    with its tokens in any order: ``tests/storage/test_search.py``). Sorting a speech's ~1,600 grams was a third of
    this function's time, in the mining worker (the twelfth round). Long texts take :func:`_sorted_grams`, 5x
    faster on a speech (sorted for both back ends)."""
    if sum(map(len, folded)) >= LONG:
        return _sorted_grams(folded, chars)
    grams = index_grams(*folded, chars=chars)
    return " ".join(grams if chars else sorted(grams))


_SPACE = np.uint32(ord(" "))
_HIGH = np.uint64(32)


def _sorted_grams(folded: tuple[str, ...], chars: bool) -> str:
    """``sorted(index_grams(*folded, chars=chars))`` joined by spaces, on arrays of code points: a gram is the key
    ``first << 32 | second + 1`` (0 for a character alone), so the keys sort as the strings do, and a character
    alone comes right before the pairs it starts (which, with ``chars=False``, leave it out)."""
    joined = " ".join(" ".join(text.split()) for text in folded)  # words as str.split finds them, one space apart
    points = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    word = points != _SPACE
    paired = word[:-1] & word[1:]
    pairs = (points[:-1][paired] << _HIGH) | (points[1:][paired] + np.uint64(1))
    alone = points[word] if chars else points[word & np.append(~word[1:], True)]  # chars=False: last of a word
    keys = np.sort(np.concatenate((pairs, alone << _HIGH)))
    if not keys.size:
        return ""
    keys = keys[np.append(True, keys[1:] != keys[:-1])]
    first = (keys >> _HIGH).astype(np.uint32)
    second = (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    if not chars:  # a character alone before a pair it starts
        kept = np.append(~((second[:-1] == 0) & (first[1:] == first[:-1])), True)
        first, second = first[kept], second[kept]
    out = np.empty((first.size, 3), dtype=np.uint32)
    out[:, 0], out[:, 1], out[:, 2] = first, second - np.uint32(1), _SPACE
    shown = np.ones(out.shape, dtype=bool)
    shown[:, 1] = second != 0
    shown[-1, 2] = False
    return out[shown].tobytes().decode("utf-32-le", "surrogatepass")


Folded = tuple[str, str]  # a text folded, and the grams of the folded text joined by spaces (see gram_string)


def folded_with_grams(text: str | None, chars: bool = True) -> Folded:
    """``fold(text)`` and its ``gram_string``: what the search index computes from a row's long column, in a
    worker process (one string pickles 10× faster than a list; sorted there, as PostgreSQL's ``tsvector`` input
    takes 0.18 ms more per row to sort them itself)."""
    folded = fold(text)
    return folded, gram_string(folded, chars=chars)


def merged_grams(folded: str, known: str, chars: bool = True) -> str:
    """``gram_string`` of ``folded`` and of the text whose ``gram_string`` is ``known``: a short text's few grams
    looked up in a long text's, computed ahead, and added (in order for PostgreSQL).

    ``chars=False``: in a sorted ``known``, a character stored alone comes before the pairs it starts, so ``" c"``
    found in it means that ``c`` is there alone or starts a pair: either way ``c`` needs no entry of its own."""
    padded = f" {known} "
    found = grams(folded)
    extra = [g for g in found if f" {g} " not in padded]
    if chars:  # SQLite: in any order
        return " ".join([known, *extra]) if extra and known else known or " ".join(extra)
    starts = {g[0] for g in found if len(g) == 2}
    extra = [g for g in extra if len(g) == 2 or (g not in starts and f" {g}" not in padded)]
    alone = {g[0] for g in extra if len(g) == 2 and f" {g[0]} " in padded}  # now starting a pair: not alone
    if not extra:
        return known
    merged = [g for g in known.split() if g not in alone] if alone else known.split()
    for gram in extra:
        insort(merged, gram)
    return " ".join(merged)
