"""The deadline grammar: time words of a pledge clause, resolved to the date the pledge falls due."""

import dataclasses
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.commitments import deadline
from monitor.commitments.deadline import (
    BEFORE_SPEECH,
    NO_SPEECH_DATE,
    ROLLED_FORWARD,
    Deadline,
    find_deadline,
    find_deadlines,
    normalise,
)

SPEECH = dt.date(2023, 3, 15)

# clause, deadline words as written, ISO end date (speech date 2023-03-15), precision
RESOLVED_FORMS = [
    ("确保2020年9月底前至少完成一宗“标准地”出让", "2020年9月底前", "2020-09-30", "month"),
    ("2020年10月底完成验收", "2020年10月底", "2020-10-31", "month"),
    ("力争年内取得突破", "年内", "2023-12-31", "year"),
    ("年底前全面完成", "年底前", "2023-12-31", "year"),
    ("今年年底前建成投用", "今年年底前", "2023-12-31", "year"),
    ("今年底前建成投用", "今年底前", "2023-12-31", "year"),
    ("今年内全面推开", "今年内", "2023-12-31", "year"),
    ("今年全区GDP增长6%左右", "今年", "2023-12-31", "year"),
    ("下半年启动二期工程", "下半年", "2023-12-31", "half"),
    ("要在上半年完成清理", "上半年", "2023-06-30", "half"),
    ("明年一季度实现开工", "明年一季度", "2024-03-31", "quarter"),
    ("明年上半年全面推开", "明年上半年", "2024-06-30", "half"),
    ("后年建成投用", "后年", "2025-12-31", "year"),
    ("到2025年，营商环境进入全国前列", "2025年", "2025-12-31", "year"),
    ("2025年前建成国际一流营商环境", "2025年前", "2025-12-31", "year"),
    ("到“十四五”末基本建成", "“十四五”末", "2025-12-31", "year"),
    ("“十四五”期间新增市场主体10万户", "“十四五”期间", "2025-12-31", "year"),
    ("十四五时期全面建成", "十四五时期", "2025-12-31", "year"),
    ("“十五五”期间实现翻番", "“十五五”期间", "2030-12-31", "year"),
    ("三年内实现全覆盖", "三年内", "2026-03-15", "year"),
    ("3年内引进100家企业", "3年内", "2026-03-15", "year"),
    ("两年内完成改造", "两年内", "2025-03-15", "year"),
    ("三个月内完成整改", "三个月内", "2023-06-15", "month"),
    ("半年内完成清理", "半年内", "2023-09-15", "month"),
    ("本月底前出台实施细则", "本月底前", "2023-03-31", "month"),
    ("月底前报送方案", "月底前", "2023-03-31", "month"),
    ("下月正式上线", "下月", "2023-04-30", "month"),
    ("下个月底前完成", "下个月底前", "2023-04-30", "month"),
    ("9月30日前完成", "9月30日前", "2023-09-30", "day"),
    ("6月底前全部办结", "6月底前", "2023-06-30", "month"),
    ("6月末全部办结", "6月末", "2023-06-30", "month"),
    ("力争6月份完成", "6月份", "2023-06-30", "month"),
    ("10月1日前开通", "10月1日前", "2023-10-01", "day"),
    ("5月中旬前完成招标", "5月中旬前", "2023-05-20", "day"),
    ("国庆前完成主体工程", "国庆前", "2023-09-30", "day"),
    ("国庆节前投入使用", "国庆节前", "2023-09-30", "day"),
    ("元旦前完成", "元旦前", "2023-12-31", "day"),
    ("力争年中完成", "年中", "2023-06-30", "half"),
    ("力争第三季度完成", "第三季度", "2023-09-30", "quarter"),
    ("三季度末全面投产", "三季度末", "2023-09-30", "quarter"),
    ("确保一季度开门红", "一季度", "2023-03-31", "quarter"),
    ("计划2023年6月建成", "2023年6月", "2023-06-30", "month"),
    ("将于2021年6月投用", "2021年6月", "2021-06-30", "month"),
    ("二〇二五年底前全面建成", "二〇二五年底前", "2025-12-31", "year"),
    ("2024年12月31日前完成", "2024年12月31日前", "2024-12-31", "day"),
    ("2024年春节前发放到位", "2024年春节前", "2024-02-09", "day"),
    ("今明两年完成老旧小区改造", "今明两年", "2024-12-31", "year"),
    ("九月底前完成", "九月底前", "2023-09-30", "month"),
    ("十二月底前完成", "十二月底前", "2023-12-31", "month"),
    ("确保２０２５年底前完成", "２０２５年底前", "2025-12-31", "year"),
    ("力争到2025年底全面建成", "2025年底", "2025-12-31", "year"),
    ("“十四五”规划期间新增10万户", "“十四五”规划期间", "2025-12-31", "year"),
    ("到“十四五”规划目标全面实现", "“十四五”", "2025-12-31", "year"),
    ("今后三年内实现全覆盖", "三年内", "2026-03-15", "year"),
    ("12个月内完成整改", "12个月内", "2024-03-15", "month"),
    ("确保今年上半年完成", "今年上半年", "2023-06-30", "half"),
    ("本月中旬前出台细则", "本月中旬前", "2023-03-20", "day"),
    ("力争首季度开门红", "首季度", "2023-03-31", "quarter"),
    ("十一月底前完成", "十一月底前", "2023-11-30", "month"),
    ("二○二五年底前全面建成", "二○二五年底前", "2025-12-31", "year"),
]


