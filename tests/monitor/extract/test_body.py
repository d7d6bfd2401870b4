"""Main block of a page and markup to lines."""

from monitor.extract.body import cjk_count, densest_block, first_text, main_block, node_lines, parse, select

SPEECH = [
    "同志们：",
    "今天，我们召开全区优化营商环境大会，主要任务是深入贯彻落实市委市政府关于优化营商环境的决策部署，总结去年工作，部署今年任务。",
    "一、深化“放管服”改革，提升政务服务效能",
    "我们要全面推进政务服务“一网通办”，推行告知承诺制和证照分离改革，确保今年6月底前实现企业开办一日办结，让市场主体少跑腿、好办事。",
    "二、落实惠企政策，构建亲清政商关系",
    "各部门要建立企业诉求快速响应机制，确保涉企问题件件有回应、事事有着落，让广大企业家安心发展、放心投资。",
    "同志们，营商环境只有更好，没有最好。让我们以更大的决心和力度，推动营商环境持续优化！",
]
SPEECH_HTML = "".join(f"<p>{p}</p>" for p in SPEECH)
NAV = '<div class="nav"><a href="/">首页</a><a href="/zwgk/">政务公开</a><a href="/zwfw/">政务服务</a></div>'
URL = "http://www.pingshan.gov.cn/zwgk/ldjh/content/post_1.html"


def page(body: str) -> str:
    return f"<html><head><title>领导讲话</title></head><body>{body}</body></html>"


def block(html: str, selector: str | None = None, min_chars: int = 200) -> tuple[list[str], str]:
    return main_block(parse(html), html, URL, selector, min_chars)


def test_speech_has_enough_characters_for_a_block():
    assert cjk_count(SPEECH) >= 200


# --- parse and lines ------------------------------------------------------------------------------------------------


def test_parse_drops_scripts_and_styles():
    tree = parse(
        page("<script>var 脚本 = 1;</script><style>p { color: red }</style><noscript>请启用脚本</noscript><p>正文</p>")
    )
    assert node_lines(tree) == ["领导讲话", "正文"]


def test_parse_of_empty_string_is_none():
    assert parse("") is None


def test_node_lines_one_line_per_block_and_br():
    tree = parse(page('<div id="c"><p>第一段</p>第二行<br>第三行<ul><li>列表一</li><li>列表二</li></ul></div>'))
    assert node_lines(select(tree, "#c")[0]) == ["第一段", "第二行", "第三行", "列表一", "列表二"]


def test_node_lines_keep_inline_elements_on_one_line():
    tree = parse(page('<p id="c">推进<span>“一网通办”</span>，实现<b>企业开办</b>一日办结</p>'))
    assert node_lines(select(tree, "#c")[0]) == ["推进“一网通办”，实现企业开办一日办结"]


def test_node_lines_normalise_ideographic_and_non_breaking_spaces():
    tree = parse(page('<p id="c">区委副书记、区长\u3000\u3000李建喆&nbsp;&nbsp;</p>'))
    assert node_lines(select(tree, "#c")[0]) == ["区委副书记、区长 李建喆"]


def test_cjk_count_counts_only_chinese_characters():
    assert cjk_count(["营商环境 2021", "GDP增长"]) == 6


def test_select_css_and_xpath():
    tree = parse(page('<div class="TRS_Editor">正文</div>'))
    assert select(tree, "div.TRS_Editor") == select(tree, "//div[@class='TRS_Editor']")
    assert len(select(tree, "div.TRS_Editor")) == 1


def test_select_bad_selector_is_empty():
    tree = parse(page("<p>正文</p>"))
    assert select(tree, "div[[[") == []
    assert select(tree, "//div[") == []


def test_first_text_skips_empty_nodes():
    tree = parse(page("<h2> </h2><h2>在全区优化营商环境大会上的讲话</h2>"))
    assert first_text(tree, "//h2") == "在全区优化营商环境大会上的讲话"
    assert first_text(tree, "//h1") == ""


# --- main block -----------------------------------------------------------------------------------------------------


def test_main_block_uses_site_selector():
    html = page(f'{NAV}<div class="article-body">{SPEECH_HTML}</div>')
    lines, method = block(html, "div.article-body")
    assert lines == SPEECH
    assert method == "selector div.article-body"


def test_main_block_falls_back_when_selector_finds_too_little():
    html = page(f'<div class="summary">摘要</div><div class="TRS_Editor">{SPEECH_HTML}</div>')
    lines, method = block(html, "div.summary")
    assert method == "container div.TRS_Editor"
    assert lines == SPEECH


def test_main_block_from_hanweb_markers():
    html = page(
        f'{NAV}<div class="article"><div class="title">讲话</div>'
        f'<!--ZJEG_RSS.content.begin--><meta name="ContentStart">{SPEECH_HTML}'
        '<meta name="ContentEnd"><!--ZJEG_RSS.content.end--><div class="bt-share">分享到：微信</div></div>'
    )
    lines, method = block(html)
    assert method == "ZJEG_RSS markers"
    assert lines == SPEECH


def test_main_block_prefers_the_trs_editor_container():
    info = '<div class="info">发布时间：2021-03-08</div>'
    html = page(f'{NAV}<div class="content">{info}<div class="TRS_Editor">{SPEECH_HTML}</div></div>')
    lines, method = block(html)
    assert method == "container div.TRS_Editor"
    assert lines == SPEECH


def test_main_block_takes_the_richest_of_several_containers():
    html = page(
        f'<div class="content">相关内容：在全市安全生产会议上的讲话</div><div class="content">{SPEECH_HTML}</div>'
    )
    lines, method = block(html)
    assert method == "container .content"
    assert lines == SPEECH


def test_main_block_densest_cell_of_a_table_layout():
    links = "".join(f'<a href="/l{i}.html">领导之窗栏目{i}</a><br>' for i in range(10))
    html = page(
        f'<table><tr><td class="left">{links}</td><td class="main"><table><tr><td>{"<br>".join(SPEECH)}</td></tr>'
        "</table></td></tr></table>"
    )
    lines, method = block(html)
    assert method == "densest <td>"
    assert lines == SPEECH


def test_main_block_falls_back_to_trafilatura_for_a_short_page():
    _, method = block(page("<p>页面正在维护，请稍后访问。</p>"))
    assert method == "trafilatura"


def test_densest_block_skips_link_navigation():
    links = "".join(f'<a href="/{i}.html">政务公开政务服务互动交流{i}</a>' for i in range(20))
    tree = parse(page(f'<div class="nav">{links}</div><div class="main"><div class="text">{SPEECH_HTML}</div></div>'))
    node = densest_block(tree)
    assert node.get("class") == "text"


def test_densest_block_of_a_page_without_text_is_none():
    assert densest_block(parse(page('<a href="/">首页</a><img src="a.png">'))) is None
