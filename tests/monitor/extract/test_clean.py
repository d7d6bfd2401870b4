"""Line cleaning of a body block: truncation markers, page chrome, promotion, pinyin glosses, hard line breaks."""

import pytest

from monitor.extract.clean import (
    clean_lines,
    end_marker,
    is_page_chrome,
    is_promotion,
    mid_marker,
    rejoin_hard_breaks,
    strip_glosses,
    strip_promo_prefix,
)
from monitor.extract.options import ExtractOptions

OPENING = "今天，我们召开全区优化营商环境大会，主要任务是总结去年工作，部署今年任务。"
SECOND = "我们要全面推进政务服务“一网通办”，确保今年6月底前实现企业开办一日办结。"
THIRD = "各部门要建立企业诉求快速响应机制，确保涉企问题件件有回应、事事有着落。"

# --- truncation: end markers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "marker",
    [
        "(未完,全文共2010字,当前显示249字)",
        "（未完，全文共2010字，当前显示249字）",
        "全文共2010字,当前显示249字",
        "阅读全文",
        "点击阅读全文",
        "打开App阅读全文",
        "……打开APP查看全文",
        "剩余85%内容",
        "预览结束",
        "10.00元 免费试读",
        "试读已结束",
    ],
)
def test_end_marker_recognised(marker):
    assert end_marker(marker)


@pytest.mark.parametrize("line", [OPENING, "全文共分三个部分", "二、持续优化营商环境", "同志们："])
def test_end_marker_not_found_in_speech_lines(line):
    assert not end_marker(line)


@pytest.mark.parametrize(
    "marker",
    [
        "(未完,全文共2010字,当前显示249字)",
        "阅读全文",
        "打开App阅读全文",
        "剩余85%内容",
        "预览结束",
        "10.00元 免费试读",
    ],
)
def test_end_marker_stops_the_text(marker):
    result = clean_lines([OPENING, SECOND, marker, THIRD])
    assert result.paragraphs == [OPENING, SECOND]
    assert result.truncated is True
    assert result.truncation_marker == marker
    assert result.cut == "end"


def test_end_marker_is_recorded_as_removed_truncation():
    result = clean_lines([OPENING, "阅读全文"])
    assert result.removed == [("阅读全文", "truncation")]


def test_untruncated_text_is_not_flagged():
    result = clean_lines([OPENING, SECOND, THIRD])
    assert result.paragraphs == [OPENING, SECOND, THIRD]
    assert (result.truncated, result.truncation_marker, result.cut) == (False, None, None)


# --- truncation: the mid marker ---------------------------------------------------------------------------------

MID = "……省略416字,正式会员可完整阅读……"


def test_mid_marker_recognised():
    assert mid_marker(MID)
    assert not end_marker(MID)


def test_mid_marker_does_not_end_the_text():
    result = clean_lines([OPENING, MID, SECOND, THIRD])
    assert result.paragraphs == [OPENING, SECOND, THIRD]


def test_mid_marker_flags_a_middle_cut():
    result = clean_lines([OPENING, MID, SECOND])
    assert result.truncated is True
    assert result.truncation_marker == MID
    assert result.cut == "middle"


def test_mid_marker_then_end_marker_is_an_end_cut():
    result = clean_lines([OPENING, MID, SECOND, "阅读全文", THIRD])
    assert result.paragraphs == [OPENING, SECOND]
    assert result.cut == "end"
    assert result.truncation_marker == "阅读全文"


def test_speech_line_about_omitting_is_not_a_mid_marker():
    assert not mid_marker("我们要坚决省略不必要的审批环节，让企业少跑腿。")


# --- page chrome ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "发布时间：2021-03-08 10:30:11",
        "来源：坪山区人民政府办公室",
        "信息来源：湖州日报发布日期：2022-03-12浏览次数：",
        "【字体：大 中 小】",
        "字号：大 中 小",
        "打印",
        "【打印本页】【关闭窗口】",
        "关闭",
        "扫一扫在手机打开当前页",
        "网站标识码：4403100001",
        "粤ICP备05078823号",
        "当前位置：首页 > 政务公开 > 领导讲话",
        "上一篇：关于做好春季安全生产工作的通知",
        "相关文章",
        "浏览次数：1234",
        "1234人阅读",
        "首页 > 讲话稿 > 正文",
    ],
)
def test_page_chrome_line_recognised(line):
    assert is_page_chrome(line)


