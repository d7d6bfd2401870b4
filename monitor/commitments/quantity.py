"""Find quantities in one clause of a Chinese speech: a number, its unit, its qualifier and its role.

Pure functions, no dependencies. The rules, in the order they are applied:

- Normalise: every character goes through NFKC on its own (full-width digits, ``％``, ``～``, ``．`` become ASCII),
  but only where the result is one character, so offsets into the original clause stay valid. The full-width comma
  ``，`` is kept: in Chinese text it separates clauses and is no thousands separator.
- A quantity is a numeral followed by a unit from a closed list (``UNITS``), optionally with a magnitude
  (万, 亿, 千万, 百万, 万亿) before it; a magnitude on its own is also a unit (``3000万``). A numeral without a
  unit is never a quantity: that alone keeps out enumerators (一是, 一、, （一）, 1.), most slogans (一网通办,
  放管服, 六最) and most idioms (一心一意, 一刀切, 一以贯之, 一抓到底). ``百分之N`` / ``千分之N`` carry their own
  unit (``%`` / ``‰``); 半 counts 0.5 before a time unit (半年内), and 半/多 after one extends it (一年半 → 1.5 年,
  一个多月 → at least 1 个月).
- Refused even with a unit: ordinals (第三批: a position, not an amount); vague counts (数十, 几十, 若干);
  years (a four-digit 1900–2100 number, or 年 followed by 底/初/末/中/度/代/级, and any range touching one) and day
  dates (``日`` right after 月, 上半年); 一 inside a word (统一, 唯一, 同一, 合一 …); a bare 百/千/万/亿 without
  近/上/逾/超/过/约 before it (千万不能, 万众一心, 千方百计); ``番`` without 翻; anything inside a known slogan or
  idiom (``SLOGANS``) or inside a short quotation without Arabic digits (“五个一”, “三对”); counter slogans (a
  unit followed by 一: 五个一, 一户一档; reduplication: 一个个; 性/式: 一次性); a class after a count (3家一类);
  ``N个`` followed by a slogan noun (两个维护, 四个意识); the speech's own structure (我讲三个方面, 我强调三个重点);
  一批 and an article 一 (一支…的队伍, 一个更加…的环境, 这是一项…) unless a qualifier (至少 …) makes it a count.
- Qualifier: a range (``1-2``, ``3至5``, ``3～5``, ``三到五``, ``两三``; the high end above the low one, same
  magnitude and unit on both sides) is ``range``. Otherwise a suffix after the unit wins (以上 → at_least;
  以下/以内/之内, and 内 after a time unit → at_most; 左右/上下 → about), then a word right before the number
  (不低于, 不少于, 超过, 超, 逾, 突破 … → at_least; 不超过, 不多于, 不足 … → at_most; 约, 近, 大约, 接近 … →
  about; 至少/最少/起码 and 最多/至多 may stand up to four characters before it: 至少完成一宗), then 多/余/几
  after the number (20多个, 300余家, 十几家 → at_least), else ``exact``.
- Bounds: exact → value = low = high; at_least → low = value, high None; at_most → high = value, low None;
  about → low and high None; range → value None. ``20多个`` is at_least with low 20 and high None: 多 says "more
  than 20, below 30", and only the lower bound is kept (the place-value ceiling would be a guess for 1.5万多).
- Role: a quantity right after a change verb with 至/到/为 (减至, 压缩到, 提高到 …) is ``to``; the quantity before
  it is ``from`` when 由/从 (not 由于, 从事 …) stands before that one (由…20多个工作日减至8.5个工作日).
- Text and offsets cover the qualifier words too (``至少完成一宗``, ``不低于30%``, ``100亿元以上``); ``unit`` is
  the normalised unit with its magnitude (``万户``, ``亿元``, ``%``, ``个工作日``), and ``multiplier``,
  ``base_unit`` and ``scaled_value`` give the plain count (1.5 万户 → 15000 户).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation


def _words(text: str) -> tuple[str, ...]:
    """A tuple of the whitespace-separated words of a table written as text."""
    return tuple(text.split())


AT_LEAST, AT_MOST, ABOUT, EXACT, RANGE = "at_least", "at_most", "about", "exact", "range"

CN_DIGITS = dict(zip("零〇○一二两三四五六七八九", (0, 0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
CN_SMALL = {"十": 10, "百": 100, "千": 1000}
CN_BIG = {"万": 10**4, "亿": 10**8}
MAGNITUDES = {"万亿": 10**12, "千万": 10**7, "百万": 10**6, "万": 10**4, "亿": 10**8}

TIME_UNITS = ("个工作日", "工作日", "个小时", "小时", "分钟", "个星期", "个季度", "个月", "天", "日", "周", "年")
UNITS = TIME_UNITS + _words(
    """
    个百分点 百分点 平方公里 平方米 立方米 千瓦时 千瓦 兆瓦 公顷 公里 千米 千克 公斤 人次 场次 批次
    户次 件次 周年 美元 个 人 名 位 户 家 项 宗 支 件 次 批 条 所 座 台 辆 套 张 栋 处 类
    种 例 场 轮 笔 亩 吨 米 元 倍 成 番 棵 株 % ‰
    """
)


def _alternation(words) -> str:
    """Regex alternation of literal words, longest first so that 个工作日 wins over 个."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


