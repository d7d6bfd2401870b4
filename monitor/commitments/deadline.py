"""Deadlines of pledges: the time words of a clause, resolved to the date the pledge falls due.

A small grammar of our own (DESIGN.md §3): regular expressions find time expressions, rules decide which of them
are deadlines, and the speech date anchors the relative ones. Pure functions, no I/O.

Reading the clause
- The clause is normalised character by character (NFKC where it yields one character, ``○`` → ``〇``), so
  full-width digits and punctuation match while offsets stay those of the clause as given.
- Time expressions are taken leftmost-longest and do not overlap. An expression that is rejected still uses up its
  words: ``2019年以来`` is not read as ``2019年``, ``今年上半年全区GDP增长6%`` is not read as ``今年``.
- ``text`` is the time expression with its own suffix (``2020年9月底前``, ``年内``, ``“十四五”期间``); pledge
  words and prepositions in front (``确保``, ``力争``, ``到``) are cues, not part of it.

Which time expressions are deadlines
- Carrying their own cue, always: a suffix 前 / 之前 / 以前 / 内 / 以内 / 期间 / 时期 / 为止, an end 底 / 末
  (``年底``, ``6月末``, ``三季度末``), a holiday with 前, ``N年内`` / ``N个月内``, the present or coming month
  (``本月``, ``下月``, ``月底前``), and words that point forward by themselves: ``明年``, ``后年``, ``今明两年``,
  ``下半年``, and a bare ``今年`` / ``本年`` (the clause is taken to be a pledge, so its year is its deadline).
- Other periods (``上半年``, ``年中``, ``一季度``, ``6月份``, ``2023年6月``, ``2025年``, ``“十四五”``) are
  deadlines only right after a pledge cue: 力争 / 确保 / 争取 / 务必 / 必须 / 要 / 将 / 计划 / 预计 / 拟 … (optionally
  followed by 在 / 于 / 到 / 至), or 到 / 至 alone. Bare they are usually a reporting period (``上半年全区GDP增长6%``,
  ``2023年6月，我市出台了…``, ``1949年``).
- Never deadlines: an expression followed by 以来 / 来 / 至今 / 初 / 起 / 开始 / 以后 / 之后 / 后 (a start or the past),
  one after 截至 / 截止 / 自 / 从 / 早在 (a status date or a starting point), a yearless period anchored to another
  time (去年 / 上 / 前 / 每 / 同年 / 次年 / 当 / 历年 / 近 …: ``去年年底``, ``前三季度``, ``每年6月底前``), ``近`` /
  ``过去`` + ``N年内``, and time limits under a month (``3个工作日内``, ``24小时内``, ``半个月内``, ``15天内``):
  those are service standards repeated case by case, not a date a pledge falls due.
- Urgency without a date (尽快, 尽早, 抓紧, 立即, 马上, 第一时间, 及早, 立刻) is a deadline of precision ``vague``,
  date None, resolved True.

Dates: the END of the span
- Year → 12-31; 上半年 / 年中 → 06-30; 下半年 → 12-31; quarter → its last day; month → its last day; 上旬 / 中旬 /
  下旬 → the 10th / 20th / last day; a day → that day (``10月1日前`` → 10-01: 前 is read as "by").
- ``2025年前`` and ``到2025年`` → 2025-12-31 (officials mean "by 2025").
- Holidays end on their eve, when work stops: 国庆前 → 09-30, 元旦前 → 12-31 of the year before that New Year's
  Day, 春节前 → 除夕 (the day before the Spring Festival, from a table for 2015–2036; outside it, unresolved).
- Five-year plans: the Nth plan ends in 1955 + 5N (十三五 → 2020, 十四五 → 2025, 十五五 → 2030).
- ``N年内`` / ``N个月内`` / ``半年内`` → the speech date plus N years / months (the literal "within", Feb 29 → Feb 28).
- Relative years: 今年 / 本年 = the speech year, 明年 +1, 后年 +2, 今明两年 → end of next year; 本月 / 月底 = the
  speech month, 下月 the next.
- A yearless period (``6月底前``, ``一季度``, ``春节前``) is in the speech year, unless it ended more than
  ``GRACE`` before the speech date: then it is next year's (a December speech's ``3月底前``). The grace absorbs
  speech dates known only to the month or taken from a later publication date.
- Precision is the unit the words name: day / month / quarter / half / year, or vague.
- Without a speech date, relative deadlines have no date and ``resolved`` False. A resolved deadline that ends
  before the speech date is kept (the words are a deadline) with a note; whether it is a live pledge is for the
  commitment rules to judge.

``find_deadline`` returns the first deadline that has (or would have, given a speech date) a date, else the first
urgency word: the main verb's deadline is usually the first one stated, and a date says more than 尽快.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from monitor.extract.numerals import numeral_value

NO_SPEECH_DATE = "relative deadline without a speech date"
BEFORE_SPEECH = "ends before the speech date"
ROLLED_FORWARD = "yearless period already past at the speech date: taken as next year's"
GRACE = dt.timedelta(days=31)

URGENCY_WORDS = ("第一时间", "尽快", "尽早", "抓紧", "立即", "马上", "及早", "立刻")

# Gregorian date of the Spring Festival (正月初一); its eve (除夕) is the day before.
SPRING_FESTIVAL = {
    2015: (2, 19), 2016: (2, 8), 2017: (1, 28), 2018: (2, 16), 2019: (2, 5), 2020: (1, 25),
    2021: (2, 12), 2022: (2, 1), 2023: (1, 22), 2024: (2, 10), 2025: (1, 29), 2026: (2, 17),
    2027: (2, 6), 2028: (1, 26), 2029: (2, 13), 2030: (2, 3), 2031: (1, 23), 2032: (2, 11),
    2033: (1, 31), 2034: (2, 19), 2035: (2, 8), 2036: (1, 28),
}  # fmt: skip


@dataclass(frozen=True)
class Deadline:
    """A deadline expression in a clause and the date its span ends."""

    text: str  # the deadline words as written, e.g. "2020年9月底前", "年内", "明年一季度"
    start: int  # offsets of ``text`` in the clause
    end: int
    date: str | None  # ISO date of the span's end; None when vague or unresolved
    precision: str  # "day" | "month" | "quarter" | "half" | "year" | "vague"
    resolved: bool  # False when relative (or off the holiday table) and so without a date
    note: str | None = None


class _Token(NamedTuple):
    kind: str
    start: int
    end: int
    groups: dict[str, str | None]


# ── numerals and normalisation ─────────────────────────────────────────────────────────────────────────────

_EXTRA_FOLDS = {"○": "〇", "◯": "〇"}


class _FoldTable(dict):
    """``str.translate`` table of NFKC per character (where it yields one character), filled as characters come."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = unicodedata.normalize("NFKC", _EXTRA_FOLDS.get(char, char))
        self[code] = value = folded if len(folded) == 1 else char
        return value