@pytest.mark.parametrize(
    "line",
    [
        "发布时间：2021-03-08 10:30:11",
        "来源：坪山区人民政府办公室",
        "字号：大 中 小",
        "【打印】【关闭】",
        "扫一扫在手机打开当前页",
        "网站标识码：4403100001",
        "粤ICP备05078823号",
        "当前位置：首页 > 新闻中心",
        "上一篇：关于做好春季安全生产工作的通知",
        "相关文章",
        "浏览次数：1234",
    ],
)
def test_page_chrome_removed_from_body(line):
    result = clean_lines([OPENING, line, SECOND])
    assert result.paragraphs == [OPENING, SECOND]
    assert result.removed == [(line, "page chrome")]


@pytest.mark.parametrize("line", [OPENING, "一、深化“放管服”改革，提升政务服务效能", "同志们：", "谢谢大家！"])
def test_speech_lines_are_not_page_chrome(line):
    assert not is_page_chrome(line)


def test_long_paragraph_mentioning_wechat_account_and_registration_is_kept():
    line = (
        "我们要充分利用政务服务网、微信公众号、移动客户端等渠道，推动更多事项网上办、掌上办、一次办，"
        "让企业注册登记和群众办事像网购一样方便，切实增强市场主体的获得感。"
    )
    assert not is_promotion(line)
    assert clean_lines([OPENING, line]).paragraphs == [OPENING, line]


def test_long_paragraph_mentioning_members_of_chambers_is_kept():
    line = "各级商会要发挥桥梁纽带作用，组织会员企业积极参与营商环境评价，及时反映企业诉求，帮助企业解决实际困难。"
    assert clean_lines([line]).paragraphs == [line]


def test_long_paragraph_mentioning_scanning_a_code_is_kept():
    line = "我们要推行“一码通”，群众用手机扫一扫就能办理社保、医保等事项，让数据多跑路、群众少跑腿。"
    assert clean_lines([line]).paragraphs == [line]


def test_long_paragraph_mentioning_wechat_and_hotline_12345_is_kept():
    line = (
        "企业有诉求，可以通过政务服务网、微信小程序或者拨打服务电话12345反映，我们承诺24小时内响应、3个工作日内办结。"
    )
    assert clean_lines([line]).paragraphs == [line]


# --- promotion ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "关注公众号【公文大大】获取更多公文材料!",
        "如需公文代写加微信:1795297329",
        "开通会员下载全文",
        "更多范文请访问公文范文网",
        "如果喜欢本篇内容,请赞赏鼓励哦!",
        "尚未有人赏赞,赶紧来一个吧",
        "¥ 5.00",
        "微信号：gwfw8866",
    ],
)
def test_promotion_line_recognised(line):
    assert is_promotion(line)


def test_promotion_line_removed_with_reason():
    result = clean_lines([OPENING, "更多范文请访问公文范文网", SECOND])
    assert result.paragraphs == [OPENING, SECOND]
    assert result.removed == [("更多范文请访问公文范文网", "promotion")]


def test_promotion_line_with_account_name_leaves_nothing():
    assert clean_lines(["关注公众号【公文大大】获取更多公文材料!"]).paragraphs == []


def test_promo_max_line_option_limits_short_keyword_lines():
    line = "欢迎各位企业家登录平台提出意见建议，我们将认真研究。"  # 26 characters, keyword 登录, no handle
    assert is_promotion(line)
    assert not is_promotion(line, ExtractOptions(promo_max_line=20))


def test_promotion_glued_before_title_keeps_the_title():
    line = "关注公众号【公文大大】获取更多公文材料!如需公文代写加微信:1795297329树立“三对”“六最”服务理念"
    assert strip_promo_prefix(line) == "树立“三对”“六最”服务理念"


def test_promotion_glued_before_title_keeps_the_title_in_clean_lines():
    line = "关注公众号【公文大大】获取更多公文材料!如需公文代写加微信:1795297329树立“三对”“六最”服务理念"
    assert clean_lines([line, OPENING]).paragraphs == ["树立“三对”“六最”服务理念", OPENING]


def test_promotion_prefix_with_short_tail_is_dropped_whole():
    assert strip_promo_prefix("关注微信公众号【公文大大】每日更新") == ""


def test_line_without_promotion_prefix_is_unchanged():
    assert strip_promo_prefix(OPENING) == OPENING


# --- pinyin glosses ---------------------------------------------------------------------------------------------


def test_pinyin_gloss_removed_in_traditional_text():
    assert strip_glosses("營商(yíng shāng)環境") == "營商環境"


