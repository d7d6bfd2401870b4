"""Our simhash is the simhash package's simhash; the other fingerprints behave as documented."""

from __future__ import annotations

import random

import pytest
from simhash import Simhash

from monitor.dedup.fingerprint import (
    containment,
    fingerprint,
    hamming,
    lookup_keys,
    matching_lines,
    paragraph_key,
    shingles,
    simhash64,
    to_signed,
    to_unsigned,
)
from monitor.extract.script import matching_text
from monitor.sampleweb.speeches import load_speeches


def test_same_fingerprints_as_the_simhash_package_on_the_speeches():
    texts = [matching_text(s.body) for s in load_speeches().values()]
    texts += [text[: len(text) // 3] for text in texts]
    assert [simhash64(t) for t in texts] == [Simhash(t).value for t in texts]


EDGE_CASES = ["", " ", "，。", "a", "ab", "abc", "abcd", "abcde", "你", "你好吗", "Hello, World! 你好",
              "營商環境 ABC def 123", "ÀÉÎ straße İstanbul ǅ", "𠀀𠀁𠀂𠀃𠀄 emoji 😀😀 mixed", "x_y_z __ 1234567890",
              "\u00e9\u0301 é ＡＢＣ①②"]  # fmt: skip


@pytest.mark.parametrize("text", EDGE_CASES)
def test_same_fingerprints_on_edge_cases(text):
    assert simhash64(text) == Simhash(text).value


def test_same_fingerprints_on_random_text_with_repeats():
    rng = random.Random(7)
    alphabet = "营商环境优化服务企业审批改革一网通办最多跑一次abcXYZ0123"
    for _ in range(50):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(5, 3000)))
        assert simhash64(text) == Simhash(text).value


def test_same_fingerprints_on_novel_random_text():
    """Random CJK, ASCII and mixed text: no window repeats, nothing to cache."""
    rng = random.Random(11)
    cjk = [chr(c) for c in range(0x4E00, 0x9FCD)]
    ascii_words = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.;"
    for _ in range(60):
        size = rng.choice([1, 2, 3, 4, 5, 7, 50, 400, 2000])
        kind = rng.random()
        if kind < 0.4:
            text = "".join(rng.choice(cjk) for _ in range(size))
        elif kind < 0.7:
            text = "".join(rng.choice(ascii_words) for _ in range(size))
        else:
            text = "".join(rng.choice(cjk) if rng.random() < 0.5 else rng.choice(ascii_words) for _ in range(size))
        assert simhash64(text) == Simhash(text).value


def test_lookup_keys_are_shared_by_any_three_bit_difference():
    rng = random.Random(3)
    for _ in range(500):
        value = rng.getrandbits(64)
        flipped = value
        for bit in rng.sample(range(64), rng.randint(0, 3)):
            flipped ^= 1 << bit
        assert hamming(value, flipped) <= 3
        assert set(lookup_keys(value)) & set(lookup_keys(flipped))
    keys = lookup_keys(rng.getrandbits(64))
    assert len(set(keys)) == 10 and all(0 <= key < 1 << 31 for key in keys)


def test_matching_lines_normalise_line_by_line():
    texts = [s.body for s in load_speeches().values()]
    texts.append("第一行，ＡＢＣ\r\n第二行 ㈠ 營商環境\x0b第三行\u2028第四行\x85第五行\n\n后面")
    for text in texts:
        lines = matching_lines(text)
        assert lines == [matching_text(line) for line in text.splitlines()]
        assert "".join(lines) == matching_text(text)


def test_signed_round_trip():
    for value in (0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1):
        assert to_unsigned(to_signed(value)) == value and -(1 << 63) <= to_signed(value) < 1 << 63


def test_containment_of_a_truncated_copy_is_one():
    text = matching_text(load_speeches()["t01"].body)
    assert containment(shingles(text[: len(text) // 4]), shingles(text)) == 1.0


def test_fingerprint_of_a_body():
    body = load_speeches()["p06"].body.replace("\n\n", "\n")
    fp = fingerprint(body)
    assert fp.length == len(matching_text(body)) and len(fp.exact) == 40
    assert len(fp.paragraph_keys) > 10  # headings and 同志们： are too short for a key
    expected = {paragraph_key(matching_text(line)) for line in body.splitlines()} - {None}
    assert fp.paragraph_keys == tuple(sorted(expected))
    assert fp.simhash == Simhash(matching_text(body)).value
    assert fingerprint(body.replace("，", ",")).simhash == fp.simhash  # punctuation does not count