@pytest.mark.parametrize(("clause", "text", "date", "precision"), RESOLVED_FORMS)
def test_form_resolves_against_the_speech_date(clause, text, date, precision):
    deadline = find_deadline(clause, SPEECH)
    assert deadline is not None
    assert (deadline.text, deadline.date, deadline.precision, deadline.resolved) == (text, date, precision, True)


@pytest.mark.parametrize(("clause", "text", "date", "precision"), RESOLVED_FORMS)
def test_offsets_point_at_the_text_in_the_clause(clause, text, date, precision):
    deadline = find_deadline(clause, SPEECH)
    assert clause[deadline.start : deadline.end] == deadline.text


ABSOLUTE_FORMS = [
    ("确保2020年9月底前至少完成一宗“标准地”出让", "2020-09-30", "month"),
    ("到2025年，营商环境进入全国前列", "2025-12-31", "year"),
    ("2025年前建成", "2025-12-31", "year"),
    ("到“十四五”末基本建成", "2025-12-31", "year"),
    ("“十五五”期间实现翻番", "2030-12-31", "year"),
    ("二〇二五年底前全面建成", "2025-12-31", "year"),
    ("2024年12月31日前完成", "2024-12-31", "day"),
    ("计划2023年6月建成", "2023-06-30", "month"),
    ("2024年春节前发放到位", "2024-02-09", "day"),
]


@pytest.mark.parametrize(("clause", "date", "precision"), ABSOLUTE_FORMS)
def test_absolute_form_resolves_without_a_speech_date(clause, date, precision):
    deadline = find_deadline(clause, None)
    assert (deadline.date, deadline.precision, deadline.resolved, deadline.note) == (date, precision, True, None)


RELATIVE_FORMS = [
    ("力争年内取得突破", "年内", "year"),
    ("年底前全面完成", "年底前", "year"),
    ("今年年底前建成投用", "今年年底前", "year"),
    ("今年全区GDP增长6%左右", "今年", "year"),
    ("下半年启动二期工程", "下半年", "half"),
    ("要在上半年完成清理", "上半年", "half"),
    ("明年一季度实现开工", "明年一季度", "quarter"),
    ("明年上半年全面推开", "明年上半年", "half"),
    ("三年内实现全覆盖", "三年内", "year"),
    ("3年内引进100家企业", "3年内", "year"),
    ("两年内完成改造", "两年内", "year"),
    ("三个月内完成整改", "三个月内", "month"),
    ("本月底前出台实施细则", "本月底前", "month"),
    ("下月正式上线", "下月", "month"),
    ("9月30日前完成", "9月30日前", "day"),
    ("6月底前全部办结", "6月底前", "month"),
    ("10月1日前开通", "10月1日前", "day"),
    ("国庆前完成主体工程", "国庆前", "day"),
    ("国庆节前投入使用", "国庆节前", "day"),
    ("春节前发放到位", "春节前", "day"),
    ("元旦前完成", "元旦前", "day"),
    ("力争年中完成", "年中", "half"),
    ("力争第三季度完成", "第三季度", "quarter"),
    ("三季度末全面投产", "三季度末", "quarter"),
    ("确保一季度开门红", "一季度", "quarter"),
    ("今明两年完成老旧小区改造", "今明两年", "year"),
    ("九月底前完成", "九月底前", "month"),
]


