"""The extractor on small but complete pages: TRS, Hanweb, a table layout, a template site, and garbage."""

import pytest

from monitor.extract.chrome import SiteChrome
from monitor.extract.core import EXTRACTOR_VERSION, Extraction, SiteProfile, analysis_values, bare_extract, extract

SPEECH = [
    "同志们：",
    "今天，我们召开全区优化营商环境大会，主要任务是深入贯彻落实市委市政府关于优化营商环境的决策部署，总结去年工作，部署今年任务。",
    "一、深化“放管服”改革，提升政务服务效能",
    "我们要全面推进政务服务“一网通办”，推行告知承诺制和证照分离改革，确保今年6月底前实现企业开办一日办结，让市场主体少跑腿、好办事。",
    "二、落实惠企政策，构建亲清政商关系",
    "各部门要建立企业诉求快速响应机制，确保涉企问题件件有回应、事事有着落，让广大企业家安心发展、放心投资。",
    "同志们，营商环境只有更好，没有最好。让我们以更大的决心和力度，推动营商环境持续优化！",
]
SPEECH_TEXT = "\n".join(SPEECH)


def paras(lines: list[str]) -> str:
    return "\n".join(f"<p>{line}</p>" for line in lines)


def simple_page(title: str, lines: list[str], container: str = "div class='content'") -> str:
    tag = container.split()[0]
    return f"<html><head><title>{title}</title></head><body><{container}>{paras(lines)}</{tag}></body></html>"


TRS_URL = "http://www.pingshan.gov.cn/zwgk/ldjh/content/post_8812.html"
TRS_PAGE = f"""<!DOCTYPE html>
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />
<title>持续优化营商环境 奋力打造一流营商环境高地-深圳市坪山区人民政府门户网站</title>
<meta name="SiteName" content="深圳市坪山区人民政府门户网站">
<meta name="SiteIDCode" content="4403100001">
<meta name="ArticleTitle" content="持续优化营商环境 奋力打造一流营商环境高地">
<meta name="PubDate" content="2021-03-08 10:30">
<meta name="ContentSource" content="坪山区人民政府办公室">
</head><body>
<div class="nav"><a href="/">首页</a><a href="/zwgk/">政务公开</a><a href="/zwfw/">政务服务</a></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 领导讲话</div>
<div class="article">
<h1 class="title">持续优化营商环境 奋力打造一流营商环境高地</h1>
<div class="info">发布时间：2021-03-08 10:30:11　来源：坪山区人民政府办公室
　【字体：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a>】　<a href="#">打印</a>　<a href="#">关闭</a></div>
<div class="content"><div class="TRS_Editor">
<p>持续优化营商环境 奋力打造一流营商环境高地</p>
<p>——在全区优化营商环境大会上的讲话</p>
<p>区委副书记、区长　李建喆</p>
<p>（2021年3月5日）</p>
{paras(SPEECH)}
</div></div>
<div class="qrcode">扫一扫在手机打开当前页</div>
<div class="prevnext">下一篇：<a href="/a/2.html">关于做好春季安全生产工作的通知</a></div>
</div>
<div class="footer"><p>主办：深圳市坪山区人民政府办公室</p><p>网站标识码：4403100001　粤ICP备05078823号</p></div>
</body></html>"""

REPORT = [
    "3月12日，全市优化营商环境推进会召开。市委书记陆承远出席会议并讲话，市长周振华主持会议。",
    "陆承远强调，营商环境就是生产力，全市上下要坚持问题导向，持续深化“最多跑一次”改革，推动政务服务增值化，让市场主体有更多获得感。",
    "他指出，要聚焦企业全生命周期，推进涉企事项一件事集成改革，加快构建亲清政商关系，切实为企业排忧解难，打造营商环境最优市。",
    "会议要求，各地各部门要压实工作责任，细化任务清单，确保各项改革举措落地见效，以一流营商环境推动高质量发展。",
    "会上，各区县和市直有关部门主要负责同志作了表态发言。",
]
HANWEB_URL = "http://www.huzhou.gov.cn/art/2022/3/12/art_1229213526_59012345.html"
HANWEB_PAGE = f"""<!DOCTYPE html>
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>全市优化营商环境推进会召开</title>
<meta name="SiteName" content="湖州市人民政府">
<meta name="SiteIDCode" content="3305000001">
<meta name="ArticleTitle" content="全市优化营商环境推进会召开">
<meta name="PubDate" content="2022-03-12 16:02">
</head><body>
<div class="header"><a href="/">首页</a> <a href="/col/1.html">政务公开</a></div>
<div class="bt-position">您当前的位置：<a href="/">首页</a> &gt; <a href="/col/2.html">领导活动</a></div>
<div class="article">
<div class="title">全市优化营商环境推进会召开</div>
<div class="bt-info"><span>信息来源：湖州日报</span><span>发布日期：2022-03-12</span><span>浏览次数：</span></div>
<div id="zoom">
<!--ZJEG_RSS.content.begin--><meta name="ContentStart">
{paras(REPORT)}
<meta name="ContentEnd"><!--ZJEG_RSS.content.end-->
</div>
<div class="bt-share">分享到：<a href="#">微信</a> <a href="#">微博</a></div>
</div>
<div class="footer"><p>主办单位：湖州市人民政府办公室　网站标识码：3305000001　浙ICP备05001234号</p></div>
</body></html>"""

