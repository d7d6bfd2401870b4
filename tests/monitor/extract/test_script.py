"""Script detection, masked names and the matching form of a text."""

import pytest

from monitor.extract.script import detect_script, has_masked_names, matching_text, to_simplified


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
