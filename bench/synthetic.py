"""Synthetic Chinese speech bodies for the benchmarks, built from the bundled sample speeches.

Each body is a fresh mix of sentences sampled from ``monitor/sampleweb/speeches/*.toml`` (shuffled across
speeches), grouped into paragraphs of 2–6 sentences (one paragraph per line, as extracted bodies are), with
short runs of random CJK characters spliced in (names, places, figures a real speech would have) so that
every document is distinct and brings features of its own. Deterministic for a given seed.
"""

from __future__ import annotations

import random
import re
from functools import cache

from monitor.sampleweb.speeches import load_speeches

SENTENCE_END = re.compile(r"(?<=[。！？；])")
CJK_FIRST, CJK_LAST = 0x4E00, 0x9FA5


@cache
def sentences() -> tuple[str, ...]:
    """Every sentence of the bundled speeches (about 970 of them, 42,000 characters)."""
    out = []
    for speech in load_speeches().values():
        for paragraph in speech.paragraphs:
            out.extend(s.strip() for s in SENTENCE_END.split(paragraph) if s.strip())
    return tuple(out)


def random_cjk(rng: random.Random, count: int) -> str:
    return "".join(chr(rng.randint(CJK_FIRST, CJK_LAST)) for _ in range(count))


def noisy(rng: random.Random, sentence: str, noise: float) -> str:
    """The sentence with short runs of random CJK characters spliced in (about ``noise`` of its length)."""
    if noise <= 0 or len(sentence) < 4:
        return sentence
    runs = max(0, round(len(sentence) * noise / 2.5 + rng.random() - 0.5))
    for _ in range(runs):
        at = rng.randrange(len(sentence) - 1)
        sentence = sentence[:at] + random_cjk(rng, rng.randint(1, 4)) + sentence[at:]
    return sentence


def body(rng: random.Random, target_bytes: int = 5120, noise: float = 0.05) -> str:
    """One synthetic body of at least ``target_bytes`` of UTF-8 (5 KB: ≈ 1,840 characters, ≈ 1,590 CJK)."""
    pool = sentences()
    paragraphs: list[str] = []
    size = 0
    while size < target_bytes:
        paragraph = "".join(noisy(rng, rng.choice(pool), noise) for _ in range(rng.randint(2, 6)))
        paragraphs.append(paragraph)
        size += len(paragraph.encode("utf-8")) + 1
    return "\n".join(paragraphs)


def bodies(count: int, seed: int = 1, target_bytes: int = 5120, noise: float = 0.05) -> list[str]:
    rng = random.Random(seed)
    return [body(rng, target_bytes, noise) for _ in range(count)]


def near_duplicate(rng: random.Random, text: str) -> str:
    """A repost of ``text``: a few characters changed or dropped, a line re-wrapped, a footer added."""
    chars = list(text)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(chars))
        if chars[at] != "\n":
            chars[at] = random_cjk(rng, 1) if rng.random() < 0.7 else ""
    lines = "".join(chars).split("\n")
    if len(lines) > 2:  # re-wrap: one paragraph split in two
        at = rng.randrange(len(lines))
        cut = len(lines[at]) // 2
        lines[at : at + 1] = [lines[at][:cut], lines[at][cut:]]
    return "\n".join(lines) + "\n（来源：" + random_cjk(rng, 4) + "）"


def truncated_copy(rng: random.Random, text: str) -> str:
    """A copy cut after 40–80 % of its paragraphs, as template sites do ("余下全文")."""
    lines = text.split("\n")
    keep = max(1, round(len(lines) * rng.uniform(0.4, 0.8)))
    return "\n".join(lines[:keep]) + "\n……余下全文请登录后查看"