TABLE_URL = "http://www.example-county.gov.cn/ldzc/2020/0815.htm"
TABLE_PAGE = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>在全县优化营商环境工作会议上的讲话</title></head>
<body>
<table width="100%"><tr><td><a href="/">首页</a> | <a href="/xw/">新闻中心</a> |
<a href="/zw/">政务公开</a></td></tr></table>
<table width="960">
<tr><td class="left"><a href="/ld/">领导之窗</a><br><a href="/jh/">讲话</a></td>
<td class="main">
<table>
<tr><td align="center"><b>在全县优化营商环境工作会议上的讲话</b></td></tr>
<tr><td align="center">县委书记　刘洋</td></tr>
<tr><td align="center">（2020年8月）</td></tr>
<tr><td>{"<br>".join(SPEECH)}</td></tr>
</table>
</td></tr></table>
<table><tr><td>版权所有：县人民政府办公室　技术支持：县大数据中心</td></tr></table>
</body></html>"""

PROMO_TITLE = "关注公众号【公文大大】获取更多公文材料!如需公文代写加微信:1795297329树立“三对”“六最”服务理念"
TEMPLATE_URL = "http://www.gwfanwen.com/index/article/detail/id/3301.html"
TEMPLATE_PAGE = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>20211025:区长在全区优化营商环境大会上的讲话稿_公文范文网</title></head>
<body>
<div class="top">公文范文网：www.gwfanwen.com <a href="/login">登录</a> <a href="/reg">注册</a>
<a href="/vip">开通会员</a></div>
<div class="crumb"><a href="/">首页</a> &gt; <a href="/jh/">讲话稿</a> &gt; 正文</div>
<div class="detail">
<h1>20211025:区长在全区优化营商环境大会上的讲话稿</h1>
<div class="meta"><span>2021-10-25</span> <span class="views">1234人阅读</span></div>
<div class="content">
<p>{PROMO_TITLE}</p>
<p>——在全区优化营商环境大会上的讲话</p>
{paras(SPEECH[:4])}
<p>……省略416字,正式会员可完整阅读……</p>
<p>{SPEECH[5]}</p>
<p>(未完,全文共2010字,当前显示249字)</p>
<p>这一段在付费墙之后，不应出现在正文中。</p>
</div>
<div class="related"><h3>相关内容</h3><ul><li><a href="/1.html">在全市安全生产会议上的讲话</a></li></ul></div>
</div>
<div class="footer">Copyright © 2018-2025 公文范文网 版权所有 豫ICP备18023456号-1</div>
</body></html>"""


# --- TRS page -------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trs():
    return extract(TRS_PAGE, TRS_URL)


def test_trs_text_is_the_speech_without_header_and_chrome(trs):
    assert trs.text == SPEECH_TEXT


def test_trs_titles(trs):
    assert trs.title == "持续优化营商环境 奋力打造一流营商环境高地"
    assert trs.page_title == "持续优化营商环境 奋力打造一流营商环境高地"


def test_trs_speaker(trs):
    assert (trs.speaker, trs.speaker_post) == ("李建喆", "区委副书记、区长")


def test_trs_dates(trs):
    assert (trs.speech_date, trs.speech_date_precision) == ("2021-03-05", "day")
    assert trs.published_at == "2021-03-08"


def test_trs_classification(trs):
    assert (trs.doc_type, trs.topic, trs.truncated) == ("speech", "bizenv", False)
    assert trs.occasion == "全区优化营商环境大会"


def test_trs_region_and_organization(trs):
    assert trs.region_code == "440310"
    assert trs.organization == "广东省深圳市坪山区人民政府"