ARABIC = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
CHINESE = r"[零〇○一二两三四五六七八九十百千万亿]+(?:点[零〇○一二三四五六七八九]+)?"
HALF = r"半(?=年|个月|天|小时|个小时|个工作日)"
NUMBER = re.compile(rf"(?P<pct>[百千]分之)?(?P<num>{ARABIC}|{CHINESE}|{HALF})")
MAGNITUDE = _alternation(MAGNITUDES)
UNIT = _alternation(UNITS)
TAIL = re.compile(rf"(?P<approx>多|余|几)?(?P<mag>{MAGNITUDE})?(?P<approx2>多|余)?(?P<unit>{UNIT})?")
LOW_SIDE = re.compile(rf"(?P<mag>{MAGNITUDE})?(?P<unit>{UNIT})?\s*(?:-|~|〜|—|―|–|至|到)\s*")
PAIR = re.compile(r"([一二两三四五六七八九])([二三四五六七八九])")
TIME_FRACTION_INNER = re.compile(r"(半|多|余)(工作日|小时|星期|季度|月)")
TIME_FRACTION_OUTER = re.compile(r"半|[多余](?![次个项家种部元])")
SUFFIX = re.compile(r"及以上|以上|及以下|以下|以内|之内|左右|上下(?![游级联同一])|内")
SUFFIX_QUALIFIER = {
    "及以上": AT_LEAST, "以上": AT_LEAST, "及以下": AT_MOST, "以下": AT_MOST, "以内": AT_MOST, "之内": AT_MOST,
    "内": AT_MOST, "左右": ABOUT, "上下": ABOUT,
}  # fmt: skip
PREFIX_QUALIFIER = {
    "不少于": AT_LEAST, "不低于": AT_LEAST, "不小于": AT_LEAST, "不下于": AT_LEAST, "超过": AT_LEAST,
    "高于": AT_LEAST, "多于": AT_LEAST, "大于": AT_LEAST, "逾": AT_LEAST, "突破": AT_LEAST, "超": AT_LEAST,
    "不超过": AT_MOST, "不多于": AT_MOST, "不高于": AT_MOST, "不大于": AT_MOST, "不足": AT_MOST,
    "不到": AT_MOST, "低于": AT_MOST, "少于": AT_MOST, "小于": AT_MOST,
    "大约": ABOUT, "约为": ABOUT, "约": ABOUT, "将近": ABOUT, "接近": ABOUT, "近": ABOUT, "大概": ABOUT,
}  # fmt: skip
PREFIX_WORDS = sorted(PREFIX_QUALIFIER, key=len, reverse=True)  # 不超过 before 超过
BOUND_WORD = re.compile(r"(?P<word>至少|最少|起码|最多|至多)[\u4e00-\u9fff]{0,4}$")
BOUND_QUALIFIER = {"至少": AT_LEAST, "最少": AT_LEAST, "起码": AT_LEAST, "最多": AT_MOST, "至多": AT_MOST}
BARE_PREFIX = {"近": ABOUT, "约": ABOUT, "上": AT_LEAST, "逾": AT_LEAST, "超": AT_LEAST, "过": AT_LEAST}
APPROX_BEFORE = re.compile(r"(?:数|几|若干|好几)$")
WORD_BEFORE_ONE = set("统唯同单均划合归逐不初其专万之")
YEAR_AFTER = set("底初末中度代级")
COUNTER_AFTER = re.compile(r"一(?![流级线体站类等])|[性式]")
GE_SLOGAN = re.compile(r"维护|确立|意识|自信|全面|务必|代表|坚持|毫不动摇|没有|必须|着力|伟大|不(?![同少等])")
SPEECH_BEFORE = re.compile(r"(?:强调|讲|谈|提|说|从|分)(?:一下|以下)?$")
SPEECH_AFTER = re.compile(r"重点|方面|问题|意见|体会|要求|建议|看法|想法")
ARTICLE_UNITS = set("个种支套项件条场类")
ARTICLE_AFTER = re.compile(r"[^，,。；;：:！!？?、]{0,8}?的")
ADVERBIAL_ONCE = set("性办告审受提填采认登核到通跑")
QUOTE = re.compile(r"[“‘「『\"]([^“”‘’「」『』\"]{1,20})[”’」』\"]")
CHANGE_TO = re.compile(
    r"(?:减少|降低|下降|缩短|缩减|压缩|压减|提高|提升|上升|增加|增长|扩大|减|降|缩|压|升|增|扩)(?:至|到|为)"
    r"[\u4e00-\u9fff]{0,3}$"
)
FROM_WORD = re.compile(r"(?<![自理缘经服听随遵])[由从](?![于事严而来此中])")
SLOGANS = _words(
    """
    两个维护 两个确立 四个意识 四个自信 四个全面 三个代表 三个务必 两个毫不动摇 两个一百年 五位一体
    八项规定 五个一 三对 六最 一件事 一张蓝图 一张网 一张图 一张表 一张清单 一枚印章 一颗印章 一把手
    一条龙 一个窗口 一窗受理 一次办 一次告知 最多跑一次 一趟不用跑 一个都不能少 一个也不能少 一个不落
    一成不变 三番五次 成百上千 成千上万 千方百计 百家争鸣 一盘棋 一网通办 一套材料 二元结构 一步一个脚印
    一元化 一个一个 一次又一次 一年接着一年 一年又一年 一条心 一年四季 一年到头 三天两头 十年树木 百年树人
    """
)