@pytest.mark.parametrize(("clause", "text", "precision"), RELATIVE_FORMS)
def test_relative_form_without_a_speech_date_is_unresolved(clause, text, precision):
    deadline = find_deadline(clause, None)
    assert deadline == Deadline(
        text=text,
        start=clause.index(text),
        end=clause.index(text) + len(text),
        date=None,
        precision=precision,
        resolved=False,
        note=NO_SPEECH_DATE,
    )


@pytest.mark.parametrize("word", ["尽快", "尽早", "抓紧", "立即", "马上", "第一时间", "及早", "立刻"])
def test_urgency_word_is_a_vague_resolved_deadline(word):
    clause = f"{word}完成14项改革任务"
    for speech_date in (SPEECH, None):
        assert find_deadline(clause, speech_date) == Deadline(word, 0, len(word), None, "vague", True)


NOT_DEADLINES = [
    "2019年以来，我们建立了企业服务专员制度",
    "今年以来新增市场主体2万户",
    "去年新增市场主体2万户",
    "近年来营商环境持续改善",
    "过去三年累计减税100亿元",
    "近三年内累计减税100亿元",
    "上半年全区GDP增长6%",
    "前三季度全区GDP增长5%",
    "去年年底前已完成",
    "去年上半年全区GDP增长6%",
    "上个月底召开了推进会",
    "每年6月底前报送年报",
    "3个工作日内办结",
    "24小时内办结",
    "半个月内答复",
    "1949年",
    "新增投资2000万元",
    "截至2020年底，全市市场主体达到10万户",
    "2023年6月，我市出台了优化营商环境条例",
    "“十四五”规划提出",
    "2025年后全面推开",
    "从2019年起实行",
    "今年初出台了三十条措施",
    "国庆期间接待游客100万人次",
    "我讲三点意见",
    "要坚持统一市场",
    "今年上半年全区GDP增长6%",
    "15天内完成整改",
    "2025年前后基本建成",
    "春节期间坚持值班",
    "每季度末报送数据",
    "明年初出台",
    "统一月度报表",
    "说明年轻干部敢于担当",
    "此后年均增长8%",
    "2019年至今年均增长8%",
    "下半年以来经济回升",
]


@pytest.mark.parametrize("clause", NOT_DEADLINES)
def test_not_a_deadline(clause):
    assert find_deadline(clause, SPEECH) is None
    assert find_deadline(clause, None) is None


def test_absolute_deadline_before_the_speech_date_is_kept_with_a_note():
    deadline = find_deadline("确保2020年9月底前至少完成一宗“标准地”出让", SPEECH)
    assert (deadline.date, deadline.resolved, deadline.note) == ("2020-09-30", True, BEFORE_SPEECH)


def test_yearless_period_long_past_at_the_speech_date_is_next_years():
    deadline = find_deadline("确保3月底前完成", dt.date(2022, 12, 20))
    assert (deadline.date, deadline.note) == ("2023-03-31", ROLLED_FORWARD)


def test_yearless_period_just_past_at_the_speech_date_stays_in_the_speech_year():
    deadline = find_deadline("确保一季度开门红", dt.date(2023, 4, 10))
    assert (deadline.date, deadline.note) == ("2023-03-31", BEFORE_SPEECH)


def test_current_year_period_is_not_rolled_forward():
    deadline = find_deadline("今年6月底前完成", dt.date(2023, 11, 20))
    assert (deadline.date, deadline.note) == ("2023-06-30", BEFORE_SPEECH)


