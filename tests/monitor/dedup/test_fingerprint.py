"""Our simhash is the simhash package's simhash; the other fingerprints behave as documented."""

from __future__ import annotations

import random

import pytest
from simhash import Simhash

from monitor.dedup.fingerprint import (
    bands,
    containment,
    fingerprint,
    hamming,
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


@pytest.mark.parametrize("text", ["", "a", "ab", "abcd", "abcde", "Hello, World! 你好", "營商環境 ABC def 123"])
def test_same_fingerprints_on_edge_cases(text):
    assert simhash64(text) == Simhash(text).value


def test_same_fingerprints_on_random_text_with_repeats():
    rng = random.Random(7)
    alphabet = "营商环境优化服务企业审批改革一网通办最多跑一次abcXYZ0123"
    for _ in range(50):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(5, 3000)))
        assert simhash64(text) == Simhash(text).value


def test_bands_cover_any_three_bit_difference():
    rng = random.Random(3)
    for _ in range(200):
        value = rng.getrandbits(64)
        flipped = value
        for bit in rng.sample(range(64), 3):
            flipped ^= 1 << bit
        assert hamming(value, flipped) == 3
        assert any(a == b for a, b in zip(bands(value), bands(flipped), strict=True))


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
    assert fingerprint(body.replace("，", ",")).simhash == fp.simhash  # punctuation does not count
