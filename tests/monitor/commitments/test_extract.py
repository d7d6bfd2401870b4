"""Commitment extraction on real sentence shapes."""

from __future__ import annotations

import pytest

from monitor.commitments.extract import extract_commitments, normalise_punctuation, parse_speech_date

DATONG = (
    "要加快“标准地”改革，尽快完成14项政府统一服务事项，确保2020年9月底前至少完成一宗“标准地”出让，"
    "2020年10月底在试点经验基础上，构建起公开透明，规范高效的“标准地”出让新模式。"
    "要逐步构建金融服务体系，大力引进银行、信贷公司、风险投资等金融服务机构，向市里争取落户1-2支产业引导基金，"
    "逐步解决企业融资难题。"
)


def by_text(found, fragment):
    return next(c for c in found if fragment in c.text)


def test_the_datong_pledges():
    found = extract_commitments(DATONG, "2020-08")
    standard_land = by_text(found, "确保2020年9月底前")
    assert (standard_land.deadline, standard_land.deadline_precision, standard_land.strength) == (
        "2020-09-30",
        "month",
        "strong",
    )
    assert standard_land.quantities[0]["qualifier"] == "at_least" and standard_land.tier == "core"
    assert DATONG[standard_land.start : standard_land.end] == standard_land.text  # offsets into the text
    urgent = by_text(found, "尽快完成14项")
    assert urgent.deadline is None and urgent.deadline_precision == "vague" and urgent.quantities[0]["value"] == 14
    fund = by_text(found, "争取落户1-2支")
    assert fund.strength == "aspirational" and fund.counterparty == "市里" and fund.topic == "finance"
    assert fund.quantities[0]["low"] == 1 and fund.quantities[0]["high"] == 2
    model = by_text(found, "2020年10月底")
    assert model.deadline == "2020-10-31"


@pytest.mark.parametrize(
    "text",
    [
        "去年以来，我们建立了包联领导、项目协调组和园区服务中心服务项目的三支力量。",
        "一年来，全区新增市场主体1.2万户，企业开办时间已压缩至0.5个工作日。",
        "下面，我讲三点意见。",
        "要提高认识。",
        "同志们，优化营商环境没有完成时，只有进行时。",
        "刚才，区发展和改革局通报了去年营商环境改革情况，我都同意。",
    ],
)
def test_achievements_counters_and_exhortations_are_not_commitments(text):
    assert [c.text for c in extract_commitments(text, "2021-03")] == []


def test_targets_quoted_from_higher_bodies_are_cited():
    found = extract_commitments("省政府工作报告提出，要确保年底前实现全省营商环境评价全覆盖。", "2021-03")
    assert found and all(c.cited for c in found)


def test_third_person_report():
    found = extract_commitments("他表示，下一步将在6月底前建成市企业综合服务平台。", "2022-03-08")
    assert found[0].deadline == "2022-06-30" and found[0].topic != ""


def test_relative_deadline_without_a_speech_date_says_so():
    (item,) = extract_commitments("确保年底前完成全部审批事项划转。", None)
    assert item.deadline is None and item.deadline_resolved is False


def test_traditional_text_is_read_too():
    (item,) = extract_commitments("確保6月底前全部復工。", "2020-03")
    assert item.deadline == "2020-06-30" and item.text == "確保6月底前全部復工"


def test_ascii_punctuation_is_normalised_without_moving_offsets():
    text = "要加快改革,确保2021年6月底前完成企业开办全程网办."
    assert len(normalise_punctuation(text)) == len(text)
    item = by_text(extract_commitments(text, "2021-02"), "2021年6月底前")
    assert item.deadline == "2021-06-30" and text[item.start : item.end] == item.text


def test_parse_speech_date():
    assert str(parse_speech_date("2020-08")) == "2020-08-31"
    assert str(parse_speech_date("2020-08-12")) == "2020-08-12"
    assert str(parse_speech_date("2020")) == "2020-01-01" and parse_speech_date("garbage") is None