def test_trs_block_found_by_container():
    _, debug = bare_extract(TRS_PAGE, TRS_URL)
    assert debug.method == "container div.TRS_Editor"
    assert debug.header_lines == ["——在全区优化营商环境大会上的讲话", "区委副书记、区长 李建喆", "（2021年3月5日）"]


def test_xhtml_page_with_xml_declaration_is_extracted():
    result = extract('<?xml version="1.0" encoding="gb2312"?>\n' + TRS_PAGE, TRS_URL)
    assert result.text == SPEECH_TEXT


# --- Hanweb page ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hanweb():
    return bare_extract(HANWEB_PAGE, HANWEB_URL)


def test_hanweb_block_found_by_markers(hanweb):
    assert hanweb[1].method == "ZJEG_RSS markers"


def test_hanweb_text_is_the_report(hanweb):
    assert hanweb[0].text == "\n".join(REPORT)


def test_hanweb_titles(hanweb):
    result = hanweb[0]
    assert result.title == result.page_title == "全市优化营商环境推进会召开"


def test_hanweb_report_speaker(hanweb):
    assert (hanweb[0].speaker, hanweb[0].speaker_post) == ("陆承远", "市委书记")


def test_hanweb_report_date_from_text(hanweb):
    result = hanweb[0]
    assert (result.speech_date, result.speech_date_precision) == ("2022-03-12", "day")
    assert result.published_at == "2022-03-12"


def test_hanweb_classification(hanweb):
    result = hanweb[0]
    assert (result.doc_type, result.topic, result.truncated) == ("speech_report", "bizenv", False)
    assert result.region_code == "330500"


# --- table layout ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def table():
    return bare_extract(TABLE_PAGE, TABLE_URL)


def test_table_block_is_the_densest_cell(table):
    assert table[1].method == "densest <td>"


def test_table_text(table):
    assert table[0].text == SPEECH_TEXT


def test_table_title_from_page_title(table):
    assert table[0].title == table[0].page_title == "在全县优化营商环境工作会议上的讲话"


def test_table_header_from_cells_before_the_body(table):
    result = table[0]
    assert (result.speaker, result.speaker_post) == ("刘洋", "县委书记")
    assert (result.speech_date, result.speech_date_precision) == ("2020-08", "month")


def test_table_classification(table):
    result = table[0]
    assert (result.doc_type, result.truncated, result.occasion) == ("speech", False, "全县优化营商环境工作会议")


# --- template page with promotion and truncation --------------------------------------------------------------------


@pytest.fixture(scope="module")
def template():
    return extract(TEMPLATE_PAGE, TEMPLATE_URL)


def test_template_title_survives_glued_promotion(template):
    assert template.title == "树立“三对”“六最”服务理念"


def test_template_page_title_is_the_headline(template):
    assert template.page_title == "20211025:区长在全区优化营商环境大会上的讲话稿"


def test_template_text_skips_mid_cut_and_stops_at_end_marker(template):
    assert template.text == "\n".join([*SPEECH[:4], SPEECH[5]])
    assert "付费墙之后" not in template.text
    assert "公众号" not in template.text


def test_template_truncated_at_the_end_marker(template):
    assert template.truncated is True
    assert template.truncation_marker == "(未完,全文共2010字,当前显示249字)"


def test_template_speech_without_byline(template):
    assert template.speaker is None
    assert template.speech_date is None
    assert template.published_at == "2021-10-25"
    assert (template.doc_type, template.topic) == ("speech", "bizenv")


def test_template_speaker_post_from_date_prefixed_title():
    html = simple_page("20211025:区长在全区优化营商环境大会上的讲话稿", SPEECH)
    result = extract(html, TEMPLATE_URL)
    assert result.title == "区长在全区优化营商环境大会上的讲话稿"
    assert result.speaker_post == "区长"


def test_speaker_post_from_title_without_prefix():
    html = simple_page("区长在全区优化营商环境大会上的讲话稿", SPEECH)
    result = extract(html, TEMPLATE_URL)
    assert (result.speaker, result.speaker_post) == (None, "区长")


# --- other page shapes ----------------------------------------------------------------------------------------------


def test_paywall_after_the_block_marks_truncation():
    html = f"""<html><head><title>在全区优化营商环境大会上的讲话</title></head><body>
<div class="content">{paras(SPEECH)}</div><div class="mask">剩余85%内容</div><div>打开App阅读全文</div></body></html>"""
    result = extract(html, TEMPLATE_URL)
    assert result.text == SPEECH_TEXT
    assert (result.truncated, result.truncation_marker) == (True, "剩余85%内容")


