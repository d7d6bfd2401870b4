"""Find the commitments in a speech's text: pure functions, offsets into the text, explainable fields.

A commitment is a future action or outcome the speaker's side pledges in its own voice, ideally testable
(DESIGN.md §3). The text is split into sentences and clauses; a clause is a pledge when it carries a pledge
word (确保, 力争, 要, 将…) and something deliverable (a deadline, a quantity or a concrete verb), and is not an
achievement, a target quoted from a higher body (kept apart as ``cited``), a slogan or a bare exhortation.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, field, replace
from datetime import date

from monitor.commitments.deadline import BEFORE_SPEECH, Deadline, find_deadline, find_deadlines, may_hold_deadline
from monitor.commitments.quantity import find_quantities
from monitor.extract.script import to_simplified

LOGGER = logging.getLogger(__name__)
ASCII_TO_FULL = str.maketrans({",": "，", ";": "；", ":": "：", "!": "！", "?": "？", "(": "（", ")": "）"})
SENTENCE_END = re.compile(r"[。！？；\n]")
PRECISION_RANK = {"day": 5, "month": 4, "quarter": 3, "half": 2, "year": 1, "vague": 0}  # the most precise wins
PARAGRAPH_END = re.compile(r"\n")
CLAUSE_END = re.compile(r"[，：]")

STRONG = re.compile(r"确保|务必|必须|坚决|切实做到|至少|不低于|不少于|保证|一定要|决不|绝不")
ASPIRATIONAL = re.compile(r"力争|争取|努力|左右|力求|尽力|有望")
GENERAL = re.compile(
    r"要|将|推进|加快|完成|出台|构建|建成|建立|实现|推动|打造|新增|压缩|减至|降至|提升|提高到|开展|启动|推行|落实|"
    r"引进|培育|组建|设立|上线|开通|覆盖|达到|突破|下一步"
)
URGENT = re.compile(r"尽快|尽早|抓紧|立即|马上|第一时间|迅速")
CONCRETE = re.compile(
    r"完成|出台|建成|上线|开通|设立|组建|引进|落户|新增|压缩|压减|减至|降至|提高到|提升到|达到|"
    r"出让|供应|兑现|办结|印发|制定|开工|投产|签约|招引|新建|改扩建|改造|清理|取消|下放|搭建|举办|发布|编制|盘活|"
    r"联系服务|全覆盖"
)
MEETING = re.compile(
    r"^(今天|今天上午|今天下午|这次|本次|此次)?[^。]{0,20}(召开|举行)[^。]{0,40}(会|会议)|主要任务是|会议的主要任务|"
    r"(大会|会议|推进会|座谈会)(召开|举行)$|作了(表态)?发言|作了(交流)?发言|通报了|讲得很好|我都同意|感谢"
)
PAST_IN_CLAUSE = re.compile(
    r"[\u4e00-\u9fff]了(?![解如])|由过去|过去的|只有|较去年|比去年|同比(增长|下降|减少|提高)(?![^，。；]*以上)|以来|实现良好开局|\d+多[个家件项户]"
)
HEADING = re.compile(r"^([（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+、|第[一二三四五六七八九十]+[，,、])")
PROBLEM = re.compile(r"还有不少|还存在|仍有|仍然存在|依然存在|偏少|不够|不足|短板|差距|靠后|滞后|薄弱|亟待|需要改进")
TASK_HEADING = re.compile(
    r"^([（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+是要?|[一二三四五六七八九十]+、)"
)
TABLE_HEADER = re.compile(r"序号|责任单位\s+完成时限")
FIELD_LABEL = re.compile(r"^(完成时限|完成时间|时间节点|责任单位|牵头单位|配合单位|责任部门)$")  # a form's field name
LEAD_HEADING = re.compile(  # the first sentence of a paragraph as its title: 三要在政策兑现上争先。 第一，加快兑现…。
    r"^([（(][一二三四五六七八九十]+[)）]|[一二三四五六七八九十]+[、是要]|第[一二三四五六七八九十]+[，、]|\d{1,2}[.．、]\s?)"
)
REVIEW_HEADING = re.compile(  # （一）政务服务效能持续提升。 titles a review of results, not a task
    r"(持续提升|不断增强|不断提升|稳步提升|显著提升|明显提升|更加[\u4e00-\u9fff]{2}|明显改善|成效明显|成效显著|落地见效|"
    r"取得(明显|显著|积极)?成效|大幅(提升|压缩|下降))$"
)
ELABORATION = re.compile(r"^首批")  # 3月底前全面推行…，首批上线13个“一件事”: one deliverable
RHETORIC = re.compile(
    r"一(件|项|个)一(件|项|个)|(抓好|做好|办好)[一二三四五六七八九十几]+(件事|个方面)|弘扬.{0,16}(作风|精神)|树立.{0,20}(理念|作风)|^谁(就|能)|^(我们)?要以.{0,20}(担当|精神|作风|状态)|没有完成时|^下大力气|抓紧抓好$"
)
PAST_START = re.compile(
    r"^(去年|前年|过去一年|过去几年|过去|一年来|两年来|三年来|五年来|多年来|近年来|近几年|近三年|今年以来|上半年以来|"
    r"截至|截止|\d{4}年以来|目前，?全|特别是)"
)
WILL = r"(?<![现即])将(?![\d一二三四五六七八九十近其])"  # not 现将 (herewith), not 将23个部门的…划转 (disposal 将)
MUST = r"(?<![需重主只必纲首])要(?![素求点害闻件])"  # not 需要 / 主要 / 重要 / 要素 / 要求
PERFECTIVE = re.compile(
    r"(?<![为除罢])[\u4e00-\u9fff]了(?![解如])|已经|已(?!于)|累计|(?<![公])共(计|有)?[\u4e00-\u9fff]{0,5}\d|"
    r"同比(增长|下降|减少|提高)(?![^，。；]*以上)|较(上|去)年|[年月]多?来"
)  # a sentence reporting what was done: 组织开展了…, 共走访企业1126家, 实施一年多来
FUTURE_CUE = re.compile(
    rf"{WILL}|{MUST}|目标(是|为|：)|确保(?!了)|力争|争取|计划|下一步|今后|未来|明年|年底前|年内|务必|必须|坚决|一定要|力求"
)
FREQUENCY = re.compile(r"每(半年|年|季度|季|月|两周|周)[^，。]{0,14}(一次|召开|通报|开展|排名|评选|督查)")
ACHIEVED = re.compile(
    r"^(去年|前年|过去|近年来|近几年|一年来|两年来|三年来|多年来|此前|以往|截至|目前已|今年以来|上半年以来|\d{4}年以来)|"
    r"已经|已(?!于)|取得了|实现了|建立了|完成了|出台了|达到了|累计|先后|成功|初步形成|有效解决|明显"
)
FUTURE = re.compile(rf"{WILL}|{MUST}|确保(?!了)|力争|争取|计划|下一步|今后|未来|年底前|年内|前完成|之前")
CITED = re.compile(
    r"(中央|国务院|党中央|省委|省政府|市委|市政府|上级|国家|总书记|《[^》]{2,30}》)[^，。]{0,16}(提出|要求|明确|指出|强调|部署|规定)"
)
OWN_BODY_CITED = re.compile(r"^(区委|区政府|县委|县政府|市委、市政府|区委、区政府|县委、县政府)")
EXHORTATION = re.compile(
    r"^(要|必须|务必)?(进一步)?(提高|增强|强化|统一|树立|坚定|牢固树立|深刻认识|充分认识|高度重视|切实增强)"
    r"(思想认识|认识|政治站位|站位|意识|思想|信心|决心|责任感|使命感|紧迫感)"
)
COUNTER = re.compile(
    r"^(下面|今天|这里)?[，,]?我(讲|再讲|强调|谈)[一二三四五六七八九十几]+(点|个方面)|^[一二三四五六七八九十]+是$"
)
THIRD_PERSON = re.compile(r"^(他|她|[\u4e00-\u9fff]{2,3})(表示|强调|指出|要求)[，：]?")
ACTOR = re.compile(
    r"^(?:由)?(?P<actor>(?:[\u4e00-\u9fff]{1,4}(?:区|市|县|省))?[\u4e00-\u9fff]{0,10}?"
    r"(?:局|委|办|中心|政府|部门|街道|园区|管委会|公司|小组|银行))(?:要|将|牵头|负责|要在|必须|会同)"
)
COUNTERPARTY = re.compile(r"向(?P<cp>[\u4e00-\u9fff]{1,8}?)(?:争取|申请|汇报|请示|申报)")
TOPICS = (
    ("land", r"土地|用地|标准地|出让|收储|地块|厂房|工业上楼"),
    ("finance", r"融资|贷款|基金|金融|信贷|担保|资金|减税|降费|退税"),
    ("talent", r"人才|引才|安居|子女教育|住房补贴|技能"),
    ("approvals", r"审批|许可|办结|工作日|承诺制|一网通办|最多跑一次|政务服务|一件事|开办|证照"),
    ("regulation", r"监管|检查|执法|双随机|信用|处罚|包容审慎"),
    ("law_order", r"扫黑|治安|法治|司法|诉讼|仲裁|打击"),
    ("innovation", r"创新|孵化|研发|科技|双创|专利|数字化|智能"),
    ("investment", r"招商|项目|签约|投资|落户|引进"),
    ("infrastructure", r"道路|管网|基础设施|水电气|交通|园区建设|5G"),
    ("policy", r"政策|措施|意见|办法|条例|方案|出台|印发"),
    ("services", r"服务|诉求|热线|包联|店小二|帮办|代办"),
)
ABSTRACT_ONLY = re.compile(
    r"^(要|将)?(进一步)?(加强|强化|提升|优化|完善|深化|推进|推动)[^，。]{0,8}(工作|水平|能力|作风|力度)$"
)
ABSTRACT_MEASURE = re.compile(  # 要完善人才引进机制, 持续擦亮“拿地即开工”品牌: a verb of degree on an abstract noun
    r"^([^，]{0,14}?要)?(进一步|持续|不断|深入|大力|全面|切实|不折不扣地?|加快|积极|着力)*"
    r"(加强|强化|提升|优化|完善|深化|推进|推动|落实|实施|用好|发挥|加大|扩大|擦亮|巩固|健全|规范|营造|打造|制定和落实)"
    r"[^，。\d]{0,20}(工作|水平|能力|作风|力度|机制|体系|制度|政策|改革|成果|品牌|作用|氛围|优势|意识|理念|质效|效能|队伍|环境)$"
)
COPULA = re.compile(r"^(今年|明年|当前|目前|现在|这|此|也)是|^[“「][^”」]{1,12}[”」]就?是")  # 今年是…之年
AIM = re.compile(r"^(实现|做到|达到|让|使|逐一|逐项)")  # the aim of a measure, not a deliverable of its own
NOT_PLEDGE = (
    ("prohibition", re.compile(r"严禁|禁止|杜绝|决不允许|不得(?!超过|少于|低于|高于)")),
    ("sanction", re.compile(r"^对[^，]{1,24}(进行|予以|给予|一律|严肃|及时)?[^，]{0,4}(约谈|问责|追责|曝光|查处)$")),
    ("purpose", re.compile(r"^(让|使|使得)|^为[^，]{0,24}(营造|作出|提供|创造|奠定|贡献)|^以(优异成绩|实际行动)")),
    ("direction", re.compile(r"从[^，]{1,12}向[^，]{1,12}(转变|转型|迈进|跃升)")),
    ("copula", COPULA),
    ("label", re.compile(r"(是|为|如下)$")),  # 2024年主要预期目标是：… introduces the pledges, its time governs them
    ("necessity", re.compile(r"^(需要|需|有待|亟需|亟待)")),
    ("condition", re.compile(r"(后|之后|以后)$")),
    ("question", re.compile(r"([\u4e00-\u9fff])不\1|哪些|什么|怎么|如何")),
    ("slogan as target", re.compile(r"(达到|实现|形成)[“「][^”」]+[”」]的(目标|局面|格局|效果)")),
    ("generic task", re.compile(r"(任务|目标|工作)[^，]{0,8}(完成|落实|落地|见效)$|抓好落实$|落到实处$|更大突破$")),
)
EXISTING_COUNT = re.compile(r"^[^，]{0,6}(?<![没所拥国具现享持占])有[^，]{0,12}\d|\d+(余|多)[个栋家户座处]$|仅有?\d")
SLOGAN_LIST = re.compile(r"^(?P<lead>做到|实现|坚持)?[^、，“”\d]{2,6}(、[^、，“”\d]{2,6})+$")  # 马上就办、限时办结
PLEDGE_LEAD = re.compile(r"^(要|将|确保|力争|争取|务必|必须|坚决|切实|进一步)+")


@dataclass
class Commitment:
    text: str
    start: int
    end: int
    sentence: str
    action: str
    strength: str
    tier: str
    topic: str
    cited: bool = False
    deadline: str | None = None
    deadline_precision: str | None = None
    deadline_text: str | None = None
    deadline_resolved: bool = True
    quantities: list[dict] = field(default_factory=list)
    actor: str | None = None
    actor_implicit: bool = True
    counterparty: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def normalise_punctuation(text: str) -> str:
    """ASCII punctuation to full width, one character for one (offsets stay valid)."""
    return text.translate(ASCII_TO_FULL)


def parse_speech_date(value: str | None) -> date | None:
    """``2020-08-12`` as is; ``2020-08`` → 2020-08-31; ``2020`` → 2020-01-01 (the year is what most need)."""
    if not value:
        return None
    import calendar

    try:
        parts = [int(p) for p in value.split("-")]
        if len(parts) == 1:
            return date(parts[0], 1, 1)
        if len(parts) == 2:  # a month byline: count relative spans (三个月内) from the month's end
            return date(parts[0], parts[1], calendar.monthrange(parts[0], parts[1])[1])
        return date(*parts[:3])
    except ValueError:
        return None


def spans(text: str, pattern: re.Pattern) -> list[tuple[int, int]]:
    """Non-empty ``(start, end)`` pieces of ``text`` between matches of ``pattern``."""
    pieces, start = [], 0
    for match in pattern.finditer(text):
        if match.start() > start:
            pieces.append((start, match.start()))
        start = match.end()
    if start < len(text):
        pieces.append((start, len(text)))
    return pieces


def extract_commitments(
    text: str, speech_date: str | None = None, *, organization: str | None = None
) -> list[Commitment]:
    """Every commitment in ``text`` (offsets refer to ``text``); cited targets are returned with ``cited``."""
    if not FUTURE_CUE.search(to_simplified(text)):
        return []  # a report of what was done, with no pledge word anywhere, promises nothing
    shown = normalise_punctuation(text)
    normalised = to_simplified(shown)
    if len(normalised) != len(shown):
        normalised = shown  # traditional copies are read in simplified script only when offsets stay valid
    when = parse_speech_date(speech_date)
    found: list[Commitment] = []
    for p_start, p_end in spans(normalised, PARAGRAPH_END):
        past = False  # a paragraph that reviews what was done stays in the past until a pledge word
        future: bool | None = None  # whether the paragraph has a pledge word anywhere
        paragraph = normalised[p_start:p_end]
        if HEADING.match(paragraph.strip()) and len(paragraph.strip()) <= 30 and not find_deadline(paragraph, when):
            continue  # a heading (（一）抓紧兑现惠企政策) names a task group, not a pledge
        for index, (s_start, s_end) in enumerate(spans(paragraph, SENTENCE_END)):
            sentence = paragraph[s_start:s_end]
            head = THIRD_PERSON.sub("", sentence.strip())  # 陆承远指出，去年以来… reviews the past too
            if index == 0 and s_end < len(paragraph) and _is_lead_heading(head, when):
                past = bool(REVIEW_HEADING.search(head))  # 一是政务服务更加便捷。 opens a review
                continue
            if p_start + s_end < len(normalised) and normalised[p_start + s_end] == "？":
                continue  # a question (今年有哪些主要目标？) asks, it does not pledge
            ahead = bool(FUTURE_CUE.search(head)) or _looks_ahead(head, when)
            if PAST_START.search(head) or (PERFECTIVE.search(head) and not ahead):
                past = True
            elif ahead:
                past = False
            if past and not ahead:
                continue
            if future is None:  # the paragraph's, asked once it matters
                future = bool(FUTURE_CUE.search(paragraph))
            found.extend(_sentence_commitments(sentence, p_start + s_start, when, organization, future))
    for commitment in found:  # report the words as written (traditional stays traditional)
        commitment.text = shown[commitment.start : commitment.end]
    return found


def _is_lead_heading(sentence: str, when: date | None) -> bool:
    """A short numbered first sentence without a date or figure titles the paragraph (一是深化专项整治三年行动)."""
    return (
        bool(LEAD_HEADING.match(sentence))
        and len(sentence) <= 24
        and not re.search(r"\d", LEAD_HEADING.sub("", sentence))
        and not _looks_ahead(sentence, when)
    )


def _looks_ahead(sentence: str, when: date | None) -> bool:
    """A deadline still to come (到2025年, 9月底前) makes a sentence forward-looking without a pledge word.

    A bare 今年 does not: it is as often the period a review covers (今年1至5月，全区新签约项目46个).
    """
    return any(
        d.precision != "vague"
        and d.text not in ("今年", "本年")
        and d.note != BEFORE_SPEECH
        and (d.date is None or when is None or d.date >= str(when))
        for d in find_deadlines(sentence, when)
    )


def _sentence_commitments(
    sentence: str, offset: int, when: date | None, organization: str | None, future: bool = True
) -> list[Commitment]:
    stripped = sentence.strip()
    if len(stripped) < 6 or COUNTER.search(stripped) or MEETING.search(stripped) or TABLE_HEADER.search(stripped):
        return []
    cited = bool(CITED.search(stripped)) and not OWN_BODY_CITED.search(stripped)
    clauses = spans(sentence, CLAUSE_END)
    results = []
    inherited = None
    pledged = False
    carry: tuple[int, int] | None = None  # a clause holding only a deadline or an actor joins the next one
    for c_start, c_end in clauses:
        if carry is not None:
            c_start = carry[0]
            carry = None
        clause = sentence[c_start:c_end].strip()
        lead = len(sentence[c_start:c_end]) - len(sentence[c_start:c_end].lstrip())
        c_start += lead
        if not clause:
            continue
        if COPULA.search(clause) or FIELD_LABEL.match(clause):
            continue  # 今年是集中攻坚之年: a description, and its 今年 is no deadline for the next clause
        deadline = _deadline(clause, when)
        verbless = not (GENERAL.search(clause) or CONCRETE.search(clause) or STRONG.search(clause))
        if deadline is not None and verbless and (c_start, c_end) != clauses[-1]:
            carry = (c_start, c_end)  # "2020年10月底在试点经验基础上，" then the action
            continue
        own_deadline = deadline is not None
        if deadline is None:
            deadline = inherited  # a deadline at the head of a sentence governs its later clauses
        commitment = _clause_commitment(clause, deadline, when, cited, organization, pledged, future)
        if own_deadline:
            inherited = deadline
        if _strength(THIRD_PERSON.sub("", clause)) in ("strong", "aspirational") or own_deadline:
            pledged = True
        previous = results[-1] if results else None
        follows = previous is not None and previous.end == offset + c_start - 1  # the clause right before
        if follows and own_deadline and previous.deadline is None and _continues(clause, deadline):
            _extend(previous, sentence, offset, c_start, clause, deadline, commitment)  # 研究设立…，力争二季度完成设立
            continue
        if follows and commitment is not None and ELABORATION.match(clause):
            previous.end = offset + c_start + len(clause)  # …，首批上线13个“一件事” details the clause before
            previous.text = sentence[previous.start - offset : previous.end - offset]
            previous.quantities = previous.quantities + commitment.quantities
            previous.tier = "core" if previous.quantities else previous.tier
            continue
        if commitment is None:
            continue
        commitment.start, commitment.end = offset + c_start, offset + c_start + len(clause)
        commitment.sentence = sentence.strip()
        results.append(commitment)
    return _drop_lead_ins(results)


def _testable(commitment: Commitment) -> bool:
    dated = commitment.deadline_text is not None and commitment.deadline_precision != "vague"
    return bool(dated or commitment.quantities or FREQUENCY.search(commitment.text))


def _drop_lead_ins(results: list[Commitment]) -> list[Commitment]:
    """Keep only the testable pledges of a sentence that has one: the rest are its lead-in or its aim.

    要盘活存量低效用地，年内完成低效用地再开发3000亩以上 pledges the second clause; 要深化…改革 before it and
    实现“拿地即开工” after it name the same measure without a deliverable of their own (the gold's lead-in rule).
    """
    if not any(_testable(c) for c in results):
        return results
    return [c for c in results if (_testable(c) or c.strength == "strong") and not (AIM.match(c.text) and _inherits(c))]


def _inherits(commitment: Commitment) -> bool:
    """Testable only through a deadline taken from an earlier clause: 9月底前…供地，做到拿地即可开工."""
    own = commitment.deadline_text is not None and commitment.deadline_text in commitment.text
    return not (own or commitment.quantities or FREQUENCY.search(commitment.text))


def _continues(clause: str, deadline) -> bool:
    """A clause that only adds when (and how firmly) to the clause before: 力争二季度完成设立, 于4月底前报备."""
    rest = clause.replace(deadline.text, "")
    rest = re.sub(r"^(并|要|将|于|在|确保|力争|争取|务必|必须|努力)+", "", rest)
    return len(rest) <= 8


def _extend(previous: Commitment, sentence: str, offset: int, c_start: int, clause: str, deadline, merged) -> None:
    previous.end = offset + c_start + len(clause)
    previous.text = sentence[previous.start - offset : previous.end - offset]
    previous.deadline, previous.deadline_precision = deadline.date, deadline.precision
    previous.deadline_text, previous.deadline_resolved = deadline.text, deadline.resolved
    if merged is not None:
        ranks = {"general": 0, "aspirational": 1, "strong": 2}
        if ranks.get(merged.strength, 0) > ranks.get(previous.strength, 0):
            previous.strength = merged.strength
        previous.quantities = previous.quantities or merged.quantities
    if deadline.precision != "vague":
        previous.tier = "core"


def _deadline(clause: str, when: date | None):
    """The clause's deadline; bare 二季度 / 上半年 / 全年 count when they open a pledge clause."""
    dated = [d for d in find_deadlines(clause, when) if d.date is not None]
    deadline = max(dated, key=lambda d: PRECISION_RANK.get(d.precision, 0)) if dated else find_deadline(clause, when)
    if deadline is None and may_hold_deadline(clause):  # else "要在" + clause holds none either
        cued = find_deadline("要在" + clause, when)
        if cued is not None and cued.start >= 2:
            deadline = replace(cued, start=cued.start - 2, end=cued.end - 2)
    if deadline is None and "全年" in clause and when is not None:
        start = clause.index("全年")
        deadline = Deadline(text="全年", start=start, end=start + 2, date=f"{when.year}-12-31", precision="year",
                            resolved=True)  # fmt: skip
    return deadline


def _clause_commitment(clause, deadline, when, cited, organization, pledged=False, future=True) -> Commitment | None:
    subject = THIRD_PERSON.sub("", clause)
    if EXHORTATION.search(subject) or ABSTRACT_ONLY.match(subject) or RHETORIC.search(subject):
        return None
    reason = _not_a_pledge(subject, deadline)
    if reason is not None:
        LOGGER.debug("not a pledge (%s): %s", reason, clause)
        return None
    firm = STRONG.search(subject) or ASPIRATIONAL.search(subject)
    if (PAST_IN_CLAUSE.search(subject) or PROBLEM.search(subject)) and not firm:
        return None
    if TASK_HEADING.match(subject) and len(subject) <= 20 and deadline is None and not find_quantities(clause):
        return None  # （一）全面完成包联对接 / 三是要在兑现惠企政策上下功夫: a task heading
    achieved = ACHIEVED.search(subject)
    if achieved and not (FUTURE.search(subject) and not re.search(r"已经?(完成|实现|建成|压缩|达到)", subject)):
        return None
    quantities = [q for q in find_quantities(clause)]
    strength = _strength(subject)
    concrete = bool(CONCRETE.search(subject)) or bool(FREQUENCY.search(subject))
    has_deadline = deadline is not None
    if deadline is not None and deadline.text == "全年" and not future and not clause.rstrip().endswith("全年"):
        deadline, has_deadline = None, False  # 全年新增… in a review of the year is an achievement
    own_deadline = deadline is not None and deadline.text in clause
    if deadline is not None and not own_deadline and not (concrete or quantities):
        return None  # an inherited deadline needs a deliverable of the clause's own
    standalone = future and (bool(quantities) or bool(FREQUENCY.search(subject)))  # 办结率保持在98%以上
    dated_target = has_deadline and bool(quantities)
    if (
        strength is None
        and not (has_deadline and (concrete or dated_target))
        and not (pledged and concrete)
        and not standalone
    ):
        return None
    if not (has_deadline or quantities or concrete):
        return None
    testable = (has_deadline and deadline.precision != "vague") or quantities or FREQUENCY.search(subject)
    tier = "core" if testable or (strength == "strong" and concrete) else "borderline"
    actor_match = ACTOR.search(subject)
    counterparty = COUNTERPARTY.search(subject)
    return Commitment(
        text=clause,
        start=0,
        end=0,
        sentence="",
        action=_action(subject, deadline),
        strength=strength or "general",
        tier=tier,
        topic=_topic(clause),
        cited=cited,
        deadline=deadline.date if deadline else None,
        deadline_precision=deadline.precision if deadline else None,
        deadline_text=deadline.text if deadline else None,
        deadline_resolved=deadline.resolved if deadline else True,
        quantities=[_quantity_dict(q) for q in quantities],
        actor=actor_match.group("actor") if actor_match else organization,
        actor_implicit=actor_match is None,
        counterparty=counterparty.group("cp") if counterparty else None,
    )


def _not_a_pledge(subject: str, deadline) -> str | None:
    """Why a clause with a pledge word still promises nothing, or None.

    A vow of prohibition or a sanction (严禁…, 对排名后三位的单位进行约谈), a purpose (让…成为…), a direction
    (从“办结”向“办好”转变), a description (今年是…之年, “10”是…), a necessity (需要立即整改), a condition
    (专区上线后), a question, a slogan as a target, generic completion (确保全年任务圆满完成), a count of what exists
    (全区有…1100余栋), a list of slogan phrases (事项再精简、流程再优化、时限再压缩), an abstract measure
    (要完善人才引进机制), a date already past at the speech date, or a pledge word with no object (坚决兑现).
    """
    for reason, pattern in NOT_PLEDGE:
        if pattern.search(subject):
            return reason
    if EXISTING_COUNT.search(subject) and _strength(subject) is None:
        return "count of what exists"
    bare = PLEDGE_LEAD.sub("", subject)
    slogans = SLOGAN_LIST.match(bare)
    if slogans and (bare.count("、") >= 2 or bare != subject or slogans.group("lead")):
        return "slogan list"  # three short phrases, or two after 做到 / 要: 做到马上就办、限时办结
    if ABSTRACT_MEASURE.match(subject):
        return "abstract measure"
    if deadline is not None and deadline.note == BEFORE_SPEECH and deadline.text in subject:
        return "past date"
    if len(bare) <= 2:
        return "no object"
    return None


def _strength(clause: str) -> str | None:
    if STRONG.search(clause):
        return "strong"
    if ASPIRATIONAL.search(clause):
        return "aspirational"
    if GENERAL.search(clause) or URGENT.search(clause):
        return "general"
    return None


def _action(clause: str, deadline) -> str:
    action = clause
    if deadline is not None:
        action = action.replace(deadline.text, "")
    action = re.sub(r"^(要|将|确保|力争|争取|务必|必须|努力|坚决|切实做到|下一步|同时)+", "", action)
    return action.strip("，、 ") or clause


def _topic(clause: str) -> str:
    for name, pattern in TOPICS:
        if re.search(pattern, clause):
            return name
    return "other"


def _quantity_dict(quantity) -> dict:
    data = {"text": quantity.text, "unit": quantity.unit, "qualifier": quantity.qualifier}
    if quantity.value is not None:
        data["value"] = quantity.value
    if quantity.low is not None or quantity.high is not None:
        data["low"], data["high"] = quantity.low, quantity.high
    if getattr(quantity, "role", None):
        data["role"] = quantity.role
    return data
