"""Script detection, masked names and the matching form of a text."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.extract.script import MASK, count_cjk, detect_script, has_masked_names, matching_text, to_simplified
from monitor.sampleweb.speeches import load_speeches

#: both scripts, phrases OpenCC converts whole (乾隆, 著名), the block's ends, astral and other CJK, masks, ASCII
ALPHABET = "营商环境營商環境乾隆著名發乾一\u9fff\u4dff\ua000𠀋㐀Xx×Ｘ*＊某市县 ab1，。\n\ud800"


def plain_detect_script(text: str, threshold: float = 0.02) -> str:
    """The definition, character by character (what ``detect_script`` computes on arrays)."""
    sample = "".join([c for c in text if "\u4e00" <= c <= "\u9fff"][:20_000])
    if not sample:
        return "simplified"
    changed = sum(1 for a, b in zip(sample, to_simplified(sample), strict=False) if a != b)
    return "traditional" if changed / len(sample) >= threshold else "simplified"


@given(st.text(alphabet=ALPHABET, max_size=200), st.sampled_from([0.0, 0.005, 0.02, 0.3, 1.0]))
def test_the_array_script_and_counts_are_the_character_by_character_ones(text: str, threshold: float):
    assert count_cjk(text) == sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
    assert detect_script(text, threshold) == plain_detect_script(text, threshold)
    assert has_masked_names(text) == bool(MASK.search(text))


def test_the_array_script_of_the_sample_speeches_is_the_character_by_character_one():
    for speech in load_speeches().values():
        for text in (speech.body, speech.title, to_simplified(speech.body)):
            assert detect_script(text) == plain_detect_script(text)


def test_to_simplified_converts_traditional():
    assert to_simplified("持續優化營商環境") == "持续优化营商环境"


def test_traditional_text_detected():
    assert detect_script("同志們：今天我們召開全區優化營商環境大會，持續深化放管服改革。") == "traditional"


def test_simplified_text_detected():
    assert detect_script("同志们：今天我们召开全区优化营商环境大会，持续深化放管服改革。") == "simplified"


def test_text_without_chinese_is_simplified():
    assert detect_script("GDP 6.5% 2021") == "simplified"


def test_empty_text_is_simplified():
    assert detect_script("") == "simplified"


def test_one_stray_traditional_character_stays_below_the_threshold():
    text = "我们要持续优化营商环境推动高质量发展" * 5 + "們"  # 1 changed character out of 91
    assert detect_script(text) == "simplified"
    assert detect_script(text, threshold=0.005) == "traditional"


@pytest.mark.parametrize(
    "text",
    ["X市委书记 XXX", "XX区人民政府", "某某县", "××县委书记", "张** 同志", "xx同志", "市委书记 XXX", "某市"],
)
def test_masked_names_found(text):
    assert has_masked_names(text)


@pytest.mark.parametrize(
    "text", ["市委书记 张伟", "区委副书记、区长 李建喆", "宏观经济", "Xbox", "XXL码", "某某", "推进5G建设"]
)
def test_real_names_are_not_masked(text):
    assert not has_masked_names(text)


def test_matching_text_drops_punctuation_and_whitespace():
    assert matching_text("同志们：\n今天， 我们召开大会！") == "同志们今天我们召开大会"


def test_matching_text_folds_traditional_and_full_width():
    assert matching_text("持續優化　營商環境（ＡＢＣ）") == matching_text("持续优化营商环境ABC")
    assert matching_text("持續優化　營商環境（ＡＢＣ）") == "持续优化营商环境ABC"


def test_matching_text_of_punctuation_only_is_empty():
    assert matching_text("，。！——……") == ""