def test_pinyin_gloss_with_full_width_brackets_removed():
    assert strip_glosses("营商环境是生产力（shēng chǎn lì），我们要持续优化。") == "营商环境是生产力，我们要持续优化。"


def test_pinyin_glosses_removed_by_clean_lines():
    result = clean_lines(["营商(yíng shāng)环境是生产力（shēng chǎn lì），我们要持续优化。"])
    assert result.paragraphs == ["营商环境是生产力，我们要持续优化。"]


def test_chinese_text_in_brackets_is_not_a_gloss():
    assert (
        strip_glosses("召开全区大会（2021年3月5日）并推进（一）项工作")
        == "召开全区大会（2021年3月5日）并推进（一）项工作"
    )


def test_abbreviation_in_brackets_is_not_a_gloss():
    assert strip_glosses("地区生产总值（GDP）增长6.5%") == "地区生产总值（GDP）增长6.5%"


# --- hard line breaks -------------------------------------------------------------------------------------------

WRAPPED_PARAGRAPH = (
    "今天我们召开全区优化营商环境大会，主要任务是总结去年工作，部署今年任务。营商环境是一个地区的重要软实力，"
    "是经济发展的重要基础，我们必须把优化营商环境作为一把手工程来抓，确保取得实效。各部门要主动作为，"
    "勇于担当，切实解决企业反映的突出问题。"
)


def wrap(text: str, width: int = 20) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)]


def test_lines_wrapped_at_fixed_width_are_rejoined():
    lines = wrap(WRAPPED_PARAGRAPH)
    assert len(lines) >= 5
    assert rejoin_hard_breaks(lines) == [WRAPPED_PARAGRAPH]


def test_wrapped_paragraphs_stay_separate_from_a_heading():
    second = "二要落实惠企政策，推行告知承诺制，构建亲清政商关系，让广大企业家安心发展、放心投资，持续激发市场活力。"
    lines = [*wrap(WRAPPED_PARAGRAPH), "二、突出重点", *wrap(second)]
    assert rejoin_hard_breaks(lines) == [WRAPPED_PARAGRAPH, "二、突出重点", second]


def test_normal_paragraphs_and_headings_are_not_joined():
    lines = [
        "同志们：",
        "今天我们召开全区优化营商环境大会，主要任务是总结工作。",
        "一、提高认识",
        "营商环境是一个地区的重要软实力，是经济发展的重要基础。",
        "二、突出重点",
        "各部门要主动作为，勇于担当，切实解决企业反映的突出问题，不断提升服务水平。",
    ]
    assert rejoin_hard_breaks(lines) == lines


def test_same_length_paragraphs_ending_sentences_are_not_joined():
    lines = ["我们要持续深化放管服改革，不断优化营商环境。"] * 5
    assert rejoin_hard_breaks(lines) == lines


def test_few_wrapped_lines_are_left_alone():
    lines = wrap(WRAPPED_PARAGRAPH)[:3]
    assert rejoin_hard_breaks(lines) == lines


def test_clean_lines_rejoins_hard_breaks():
    assert clean_lines(wrap(WRAPPED_PARAGRAPH)).paragraphs == [WRAPPED_PARAGRAPH]


# --- other rules ------------------------------------------------------------------------------------------------


def test_repeated_title_removed_by_drop_exact():
    result = clean_lines(["在全区优化营商环境大会上的讲话", OPENING], drop_exact={"在全区优化营商环境大会上的讲话"})
    assert result.paragraphs == [OPENING]
    assert result.removed == [("在全区优化营商环境大会上的讲话", "repeated title")]


def test_learned_chrome_callback_removes_lines():
    result = clean_lines(["欢迎访问坪山区人民政府门户网站", OPENING], is_learned_chrome=lambda line: "欢迎访问" in line)
    assert result.paragraphs == [OPENING]
    assert result.removed == [("欢迎访问坪山区人民政府门户网站", "learned chrome")]


@pytest.mark.parametrize("line", ["同志们：", "下面，我讲三点意见。", "一、提高政治站位", "谢谢大家！"])
def test_speech_formula_lines_are_never_learned_chrome(line):
    result = clean_lines([line], is_learned_chrome=lambda _: True)
    assert result.paragraphs == [line]


def test_punctuation_fragment_removed():
    result = clean_lines([OPENING, "■", "--", SECOND])
    assert result.paragraphs == [OPENING, SECOND]
    assert [reason for _, reason in result.removed] == ["fragment", "fragment"]


def test_blank_lines_and_surrounding_space_dropped():
    assert clean_lines(["  ", f"  {OPENING}  ", ""]).paragraphs == [OPENING]
