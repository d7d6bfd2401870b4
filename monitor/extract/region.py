"""The administrative region of a speech: from a site's ``SiteIDCode`` or from the speaker's post and the text.

Codes are 6-digit national administrative-division codes (GB/T 2260): ``PPCCDD`` with ``PP0000`` a province,
``PPCC00`` a prefecture-level city and ``PPCCDD`` a county-level division. The division table is cpca's
(``cpca/resources/adcodes.csv``, read directly so that a code lookup never pays for ``import cpca``) plus
``data/regions_extra.csv`` for the divisions created or renamed after cpca's data was collected (mid-2016:
深圳市坪山区 440310 and the like). Recognition in text uses the Aho-Corasick automaton cpca is built on, over
that merged table, with our own rules on top; ``cpca.transform`` itself is not used because it answers confidently
where it should not: an ambiguous 朝阳区 becomes 长春, ``加强区域合作`` becomes 甘肃合作市, ``中心城区`` becomes
汕尾城区, ``隆重庆祝`` becomes 重庆, ``各位来宾`` becomes 来宾市, ``学习借鉴浙江、广东等地经验`` becomes 浙江.

``region_from_text`` is meant for short, specific evidence, most specific first::

    region_from_text(speaker_post, organization, title, first_paragraphs)

It returns the region of the first text that yields one; a later text is only used to pick between the candidates
of an ambiguous name in an earlier one (``朝阳区委书记`` then ``北京市…`` gives 北京市朝阳区). So a passing mention in
the body (``对标北京、上海``) never wins over the speaker's post. Within one text it prefers the place an organ hangs
from (``…市委``, ``…区人民政府``, ``…管委会``), drops places named as models or destinations (``学习借鉴``, ``对标``,
``赴``, ``…等地``, ``…经验``) and lists of different places, and gives the highest level it is sure of: ``X市X区``
gives nothing, ``广东省X市`` gives 广东省, an unqualified ``朝阳区`` (Beijing and Changchun) gives nothing.

The rules, for the record:

* full names (``深圳市``, ``坪山区``, ``兰考县``, ``恩施土家族苗族自治州``) and the short forms of autonomous units
  (``恩施州``, ``石柱县``) are recognised anywhere, except a name ending in 市 before 场 (``东方市场``) or in 区 before
  域 (``中原区域``);
* two-character names (``和县``, ``范县``, ``城区``) and names that are ordinary words (``老城区``, ``市中区``)
  count only right after their parent (``阳泉市城区``) or standing alone before an organ (``萧县县委``);
* province short names (``广东``, ``内蒙古``) count anywhere but in a few collocations (``幸福建设``, ``隆重庆祝``);
* prefecture short names (``深圳``, ``大同``, ``苏州``) count only right before a zone or an organ (``大同经开区``,
  ``苏州工业园区管委会``) or next to their parent or a child (``浙江湖州``, ``长治潞州区``): ``长治久安``,
  ``各位来宾``, ``幸福安康`` are not places;
* short names of county-level cities (``昆山``, ``合作``, ``东方``) are not recognised at all.

Traditional script is converted to simplified (OpenCC ``t2s``) before matching.

For the four municipalities (北京, 天津, 上海, 重庆) ``city`` is the municipality itself, while ``city_code`` follows
GB/T 2260: ``110100`` (市辖区) for Beijing's districts, ``500200`` (县) for Chongqing's counties.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_EXTRA_CSV = Path(__file__).with_name("data") / "regions_extra.csv"

#: Placeholder names in the table that are not places (municipal "districts" rows, Chongqing's "counties" row,
#: the parents of province-administered county-level units).
_JUNK_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
_MUNICIPALITIES = frozenset({"11", "12", "31", "50"})
_PROVINCE_SHORT = {
    "内蒙古自治区": "内蒙古",
    "广西壮族自治区": "广西",
    "西藏自治区": "西藏",
    "新疆维吾尔自治区": "新疆",
    "宁夏回族自治区": "宁夏",
    "香港特别行政区": "香港",
    "澳门特别行政区": "澳门",
}
#: District names that are also ordinary words: they need their parent right before them, or an organ after.
_GENERIC_NAMES = frozenset(
    {
        "老城区",
        "新城区",
        "城中区",
        "城东区",
        "城西区",
        "城北区",
        "城关区",
        "城厢区",
        "新市区",
        "市中区",
        "解放区",
        "平安区",
        "前进区",
        "向阳区",
        "东风区",
        "红旗区",
        "新兴区",
        "和平区",
        "新建区",
        "港口区",
        "山城区",
        "友好区",
        "比如县",
        "河南县",  # 青海, but 河南县域 is Henan's county economy
    }
)
#: Collocations in which a province's short name is not the province.
_COLLOCATIONS = ("幸福建", "造福建", "隆重庆", "庄重庆", "重庆祝", "推广东", "河北岸", "湖北岸", "湖南岸")

_ZONE = (
    r"(?:经济技术开发区|经济开发区|高新技术产业开发区|高新技术开发区|高新区|经开区|开发区|新区|工业园区|产业园区"
    r"|工业园|产业园|园区|综合保税区|保税区|自贸片区|片区|港区|试验区|示范区)"
)
_ORGAN = r"(?:[省市县区州盟旗]?(?:委员会|党工委|工委|管委会|人民政府|政府|人大|政协|党委|纪委|委))"
_ORGAN_AFTER = re.compile(rf"{_ZONE}?{_ORGAN}")
_CONTEXT_AFTER = re.compile(rf"{_ZONE}|{_ORGAN}")
_PASSING_BEFORE = re.compile(
    r"(?:学习|借鉴|对标|对照|看齐|赶超|比肩|参照|比照|考察|参观|赴|前往|到访|向|与|同|如|像|比如|例如|包括)$"
)
_PASSING_AFTER = re.compile(
    r"(?:等地|等省|等市|等城市|等地区|等先进|等兄弟|等发达|等沿海|的?经验|的?做法|的?模式|取经|学习|考察|看齐)"
)
_ENUM_SEP = re.compile(r"[、/ ]|和|与|及|以及")  # not commas: ``对标北京、上海，湖州市委…``
_BOUNDARY_CHARS = frozenset(" \t、，,。.；;：:（）()《》“”\"'[]【】-—/")

_SITE_ID = re.compile(r"\d{10}")


@dataclass(frozen=True)
class Region:
    """A place at province, city or county level.

    ``code`` is the 6-digit code of the most specific level found; ``source`` says where it came from
    (``"site_id"`` or ``"text"``).
    """

    code: str
    province: str | None
    city: str | None
    district: str | None
    source: str

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    @property
    def city_code(self) -> str:
        """``code[:4] + "00"``: equal to ``province_code`` for a province-level region; GB/T 2260's ``110100`` /
        ``500200`` style for the municipalities; ``PP9000`` for county-level units a province administers."""
        return self.code[:4] + "00"


# --------------------------------------------------------------------------------------------------------------
# The division table


def _cpca_csv() -> Path:
    spec = importlib.util.find_spec("cpca")  # locates the package without running its (slow) __init__
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("cpca is not installed: it carries the division table (pip install 'cpca>=0.5.5,<0.6')")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"


def _read_rows(path: Path) -> Iterable[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(line for line in f if not line.startswith("#"))


@dataclass(frozen=True)
class _Table:
    names: dict[str, str]  # code -> current name (the supplement wins)
    cpca_names: dict[str, str]  # code -> cpca's name (old names of renamed divisions stay recognisable)
    extra: frozenset[str]  # codes from regions_extra.csv


@cache
def _table() -> _Table:
    cpca_names = {row["adcode"][:6]: row["name"].strip() for row in _read_rows(_cpca_csv())}
    names = dict(cpca_names)
    extra = set()
    for row in _read_rows(_EXTRA_CSV):
        code = row["code"].strip()
        names[code] = row["name"].strip()
        extra.add(code)
    return _Table(names=names, cpca_names=cpca_names, extra=frozenset(extra))


def _level(code: str) -> int:
    if code.endswith("0000"):
        return 0
    if code.endswith("00"):
        return 1
    return 2


def _real_name(code: str) -> str | None:
    name = _table().names.get(code)
    return None if name is None or name in _JUNK_NAMES else name


def _contains(outer: str, inner: str) -> bool:
    """``outer`` is ``inner`` or one of its ancestors."""
    if outer == inner:
        return True
    level = _level(outer)
    if level == 0:
        return inner[:2] == outer[:2]
    if level == 1:
        return inner[:4] == outer[:4]
    return False


def _make_region(code: str, source: str) -> Region:
    province = _real_name(code[:2] + "0000")
    level = _level(code)
    city = _real_name(code[:4] + "00") if level >= 1 else None
    if code[:2] in _MUNICIPALITIES:
        city = province
    district = _real_name(code) if level == 2 else None
    return Region(code=code, province=province, city=city, district=district, source=source)


def region_name(code: str) -> str | None:
    """The full name of a 6-digit code: ``"广东省深圳市坪山区"`` for ``"440310"``, ``"北京市朝阳区"`` for
    ``"110105"``; None for a code not in the table."""
    if not isinstance(code, str) or not re.fullmatch(r"\d{6}", code.strip()):
        return None
    code = code.strip()
    if code not in _table().names:
        return None
    region = _make_region(code, "text")
    parts: list[str] = []
    for part in (region.province, region.city, region.district):
        if part and (not parts or parts[-1] != part):
            parts.append(part)
    return "".join(parts) or None


# --------------------------------------------------------------------------------------------------------------
# SiteIDCode


def region_from_site_id(site_id_code: str | None) -> Region | None:
    """The region of a government site from its ``SiteIDCode`` meta (国办发〔2017〕47号): 10 digits, the 6-digit
    region code and a 4-digit sequence. Ministries (``bm`` + 8 digits), empty and malformed values give None. A
    region code missing from the table falls back to its city, then its province, when those are known."""
    if not site_id_code:
        return None
    value = site_id_code.strip()
    if not _SITE_ID.fullmatch(value):
        return None
    code = value[:6]
    names = _table().names
    for candidate in (code, code[:4] + "00", code[:2] + "0000"):
        if candidate in names and (_real_name(candidate) or candidate[:2] in _MUNICIPALITIES):
            return _make_region(candidate, "site_id")
    return None


# --------------------------------------------------------------------------------------------------------------
# Text


@dataclass(frozen=True)
class _Entry:
    code: str
    abbr: bool  # a short form (深圳 for 深圳市), as opposed to a full name or an official short form (恩施州)
    newer: bool  # from a name in regions_extra.csv


@dataclass(frozen=True)
class _Index:
    automaton: object  # ahocorasick.Automaton over all keys
    entries: dict[str, tuple[_Entry, ...]]


@cache
def _ethnic_re() -> re.Pattern[str]:
    path = _cpca_csv().with_name("56_nations.csv")
    groups = {line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    groups.add("汉族")
    alternatives = set()
    for group in groups:
        alternatives.add(group)
        if group.endswith("族") and len(group) > 2:
            alternatives.add(group[:-1])  # 蒙古, 哈萨克, 柯尔克孜 appear without 族 in names
    pattern = "|".join(sorted(alternatives, key=len, reverse=True))
    return re.compile(rf"(?:{pattern})+$")


def _autonomous_short(name: str, suffix: str) -> str | None:
    stem = name[: -len(suffix)]
    short = _ethnic_re().sub("", stem)
    return short if short and short != stem else None


def _keys_for(code: str, name: str) -> list[tuple[str, bool]]:
    """(key, is_abbreviation) pairs under which a division is recognised."""
    keys = [(name, False)]
    level = _level(code)
    if level == 0:
        short = _PROVINCE_SHORT.get(name) or re.sub(r"[省市]$", "", name)
        if short != name:
            keys.append((short, True))
    elif level == 1:
        if name.endswith("自治州"):
            short = _autonomous_short(name, "自治州")
            if short:
                keys.append((short + "州", False))
        elif name.endswith("地区") and len(name) >= 4:
            keys.append((name[:-2], True))
        elif name.endswith(("市", "盟")) and len(name) >= 3:
            keys.append((name[:-1], True))
    else:
        for suffix, unit in (("自治县", "县"), ("自治旗", "旗")):
            if name.endswith(suffix):
                short = _autonomous_short(name, suffix)
                if short:
                    keys.append((short + unit, False))
    return keys


def _t2s(text: str) -> str:
    return _t2s_converter().convert(text)


@cache
def _t2s_converter():
    import opencc

    return opencc.OpenCC("t2s")


@cache
def _index() -> _Index:
    import ahocorasick  # cpca's matching engine (pyahocorasick)

    table = _table()
    named = [(code, name, False) for code, name in table.cpca_names.items()]
    named += [(code, table.names[code], True) for code in sorted(table.extra)]
    full_names = {name for _, name, _ in named}
    by_key: dict[str, dict[str, _Entry]] = {}
    for code, name, newer in named:
        if name in _JUNK_NAMES:
            continue
        for key, abbr in _keys_for(code, name):
            if key != name and not abbr and key in full_names:
                continue  # an official short form that is some other place's full name
            for variant in {key, _t2s(key)}:  # t2s turns 乾县 into 干县: match the converted text too
                slot = by_key.setdefault(variant, {})
                old = slot.get(code)
                slot[code] = _Entry(
                    code=code,
                    abbr=abbr and (old is None or old.abbr),
                    newer=newer or (old is not None and old.newer),
                )
    entries: dict[str, tuple[_Entry, ...]] = {}
    for key, slot in by_key.items():
        kept = list(slot.values())
        # A division renumbered since cpca's data (那曲地区 542400 -> 那曲市 540600, 辛集市 139002 -> 130181) keeps its
        # old code in cpca's table: the supplement's code replaces the old one for recognition.
        newer = [e for e in kept if e.newer]
        if newer:
            kept = [
                e
                for e in kept
                if e.newer or not any(n.code[:2] == e.code[:2] and _level(n.code) == _level(e.code) for n in newer)
            ]
        entries[key] = tuple(sorted(kept, key=lambda e: e.code))
    automaton = ahocorasick.Automaton()
    for key in entries:
        automaton.add_word(key, key)
    automaton.make_automaton()
    return _Index(automaton=automaton, entries=entries)


@dataclass
class _Hit:
    start: int
    end: int  # exclusive
    key: str
    codes: frozenset[str]
    organ: bool = False
    passing: bool = False


def _normalise(text: str) -> str:
    text = _t2s(text)
    text = re.sub(r"[\r\n]+", "", text)  # PDF line breaks inside names
    return re.sub(r"[ \t\u3000\xa0]+", " ", text).strip()


def _is_weak(key: str, entry: _Entry) -> bool:
    return not entry.abbr and (len(key) <= 2 or key in _GENERIC_NAMES)


def _at_boundary(text: str, start: int) -> bool:
    if start == 0 or text[:start].endswith("中共"):
        return True
    before = text[start - 1]
    return before in _BOUNDARY_CHARS or not ("\u4e00" <= before <= "\u9fff")


def _in_collocation(text: str, start: int, end: int) -> bool:
    # an occurrence found between these bounds starts at or before ``start`` and ends at or after ``end``
    return any(text.find(phrase, max(0, end - len(phrase)), start + len(phrase)) != -1 for phrase in _COLLOCATIONS)


def _accept(
    text: str, start: int, end: int, key: str, previous: _Hit | None, raw: dict[int, list[tuple[int, str]]]
) -> frozenset[str]:
    """The codes of ``key`` at ``text[start:end]`` that the context supports (empty: not a place here)."""
    index = _index()
    if key.endswith("市") and text.startswith("场", end):
        return frozenset()  # 东方市场, 深圳市场主体
    if key.endswith("区") and text.startswith("域", end):
        return frozenset()  # 中原区域, 江南区域
    if _in_collocation(text, start, end):
        return frozenset()
    parent_before = previous.codes if previous is not None and previous.end == start else frozenset()
    children_after: set[str] = set()
    for _next_end, next_key in raw.get(end, ()):
        children_after.update(e.code for e in index.entries[next_key])
    context_after = bool(_CONTEXT_AFTER.match(text, end))
    accepted = set()
    for entry in index.entries[key]:
        code = entry.code
        has_parent = any(_contains(p, code) and p != code for p in parent_before)
        if _is_weak(key, entry):
            if has_parent or (_at_boundary(text, start) and _ORGAN_AFTER.match(text, end)):
                accepted.add(code)
        elif entry.abbr and _level(code) >= 1:
            has_child = any(_contains(code, c) and c != code for c in children_after)
            if has_parent or has_child or context_after:
                accepted.add(code)
        else:
            accepted.add(code)
    return frozenset(accepted)


def _hits(text: str) -> list[_Hit]:
    index = _index()
    raw: dict[int, list[tuple[int, str]]] = {}
    for last, key in index.automaton.iter(text):
        start = last - len(key) + 1
        raw.setdefault(start, []).append((last + 1, key))
    for options in raw.values():
        options.sort(key=lambda option: option[0], reverse=True)  # longest first
    hits: list[_Hit] = []
    position = 0
    while position < len(text):
        taken = None
        for end, key in raw.get(position, ()):
            codes = _accept(text, position, end, key, hits[-1] if hits else None, raw)
            if codes:
                taken = _Hit(start=position, end=end, key=key, codes=codes)
                break
        if taken is None:
            position += 1
            continue
        # a parent right before narrows its candidates to the ones this child belongs to (吉林 + 长春)
        if hits and hits[-1].end == taken.start:
            previous = hits[-1]
            parents = frozenset(p for p in previous.codes if any(_contains(p, c) for c in taken.codes))
            if parents:
                previous.codes = parents
                taken.codes = frozenset(c for c in taken.codes if any(_contains(p, c) for p in parents))
        hits.append(taken)
        position = taken.end
    for hit in hits:
        hit.organ = bool(_ORGAN_AFTER.match(text, hit.end)) or (
            hit.key[-1] in "省市县区州盟旗" and text.startswith("长", hit.end)
        )
        before = text[max(0, hit.start - 4) : hit.start]
        hit.passing = bool(_PASSING_BEFORE.search(before) or _PASSING_AFTER.match(text, hit.end))
    _mark_enumerations(text, hits)
    return hits


def _related(a: frozenset[str], b: frozenset[str]) -> bool:
    return any(_contains(x, y) or _contains(y, x) for x in a for y in b)


def _mark_enumerations(text: str, hits: list[_Hit]) -> None:
    """Places listed together (浙江、广东) are mentions, not the speaker's place: mark the whole list passing when
    one of them is, or when they are different places none of which an organ hangs from."""
    groups: list[list[_Hit]] = []
    for hit in hits:
        if groups and _ENUM_SEP.fullmatch(text[groups[-1][-1].end : hit.start]):
            groups[-1].append(hit)
        else:
            groups.append([hit])
    for group in groups:
        if len(group) < 2:
            continue
        different = any(not _related(a.codes, b.codes) for a, b in zip(group, group[1:], strict=False))
        if any(h.passing for h in group) or (different and not any(h.organ for h in group)):
            for hit in group:
                hit.passing = True


@dataclass
class _Chain:
    codes: frozenset[str]
    organ: bool
    end: int


def _link(chain: _Chain, hit: _Hit) -> frozenset[str] | None:
    """The chain's candidates once ``hit`` joins it, or None when ``hit`` is another place. A child named apart from
    a place an organ hangs from joins only with an organ of its own: ``深圳市委常委、坪山区委书记`` is 坪山区, while
    ``湖州市委书记在吴兴区调研`` stays 湖州市."""
    deeper = frozenset(c for c in hit.codes if any(_contains(a, c) for a in chain.codes))
    if deeper:
        if deeper.isdisjoint(chain.codes) and hit.start != chain.end and chain.organ and not hit.organ:
            return None
        return deeper
    shallower = frozenset(a for a in chain.codes if any(_contains(c, a) for c in hit.codes))
    return shallower or None


def _collapse(codes: frozenset[str]) -> str | None:
    """The one code, or the deepest level all candidates share; None when they share no province."""
    if len(codes) == 1:
        return next(iter(codes))
    if not codes:
        return None
    prefixes4 = {c[:4] for c in codes}
    if len(prefixes4) == 1:
        city = next(iter(prefixes4)) + "00"
        if _real_name(city):
            return city
    prefixes2 = {c[:2] for c in codes}
    if len(prefixes2) == 1:
        return next(iter(prefixes2)) + "0000"
    return None


def _analyse(text: str) -> tuple[str | None, frozenset[str]]:
    """(code, candidates) of one text: the code when it is sure of one, the candidates of the chosen place."""
    chains: list[_Chain] = []
    for hit in _hits(text):
        if hit.passing:
            continue
        if chains and (codes := _link(chains[-1], hit)) is not None:
            chains[-1].codes = codes
            chains[-1].organ = chains[-1].organ or hit.organ
            chains[-1].end = hit.end
        else:
            chains.append(_Chain(codes=hit.codes, organ=hit.organ, end=hit.end))
    if not chains:
        return None, frozenset()
    chosen = next((c for c in chains if c.organ), chains[0])
    return _collapse(chosen.codes), chosen.codes


def region_from_text(*texts: str | None) -> Region | None:
    """The speaker's region from texts given most specific first: the speaker's post, the organization, the title,
    the first paragraphs. The first text that yields a region decides; see the module docstring for the rules.
    Empty and None texts are skipped."""
    pending: list[frozenset[str]] = []
    for text in texts:
        if not text or not text.strip():
            continue
        code, candidates = _analyse(_normalise(text))
        if code is None:
            if len(candidates) > 1:
                pending.append(candidates)
            continue
        for earlier in pending:  # 朝阳区委书记 + 北京市… -> 北京市朝阳区
            inside = {c for c in earlier if _contains(code, c) and c != code}
            if len(inside) == 1:
                code = inside.pop()
                break
        return _make_region(code, "text")
    return None


# --------------------------------------------------------------------------------------------------------------
# The speaker's post: the level of division it heads


_POST_ROLE = re.compile(r"([省市州盟区县旗])委(?:常委)?副?书记|副?([省市州盟区县旗])长")
_POST_LEVEL = {"省": 0, "市": 1, "州": 1, "盟": 1, "区": 2, "县": 2, "旗": 2}


def post_level(post: str | None) -> int | None:
    """The level of the division a post heads, from its last role: 0 for 省长 / 省委书记, 1 for 市 / 州 / 盟, 2 for
    区 / 县 / 旗 (``深圳市委常委、坪山区委书记`` is 2); None for posts that name no such role (管委会主任, 局长).
    A 市 post may also head a county-level city (晋江市委书记): callers read 1 as "a city, perhaps county-level"."""
    if not post:
        return None
    roles = _POST_ROLE.findall(_normalise(post))
    if not roles:
        return None
    unit = next(u for u in roles[-1] if u)
    return _POST_LEVEL[unit]


def fit_to_post(region: Region | None, post: str | None, *evidence: str | None) -> Region | None:
    """``region`` made as specific as the speaker's post says it is.

    A region above the post's level (a provincial channel's 河南省 for a 市委书记, a SiteIDCode's city for a
    区委书记) is narrowed by the first text in ``evidence`` that names a place inside it at a deeper level; a
    district or county found for a 市 / 州 / 盟 post (the text's 柳江区 for a 市长) is widened to its city, since a
    mayor does not head a district. County-level cities (晋江市) stay."""
    level = post_level(post)
    if region is None or level is None:
        return region
    if _level(region.code) < level:
        for text in evidence:
            deeper = region_from_text(text)
            if deeper is not None and _level(deeper.code) > _level(region.code) and _contains(region.code, deeper.code):
                region = deeper
                break
    if level == 1 and _level(region.code) == 2 and (region.district or "").endswith(("区", "县", "旗")):
        parent = region.code[:2] + "0000" if region.code[:2] in _MUNICIPALITIES else region.code[:4] + "00"
        if _real_name(parent):
            region = _make_region(parent, region.source)
    return region


def region_from_mentions(text: str | None, level: int, min_count: int = 3) -> Region | None:
    """The one place at ``level`` that a body names again and again (``九江在全省…``, ``九江分厅``, ``九江发展``),
    for speeches whose header names no place (``市委书记在全市…大会上的讲话``). Short names count here without the
    context ``region_from_text`` asks for, so the place must come up at least ``min_count`` times, at least twice
    as often as any other place at that level, and never as a model or destination (``学习借鉴浙江经验``)."""
    if not text:
        return None
    text = _normalise(text)
    index = _index()
    longest: dict[int, str] = {}
    for last, key in index.automaton.iter(text):
        start = last - len(key) + 1
        if len(key) > len(longest.get(start, "")):
            longest[start] = key
    counts: dict[str, int] = {}
    covered = 0
    for start in sorted(longest):
        key = longest[start]
        end = start + len(key)
        if start < covered:
            continue
        covered = end
        if len(key) < 2 or _in_collocation(text, start, end):
            continue
        if _PASSING_BEFORE.search(text[max(0, start - 4) : start]) or _PASSING_AFTER.match(text, end):
            continue
        codes = {e.code for e in index.entries[key] if _level(e.code) == level and not _is_weak(key, e)}
        if len(codes) == 1:
            code = codes.pop()
            counts[code] = counts.get(code, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: item[1], reverse=True)
    if not ranked or ranked[0][1] < min_count or (len(ranked) > 1 and 2 * ranked[1][1] > ranked[0][1]):
        return None
    return _make_region(ranked[0][0], "text")
