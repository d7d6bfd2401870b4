"""Speech metadata: header (title, subtitle, byline, date), dates, doc type, topic, occasion, page titles."""

import pytest

from monitor.extract.meta import (
    Header,
    arabic_dates,
    classify_doc_type,
    clean_title,
    cn_number,
    find_occasion,
    normalise_date,
    parse_date_line,
    parse_header,
    published_date,
    report_date,
    report_speaker,
    signed_date,
    strip_site_suffix,
    title_speaker,
    topic_relevance,
    transcript_speaker,
)

# --- header -----------------------------------------------------------------------------------------------------

HEADER = [
    "持续优化营商环境 奋力打造一流营商环境高地",
    "——在全区优化营商环境大会上的讲话",
    "区委书记 张伟",
    "（2021年3月5日）",
    "同志们：",
    "今天，我们召开全区优化营商环境大会。",
]


def test_header_title_before_subtitle():
    assert parse_header(HEADER).title == "持续优化营商环境 奋力打造一流营商环境高地"


def test_header_subtitle_and_occasion():
    header = parse_header(HEADER)
    assert header.subtitle == "——在全区优化营商环境大会上的讲话"
    assert header.occasion == "全区优化营商环境大会"


def test_header_byline_post_and_name():
    header = parse_header(HEADER)
    assert (header.speaker_post, header.speaker) == ("区委书记", "张伟")


def test_header_date_with_day_precision():
    header = parse_header(HEADER)
    assert (header.speech_date, header.speech_date_precision) == ("2021-03-05", "day")


def test_header_lines_are_the_four_header_lines():
    assert parse_header(HEADER).lines == (0, 1, 2, 3)


def test_header_stops_at_salutation():
    lines = ["同志们：", "市委书记 王建国", "（2021年3月5日）"]
    header = parse_header(lines)
    assert (header.speaker, header.speech_date, header.lines) == (None, None, ())


def test_header_byline_with_full_width_space_and_compound_post():
    header = parse_header(["持续优化营商环境", "——在全区优化营商环境大会上的讲话", "区委副书记、区长\u3000李建喆"])
    assert (header.speaker_post, header.speaker) == ("区委副书记、区长", "李建喆")


def test_header_byline_without_space():
    header = parse_header(["在全市优化营商环境推进会上的讲话", "市委书记王建国", "同志们："])
    assert (header.speaker_post, header.speaker) == ("市委书记", "王建国")


def test_header_in_traditional_script_keeps_original_characters():
    header = parse_header(
        ["持續優化營商環境", "——在全區優化營商環境大會上的講話", "區委書記 陳志強", "（2021年3月5日）"]
    )
    assert header.title == "持續優化營商環境"
    assert header.occasion == "全區優化營商環境大會"
    assert (header.speaker_post, header.speaker) == ("區委書記", "陳志強")
    assert header.speech_date == "2021-03-05"


def test_header_masked_byline():
    header = parse_header(["在全市优化营商环境推进会上的讲话", "XX市委书记 XXX", "同志们："])
    assert (header.speaker_post, header.speaker) == ("XX市委书记", "XXX")


def test_header_title_of_the_form_zai_shang_de_jianghua():
    header = parse_header(["在全市优化营商环境推进会上的讲话", "市长 王建国", "同志们："])
    assert header.title == "在全市优化营商环境推进会上的讲话"
    assert header.occasion == "全市优化营商环境推进会"


def test_header_dash_subtitle_without_title_line_has_no_title():
    header = parse_header(["——在全区优化营商环境大会上的讲话", "区委书记 张伟"])
    assert header.title is None
    assert header.subtitle == "——在全区优化营商环境大会上的讲话"


@pytest.mark.parametrize(
    ("date_line", "expected"),
    [
        ("（2021年3月5日）", ("2021-03-05", "day")),
        ("2022年10月28日", ("2022-10-28", "day")),
        ("（2020年8月）", ("2020-08", "month")),
        ("（2020年）", ("2020", "year")),
        ("（二○一九年四月十二日）", ("2019-04-12", "day")),
        ("二〇二〇年十二月三十一日", ("2020-12-31", "day")),
    ],
)
def test_header_date_line_precision(date_line, expected):
    header = parse_header(["在全市优化营商环境推进会上的讲话", date_line, "同志们："])
    assert (header.speech_date, header.speech_date_precision) == expected


