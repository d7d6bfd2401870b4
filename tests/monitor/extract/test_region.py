"""Region of a speech from SiteIDCode and from text: real cpca data, no mocks."""

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.extract import region as region_mod
from monitor.extract.region import (
    Region,
    fit_to_post,
    post_level,
    region_from_mentions,
    region_from_site_id,
    region_from_text,
    region_name,
)

EXTRA_CSV = Path(region_mod.__file__).with_name("data") / "regions_extra.csv"


# --- examples from speaker posts and organizations -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("深圳市坪山区委副书记、区长", "440310"),
        ("湖州市委书记", "330500"),
        ("兰考县委书记", "410225"),
        ("大同经开区党工委书记", "140200"),
        ("苏州工业园区管委会主任", "320500"),
        ("成都市武侯区", "510107"),
        ("赣州市人民政府", "360700"),
        ("中共湖州市委", "330500"),
        ("深圳市委常委、坪山区委书记", "440310"),
        ("广东省委副书记、深圳市委书记", "440300"),
        ("浙江湖州", "330500"),
        ("吉林长春", "220100"),
        ("吉林省委书记", "220000"),
        ("恩施州委书记", "422800"),
        ("石柱县委书记", "500240"),
        ("上海市浦东新区", "310115"),
        ("重庆市忠县", "500233"),
        ("萧县县委书记", "341322"),
        ("阳泉市城区", "140302"),
        ("乾县县委", "610424"),  # t2s would turn 乾 into 干
    ],
)
def test_region_from_text_examples(text, code):
    region = region_from_text(text)
    assert region is not None, text
    assert region.code == code
    assert region.source == "text"


def test_region_fields_for_a_district():
    assert region_from_text("深圳市坪山区委副书记、区长") == Region(
        code="440310", province="广东省", city="深圳市", district="坪山区", source="text"
    )


def test_region_fields_for_a_city_and_a_province():
    huzhou = region_from_text("湖州市委书记")
    assert (huzhou.province, huzhou.city, huzhou.district) == ("浙江省", "湖州市", None)
    guangdong = region_from_text("广东省人民政府")
    assert (guangdong.code, guangdong.province, guangdong.city, guangdong.district) == (
        "440000",
        "广东省",
        None,
        None,
    )


def test_municipality_city_is_the_municipality():
    region = region_from_text("北京市朝阳区委书记")
    assert (region.code, region.province, region.city, region.district) == ("110105", "北京市", "北京市", "朝阳区")
    assert region.province_code == "110000"
    assert region.city_code == "110100"  # GB/T 2260: 市辖区


def test_traditional_script():
    assert region_from_text("深圳市坪山區").code == "440310"
    assert region_from_text("蘭考縣委書記").code == "410225"
    assert region_from_text("贛州市人民政府").code == "360700"


def test_line_break_inside_a_name():
    assert region_from_text("深圳市坪\n山区").code == "440310"


# --- masked names -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["X市X区", "XX区委书记", "**市委书记", "X市委书记、市长", "xx县人民政府", "××市××区"])
def test_masked_names_give_none(text):
    assert region_from_text(text) is None


def test_masked_lower_level_keeps_the_known_higher_level():
    assert region_from_text("广东省X市X区委书记").code == "440000"
    assert region_from_text("深圳市X区委书记").code == "440300"
    assert region_from_text("X市坪山区").code == "440310"  # the district name is unique


# --- passing mentions and ordinary words ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "学习借鉴浙江、广东等地经验",
        "对标北京、上海",
        "赴深圳考察学习",
        "深圳、东莞、惠州三市",
        "要学习深圳经验",
    ],
)
def test_passing_mentions_alone_give_none(text):
    assert region_from_text(text) is None


def test_passing_mention_does_not_win_over_the_speakers_place():
    assert region_from_text("湖州市委书记", "对标北京、上海").code == "330500"
    assert region_from_text("湖州市委书记在会上要求学习借鉴浙江、广东等地经验，对标北京").code == "330500"
    assert region_from_text("我们要对标北京、上海，湖州市委、市政府高度重视").code == "330500"


def test_first_text_that_yields_a_region_wins():
    assert region_from_text("湖州市委书记", "深圳市坪山区").code == "330500"
    assert region_from_text("区委副书记、区长", "深圳市坪山区人民政府").code == "440310"
    assert region_from_text(None, "", "  ", "赣州市人民政府").code == "360700"
    assert region_from_text() is None
    assert region_from_text(None, "") is None