def test_traditional_masked_speech():
    lines = [
        "持續優化營商環境",
        "——在全市優化營商環境大會上的講話",
        "X市委書記 XXX",
        "同志們：",
        "今天，我們召開全市優化營商環境大會，主要任務是深入貫徹落實關於優化營商環境的決策部署，總結去年工作，部署今年任務。",
        "我們要全面推進政務服務“一網通辦”，推行告知承諾制和證照分離改革，確保今年6月底前實現企業開辦一日辦結，讓市場主體少跑腿、好辦事。",
        "各部門要建立企業訴求快速響應機制，確保涉企問題件件有回應、事事有著落，讓廣大企業家安心發展、放心投資。",
    ]
    html = simple_page("持續優化營商環境", lines)
    result = extract(html, "http://www.fanwen365.net/a/1.html")
    assert result.script == "traditional"
    assert result.masked is True
    assert result.speaker is None  # XXX is a mask, not a name
    assert result.speaker_post == "X市委書記"
    assert result.text.startswith("同志們：")


def test_site_selectors_for_title_and_date():
    html = f"""<html><head><title>领导讲话</title></head><body><div class="bt">在全区优化营商环境大会上的讲话</div>
<div class="when">2021年3月8日</div><div class="zw">{paras(SPEECH)}</div></body></html>"""
    site = SiteProfile(host="www.example.gov.cn", selectors={"title": "div.bt", "body": "div.zw", "date": "div.when"})
    result = extract(html, "http://www.example.gov.cn/a.html", site)
    assert result.page_title == "在全区优化营商环境大会上的讲话"
    assert result.published_at == "2021-03-08"
    assert result.text == SPEECH_TEXT


def test_learned_chrome_is_removed_from_the_body():
    banner = "欢迎访问县人民政府门户网站"
    url = "http://www.example.gov.cn/a.html"
    chrome = SiteChrome("www.example.gov.cn")
    for other in ("第一篇文章的正文内容", "第二篇文章的正文内容", "第三篇文章的正文内容"):
        html = simple_page("讲话", [banner, other])
        chrome.learn(extract(html, url).chrome_keys)
    html = simple_page("讲话", [banner, *SPEECH])
    assert extract(html, url).text.startswith(banner)
    result = extract(html, url, SiteProfile(host="www.example.gov.cn", chrome=chrome))
    assert result.text == SPEECH_TEXT


def test_notice_page():
    lines = [
        "各区县人民政府，市直各单位：",
        "为深入推进营商环境优化提升，经市政府同意，定于2023年8月18日召开全市优化营商环境大会，现将有关事项通知如下：",
        "一、会议时间：2023年8月18日上午9时，会期半天。",
        "二、参会人员：各区县政府分管负责同志，市直有关单位主要负责同志。请各单位于8月16日前报送参会人员名单。",
        "三、会议要求：请参会人员提前十五分钟入场，会议期间将手机调至静音状态，不得请人代会。",
        "特此通知。",
        "湖州市人民政府办公室",
        "2023年8月14日",
    ]
    html = simple_page("关于召开全市优化营商环境大会的通知", lines, "div id='zoom'")
    result = extract(html, HANWEB_URL)
    assert result.doc_type == "notice"
    assert (result.speech_date, result.speech_date_precision) == ("2023-08-14", "day")
    assert result.occasion == "全市优化营商环境大会"


# --- the result type ------------------------------------------------------------------------------------------------


def test_to_dict_leaves_out_internal_fields(trs):
    data = trs.to_dict()
    assert "chrome_keys" not in data and "match_text" not in data
    assert data["speaker"] == "李建喆"


def test_match_text_and_chrome_keys_filled(trs):
    assert trs.match_text.startswith("同志们今天我们召开")
    assert trs.chrome_keys


def test_analysis_values(trs):
    values = analysis_values(trs)
    assert values["extractor_version"] == EXTRACTOR_VERSION
    assert values["doc_type"] == "speech"
    assert "text" not in values


# --- garbage --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   \n\t",
        "<<<>>>",
        "营商环境是生产力" * 25_000,  # 200 KB on one line, no markup
        "<p>" + "营商环境，" * 40_000 + "</p>",  # 200 KB in one paragraph
        "\x00\x01\x02\x7f\ufffd\ufffe\x89PNG" * 2_000,
        "</html><body><p>",
        "<html></html>",
    ],
    ids=["empty", "blank", "brackets", "one-line-200k", "one-paragraph-200k", "binary", "broken", "empty-html"],
)
def test_extract_never_raises_on_garbage(html):
    result = extract(html, "http://www.example.com/a.html")
    assert isinstance(result, Extraction)
    assert isinstance(result.text, str)