_FOLDS = _FoldTable()


def normalise(clause: str) -> str:
    """The clause with full-width forms folded (NFKC per character), same length so that offsets carry over.

    A clause already in NFKC (the normaliser's quick check, at C speed) holds no character that NFKC changes:
    it is returned as it is, unless it holds one of the extra folds (most clauses: 86 % of the sample speeches',
    40x faster than translating them)."""
    if unicodedata.is_normalized("NFKC", clause) and not any(char in clause for char in _EXTRA_FOLDS):
        return clause
    return clause.translate(_FOLDS)


# ── the grammar ────────────────────────────────────────────────────────────────────────────────────────────

_NUMERAL_CHARS = "0-9〇零一二两三四五六七八九十"
_NOT_AFTER_NUMERAL = f"(?<![{_NUMERAL_CHARS}])"
_SUFFIX = r"(?P<suffix>之前|以前|前(?!后)|以内|之内|内|期间|时期|为止)?"

_YEAR = (
    rf"(?:(?P<abs>{_NOT_AFTER_NUMERAL}(?:19|20)[0-9]{{2}}|{_NOT_AFTER_NUMERAL}[一二][〇零一二三四五六七八九]{{3}})年"
    r"|(?P<rel>今明两年|今年(?!均)|本年度?|(?<![说表证标声查阐发透简])明年|(?<![今此之以然最其往])后年))"
)
_SUB = (
    r"(?P<yend>(?:(?<=年)|年)[底末]|年终)"
    r"|(?P<yin>年)(?=以内|之内|内)"
    r"|(?P<half>上半年|下半年|年中)"
    r"|(?:第?(?P<quarter>[一二三四1-4])季度|(?P<first>首)季度?)(?P<qend>[末底])?"
    rf"|{_NOT_AFTER_NUMERAL}(?P<month>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])月份?"
    r"(?:(?P<day>3[01]|[12][0-9]|0?[1-9]|三十一?|二十[一二三四五六七八九]?|十[一二三四五六七八九]?|[一二三四五六七八九])[日号]"
    r"|(?P<xun>[上中下]旬)|(?P<mend>[底末]))?"
    r"|(?P<holiday>国庆节?|春节|元旦)(?=之前|以前|前(?!后))"
)
_SUB_GROUPS = ("yend", "yin", "half", "quarter", "first", "month", "holiday")
# Every character a calendar match (all its parts are optional) can begin with: the pattern is tried only there.
_CALENDAR_START = r"(?=[0-9一二三四五六七八九十今本明后年底末上下第首国春元之以前内期时为])"
_MONTH_SUFFIX = r"(?P<suffix>之前|以前|前(?!后)|以内|之内|内)?"