def test_place_an_organ_hangs_from_wins_within_a_text():
    assert region_from_text("在杭州召开的会议上，湖州市委书记指出").code == "330500"
    # a child named apart from the organ's place does not make the speaker a district official
    assert region_from_text("湖州市委书记在吴兴区调研").code == "330500"


@pytest.mark.parametrize(
    "text",
    [
        "加强区域合作",  # cpca: 甘肃合作市
        "中心城区",  # cpca: 汕尾城区
        "幸福建设",  # cpca: 福建
        "隆重庆祝",  # cpca: 重庆
        "各位来宾",  # cpca: 来宾市
        "市委和县委",  # cpca: 和县
        "示范县",  # cpca: 范县
        "长治久安",  # cpca: 长治市
        "推动京津冀协同发展",
        "东方市场",
        "中原区域经济",
        "深化老城区改造",
        "祝大家幸福安康",
        "坚如磐石",
    ],
)
def test_ordinary_words_are_not_places(text):
    assert region_from_text(text) is None


def test_long_first_paragraph_without_the_speakers_place():
    paragraph = (
        "同志们：今天，我们召开全市优化营商环境大会，主要任务是深入贯彻落实党中央、国务院和省委、省政府决策部署。"
        "近年来，我市深入学习借鉴浙江、广东等地经验，对标北京、上海，营商环境持续改善。"
        "在中心城区推进一网通办。各位来宾，祝大家幸福安康！"
    )
    assert region_from_text(paragraph) is None
    assert region_from_text("在湖州市优化营商环境大会上的讲话", paragraph).code == "330500"


# --- ambiguous names --------------------------------------------------------------------------------------------


def test_ambiguous_district_needs_its_province_or_city():
    assert region_from_text("朝阳区委书记") is None
    assert region_from_text("北京市朝阳区").code == "110105"
    assert region_from_text("长春市朝阳区").code == "220104"
    assert region_from_text("吉林省朝阳区").code == "220104"
    assert region_from_text("通州区人民政府") is None  # Beijing and Nantong


def test_ambiguous_name_resolved_by_a_later_text():
    assert region_from_text("朝阳区委书记", "北京市人民政府").code == "110105"
    assert region_from_text("朝阳区委书记", "吉林省长春市").code == "220104"


def test_ambiguous_name_within_one_province_gives_the_province():
    assert region_from_text("桥东区委书记").code == "130000"  # 张家口, 邢台 (and an abolished one in 石家庄)
    assert region_from_text("鼓楼区人民政府") is None  # 南京, 徐州, 福州, 开封


# --- cpca's gaps: divisions created or renamed since its data ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("深圳市坪山区", "440310"),
        ("深圳市龙华区", "440309"),
        ("深圳市光明区委书记", "440311"),
        ("那曲市色尼区", "540602"),
        ("那曲市委", "540600"),
        ("辛集市委书记", "130181"),
        ("长春市公主岭市", "220184"),
        ("成都市郫都区", "510117"),
        ("大同市平城区", "140213"),
        ("邢台市襄都区", "130502"),
        ("邢台市桥东区", "130502"),  # the old name of 襄都区 is still recognised
        ("郫县县委", "510124"),  # old codes stay for old speeches
    ],
)
def test_supplementary_divisions(text, code):
    assert region_from_text(text).code == code


def test_supplementary_table_is_well_formed():
    text = EXTRA_CSV.read_text(encoding="utf-8")
    assert "GB/T 2260" in text and "民政部" in text
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    codes = {row["code"]: row["name"] for row in rows}
    assert {"440309": "龙华区", "440310": "坪山区", "440311": "光明区"}.items() <= codes.items()
    assert len(codes) == len(rows)
    for code, name in codes.items():
        assert len(code) == 6 and code.isdigit(), code
        assert name and name[-1] in "省市区县旗州盟", name
        assert region_name(code[:2] + "0000"), code
        assert region_name(code).endswith(name)


# --- SiteIDCode -------------------------------------------------------------------------------------------------


def test_site_id_district():
    assert region_from_site_id("4403100001") == Region(
        code="440310", province="广东省", city="深圳市", district="坪山区", source="site_id"
    )
    assert region_from_site_id(" 3305000001 ").code == "330500"


@pytest.mark.parametrize(
    "value", ["bm01000001", "BM01000001", "", None, "garbage", "440310000", "44031000012", "9900000001"]
)
def test_site_id_without_a_region(value):
    assert region_from_site_id(value) is None


