"""Copy matching rules: compilations (pages that carry several speeches)."""

import random

import pytest

from monitor.dedup.match import SECOND_SPEECH, is_compilation
from monitor.extract.script import to_simplified
from monitor.sampleweb.speeches import load_speeches

OPENING = "关于优化营商环境的讲话\n市长 张三\n2021年10月25日\n同志们：今天召开大会。\n"


HEADERS = ["——在全市优化营商环境大会上的讲话", "－－（在全區營商環境工作會議上的講話）", "─ 在市政府常务会议的发言",
           "-- 在座谈会上的致辞"]  # fmt: skip


@pytest.mark.parametrize("header", HEADERS)
def test_a_second_speechs_header_after_the_opening_lines_makes_a_compilation(header: str):
    assert is_compilation(OPENING + "一要……\n" + header + "\n同志们：")
    assert not is_compilation(header + "\n" + OPENING)  # a header in the first three lines is the speech's own
    assert not is_compilation(OPENING + "我们在全市优化营商环境大会上的讲话中说过\n")  # no dash: a sentence


def test_only_lines_opening_with_a_dash_are_converted_and_matched():
    """The dash test in front (a speed-up) changes no answer of the rule on every line converted."""
    texts = [speech.body for speech in load_speeches().values()]
    rng = random.Random(4)

    def line() -> str:
        parts = (["——", "－－", "─", "-", "—", "", "＝"], ["", " ", "（"], ["在", "", "于"],
                 ["全市大會", "座谈会", "全区工作会议", "会"], ["上", ""], ["的", "之"],
                 ["講話", "讲话", "发言", "决定"])  # fmt: skip
        return "".join(rng.choice(part) for part in parts)

    texts += [OPENING + "\n".join(line() for _ in range(rng.randint(1, 4))) for _ in range(3_000)]
    for text in texts:
        expected = any(SECOND_SPEECH.match(to_simplified(line)) for line in text.splitlines()[3:])
        assert is_compilation(text) == expected, text
    assert sum(map(is_compilation, texts)) > 100