def test_a_whole_page_of_boilerplate_gives_nothing():
    page = (
        "首页 > 政务公开 > 领导讲话\n发布时间：2020-08-12 10:30:11 来源：区政府办\n"
        "【字体：大 中 小】 打印 关闭\n网站标识码：4403100001"
    )
    assert extract_commitments(page, "2020-08") == []


@pytest.mark.parametrize(
    "text",
    [
        "陆承远指出，去年以来，全市新增市场主体5.6万户，企业开办实现“一日办结”常态化。",  # third person, past
        "春节后，区里组织开展了走访活动，共走访企业1126家，收集各类诉求437条。",  # perfective, no pledge word
        "现将有关情况报告如下：全年供应工业用地3260亩。",  # 现将 is not 将
        "去年以来，我县将23个部门的156项审批事项划转集中办理。",  # disposal 将
        "（一）政务服务效能持续提升。全年推出主题服务32项，网办率达到96.2%。",  # a review heading
        "今年我市在优化营商环境方面有哪些主要目标？",  # a question
        "要坚持依法依规招商，严禁违规出台优惠政策。",  # a prohibition
        "对排名后三位的单位进行约谈。",  # a sanction
        "要完善人才引进机制。",  # an abstract measure
        "对已经承诺的事项，要说到做到，坚决兑现。",  # a pledge word with no object
        "各部门要主动当好“店小二”，做到马上就办、限时办结。",  # a list of slogans
        "今年是“十四五”开局之年，也是巩固拓展脱贫攻坚成果的关键一年。",  # a description
        "全区有高层建筑1100余栋、大型商业综合体20余个。",  # a count of what exists
        "推动企业诉求从“办结”向“办好”转变。",  # a direction
    ],
)
def test_reviews_descriptions_and_vows_are_not_commitments(text):
    page = "要提高认识。\n" + text  # a pledge word on the page, so the page is read clause by clause
    assert [c.text for c in extract_commitments(page, "2024-03")] == []


def test_a_lead_in_gives_way_to_the_testable_pledge_of_its_sentence():
    found = extract_commitments("要盘活存量低效用地，年内完成低效用地再开发3000亩以上，实现“地等项目”。", "2025-04-08")
    assert [c.text for c in found] == ["年内完成低效用地再开发3000亩以上"]


def test_a_first_batch_clause_stays_with_the_pledge_it_details():
    (item,) = extract_commitments("要在3月底前全面推行“高效办成一件事”，首批上线开办餐饮店等13个“一件事”。", "2024-02")
    assert item.text.endswith("13个“一件事”") and item.deadline == "2024-03-31" and item.quantities[0]["value"] == 13


def test_a_numbered_first_sentence_is_a_title_not_a_pledge():
    found = extract_commitments("一是深化专项整治三年行动。3月底前各县区要完成问题隐患清单更新。", "2021-02")
    assert [c.text for c in found] == ["3月底前各县区要完成问题隐患清单更新"]


def test_a_target_with_a_threshold_is_not_a_past_change():
    (item,) = extract_commitments("要推行“综合查一次”，涉企行政检查同比减少20%以上。", "2024-02-18")
    assert item.quantities[0]["qualifier"] == "at_least"


def test_a_future_deadline_ends_a_review_paragraph():
    text = "《行动方案》提出了28条具体举措。主要目标是：到2025年，工程建设项目审批时间压缩至40个工作日以内。"
    (item,) = extract_commitments(text, "2023-06-15")
    assert item.deadline == "2025-12-31"


def test_form_field_labels_are_not_pledges():
    text = "要新增首贷户1500户。责任单位：市金融局。完成时限：2024年12月底。"
    assert [c.text for c in extract_commitments(text, "2024-04")] == ["要新增首贷户1500户"]


def test_spring_festival_deadline_is_its_eve():
    (item,) = extract_commitments("要深入开展清欠专项行动，确保春节前全面清偿无分歧欠款。", "2022-11-18")
    assert item.deadline == "2023-01-21" and item.deadline_precision == "day"