@dataclass(frozen=True)
class Quantity:
    """A number with its unit as written in a clause; see the module docstring for the rules."""

    text: str
    start: int
    end: int
    value: float | None
    low: float | None
    high: float | None
    unit: str
    qualifier: str
    role: str | None = None

    @property
    def multiplier(self) -> int:
        """The magnitude at the front of the unit: 10000 for 万户, 10**8 for 亿元, 1 for 家."""
        magnitude = _magnitude_of(self.unit)
        return MAGNITUDES[magnitude] if magnitude else 1

    @property
    def base_unit(self) -> str:
        """The unit without its magnitude: 户 for 万户, 元 for 亿元, empty for a bare 万."""
        return self.unit[len(_magnitude_of(self.unit)) :]

    @property
    def scaled_value(self) -> float | None:
        """The value counted in the base unit (1.5 万户 → 15000); None for a range."""
        if self.value is None:
            return None
        return float(Decimal(str(self.value)) * self.multiplier)


@dataclass(frozen=True)
class _Numeral:
    value: Decimal
    high: Decimal | None  # set for an adjacent pair such as 两三
    magnitude: str  # a trailing 万 / 亿 inside a Chinese numeral
    bare: bool  # starts with 百 / 千 / 万 / 亿 without a digit
    arabic: bool