def test_header_byline_and_chinese_numeral_date_on_one_line():
    header = parse_header(["在全市优化营商环境推进会上的讲话", "市长 王建国（二○一九年四月十二日）", "同志们："])
    assert (header.speaker_post, header.speaker) == ("市长", "王建国")
    assert (header.speech_date, header.speech_date_precision) == ("2019-04-12", "day")


def test_header_byline_and_date_on_one_line():
    header = parse_header(["在全市优化营商环境推进会上的讲话", "市委书记 王建国（2019年4月12日）", "同志们："])
    assert (header.speaker, header.speech_date) == ("王建国", "2019-04-12")
    assert header.lines == (0, 1)


def test_header_name_without_post_and_date_on_one_line():
    header = parse_header(["在全市优化营商环境推进会上的讲话", "王建国（2019年4月12日）", "同志们："])
    assert header.speech_date == "2019-04-12"
    assert header.speaker == "王建国"


def test_header_of_plain_paragraphs_is_empty():
    header = parse_header(["今天天气很好。", "我们去公园散步，看到了很多花。"])
    assert header == Header()


# --- dates --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("（2020年8月）", ("2020-08", "month")),
        ("2021年", ("2021", "year")),
        ("(2021年3月5日)", ("2021-03-05", "day")),
        ("（二○一九年四月十二日）", ("2019-04-12", "day")),
    ],
)
def test_parse_date_line(line, expected):
    assert parse_date_line(line) == expected


@pytest.mark.parametrize("line", ["1900年1月", "2021年3月5日上午", "会议于2021年3月5日召开", "三月五日"])
def test_parse_date_line_rejects_non_dates(line):
    assert parse_date_line(line) is None


@pytest.mark.parametrize(
    ("text", "number"), [("四", 4), ("十", 10), ("十二", 12), ("二十", 20), ("二十三", 23), ("三十一", 31)]
)
def test_cn_number(text, number):
    assert cn_number(text) == number


def test_arabic_dates_in_a_sentence():
    assert arabic_dates("（二○一九年四月十二日）") == "（2019年4月12日）"
    assert arabic_dates("二〇二〇年十二月") == "2020年12月"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-3-5 10:30", "2021-03-05"),
        ("2021/03/05", "2021-03-05"),
        ("2021年3月5日", "2021-03-05"),
        ("无", None),
        (None, None),
    ],
)
def test_normalise_date(text, expected):
    assert normalise_date(text) == expected


def test_published_date_from_pubdate_meta():
    assert published_date({"PubDate": "2021-03-08 10:30"}, "发布时间：2020-01-01") == "2021-03-08"


def test_published_date_from_fabu_shijian_line():
    assert published_date({}, "首页\n发布时间：2021年3月5日 来源：区政府办\n正文") == "2021-03-05"


def test_published_date_from_bare_timestamp_line():
    assert published_date({}, "首页\n2021-03-05 10:20:11\n正文") == "2021-03-05"


def test_published_date_falls_back_when_meta_unparseable():
    assert published_date({"PubDate": "unknown"}, "发布日期：2020/1/2") == "2020-01-02"


def test_published_date_none_without_evidence():
    assert published_date({}, "同志们：今天我们召开大会。") is None


def test_report_date_takes_year_from_publication():
    paragraphs = ["3月12日，全市优化营商环境推进会召开。"]
    assert report_date(paragraphs, "2022-03-13") == ("2022-03-12", "day")


def test_report_date_needs_publication():
    assert report_date(["3月12日，全市优化营商环境推进会召开。"], None) == (None, None)


def test_report_date_across_new_year():
    paragraphs = ["12月30日，全市优化营商环境总结大会召开。"]
    assert report_date(paragraphs, "2022-01-03") == ("2021-12-30", "day")


def test_signed_date_of_a_notice():
    paragraphs = ["各区县人民政府：", "现将有关事项通知如下。", "特此通知。", "湖州市人民政府办公室", "2023年8月14日"]
    assert signed_date(paragraphs) == ("2023-08-14", "day")


def test_signed_date_absent():
    assert signed_date(["特此通知。"]) == (None, None)


# --- doc type -----------------------------------------------------------------------------------------------------


