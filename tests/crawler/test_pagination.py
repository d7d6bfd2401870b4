"""List-page discovery outside <a href>: TRS pager scripts and Hanweb jpage XML."""

from __future__ import annotations

from crawler.pagination import MAX_SCRIPT_PAGES, hrefs_in_markup, jpage_total_pages, trs_page_urls

COLUMN = "http://www.pingshan.gov.cn/zwgk/ldjh/"
PAGER_SCRIPT = """\
<div class="page"><script type="text/javascript">
//<![CDATA[
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  for(var i=1; i<_nPageCount; i++){
    document.write("<a href=\\"" + _sPageName + "_" + i + "." + _sPageExt + "\\">" + (i+1) + "</a> ");
  }
}
createPageHTML(3, 0, "index", "html");
//]]>
</script></div>
"""
THREE_PAGES = [f"{COLUMN}index.html", f"{COLUMN}index_1.html", f"{COLUMN}index_2.html"]


# -- TRS ----------------------------------------------------------------------------------------------------


def test_create_page_html_on_the_first_page_lists_all_pages():
    assert trs_page_urls(f"{COLUMN}index.html", PAGER_SCRIPT) == THREE_PAGES


def test_create_page_html_on_a_later_page_resolves_to_the_same_pages():
    assert trs_page_urls(f"{COLUMN}index_2.html", PAGER_SCRIPT) == THREE_PAGES


def test_create_page_html_with_quoted_count_and_other_page_name():
    html = "<script>createPageHTML('2', '0', 'list', 'shtml');</script>"
    assert trs_page_urls(f"{COLUMN}list.shtml", html) == [f"{COLUMN}list.shtml", f"{COLUMN}list_1.shtml"]


def test_count_page_form():
    html = "<script>var countPage = 4//共多少页\nvar currentPage = 0;</script>"
    assert trs_page_urls(f"{COLUMN}index.html", html) == [
        f"{COLUMN}index.html",
        f"{COLUMN}index_1.html",
        f"{COLUMN}index_2.html",
        f"{COLUMN}index_3.html",
    ]


def test_page_without_pager_script_gives_nothing():
    html = '<html><body><a href="index_1.html">下一页</a></body></html>'
    assert trs_page_urls(f"{COLUMN}index.html", html) == []


def test_huge_page_count_is_capped():
    urls = trs_page_urls(f"{COLUMN}index.html", 'createPageHTML(987654, 0, "index", "html");')
    assert len(urls) == MAX_SCRIPT_PAGES
    assert urls[-1] == f"{COLUMN}index_{MAX_SCRIPT_PAGES - 1}.html"


# -- Hanweb jpage -------------------------------------------------------------------------------------------

JPAGE = "http://www.huzhou.gov.cn/module/web/jpage/dataproxy.jsp?page=1&webid=1&columnid=1229213526"
JPAGE_XML = """\
<?xml version="1.0" encoding="UTF-8"?>
<datastore>
<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=2&amp;webid=1"></a>]]></nextgroup>
<recordset>
<record><![CDATA[<li><a href="/art/2021/10/25/art_1229213526_1.html" target="_blank">讲话</a></li>]]></record>
<record><![CDATA[<li><a href='/art/2021/9/3/art_1229213526_2.html'>讲话</a></li>]]></record>
</recordset>
<totalrecord>30</totalrecord><totalpage>2</totalpage><perpage>15</perpage>
</datastore>
"""


def test_jpage_total_pages_read_from_xml():
    assert jpage_total_pages(JPAGE_XML) == 2


def test_jpage_total_pages_tolerates_case_and_spaces():
    assert jpage_total_pages("<TotalPage> 7 </TotalPage>") == 7


def test_jpage_total_pages_missing_is_zero():
    assert jpage_total_pages("<datastore><recordset></recordset></datastore>") == 0


def test_hrefs_in_cdata_records_are_found_and_made_absolute():
    assert hrefs_in_markup(JPAGE, JPAGE_XML) == [
        "http://www.huzhou.gov.cn/module/web/jpage/dataproxy.jsp?page=2&webid=1",
        "http://www.huzhou.gov.cn/art/2021/10/25/art_1229213526_1.html",
        "http://www.huzhou.gov.cn/art/2021/9/3/art_1229213526_2.html",
    ]


def test_amp_entities_in_hrefs_are_unescaped():
    markup = '<a href="list.jsp?a=1&amp;b=2&amp;c=3">x</a>'
    assert hrefs_in_markup("http://www.example.gov.cn/col/", markup) == [
        "http://www.example.gov.cn/col/list.jsp?a=1&b=2&c=3"
    ]


def test_javascript_mailto_and_fragment_links_are_dropped():
    markup = (
        '<a href="javascript:void(0)">打印</a><a href="mailto:zwgk@example.gov.cn">信箱</a>'
        '<a href="#top">顶部</a><a href="/t1.html">正文</a>'
    )
    assert hrefs_in_markup("http://www.example.gov.cn/", markup) == ["http://www.example.gov.cn/t1.html"]


def test_duplicates_are_removed_keeping_first_order():
    markup = '<a href="/b.html">b</a><a href="/a.html">a</a><a href="/b.html">b again</a><a href="a.html">a</a>'
    assert hrefs_in_markup("http://www.example.gov.cn/", markup) == [
        "http://www.example.gov.cn/b.html",
        "http://www.example.gov.cn/a.html",
    ]


def test_pager_script_document_write_is_not_taken_for_a_link():
    assert hrefs_in_markup(f"{COLUMN}index.html", PAGER_SCRIPT) == []