# (low or value, high of a range, unit, end of the unit, 多/余/几 seen)
_Reading = tuple[Decimal, Decimal | None, str, int, bool]


def find_quantities(clause: str) -> list[Quantity]:
    """All quantities of a clause, in order; text and offsets refer to the clause as given."""
    norm = normalise(clause)
    match = NUMBER.search(norm)
    if match is None:  # most clauses: no number, so no slogans to look for either
        return []
    blocked = find_blocked_spans(norm)
    found: list[Quantity] = []
    while match is not None:
        quantity = read_quantity(norm, match, blocked)
        if quantity is None:
            match = NUMBER.search(norm, match.end())
            continue
        found.append(replace(quantity, text=clause[quantity.start : quantity.end]))
        match = NUMBER.search(norm, quantity.end)
    return assign_roles(norm, found)


class _FoldTable(dict):
    """``str.translate`` table of NFKC per character where it maps to one character; ``，`` stays a comma."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = unicodedata.normalize("NFKC", char)
        self[code] = value = folded if len(folded) == 1 and char != "，" else char
        return value


_FOLDS = _FoldTable()


def normalise(clause: str) -> str:
    """NFKC character by character where it maps to one character (offsets are kept); ``，`` stays a comma. A
    clause already in NFKC is returned as it is (see :func:`monitor.commitments.deadline.normalise`)."""
    if unicodedata.is_normalized("NFKC", clause):
        return clause
    return clause.translate(_FOLDS)


def find_blocked_spans(norm: str) -> list[tuple[int, int]]:
    """Spans of known slogans and idioms, and of short quotations without Arabic digits (“五个一”, “三对”)."""
    spans = []
    for slogan in SLOGANS:
        if slogan in norm:
            spans += [(m.start(), m.end()) for m in re.finditer(re.escape(slogan), norm)]
    for quote in QUOTE.finditer(norm):
        if not re.search(r"\d", quote.group(1)):
            spans.append((quote.start(), quote.end()))
    return spans


def parse_chinese_number(text: str) -> float | None:
    """Value of a Chinese numeral (一百五十, 两万五, 一亿五千万, 八点五), None when it is not a well-formed one.

    Digits may not follow digits (十四五, 二〇二五 are not numbers), 零 only follows a unit, units decrease within a
    section (千 > 百 > 十) and between sections (亿 > 万). A bare leading unit counts one (十二, 百). A last digit right
    after a unit is abbreviated (一百五 = 150, 两万五 = 25000)."""
    number = _parse_chinese_decimal(text)
    return None if number is None else float(number)


def _parse_chinese_decimal(text: str) -> Decimal | None:
    """``parse_chinese_number`` as a Decimal; 万亿 at the end multiplies the rest."""
    if text.endswith("万亿") and len(text) > 2:
        rest = _parse_chinese_decimal(text[:-2])
        return None if rest is None else rest * MAGNITUDES["万亿"]
    whole, _, fraction = text.partition("点")
    integer = parse_chinese_integer(whole)
    if integer is None or ("点" in text and not fraction):
        return None
    if not fraction:
        return Decimal(integer)
    if any(c not in CN_DIGITS or c == "两" for c in fraction):
        return None
    return Decimal(f"{integer}.{''.join(str(CN_DIGITS[c]) for c in fraction)}")


def parse_chinese_integer(text: str) -> int | None:
    """Integer value of a Chinese numeral without decimals; see ``parse_chinese_number`` for the grammar."""
    if text in ("零", "〇", "○"):
        return 0
    total = section = last_unit = 0
    digit: int | None = None
    last_small, last_big = 10**5, 10**13
    previous, zero = "", False  # previous: "digit", "zero" or "unit"; zero: a 零 since the last unit
    for i, char in enumerate(text):
        if char in CN_DIGITS and CN_DIGITS[char] == 0:
            if previous != "unit":
                return None
            previous, zero = "zero", True
        elif char in CN_DIGITS:
            if previous == "digit":
                return None
            digit, previous = CN_DIGITS[char], "digit"
        elif char in CN_SMALL or char in CN_BIG:
            if previous == "zero" or (digit is None and i > 0 and char in CN_SMALL):
                return None
            unit = CN_SMALL.get(char) or CN_BIG[char]
            if char in CN_SMALL:
                if unit >= last_small:
                    return None
                section += (1 if digit is None else digit) * unit
                last_small = unit
            else:
                if unit >= last_big or (total and not section and digit is None):
                    return None
                total += (section + (digit or 0) or 1) * unit
                section, last_small, last_big = 0, 10**5, unit
            digit, last_unit, previous, zero = None, unit, "unit", False
        else:
            return None
    if not text or previous == "zero":
        return None
    if digit is not None:
        total += digit * (1 if zero else max(last_unit // 10, 1))
    return total + section


def parse_numeral(token: str) -> _Numeral | None:
    """Read an Arabic or Chinese numeral token; a Chinese one ending in 万/亿 keeps that as its magnitude."""
    if token == "半":
        return _Numeral(Decimal("0.5"), None, "", False, False)
    if token[0].isdigit():
        try:
            return _Numeral(Decimal(token.replace(",", "")), None, "", False, True)
        except InvalidOperation:
            return None
    bare = token[0] in "百千万亿"
    if pair := PAIR.fullmatch(token):
        low, high = CN_DIGITS[pair.group(1)], CN_DIGITS[pair.group(2)]
        return _Numeral(Decimal(low), Decimal(high), "", False, False) if high == low + 1 else None
    value = _parse_chinese_decimal(token)
    if value is None:
        return None
    magnitude = next((m for m in ("万亿", "万", "亿") if token.endswith(m)), "")
    if magnitude:
        value = value / MAGNITUDES[magnitude]
    return _Numeral(value, None, magnitude, bare, False)


def read_quantity(norm: str, match: re.Match, blocked: list[tuple[int, int]]) -> Quantity | None:
    """The quantity whose numeral starts at ``match``, or None when the rules refuse it."""
    numeral = parse_numeral(match.group("num"))
    if numeral is None or is_refused_before(norm, match, numeral):
        return None
    reading = read_range(norm, match, numeral) or read_single(norm, match, numeral)
    if reading is None:
        return None
    low, high, unit, unit_end, approx = reading
    measure = unit[len(_magnitude_of(unit)) :] if not match.group("pct") else unit
    if is_refused_after(norm, match, numeral, measure, unit_end, high is not None):
        return None
    suffix = read_suffix(norm, unit_end, measure)
    prefix_qualifier, start = read_prefix(norm, match.start())
    if numeral.bare and not match.group("pct"):
        if match.start() == 0 or norm[match.start() - 1] not in BARE_PREFIX:
            return None
        if prefix_qualifier is None:
            prefix_qualifier, start = BARE_PREFIX[norm[match.start() - 1]], match.start() - 1
    end = unit_end + (len(suffix) if suffix else 0)
    if any(s < unit_end and match.start() < e for s, e in blocked):
        return None
    if high is not None:
        return Quantity("", start, end, None, float(low), float(high), unit, RANGE)
    qualifier = SUFFIX_QUALIFIER.get(suffix or "") or prefix_qualifier or (AT_LEAST if approx else EXACT)
    if qualifier == EXACT and is_article(norm, match, measure, unit_end):
        return None
    return make_quantity(start, end, low, unit, qualifier)


def read_single(norm: str, match: re.Match, numeral: _Numeral) -> _Reading | None:
    """(value, high, unit, unit end, approx) of a numeral followed by its unit; None without a unit."""
    if numeral.high is not None:
        tail = TAIL.match(norm, match.end())
        if not tail.group("unit") or tail.group("approx") or tail.group("mag"):
            return None
        return numeral.value, numeral.high, tail.group("unit"), tail.end(), False
    tail = TAIL.match(norm, match.end())
    approx = bool(tail.group("approx") or tail.group("approx2"))
    pct = match.group("pct")
    if pct:
        end = match.end() + (1 if tail.group("approx") else 0)
        return numeral.value, None, "%" if pct == "百分之" else "‰", end, approx
    if numeral.magnitude and tail.group("mag"):
        return None
    unit = numeral.magnitude + (tail.group("mag") or "") + (tail.group("unit") or "")
    if not unit or (tail.group("approx") == "几" and not tail.group("unit")):
        return None
    value, unit, end, more = read_time_fraction(norm, numeral.value, unit, tail.end())
    return value, None, unit, end, approx or more


def read_time_fraction(norm: str, value: Decimal, unit: str, end: int) -> tuple[Decimal, str, int, bool]:
    """(value, unit, end, approx) after 半/多/余 inside or after a time unit: 一年半 → 1.5 年, 一个半月 → 1.5 个月,
    一年多 / 一个多月 → at_least 1; 多 before a counter (一年多次) is left alone."""
    inner = TIME_FRACTION_INNER.match(norm, end) if unit == "个" else None
    if inner:
        fraction, rest = inner.group(1), inner.group(2)
        unit, end = "个" + rest, inner.end()
    elif unit in TIME_UNITS and (outer := TIME_FRACTION_OUTER.match(norm, end)):
        fraction, end = outer.group(), outer.end()
    else:
        return value, unit, end, False
    if fraction == "半":
        return value + Decimal("0.5"), unit, end, False
    return value, unit, end, True


def read_range(norm: str, match: re.Match, numeral: _Numeral) -> _Reading | None:
    """(low, high, unit, unit end, False) of ``1-2支``, ``3至5个``, ``三到五年``, ``30%-50%``, ``3万至5万元``."""
    if numeral.high is not None or numeral.bare or match.group("pct"):
        return None
    side = LOW_SIDE.match(norm, match.end())
    if not side:
        return None
    high_match = NUMBER.match(norm, side.end())
    if not high_match or high_match.group("pct"):
        return None
    high = parse_numeral(high_match.group("num"))
    if high is None or high.high is not None or high.bare or high.value <= numeral.value:
        return None
    tail = TAIL.match(norm, high_match.end())
    if tail.group("approx") or tail.group("approx2") or (high.magnitude and tail.group("mag")):
        return None
    high_magnitude = high.magnitude + (tail.group("mag") or "")
    low_magnitude = numeral.magnitude + (side.group("mag") or "")
    measure = tail.group("unit") or ""
    if not (high_magnitude or measure) or low_magnitude != high_magnitude:
        return None
    if side.group("unit") and side.group("unit") != measure:
        return None
    if measure == "年" and (_is_year(numeral) or _is_year(high)):
        return None
    return numeral.value, high.value, high_magnitude + measure, tail.end(), False


def is_refused_before(norm: str, match: re.Match, numeral: _Numeral) -> bool:
    """Ordinals (第), vague counts (数十, 几十, 若干), 一 inside a word (统一), dates 上半年 / 下半年, Arabic digits
    touching ASCII letters (5G, PM2.5)."""
    start = match.start()
    before = norm[start - 1] if start else ""
    if before == "第" or (not numeral.arabic and APPROX_BEFORE.search(norm[max(0, start - 2) : start])):
        return True
    token = match.group("num")
    if token.startswith("一") and not match.group("pct") and before in WORD_BEFORE_ONE:
        return True
    if token == "半" and before in set("上下大多一"):
        return True
    if numeral.arabic:
        after = norm[match.end()] if match.end() < len(norm) else ""
        return (before.isascii() and before.isalpha()) or (after.isascii() and after.isalpha())
    return False


def is_refused_after(norm: str, match: re.Match, numeral: _Numeral, measure: str, end: int, ranged: bool) -> bool:
    """Years and day dates, 番 without 翻, classes (3家一类), counter slogans (五个一, 一次性, 一个个, 两个维护),
    speech structure (我讲三个方面)."""
    after = norm[end:]
    before = norm[: match.start()]
    if measure == "年" and (_is_year(numeral) or after[:1] in YEAR_AFTER):
        return True
    if measure == "日" and before.endswith("月"):
        return True
    if measure == "番" and not before.endswith("翻"):
        return True
    if measure == "类" and before[-1:] in UNITS:  # a class, not a count: 3家一类企业
        return True
    if ranged or match.group("pct"):
        return False
    if COUNTER_AFTER.match(after) or (len(measure) == 1 and after.startswith(measure)):
        return True
    if measure == "个" and GE_SLOGAN.match(after):
        return True
    if measure == "个" and SPEECH_AFTER.match(after) and SPEECH_BEFORE.search(before[-6:]):
        return True
    return match.group("num") == "一" and measure == "次" and after[:1] in ADVERBIAL_ONCE


def is_article(norm: str, match: re.Match, measure: str, end: int) -> bool:
    """A bare 一 that is an article, not a count: 一批 (a batch), 一支…的队伍, 一个更加…的环境, 是一项…."""
    if match.group("num") != "一" or match.group("pct"):
        return False
    if measure == "批" or (measure in ARTICLE_UNITS and norm.endswith("是", 0, match.start())):
        return True
    return measure in ARTICLE_UNITS and bool(ARTICLE_AFTER.match(norm, end))


def read_suffix(norm: str, end: int, measure: str) -> str | None:
    """The qualifier word after the unit (以上, 以内, 左右 …); 内 counts only after a time unit (3天内)."""
    suffix = SUFFIX.match(norm, end)
    if not suffix or (suffix.group() == "内" and measure not in TIME_UNITS):
        return None
    return suffix.group()


def read_prefix(norm: str, start: int) -> tuple[str | None, int]:
    """(qualifier, new start) from the words just before the number: 不低于30%, 约50家, 至少完成一宗."""
    for word in PREFIX_WORDS:
        if norm.endswith(word, 0, start):
            return PREFIX_QUALIFIER[word], start - len(word)
    if bound := BOUND_WORD.search(norm[max(0, start - 6) : start]):
        return BOUND_QUALIFIER[bound.group("word")], start - len(bound.group())
    return None, start


def make_quantity(start: int, end: int, value: Decimal, unit: str, qualifier: str) -> Quantity:
    """A single-valued quantity with its bounds: exact → both, at_least → low, at_most → high, about → none."""
    number = float(value)
    low = number if qualifier in (EXACT, AT_LEAST) else None
    high = number if qualifier in (EXACT, AT_MOST) else None
    return Quantity("", start, end, number, low, high, unit, qualifier)


def assign_roles(norm: str, found: list[Quantity]) -> list[Quantity]:
    """``to`` after 减至/压缩到/提高到…; ``from`` for the quantity before it when 由/从 precedes that one."""
    out = list(found)
    for i, quantity in enumerate(out):
        gap_start = out[i - 1].end if i else 0
        if CHANGE_TO.search(norm[max(gap_start, quantity.start - 10) : quantity.start]):
            out[i] = replace(quantity, role="to")
            if i and out[i - 1].role is None:
                earlier_end = out[i - 2].end if i > 1 else 0
                if FROM_WORD.search(norm[earlier_end : out[i - 1].start]):
                    out[i - 1] = replace(out[i - 1], role="from")
    return out


def _is_year(numeral: _Numeral) -> bool:
    """A four-digit Arabic integer between 1900 and 2100."""
    value = numeral.value
    return numeral.arabic and value == value.to_integral_value() and 1900 <= value <= 2100


def _magnitude_of(unit: str) -> str:
    """The magnitude prefix of a unit (万亿, 千万, 百万, 万, 亿) or ''."""
    return next((m for m in sorted(MAGNITUDES, key=len, reverse=True) if unit.startswith(m)), "")
