"""Chrome learned per host: lines that recur on many pages of one site."""

from monitor.extract.chrome import SiteChrome, line_key, page_keys
from monitor.extract.options import ExtractOptions

BANNER = "欢迎访问深圳市坪山区人民政府门户网站"
SPEECH_LINE = "今天，我们召开全区优化营商环境大会，主要任务是总结去年工作，部署今年任务。"


def site_after(pages: list[list[str]]) -> SiteChrome:
    site = SiteChrome("www.pingshan.gov.cn")
    for lines in pages:
        site.learn(page_keys(lines))
    return site


def test_line_key_ignores_script_punctuation_and_width():
    assert line_key("持續優化營商環境！") == line_key("持续优化营商环境")


def test_line_key_differs_for_different_lines():
    assert line_key("首页") != line_key("政务公开")


def test_line_key_fits_a_signed_63_bit_column():
    key = line_key(SPEECH_LINE)
    assert 0 <= key < 2**63


def test_page_keys_count_a_repeated_line_once():
    assert page_keys([BANNER, BANNER]) == {line_key(BANNER)}


def test_page_keys_skip_empty_and_punctuation_only_lines():
    assert page_keys(["", "，，，", "——"]) == set()


def test_page_keys_skip_lines_over_max_length():
    long_line = "营" * 121
    assert page_keys([long_line]) == set()
    assert page_keys([long_line], ExtractOptions(chrome_max_line=200)) == {line_key(long_line)}


def test_learn_counts_pages_and_lines():
    site = site_after([[BANNER, "第一篇"], [BANNER, "第二篇"]])
    assert site.pages == 2
    assert site.counts[line_key(BANNER)] == 2
    assert site.counts[line_key("第一篇")] == 1


def test_line_on_every_page_is_chrome_once_min_pages_reached():
    site = site_after([[BANNER, f"第{i}篇正文"] for i in range(3)])
    assert site.is_chrome(BANNER)


def test_nothing_is_chrome_below_min_pages():
    site = site_after([[BANNER], [BANNER]])
    assert not site.is_chrome(BANNER)


def test_line_seen_on_too_few_pages_is_not_chrome():
    site = site_after([[BANNER, "政务公开"], [BANNER, "政务公开"], [BANNER], [BANNER], [BANNER]])
    assert site.counts[line_key("政务公开")] == 2
    assert not site.is_chrome("政务公开")


def test_line_below_min_share_is_not_chrome():
    pages = [[BANNER, "领导讲话"] if i < 3 else [BANNER] for i in range(10)]  # 3 of 10 pages: 30 %
    site = site_after(pages)
    assert not site.is_chrome("领导讲话")
    assert site.is_chrome("领导讲话", ExtractOptions(chrome_min_share=0.3))


def test_line_at_min_share_is_chrome():
    pages = [[BANNER, "领导讲话"] if i < 5 else [BANNER] for i in range(10)]  # 5 of 10 pages: 50 %
    assert site_after(pages).is_chrome("领导讲话")


def test_min_pages_option_is_honoured():
    site = site_after([[BANNER], [BANNER]])
    assert site.is_chrome(BANNER, ExtractOptions(chrome_min_pages=2))


def test_long_line_is_never_chrome():
    long_line = "营商环境" * 31  # 124 characters
    wide = ExtractOptions(chrome_max_line=200)
    site = SiteChrome("www.pingshan.gov.cn")
    for _ in range(5):
        site.learn(page_keys([long_line], wide))
    assert site.is_chrome(long_line, wide)
    assert not site.is_chrome(long_line)


def test_unseen_line_is_not_chrome():
    site = site_after([[BANNER]] * 5)
    assert not site.is_chrome(SPEECH_LINE)


def test_chrome_matches_a_variant_of_the_learned_line():
    site = site_after([[BANNER]] * 3)
    assert site.is_chrome("歡迎訪問深圳市坪山區人民政府門戶網站")


def test_chrome_checks_record_the_answers_an_extraction_relied_on():
    from monitor.extract.chrome import ChromeChecks, answers_hold

    site = site_after([[BANNER, "第一篇"], [BANNER, "第二篇"], [BANNER, "第三篇"]])
    checks = ChromeChecks(site)
    assert checks(BANNER) is True and checks("第四篇") is False
    assert checks("营" * 121) is False and len(checks.answers) == 2  # a long line depends on no statistics
    packed = checks.packed()
    assert answers_hold(packed, site)
    site.learn(page_keys(["第四篇"]))  # 1 page of 4: still not chrome, the banner 3 of 4 still is
    assert answers_hold(packed, site)
    for _ in range(3):
        site.learn(page_keys(["第四篇"]))
    assert not answers_hold(packed, site)  # 第四篇 is now on 4 of 7 pages: the extraction would differ