def test_spring_festival_is_its_eve_in_the_speech_year_when_still_ahead():
    assert find_deadline("春节前发放到位", dt.date(2022, 12, 1)).date == "2023-01-21"


def test_spring_festival_already_past_is_next_years_eve():
    assert find_deadline("春节前发放到位", SPEECH).date == "2024-02-09"


def test_spring_festival_outside_the_table_is_unresolved_with_a_note():
    deadline = find_deadline("2040年春节前发放到位", None)
    assert (deadline.date, deadline.resolved, deadline.precision) == (None, False, "day")
    assert "2040" in deadline.note


def test_national_day_after_october_is_next_years_eve():
    assert find_deadline("国庆前完成", dt.date(2023, 11, 20)).date == "2024-09-30"


def test_new_years_day_is_the_last_day_of_the_speech_year():
    assert find_deadline("元旦前完成", dt.date(2023, 12, 20)).date == "2023-12-31"


def test_next_month_wraps_into_next_year():
    assert find_deadline("下个月底前完成", dt.date(2023, 12, 10)).date == "2024-01-31"


def test_years_within_from_a_leap_day_end_on_february_28():
    assert find_deadline("一年内完成", dt.date(2024, 2, 29)).date == "2025-02-28"


def test_thirteenth_five_year_plan_ends_in_2020():
    assert find_deadline("“十三五”期间", None).date == "2020-12-31"


def test_full_width_digits_keep_offsets_of_the_original_clause():
    clause = "确保２０２０年９月底前完成"
    deadline = find_deadline(clause, None)
    assert (deadline.text, deadline.start, deadline.end, deadline.date) == ("２０２０年９月底前", 2, 11, "2020-09-30")


def test_chinese_numeral_day():
    assert find_deadline("九月三十日前完成", SPEECH).date == "2023-09-30"


def test_impossible_day_is_not_a_deadline():
    assert find_deadline("2023年2月30日前完成", SPEECH) is None


def test_find_deadline_prefers_a_dated_deadline_to_an_urgency_word():
    assert find_deadline("尽快在年底前完成", SPEECH).text == "年底前"


def test_find_deadline_takes_the_first_dated_deadline():
    assert find_deadline("今年年底前完成一期，明年6月底前完成二期", SPEECH).text == "今年年底前"


def test_find_deadlines_lists_every_deadline_in_order():
    found = find_deadlines("尽快启动，今年年底前完成一期，明年6月底前完成二期", SPEECH)
    assert [(d.text, d.date) for d in found] == [
        ("尽快", None),
        ("今年年底前", "2023-12-31"),
        ("明年6月底前", "2024-06-30"),
    ]


def test_find_deadlines_of_a_clause_without_deadlines_is_empty():
    assert find_deadlines("持续优化营商环境", SPEECH) == []


def test_past_year_beside_a_deadline_is_skipped():
    assert find_deadline("去年完成一期，今年年底前完成二期", SPEECH).text == "今年年底前"


def test_deadline_is_frozen():
    deadline = find_deadline("年内完成", SPEECH)
    with pytest.raises(dataclasses.FrozenInstanceError):
        deadline.date = "2030-01-01"


def test_the_calendar_pattern_is_tried_only_where_a_match_can_begin() -> None:
    """The start-character lookahead (a speed-up) changes no match of the calendar pattern."""
    import random
    import re

    from monitor.commitments import deadline

    fast = deadline._PATTERNS["calendar"]
    plain = re.compile(fast.pattern.replace(deadline._CALENDAR_START, "", 1))
    rng = random.Random(3)
    alphabet = (
        "0123456789一二三四五六七八九十今本明后年底末上下第首国春元之以前内期时为"
        "月日号旬季度节庆旦终半两〇零至到在于截止自从起以来的"
    )
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30)))
        expected = [(m.span(), m.groupdict()) for m in plain.finditer(text) if m.end() > m.start()]
        assert [(m.span(), m.groupdict()) for m in fast.finditer(text) if m.end() > m.start()] == expected, text