_PATTERNS = {
    "calendar": re.compile(rf"{_CALENDAR_START}(?:{_YEAR})?(?:{_SUB})?{_SUFFIX}"),
    "five_year": re.compile(
        rf"(?P<open>[“\"「『‘'])?{_NOT_AFTER_NUMERAL}十(?P<plan>[一二三四五六七八九])五(?P<close>[”\"」』’'])?(?:规划(?=期|时|末|内|之|以|前|结))?"
        r"(?P<suffix>期间|时期|末期|期末|末|以内|之内|内|之前|以前|前(?!后)|结束前)?"
    ),
    "within": re.compile(
        rf"{_NOT_AFTER_NUMERAL}(?P<n>[0-9]{{1,2}}|[一二两三四五六七八九十]{{1,3}}|半)(?P<unit>年|个月)(?P<suffix>之内|以内|内)"
    ),
    "time_limit": re.compile(
        rf"{_NOT_AFTER_NUMERAL}(?:[0-9]+(?:\.[0-9]+)?|[一二两三四五六七八九十百]+|半)个?"
        r"(?:工作日|小时|分钟|天|日|周|星期)(?:之内|以内|内)"
    ),
    "month_relative": re.compile(rf"(?P<rel>本月|下个?月)份?(?P<part>[底末]|[上中下]旬)?{_MONTH_SUFFIX}"),
    "month_end": re.compile(rf"{_NOT_AFTER_NUMERAL}月(?P<part>[底末]){_MONTH_SUFFIX}"),
    "urgency": re.compile("|".join(URGENCY_WORDS)),
}

_PLEDGE_CUE = re.compile(
    r"(?:(?:力争|确保|争取|务必|必须|(?<![主重需只必概纲摘])要|将|计划|预计|拟|力求|努力|最迟|最晚|不晚于|须|全力|保证)"
    r"(?:在|于|到|至)?|(?<![截得达受做看提回想遇谈说])到|(?<![截甚以乃])至|直到)$"
)
_PAST_PREFIX = re.compile(r"(?:截至|截止到?|自|从|早在)$")
_PAST_SUFFIX = re.compile(r"以来|来(?![京华])|至今|初|起(?!草)|开始|以后|之后|后(?!续)")
_ANCHOR = re.compile(rf"(?:(?:去|(?<!提)前|上|往|当|同|次|该|每|全|历|近)(?:年|个)?|[{_NUMERAL_CHARS}多几])$")
_WITHIN_ANCHOR = re.compile(r"(?:过去|近|前|最近)$")

_YEAR_OFFSETS = {"今年": 0, "本年": 0, "本年度": 0, "明年": 1, "今明两年": 1, "后年": 2}
_FORWARD_YEARS = {"明年", "后年", "今明两年"}
_CURRENT_YEARS = {"今年", "本年", "本年度"}


# ── scanning ───────────────────────────────────────────────────────────────────────────────────────────────