def test_doc_type_speech_with_salutation():
    paragraphs = ["同志们：", "今天我们召开全区优化营商环境大会，我讲三点意见。"]
    assert classify_doc_type("区委书记讲话", paragraphs, Header()) == "speech"


def test_doc_type_speech_with_subtitle_header():
    header = Header(subtitle="——在全区优化营商环境大会上的讲话")
    assert classify_doc_type("持续优化营商环境", ["今天的大会开得很好。"], header) == "speech"


def test_doc_type_speech_from_title_and_first_person():
    paragraphs = ["我们要做好三件事。", "我们必须坚持问题导向。", "我市的营商环境还有短板。"]
    assert classify_doc_type("区长在全区大会上的讲话", paragraphs, Header()) == "speech"


def test_doc_type_speech_report_in_third_person():
    paragraphs = [
        "3月12日，全市优化营商环境推进会召开。市委书记陆承远出席会议并讲话。",
        "陆承远强调，营商环境就是生产力。他指出，要持续深化“最多跑一次”改革。",
    ]
    assert classify_doc_type("全市优化营商环境推进会召开", paragraphs, Header()) == "speech_report"


def test_doc_type_transcript_from_speaker_lines():
    paragraphs = [
        "主持人：各位记者朋友，大家上午好。",
        "新华社记者：请问今年在优化营商环境方面有哪些新举措？",
        "谭振宇：今年我们将全面推行一网通办。",
        "记者：企业开办时间能压缩到多少？",
    ]
    assert classify_doc_type("市政务服务局负责人谈营商环境", paragraphs, Header()) == "transcript"


def test_doc_type_transcript_from_title():
    assert classify_doc_type("优化营商环境新闻发布会", ["主持人：大家好。"], Header()) == "transcript"


def test_doc_type_notice_with_teci_tongzhi():
    paragraphs = ["各区县人民政府：", "现将有关事项通知如下。", "特此通知。"]
    assert classify_doc_type("会议安排", paragraphs, Header()) == "notice"


def test_doc_type_notice_from_title():
    assert classify_doc_type("关于召开全市优化营商环境大会的通知", ["各区县："], Header()) == "notice"


def test_doc_type_notice_title_with_jianghua_is_not_a_notice():
    paragraphs = ["同志们：", "今天我们召开大会。"]
    assert classify_doc_type("关于印发市长在全市大会上的讲话的通知", paragraphs, Header()) == "speech"


def test_doc_type_other():
    assert classify_doc_type("今日天气", ["今天晴转多云，气温二十度。", "明天有小雨。"], Header()) == "other"


# --- topic --------------------------------------------------------------------------------------------------------

BIZENV_SPEECH = [
    "同志们：",
    "今天召开全区优化营商环境大会，主要任务是深化“放管服”改革，持续优化营商环境。",
    "一要推进政务服务“一网通办”，实现企业开办一日办结，让市场主体少跑腿。",
    "二要落实惠企政策，推行告知承诺制，构建亲清政商关系。",
]
SAFETY_SPEECH = [
    "同志们：",
    "今天召开全区安全生产工作会议，主要任务是部署安全生产隐患排查整治。",
    "一要压实安全生产责任，全面排查消防隐患，坚决遏制重特大事故发生。",
    "二要加强危险化学品、道路交通、建筑施工等重点行业领域安全生产监管，做好防汛准备，认真吸取事故教训。",
    "安全生产是最好的营商环境，各级各部门要统筹发展和安全，把隐患消除在萌芽状态。",
]


def test_topic_bizenv_speech():
    topic, score = topic_relevance("在全区优化营商环境大会上的讲话", BIZENV_SPEECH)
    assert topic == "bizenv"
    assert score >= 1.0


def test_topic_bizenv_speech_without_a_telling_title():
    assert topic_relevance("区长讲话", BIZENV_SPEECH)[0] == "bizenv"


def test_topic_safety_speech_mentioning_bizenv_once_is_other():
    topic, score = topic_relevance("在全区安全生产工作会议上的讲话", SAFETY_SPEECH)
    assert topic == "other"
    assert score < 1.0


def test_topic_safety_body_is_other_even_without_title():
    assert topic_relevance("区长讲话", SAFETY_SPEECH)[0] == "other"


def test_topic_traditional_text_counts_terms():
    assert topic_relevance("", ["持續優化營商環境，深化放管服改革，推進一網通辦。"])[0] == "bizenv"


