"""Build the labelled dedup set: altered copies of the sample web's speeches (run once; output is committed).

    .venv/bin/python tests/gold/dedup/make_pages.py > tests/gold/dedup/pages.jsonl

Each line: ``{"id", "label", "variant", "source_kind", "truncated", "text"}``; ``label`` is the speech the copy
belongs to. Alterations mirror what template sites do: cuts at 25–90 %, a cut in the middle, traditional script,
masked names, injected spam lines, a few changed words, hard line breaks, and combinations.
"""

from __future__ import annotations

import json
import random

from monitor.extract.script import to_simplified
from monitor.sampleweb.speeches import load_speeches

SPEECHES = ("t01", "p02", "p05", "p06", "h01", "h03", "h04", "t02", "t03", "t05")
SYNONYMS = {
    "加快": "加速", "推进": "推动", "全面": "全方位", "进一步": "更进一步", "确保": "保证", "重点": "关键",
    "提升": "提高", "持续": "不断", "积极": "主动", "切实": "真正", "坚持": "始终坚持", "着力": "大力",
}  # fmt: skip
SPAM = [
    "本文由公文范文网整理，转载请注明出处。",
    "更多精彩范文请关注微信公众号：gwfw8866",
    "范文仅供参考，请勿直接使用。",
]


def cut(paragraphs: list[str], share: float) -> list[str]:
    budget = sum(map(len, paragraphs)) * share
    kept, used = [], 0
    for paragraph in paragraphs:
        if used + len(paragraph) > budget:
            rest = int(budget - used)
            if rest > 10:
                kept.append(paragraph[:rest])
            break
        kept.append(paragraph)
        used += len(paragraph)
    return kept


def masked(paragraphs: list[str], speech) -> list[str]:
    names = [speech.speaker] + [
        part for part in speech.region.replace("省", "省|").replace("市", "市|").split("|") if part
    ]
    out = []
    for paragraph in paragraphs:
        for name in names:
            if len(name) < 2:
                continue
            if name[-1] in "省市区县":
                paragraph = paragraph.replace(name, "X" + name[-1]).replace(name[:-1], "XX")
            else:
                paragraph = paragraph.replace(name, "XXX")
        out.append(paragraph)
    return out


def edited(paragraphs: list[str], rng: random.Random) -> list[str]:
    words = rng.sample(sorted(SYNONYMS), 6)
    out = []
    for paragraph in paragraphs:
        for word in words:
            paragraph = paragraph.replace(word, SYNONYMS[word], 1)
        out.append(paragraph)
    return out


def spammed(paragraphs: list[str]) -> list[str]:
    out = []
    for index, paragraph in enumerate(paragraphs, start=1):
        out.append(paragraph)
        if index % 3 == 0:
            out.append(SPAM[index // 3 % len(SPAM)])
    return out


def hard_broken(paragraphs: list[str], width: int = 36) -> list[str]:
    return [paragraph[i : i + width] for paragraph in paragraphs for i in range(0, len(paragraph), width)]


def traditional(paragraphs: list[str]) -> list[str]:
    import opencc

    converter = opencc.OpenCC("s2t")
    return [converter.convert(p) for p in paragraphs]


def main() -> None:
    rng = random.Random(20261128)
    speeches = load_speeches()
    for sid in SPEECHES:
        speech = speeches[sid]
        base = speech.paragraphs
        middle = base[: len(base) * 2 // 5] + base[len(base) * 3 // 5 :]
        variants = {
            "cut25": (cut(base, 0.25), True),
            "cut50": (cut(base, 0.50), True),
            "cut75": (cut(base, 0.75), True),
            "cut90": (cut(base, 0.90), True),
            "midcut": (middle, True),
            "traditional": (traditional(base), False),
            "masked": (masked(base, speech), False),
            "spam": (spammed(base), False),
            "edited": (edited(base, rng), False),
            "hardbreaks+traditional+cut60": (hard_broken(traditional(cut(base, 0.6))), True),
        }
        for variant, (paragraphs, truncated) in variants.items():
            record = {
                "id": f"{sid}-{variant}",
                "label": sid,
                "variant": variant,
                "source_kind": "template",
                "truncated": truncated,
                "text": "\n".join(paragraphs),
            }
            assert to_simplified(record["text"]) or True
            print(json.dumps(record, ensure_ascii=False))


if __name__ == "__main__":
    main()