# What a kept token of each pattern cannot do without (one of these words): a clause without any is not scanned
# with that pattern (most clauses have no time expression; the calendar pattern alone is tried at every
# character that can begin one, and its all-optional parts match suffixes like 之前 that are then dropped).
_NEEDS = {
    "calendar": ("年", "季", "月", "国庆", "春节", "元旦"),  # a year, a part of one (季度, 月) or a holiday
    "five_year": ("五",),
    "within": ("内",),  # (之|以)内 is not optional there
    "time_limit": ("内",),
    "month_relative": ("月",),
    "month_end": ("月",),
    "urgency": (),
}
_NEEDING = {kind: re.compile("|".join(words)) if words else None for kind, words in _NEEDS.items()}
_ANY_TOKEN = re.compile("|".join([*(w for words in _NEEDS.values() for w in words), *URGENCY_WORDS]))


def may_hold_deadline(text: str) -> bool:
    """Whether the text holds a word some deadline cannot do without (``_NEEDS``, or an urgency word). Without
    one, no text made of it and words holding none either (``"要在" + clause``) has a deadline: cheaper to ask
    than to scan (the text is read as scanned: full-width and compatibility forms folded)."""
    return _ANY_TOKEN.search(normalise(text)) is not None


def scan_tokens(text: str) -> list[_Token]:
    """Every candidate time expression of the normalised text, possibly overlapping."""
    tokens = []
    for kind, pattern in _PATTERNS.items():
        needs = _NEEDING[kind]
        if needs is not None and not needs.search(text):
            continue
        for match in pattern.finditer(text):
            if match.end() == match.start():  # the calendar pattern, all optional, matches nothing at most places
                continue
            groups = match.groupdict()
            if kind == "calendar" and not (groups["abs"] or groups["rel"] or _has_sub(groups)):
                continue
            tokens.append(_Token(kind, match.start(), match.end(), groups))
    return tokens


def select_tokens(tokens: list[_Token]) -> list[_Token]:
    """Leftmost-longest, non-overlapping: a longer expression shadows the words inside it."""
    chosen: list[_Token] = []
    for token in sorted(tokens, key=lambda t: (t.start, -t.end)):
        if not chosen or token.start >= chosen[-1].end:
            chosen.append(token)
    return chosen


def _has_sub(groups: dict[str, str | None]) -> bool:
    return any(groups[name] for name in _SUB_GROUPS)


def _before(text: str, token: _Token) -> str:
    return text[: token.start]


def _after(text: str, token: _Token) -> str:
    return text[token.end :]


def follows_pledge_cue(text: str, token: _Token) -> bool:
    """The expression comes right after 力争 / 确保 / 要在 / 将于 / 到 / 至 …"""
    return bool(_PLEDGE_CUE.search(_before(text, token)))


def is_past_reference(text: str, token: _Token) -> bool:
    """After 截至 / 自 / 从 …, or (without a suffix) followed by 以来 / 起 / 后 …: a start or status date."""
    if _PAST_PREFIX.search(_before(text, token)):
        return True
    return not token.groups.get("suffix") and bool(_PAST_SUFFIX.match(_after(text, token)))


def is_anchored_elsewhere(text: str, token: _Token) -> bool:
    """A yearless period right after 去年 / 上 / 前 / 每 / 同年 / a numeral …: not the speech's year."""
    return bool(_ANCHOR.search(_before(text, token)))


# ── resolving ──────────────────────────────────────────────────────────────────────────────────────────────


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months, clamped to the month's last day (2024-02-29 + 12 → 2025-02-28)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def holiday_eve(holiday: str, year: int) -> dt.date | None:
    """The day before 国庆 / 元旦 / 春节 of ``year``; None for a Spring Festival off the table."""
    if holiday.startswith("国庆"):
        return dt.date(year, 9, 30)
    if holiday == "元旦":
        return dt.date(year - 1, 12, 31)
    if year not in SPRING_FESTIVAL:
        return None
    return dt.date(year, *SPRING_FESTIVAL[year]) - dt.timedelta(days=1)