def test_a_pattern_skipped_for_want_of_its_words_would_have_kept_nothing():
    """``scan_tokens`` skips a pattern when the clause has none of the words its tokens need (``_NEEDS``); on every
    clause of the sample speeches and of this file, and on clauses made to hold each word alone, the tokens are
    those of scanning with every pattern."""
    import re

    from monitor.commitments import deadline
    from monitor.sampleweb.speeches import load_speeches

    def every_pattern(text: str) -> list:
        kept = []
        for kind, pattern in deadline._PATTERNS.items():
            for match in pattern.finditer(text):
                groups = match.groupdict()
                if match.end() == match.start() or (
                    kind == "calendar" and not (groups["abs"] or groups["rel"] or deadline._has_sub(groups))
                ):
                    continue
                kept.append(deadline._Token(kind, match.start(), match.end(), groups))
        return kept

    texts = [speech.body for speech in load_speeches().values()]
    texts += [form[0] for form in (*RESOLVED_FORMS, *ABSOLUTE_FORMS, *RELATIVE_FORMS)] + NOT_DEADLINES
    words = {word for needs in deadline._NEEDS.values() for word in needs}
    texts += [f"力争{word}前完成{word}内建成十五{word}底" for word in words]
    texts += ["国庆节前", "首季度末", "下月底前", "三个工作日内", "“十五五”期间", "两年内", "立即整改"]
    clauses = [deadline.normalise(c) for text in texts for c in re.split(r"[。！？；，\n]", text) if c]
    assert len(clauses) > 1000
    for clause in clauses:
        assert deadline.scan_tokens(clause) == every_pattern(clause), clause


def test_a_clause_with_no_word_a_deadline_needs_has_none_even_after_a_pledge_cue():
    """``may_hold_deadline`` (which spares the extractor scanning ``"要在" + clause`` again): where it says no,
    the clause behind a cue has no token at all; it says yes to every word a token needs, also in compatibility
    forms (⽉, the Kangxi radical, scans as 月)."""
    import random
    import re

    from monitor.commitments import deadline
    from monitor.commitments.deadline import may_hold_deadline
    from monitor.sampleweb.speeches import load_speeches

    texts = [speech.body for speech in load_speeches().values()] + NOT_DEADLINES
    clauses = [c for text in texts for c in re.split(r"[。！？；，\n]", text) if c]
    rng = random.Random(8)
    alphabet = "0123456789一二三四五六七八九十今本明后底末上下第首之以前期时为日号旬度节半两〇零"
    alphabet += "至到在于截止自从起来的要将确保尽快立即"
    clauses += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 20))) for _ in range(5_000)]
    without = [c for c in clauses if not may_hold_deadline(c)]
    assert len(without) > 1000
    for clause in without:
        assert deadline.scan_tokens(deadline.normalise("要在" + clause)) == [], clause
        assert find_deadline("要在" + clause, SPEECH) is None
    words = [w for needs in deadline._NEEDS.values() for w in needs] + list(deadline.URGENCY_WORDS)
    assert all(may_hold_deadline(f"要{word}完成") for word in words)
    assert may_hold_deadline("力争9⽉底前") and find_deadline("力争9⽉底前", SPEECH) is not None


#: the code points a clause may hold: the multilingual, supplementary and ideographic planes and the variation
#: selectors (plane 14), each one alone
PLANES = [*range(0xD800), *range(0xE000, 0x30000), *range(0xE0000, 0xE01F0)]


@given(st.text(alphabet="２０２０年9月底前○◯⽉ｶﾞé\u0301\u0308가\u1100\u1161Å（）％，", max_size=30))
def test_a_clause_already_in_nfkc_is_normalised_to_itself(clause: str):
    """The quick check skips only what translating would leave alone: combining marks and compositions too."""
    assert normalise(clause) == clause.translate(deadline._FOLDS)


def test_no_character_in_nfkc_is_changed_by_the_translation():
    changed = [point for point in PLANES if normalise(chr(point)) != chr(point).translate(deadline._FOLDS)]
    assert changed == []
    assert normalise("要在２０２０年○月") == "要在2020年〇月"  # full-width digits and an extra fold, same length
