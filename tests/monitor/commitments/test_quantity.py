"""Quantities in commitment clauses: numerals, units, qualifiers, roles; slogans, enumerators and dates refused."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.commitments import quantity
from monitor.commitments.quantity import Quantity, find_quantities, normalise, parse_chinese_number


def only(clause: str) -> Quantity:
    found = find_quantities(clause)
    assert len(found) == 1, found
    return found[0]


# --- single quantities: (clause, text, value, low, high, unit, qualifier) ---------------------------------------

SINGLE = [
    # the forms seen in real speeches (DESIGN §3)
    ("确保2020年9月底前至少完成一宗“标准地”出让", "至少完成一宗", 1, 1, None, "宗", "at_least"),
    ("尽快完成14项", "14项", 14, 14, 14, "项", "exact"),
    ("力争年内在100亿元以上大项目上取得突破", "100亿元以上", 100, 100, None, "亿元", "at_least"),
    # at least
    ("研发投入占比不低于30%", "不低于30%", 30, 30, None, "%", "at_least"),
    ("新引进企业不少于50家", "不少于50家", 50, 50, None, "家", "at_least"),
    ("新增市场主体1.5万户以上", "1.5万户以上", 1.5, 1.5, None, "万户", "at_least"),
    ("新增就业岗位300余个", "300余个", 300, 300, None, "个", "at_least"),
    ("新增二十多万户", "二十多万户", 20, 20, None, "万户", "at_least"),
    ("培育十几家龙头企业", "十几家", 10, 10, None, "家", "at_least"),
    ("最少要建成3个", "最少要建成3个", 3, 3, None, "个", "at_least"),
    ("总投资超过50亿元", "超过50亿元", 50, 50, None, "亿元", "at_least"),
    ("带动上千家企业", "上千家", 1000, 1000, None, "家", "at_least"),
    ("新增3个百分点及以上", "3个百分点及以上", 3, 3, None, "个百分点", "at_least"),
    # at most
    ("审批时限不超过3个工作日", "不超过3个工作日", 3, None, 3, "个工作日", "at_most"),
    ("全流程控制在60个工作日以内", "60个工作日以内", 60, None, 60, "个工作日", "at_most"),
    ("企业开办3天内办结", "3天内", 3, None, 3, "天", "at_most"),
    ("5个工作日之内答复", "5个工作日之内", 5, None, 5, "个工作日", "at_most"),
    ("涉企收费降低到10项以下", "10项以下", 10, None, 10, "项", "at_most"),
    ("最多跑2次", "最多跑2次", 2, None, 2, "次", "at_most"),
    # about
    ("增长30%左右", "30%左右", 30, None, None, "%", "about"),
    ("约50家企业", "约50家", 50, None, None, "家", "about"),
    ("近3年", "近3年", 3, None, None, "年", "about"),
    ("覆盖近百家企业", "近百家", 100, None, None, "家", "about"),
    ("固定资产投资增长8%上下", "8%上下", 8, None, None, "%", "about"),
    ("大约200人次", "大约200人次", 200, None, None, "人次", "about"),
    # exact, Chinese numerals
    ("年内新建五个产业园", "五个", 5, 5, 5, "个", "exact"),
    ("建设两个园区", "两个", 2, 2, 2, "个", "exact"),
    ("推出十二项改革举措", "十二项", 12, 12, 12, "项", "exact"),
    ("设立一百五十亿元基金", "一百五十亿元", 150, 150, 150, "亿元", "exact"),
    ("安排三千万元专项资金", "三千万元", 3000, 3000, 3000, "万元", "exact"),
    ("一亿五千万元", "一亿五千万元", 15000, 15000, 15000, "万元", "exact"),
    ("建成一百零五个", "一百零五个", 105, 105, 105, "个", "exact"),
    ("用两年时间", "两年", 2, 2, 2, "年", "exact"),
    ("实现翻一番", "一番", 1, 1, 1, "番", "exact"),
    ("再办好10件实事", "10件", 10, 10, 10, "件", "exact"),
    ("三年内", "三年内", 3, None, 3, "年", "at_most"),
    ("3日内办结", "3日内", 3, None, 3, "日", "at_most"),
    ("新建标准厂房20万平方米", "20万平方米", 20, 20, 20, "万平方米", "exact"),
    ("新增装机1,200千瓦", "1,200千瓦", 1200, 1200, 1200, "千瓦", "exact"),
    ("完成投资2000万元", "2000万元", 2000, 2000, 2000, "万元", "exact"),
    ("全市100家重点企业", "100家", 100, 100, 100, "家", "exact"),
    # halves and "more than" around time units
    ("用半年时间", "半年", 0.5, 0.5, 0.5, "年", "exact"),
    ("半年内完成", "半年内", 0.5, None, 0.5, "年", "at_most"),
    ("近一年半来", "近一年半", 1.5, None, None, "年", "about"),
    ("用一个半月时间", "一个半月", 1.5, 1.5, 1.5, "个月", "exact"),
    ("经过一年多的运行", "一年多", 1, 1, None, "年", "at_least"),
    ("一个多月", "一个多月", 1, 1, None, "个月", "at_least"),
    ("一年多次开展", "一年", 1, 1, 1, "年", "exact"),
    ("新增减税降费超10亿元", "超10亿元", 10, 10, None, "亿元", "at_least"),
    ("举办招商活动20场次", "20场次", 20, 20, 20, "场次", "exact"),
    # percent forms
    ("增长15%", "15%", 15, 15, 15, "%", "exact"),
    ("提高百分之十五", "百分之十五", 15, 15, 15, "%", "exact"),
    ("下降百分之八点五", "百分之八点五", 8.5, 8.5, 8.5, "%", "exact"),
    ("提高15个百分点", "15个百分点", 15, 15, 15, "个百分点", "exact"),
    ("不低于百分之三十", "不低于百分之三十", 30, 30, None, "%", "at_least"),
    ("控制在千分之五以内", "千分之五以内", 5, None, 5, "‰", "at_most"),
    # full-width forms are read after NFKC; text and offsets stay as written
    ("尽快完成１４项", "１４项", 14, 14, 14, "项", "exact"),
    ("不低于３０％", "不低于３０％", 30, 30, None, "%", "at_least"),
    ("压缩至８．５个工作日", "８．５个工作日", 8.5, 8.5, 8.5, "个工作日", "exact"),
]


@pytest.mark.parametrize(("clause", "text", "value", "low", "high", "unit", "qualifier"), SINGLE)
def test_single_quantity(clause, text, value, low, high, unit, qualifier):
    q = only(clause)
    assert (q.text, q.value, q.low, q.high, q.unit, q.qualifier) == (text, value, low, high, unit, qualifier)
    assert clause[q.start : q.end] == q.text


# --- ranges: (clause, text, low, high, unit) ------------------------------------------------------------------

RANGES = [
    ("争取落户1-2支产业引导基金", "1-2支", 1, 2, "支"),
    ("新建3至5个", "3至5个", 3, 5, "个"),
    ("引进3～5家", "3～5家", 3, 5, "家"),
    ("用三到五年时间", "三到五年", 3, 5, "年"),
    ("引进3~5家", "3~5家", 3, 5, "家"),
    ("占比达到30%-50%", "30%-50%", 30, 50, "%"),
    ("投资3万至5万元", "3万至5万元", 3, 5, "万元"),
    ("用3年到5年时间", "3年到5年", 3, 5, "年"),
    ("培育两三个龙头", "两三个", 2, 3, "个"),
    ("缩短5—10个工作日", "5—10个工作日", 5, 10, "个工作日"),
]


@pytest.mark.parametrize(("clause", "text", "low", "high", "unit"), RANGES)
def test_range(clause, text, low, high, unit):
    q = only(clause)
    assert (q.text, q.value, q.low, q.high, q.unit, q.qualifier) == (text, None, low, high, unit, "range")
    assert clause[q.start : q.end] == q.text


# --- from / to ------------------------------------------------------------------------------------------------


def test_from_to_working_days():
    first, second = find_quantities("由目前平均20多个工作日减至8.5个工作日")
    assert (first.text, first.value, first.low, first.high) == ("20多个工作日", 20, 20, None)
    assert (first.unit, first.qualifier, first.role) == ("个工作日", "at_least", "from")
    assert (second.text, second.value, second.unit, second.qualifier, second.role) == (
        "8.5个工作日",
        8.5,
        "个工作日",
        "exact",
        "to",
    )


@pytest.mark.parametrize(
    ("clause", "roles"),
    [
        ("从3天压缩到1天", ["from", "to"]),
        ("由30%提高到50%", ["from", "to"]),
        ("企业开办时间压减至1个工作日以内", ["to"]),
        ("由于新增5家企业，完成10项", [None, None]),
        ("新增5家，完成10项", [None, None]),
    ],
)
def test_roles(clause, roles):
    assert [q.role for q in find_quantities(clause)] == roles


def test_to_keeps_its_own_qualifier():
    (q,) = find_quantities("企业开办时间压减至1个工作日以内")
    assert (q.value, q.qualifier, q.role) == (1, "at_most", "to")


# --- several quantities in one clause -------------------------------------------------------------------------


def test_several_quantities_in_order():
    found = find_quantities("今年新增市场主体1.5万户以上，新建五个园区，引进3～5家龙头企业，投资一百五十亿元")
    assert [(q.text, q.unit) for q in found] == [
        ("1.5万户以上", "万户"),
        ("五个", "个"),
        ("3～5家", "家"),
        ("一百五十亿元", "亿元"),
    ]
    assert all(q.start < r.start for q, r in zip(found, found[1:], strict=False))


def test_deadline_and_quantity_together():
    (q,) = find_quantities("到2025年，新增3个国家级园区")
    assert (q.text, q.value, q.unit) == ("3个", 3, "个")


# --- refused: slogans, counters, enumerators, dates, ordinals, idioms, articles ------------------------------

NOT_QUANTITIES = [
    # slogans and counters
    "持续擦亮“三对”“六最”品牌",
    "深化“一网通办”改革",
    "统一标准",
    "统一项目管理",
    "推进区域一体化发展",
    "一把手亲自抓",
    "推行“一枚印章管审批”",
    "一枚印章管审批",
    "推进“一件事一次办”",
    "一件事一次办",
    "打造一站式服务平台",
    "深化“放管服”改革",
    "开展“五个一”活动",
    "落实五个一工程",
    "做到两个维护",
    "增强四个意识",
    "坚定四个自信",
    "协调推进四个全面战略布局",
    "全面落实中央八项规定精神",
    "实现最多跑一次",
    "推行一次性告知",
    "统筹推进五位一体总体布局",
    "建立一企一档、一户一档",
    "推行五证合一",
    "实现两个一百年奋斗目标",
    "我讲三点意见",
    "下面我讲三个方面的问题",
    "拧成一股绳",
    "这里，我强调三个重点",
    "继续推进实施“一项改革、两个服务、三种环境”",
    "这是一项系统工程",
    "一个一个抓",
    "一步一个脚印",
    "上半年",
    "下半年完成",
    # enumerators
    "一是优化审批流程",
    "二是强化要素保障",
    "第一，要提高站位",
    "（一）深化改革",
    "(一)深化改革",
    "一、总体要求",
    "1.总体要求",
    "（1）优化流程",
    # years, dates, plan periods
    "2025年",
    "到2025年底",
    "2020年9月底前",
    "9月底",
    "9月30日前",
    "二〇二五年",
    "十四五期间",
    "“十四五”期间",
    "2021-2025年",
    "2021年至2025年",
    "1-2月",
    "明年一季度",
    "上世纪90年代",
    # ordinals
    "第三批",
    "第3批试点",
    "第一个",
    # idioms and fixed words
    "一心一意谋发展",
    "坚决防止一刀切",
    "一以贯之抓落实",
    "一抓到底",
    "一张蓝图绘到底",
    "全市一盘棋",
    "一条龙服务",
    "十分重要",
    "千方百计",
    "千万不能",
    "三番五次",
    "一成不变",
    "唯一一家",
    "同一个窗口",
    "万众一心",
    "一个都不能少",
    # vague or article-like
    "出台一批政策措施",
    "建设一支高素质的干部队伍",
    "营造一个更加公平的环境",
    "数十家企业",
    "几十个项目",
    "若干个",
    # numbers without units, codes, letters
    "拨打12345热线",
    "建成5G基站",
    "PM2.5浓度",
    "国务院2号文件",
]


@pytest.mark.parametrize("clause", NOT_QUANTITIES)
def test_not_a_quantity(clause):
    assert find_quantities(clause) == []


@pytest.mark.parametrize(
    ("clause", "texts"),
    [
        ("一是新建5个园区", ["5个"]),
        ("第一，年内完成14项", ["14项"]),
        ("（一）确保2020年9月底前至少完成一宗“标准地”出让", ["至少完成一宗"]),
        ("深化“一网通办”，压缩至3个工作日", ["3个工作日"]),
        ("统一标准，新建两个中心", ["两个"]),
        ("9月30日前完成3日内办结改革", ["3日内"]),
        ("第三批试点中确定5家", ["5家"]),
        ("至少建设一支专业化的招商队伍", ["至少建设一支"]),
        ("建成3个一流园区", ["3个"]),
        ("建设3个化工园区", ["3个"]),
        ("企业超过万家", ["超过万家"]),
        ("推进一元化管理，引进3家一类企业", ["3家"]),
    ],
)
def test_quantity_beside_refused_forms(clause, texts):
    assert [q.text for q in find_quantities(clause)] == texts


# --- units: normalised count ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clause", "multiplier", "base_unit", "scaled"),
    [
        ("新增市场主体1.5万户以上", 10_000, "户", 15_000),
        ("100亿元以上", 100_000_000, "元", 10_000_000_000),
        ("一亿五千万元", 10_000, "元", 150_000_000),
        ("投资1.1万亿元", 10**12, "元", 1_100_000_000_000),
        ("新增50家", 1, "家", 50),
        ("1-2支", 1, "支", None),
        ("装机3千瓦", 1, "千瓦", 3),
        ("3000万", 10_000, "", 30_000_000),
    ],
)
def test_scaled_value(clause, multiplier, base_unit, scaled):
    q = only(clause)
    assert (q.multiplier, q.base_unit, q.scaled_value) == (multiplier, base_unit, scaled)


# --- Chinese numerals -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("一", 1),
        ("两", 2),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("一百零五", 105),
        ("一百五十", 150),
        ("一百五", 150),
        ("三千", 3000),
        ("三千万", 30_000_000),
        ("两万五", 25_000),
        ("一千零一十", 1010),
        ("一亿五千万", 150_000_000),
        ("一百五十亿", 15_000_000_000),
        ("八点五", 8.5),
        ("零点五", 0.5),
        ("十四五", None),
        ("二〇二五", None),
        ("一一", None),
        ("三五", None),
        ("一百零", None),
        ("千百", None),
        ("", None),
    ],
)
def test_parse_chinese_number(numeral, value):
    assert parse_chinese_number(numeral) == value


def test_quantity_is_frozen():
    q = only("完成14项")
    with pytest.raises(AttributeError):
        q.value = 15  # type: ignore[misc]


@given(st.text(alphabet="１２３万亩％，,ｶﾞé\u0301가\u1100\u1161Å（）5", max_size=30))
def test_a_clause_already_in_nfkc_is_normalised_to_itself(clause: str):
    assert normalise(clause) == clause.translate(quantity._FOLDS)


def test_no_character_in_nfkc_is_changed_by_the_translation():
    points = [*range(0xD800), *range(0xE000, 0x30000)]
    assert [point for point in points if normalise(chr(point)) != chr(point).translate(quantity._FOLDS)] == []
    assert normalise("３０００亩，１５％") == "3000亩，15%"  # the comma stays full-width