def calendar_precision(groups: dict[str, str | None]) -> str:
    """The unit the words name: day / month / quarter / half / year."""
    if groups["day"] or groups["xun"] or groups["holiday"]:
        return "day"
    if groups["month"]:
        return "month"
    if groups["quarter"] or groups["first"]:
        return "quarter"
    if groups["half"]:
        return "half"
    return "year"


def calendar_end(groups: dict[str, str | None], year: int) -> dt.date | None:
    """The last day of the named period in ``year``; raises ValueError for an impossible day."""
    if groups["holiday"]:
        return holiday_eve(groups["holiday"], year)
    if groups["month"]:
        month = numeral_value(groups["month"])
        if groups["day"]:
            return dt.date(year, month, numeral_value(groups["day"]))
        if groups["xun"] in ("上旬", "中旬"):
            return dt.date(year, month, 10 if groups["xun"] == "上旬" else 20)
        return _month_end(year, month)
    if groups["quarter"] or groups["first"]:
        quarter = 1 if groups["first"] else numeral_value(groups["quarter"])
        return _month_end(year, 3 * quarter)
    if groups["half"] in ("上半年", "年中"):
        return dt.date(year, 6, 30)
    return dt.date(year, 12, 31)


def carries_own_cue(groups: dict[str, str | None]) -> bool:
    """Words that are a deadline without a pledge cue in front (see the module rules)."""
    own_end = groups["suffix"] or groups["yend"] or groups["yin"] or groups["mend"] or groups["qend"]
    forward = groups["rel"] in _FORWARD_YEARS or groups["half"] == "下半年" or groups["holiday"]
    bare_current_year = groups["rel"] in _CURRENT_YEARS and not _has_sub(groups)
    return bool(own_end or forward or bare_current_year)


def is_calendar_deadline(text: str, token: _Token) -> bool:
    """The rules of the module docstring for years, halves, quarters, months, days and holidays."""
    groups = token.groups
    if is_past_reference(text, token):
        return False
    if not (groups["abs"] or groups["rel"]) and is_anchored_elsewhere(text, token):
        return False
    return carries_own_cue(groups) or follows_pledge_cue(text, token)


def _deadline(clause: str, token: _Token, when: dt.date | None, precision: str, note: str | None = None) -> Deadline:
    text = clause[token.start : token.end]
    if when is None:
        return Deadline(text, token.start, token.end, None, precision, False, note)
    return Deadline(text, token.start, token.end, when.isoformat(), precision, True, note)


def _dated(clause: str, token: _Token, when: dt.date, precision: str, speech_date: dt.date | None) -> Deadline:
    note = BEFORE_SPEECH if speech_date is not None and when < speech_date else None
    return _deadline(clause, token, when, precision, note)


def resolve_calendar(clause: str, text: str, token: _Token, speech_date: dt.date | None) -> Deadline | None:
    """Years, halves, quarters, months, days, holidays; yearless periods long past roll to next year."""
    groups = token.groups
    if not is_calendar_deadline(text, token):
        return None
    precision = calendar_precision(groups)
    if groups["abs"]:
        year, yearless = numeral_value(groups["abs"]), False
    elif speech_date is None:
        return _deadline(clause, token, None, precision, NO_SPEECH_DATE)
    else:
        year, yearless = speech_date.year + _YEAR_OFFSETS.get(groups["rel"], 0), not groups["rel"]
    try:
        when = calendar_end(groups, year)
        if yearless and when is not None and when < speech_date - GRACE:
            later = calendar_end(groups, year + 1)
            return _deadline(clause, token, later, precision, ROLLED_FORWARD if later else _off_table(year + 1))
    except ValueError:
        return None
    if when is None:
        return _deadline(clause, token, None, precision, _off_table(year))
    return _dated(clause, token, when, precision, speech_date)


def _off_table(year: int) -> str:
    return f"Spring Festival of {year} is outside the 2015–2036 table"


def resolve_five_year(clause: str, text: str, token: _Token, speech_date: dt.date | None) -> Deadline | None:
    """``“十四五”期间`` / ``到“十四五”末`` → the plan's last year-end; bare ``“十四五”`` needs a pledge cue."""
    if is_past_reference(text, token) or not (token.groups["suffix"] or follows_pledge_cue(text, token)):
        return None
    if token.groups["open"] and not token.groups["close"]:
        token = token._replace(start=token.start + 1)
    end_year = 1955 + 5 * (10 + numeral_value(token.groups["plan"]))
    return _dated(clause, token, dt.date(end_year, 12, 31), "year", speech_date)