def test_site_id_with_an_unknown_district_falls_back_to_its_city():
    region = region_from_site_id("4403990001")
    assert (region.code, region.city, region.district) == ("440300", "深圳市", None)


def test_site_id_of_a_municipality():
    region = region_from_site_id("1100000001")
    assert (region.code, region.province, region.city) == ("110000", "北京市", "北京市")


# --- names and codes --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("440310", "广东省深圳市坪山区"),
        ("440300", "广东省深圳市"),
        ("440000", "广东省"),
        ("110105", "北京市朝阳区"),
        ("110100", "北京市"),
        ("500233", "重庆市忠县"),
        ("419001", "河南省济源市"),
        ("441900", "广东省东莞市"),
        ("130502", "河北省邢台市襄都区"),
        ("540602", "西藏自治区那曲市色尼区"),
    ],
)
def test_region_name(code, name):
    assert region_name(code) == name


@pytest.mark.parametrize("code", ["440399", "999999", "", "4403", "44031a", "4403100001"])
def test_region_name_unknown(code):
    assert region_name(code) is None


@pytest.mark.parametrize(
    ("code", "province_code", "city_code"),
    [
        ("440310", "440000", "440300"),
        ("330500", "330000", "330500"),
        ("440000", "440000", "440000"),
        ("110105", "110000", "110100"),
        ("500233", "500000", "500200"),
        ("419001", "410000", "419000"),
    ],
)
def test_province_and_city_codes(code, province_code, city_code):
    region = Region(code=code, province=None, city=None, district=None, source="text")
    assert region.province_code == province_code
    assert region.city_code == city_code


def test_importing_the_module_loads_neither_cpca_nor_its_dependencies():
    script = (
        "import sys, monitor.extract.region as r; "
        "assert r.region_name('440310') == '广东省深圳市坪山区'; "
        "assert r.region_from_site_id('4403100001').district == '坪山区'; "
        "print(sorted(m for m in ('cpca', 'pandas', 'jieba', 'ahocorasick', 'opencc') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# --- the speaker's post fixes the level ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("post", "level"),
    [
        ("河北省人民政府副省长", 0),
        ("市委书记", 1),
        ("湖州市委副书记、市长", 1),
        ("大理州人民政府州长", 1),
        ("區委書記", 2),
        ("县委副书记、县长", 2),
        ("深圳市委常委、坪山区委书记", 2),
        ("管委会主任", None),
        ("市市场监管局局长", None),
        (None, None),
    ],
)
def test_post_level(post, level):
    assert post_level(post) == level


def test_a_coarse_region_is_narrowed_by_evidence_inside_it():
    province = region_from_text("河南省")
    assert fit_to_post(province, "市委书记", "2月10日，郑州市召开全市优化营商环境大会").code == "410100"
    city = region_from_site_id("3306210034")  # 绍兴县's old code, abolished in 2013: falls back to the city
    assert city.code == "330600"
    assert fit_to_post(city, "区委书记", "绍兴市柯桥区人民政府").code == "330603"
    # evidence outside the region, or no deeper, changes nothing
    assert fit_to_post(city, "区委书记", "杭州市西湖区人民政府", "绍兴市").code == "330600"


def test_a_district_found_for_a_mayor_is_widened_to_the_city():
    district = region_from_text("柳州市柳江区")
    assert district.code == "450206"
    assert fit_to_post(district, "市长").code == "450200"
    assert fit_to_post(district, "区长").code == "450206"
    assert fit_to_post(region_from_text("晋江市委书记"), "晋江市委书记").code == "350582"  # county-level city stays
    assert fit_to_post(region_from_text("天津市滨海新区"), "市长").code == "120000"
    assert fit_to_post(None, "市长") is None


def test_a_place_the_body_names_again_and_again():
    body = "今年以来，九江在全省营商环境评价中排名第4位。\n打造九江分厅。\n九江发展的金字招牌。"
    assert region_from_mentions(body, 1).code == "360400"
    assert region_from_mentions(body, 2) is None  # no county named
    assert region_from_mentions("九江在全省排名第4位，九江分厅", 1) is None  # twice is not enough
    # models and destinations do not count, nor does a place as often named as another
    assert region_from_mentions("学习借鉴深圳经验，对标深圳，向深圳看齐，九江", 1) is None
    assert region_from_mentions("九江、九江、九江与赣州、赣州、赣州", 1) is None