def test_topic_empty_is_other_with_zero_score():
    assert topic_relevance("", []) == ("other", 0.0)


# --- occasion and speakers ----------------------------------------------------------------------------------------


def test_occasion_from_title():
    assert find_occasion("在全区优化营商环境大会上的讲话", []) == "全区优化营商环境大会"


def test_occasion_from_notice_title():
    assert find_occasion("关于召开全市优化营商环境大会的通知", []) == "全市优化营商环境大会"


def test_occasion_from_report_title():
    assert find_occasion("全市优化营商环境推进会召开", []) == "全市优化营商环境推进会"


def test_occasion_from_text():
    paragraphs = ["同志们：", "今天，我们召开全区优化营商环境推进会，主要任务是部署今年工作。"]
    assert find_occasion("区长讲话", paragraphs) == "全区优化营商环境推进会"


def test_occasion_absent():
    assert find_occasion("今日天气", ["晴转多云。"]) is None
    assert find_occasion(None, []) is None


def test_report_speaker_post_and_name():
    text = "3月12日，全市优化营商环境推进会召开。市委书记陆承远出席会议并讲话，市长周振华主持会议。"
    assert report_speaker(text) == ("陆承远", "市委书记")


def test_report_speaker_absent():
    assert report_speaker("今天天气很好。") == (None, None)


def test_report_speaker_post_after_punctuation():
    text = "会上，市委书记陆承远作重要讲话。"
    assert report_speaker(text) == ("陆承远", "市委书记")


def test_report_speaker_post_after_time_words():
    assert report_speaker("今天上午市委书记陆承远出席会议并讲话。") == ("陆承远", "市委书记")


def test_transcript_speaker_with_post_from_host():
    paragraphs = [
        "主持人：各位记者朋友，大家好。市政务服务局局长谭振宇出席今天的发布会。",
        "记者：请问今年有哪些新举措？",
        "谭振宇：今年我们将全面推行一网通办。",
    ]
    assert transcript_speaker(paragraphs) == ("谭振宇", "市政务服务局局长")


def test_transcript_speaker_post_after_host_words():
    paragraphs = [
        "主持人：今天我们邀请到市政务服务局局长谭振宇，请他介绍有关情况。",
        "谭振宇：今年我们将全面推行一网通办。",
    ]
    assert transcript_speaker(paragraphs) == ("谭振宇", "市政务服务局局长")


def test_transcript_speaker_absent():
    assert transcript_speaker(["主持人：大家好。", "记者：请问有哪些举措？"]) == (None, None)


def test_title_speaker_post_only():
    assert title_speaker("市委书记在全市优化营商环境大会上的讲话") == (None, "市委书记")


def test_title_speaker_name_only():
    assert title_speaker("张伟同志在全区优化营商环境大会上的讲话") == ("张伟", None)


def test_title_speaker_none():
    assert title_speaker(None) == (None, None)
    assert title_speaker("持续优化营商环境") == (None, None)


# --- titles -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("在全区优化营商环境大会上的讲话_深圳市坪山区人民政府", "在全区优化营商环境大会上的讲话"),
        ("湖州市人民政府--在全市大会上的讲话", "在全市大会上的讲话"),
        ("深圳市人民政府 | 在全市优化营商环境大会上的讲话", "在全市优化营商环境大会上的讲话"),
        ("持续优化营商环境 奋力打造一流营商环境高地-坪山区政府网", "持续优化营商环境 奋力打造一流营商环境高地"),
        ("没有分隔符的标题", "没有分隔符的标题"),
    ],
)
def test_strip_site_suffix(title, expected):
    assert strip_site_suffix(title) == expected


def test_strip_site_suffix_keeps_a_year_range():
    title = "关于印发坪山区优化营商环境三年行动计划（2021-2023年）的通知_深圳市坪山区人民政府"
    assert strip_site_suffix(title) == "关于印发坪山区优化营商环境三年行动计划（2021-2023年）的通知"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("20211025:区长在全区优化营商环境大会上的讲话稿", "区长在全区优化营商环境大会上的讲话稿"),
        ("  在全区大会上的讲话 - ", "在全区大会上的讲话"),
        ("在全区  大会上的讲话", "在全区 大会上的讲话"),
        (None, None),
        ("  ", None),
    ],
)
def test_clean_title(title, expected):
    assert clean_title(title) == expected