def resolve_within(clause: str, text: str, token: _Token, speech_date: dt.date | None) -> Deadline | None:
    """``三年内`` → speech date + 3 years (precision year); ``三个月内`` / ``半年内`` → + months (precision month)."""
    groups = token.groups
    if _WITHIN_ANCHOR.search(_before(text, token)):
        return None
    if groups["n"] == "半":
        if groups["unit"] != "年":
            return None  # 半个月内: a time limit
        months, precision = 6, "month"
    elif groups["unit"] == "年":
        months, precision = 12 * numeral_value(groups["n"]), "year"
    else:
        months, precision = numeral_value(groups["n"]), "month"
    if months == 0:
        return None
    if speech_date is None:
        return _deadline(clause, token, None, precision, NO_SPEECH_DATE)
    return _dated(clause, token, add_months(speech_date, months), precision, speech_date)


def resolve_month_relative(clause: str, text: str, token: _Token, speech_date: dt.date | None) -> Deadline | None:
    """``本月底前`` / ``月底前`` → the speech month's last day; ``下月`` → next month's; 上旬 / 中旬 / 下旬 → day."""
    groups = token.groups
    if is_past_reference(text, token):
        return None
    if token.kind == "month_end" and is_anchored_elsewhere(text, token):
        return None
    precision = "day" if groups["part"] in ("上旬", "中旬", "下旬") else "month"
    if speech_date is None:
        return _deadline(clause, token, None, precision, NO_SPEECH_DATE)
    offset = 1 if (groups.get("rel") or "").startswith("下") else 0
    month = add_months(speech_date.replace(day=1), offset)
    if groups["part"] in ("上旬", "中旬"):
        when = month.replace(day=10 if groups["part"] == "上旬" else 20)
    else:
        when = _month_end(month.year, month.month)
    return _dated(clause, token, when, precision, speech_date)


def resolve_urgency(clause: str, text: str, token: _Token, speech_date: dt.date | None) -> Deadline:
    """尽快 / 尽早 / 抓紧 / 立即 / 马上 / 第一时间 …: a vague deadline, no date, nothing to resolve."""
    return Deadline(clause[token.start : token.end], token.start, token.end, None, "vague", True)


def reject_time_limit(clause: str, text: str, token: _Token, speech_date: dt.date | None) -> None:
    """``3个工作日内办结``, ``24小时内``: a service standard, not a deadline."""
    return None


_RESOLVERS: dict[str, Callable[[str, str, _Token, dt.date | None], Deadline | None]] = {
    "calendar": resolve_calendar,
    "five_year": resolve_five_year,
    "within": resolve_within,
    "time_limit": reject_time_limit,
    "month_relative": resolve_month_relative,
    "month_end": resolve_month_relative,
    "urgency": resolve_urgency,
}


# ── API ────────────────────────────────────────────────────────────────────────────────────────────────────


def find_deadlines(clause: str, speech_date: dt.date | None = None) -> list[Deadline]:
    """Every deadline expression of the clause, in order, resolved against the speech date."""
    return list(_deadlines(clause, speech_date))


@lru_cache(maxsize=4096)  # the extractor asks about one clause several times (its sentence, its clauses, cues)
def _deadlines(clause: str, speech_date: dt.date | None) -> tuple[Deadline, ...]:
    text = normalise(clause)
    deadlines = []
    for token in select_tokens(scan_tokens(text)):
        deadline = _RESOLVERS[token.kind](clause, text, token, speech_date)
        if deadline is not None:
            deadlines.append(deadline)
    return tuple(deadlines)


def find_deadline(clause: str, speech_date: dt.date | None = None) -> Deadline | None:
    """The clause's deadline: the first one with a date (or one relative to the speech), else the first urgency word."""
    deadlines = find_deadlines(clause, speech_date)
    dated = [deadline for deadline in deadlines if deadline.precision != "vague"]
    return (dated or deadlines or [None])[0]
