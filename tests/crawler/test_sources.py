"""The sources file: the shipped files load; every kind of mistake fails naming file, source and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.sources import (
    DEFAULT_SCHEDULE,
    DEFAULT_TIMEZONE,
    ListApi,
    SourcesError,
    load_sources,
    select_sources,
)
from tests.conftest import SAMPLE_SOURCES

EXAMPLE_SOURCES = Path(__file__).parents[2] / "sources.example.toml"

VALID = """\
[[source]]
name = "city"
kind = "gov"
start_urls = ["http://www.example.gov.cn/zwgk/ldjh/index.html"]
articles = ['/zwgk/ldjh/\\d{6}/t\\d{8}_\\d+\\.html$']
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def city_with(tmp_path: Path, extra: str) -> Path:
    """The valid source 'city' with one more line (a bad field)."""
    return write(tmp_path, VALID + extra + "\n")


def load_error(path: Path) -> str:
    with pytest.raises(SourcesError) as info:
        load_sources(path)
    return str(info.value)


def by_name(path: Path) -> dict:
    return {source.name: source for source in load_sources(path)}


# -- the shipped files ---------------------------------------------------------------------------------------


def test_sample_sources_load_all_four_sites():
    assert list(by_name(SAMPLE_SOURCES)) == ["pingshan-ldjh", "huzhou-ldjh", "gwfanwen", "fanwen365"]


def test_sample_allowed_domains_default_to_the_start_hosts():
    assert by_name(SAMPLE_SOURCES)["pingshan-ldjh"].allowed_domains == ("www.pingshan.gov.cn",)


def test_sample_list_api_is_parsed_with_default_max_pages():
    api = by_name(SAMPLE_SOURCES)["huzhou-ldjh"].list_api
    assert isinstance(api, ListApi)
    assert api.type == "hanweb_jpage"
    assert api.url.startswith("http://www.huzhou.gov.cn/module/web/jpage/dataproxy.jsp?page={page}&")
    assert api.max_pages == 50


def test_sample_patterns_are_compiled_regexes():
    source = by_name(SAMPLE_SOURCES)["pingshan-ldjh"]
    assert source.follow[0].search("http://www.pingshan.gov.cn/zwgk/ldjh/index_2.html")
    assert source.articles[0].search("http://www.pingshan.gov.cn/zwgk/ldjh/202008/t20200812_1234567.html")


def test_sample_schedule_given_timezone_enabled_and_max_pages_defaulted():
    source = by_name(SAMPLE_SOURCES)["fanwen365"]
    assert source.schedule == "45 7 * * *"
    assert source.timezone == DEFAULT_TIMEZONE == "Asia/Shanghai"
    assert source.enabled is True
    assert source.max_pages == 2000


def test_sample_selectors_are_kept():
    assert by_name(SAMPLE_SOURCES)["gwfanwen"].selectors == {"title": "h1"}


def test_example_sources_load():
    assert list(by_name(EXAMPLE_SOURCES)) == ["example-district-ldjh", "example-city-ldjh", "example-fanwen"]


def test_example_list_api_max_pages_is_read():
    assert by_name(EXAMPLE_SOURCES)["example-city-ldjh"].list_api.max_pages == 20


def test_example_template_site_fields():
    source = by_name(EXAMPLE_SOURCES)["example-fanwen"]
    assert source.kind == "template"
    assert source.max_pages == 50
    assert source.schedule == "30 8 * * 1"
    assert source.allowed_domains == ("www.example-fanwen.com",)


def test_minimal_source_gets_the_default_schedule_timezone_and_enabled(tmp_path):
    (source,) = load_sources(write(tmp_path, VALID))
    assert (source.schedule, source.timezone, source.enabled) == (DEFAULT_SCHEDULE, DEFAULT_TIMEZONE, True)
    assert source.list_api is None
    assert source.follow == ()


def test_explicit_allowed_domains_replace_the_default(tmp_path):
    path = city_with(tmp_path, 'allowed_domains = ["www.example.gov.cn", "static.example.gov.cn"]')
    assert load_sources(path)[0].allowed_domains == ("www.example.gov.cn", "static.example.gov.cn")


# -- errors inside a source: file, source, field ------------------------------------------------------------


def test_missing_name_is_reported_by_position(tmp_path):
    second = VALID.replace('name = "city"\n', "")
    path = write(tmp_path, VALID.replace('"city"', '"town"') + "\n" + second)
    message = load_error(path)
    assert str(path) in message
    assert "source #2" in message
    assert "field 'name'" in message


def test_missing_articles(tmp_path):
    path = write(tmp_path, VALID.replace("articles =", "# articles ="))
    message = load_error(path)
    assert f"{path}: source 'city': field 'articles'" in message


def test_kind_must_be_gov_or_template(tmp_path):
    path = write(tmp_path, VALID.replace('kind = "gov"', 'kind = "news"'))
    message = load_error(path)
    assert f"{path}: source 'city': field 'kind'" in message
    assert "'news'" in message


def test_start_urls_must_be_http(tmp_path):
    path = write(tmp_path, VALID.replace("http://www.example.gov.cn", "ftp://www.example.gov.cn"))
    message = load_error(path)
    assert f"{path}: source 'city': field 'start_urls'" in message
    assert "ftp://www.example.gov.cn" in message


def test_bad_regex_in_follow(tmp_path):
    message = load_error(path := city_with(tmp_path, "follow = ['([']"))
    assert f"{path}: source 'city': field 'follow': bad regex '(['" in message


def test_bad_cron_in_schedule(tmp_path):
    message = load_error(path := city_with(tmp_path, 'schedule = "0 6 * *"'))
    assert f"{path}: source 'city': field 'schedule'" in message
    assert "'0 6 * *'" in message


def test_unknown_timezone_is_rejected_naming_file_source_and_zone(tmp_path):
    message = load_error(path := city_with(tmp_path, 'timezone = "Mars/Olympus"'))
    assert f"{path}: source 'city'" in message
    assert "'Mars/Olympus'" in message


def test_unknown_timezone_names_the_timezone_field(tmp_path):
    message = load_error(city_with(tmp_path, 'timezone = "Mars/Olympus"'))
    assert "field 'timezone'" in message


def test_unknown_key_is_an_error_not_ignored(tmp_path):
    path = write(tmp_path, VALID.replace("articles =", "artciles ="))
    message = load_error(path)
    assert f"{path}: source 'city': unknown field(s) ['artciles']" in message


def test_enabled_must_be_a_boolean(tmp_path):
    message = load_error(path := city_with(tmp_path, 'enabled = "yes"'))
    assert f"{path}: source 'city': field 'enabled'" in message


def test_bad_css_selector(tmp_path):
    message = load_error(path := city_with(tmp_path, 'selectors = { body = "div[" }'))
    assert f"{path}: source 'city': field 'selectors.body': bad selector 'div['" in message


def test_bad_xpath_selector(tmp_path):
    message = load_error(path := city_with(tmp_path, 'selectors = { date = "//span[" }'))
    assert f"{path}: source 'city': field 'selectors.date': bad selector '//span['" in message


def test_list_api_url_needs_a_page_placeholder(tmp_path):
    line = 'list_api = { type = "hanweb_jpage", url = "http://www.example.gov.cn/dataproxy.jsp?page=1" }'
    message = load_error(path := city_with(tmp_path, line))
    assert f"{path}: source 'city': field 'list_api'" in message
    assert "{page}" in message


def test_list_api_max_pages_must_not_be_a_boolean(tmp_path):
    line = (
        'list_api = { type = "hanweb_jpage", url = "http://www.example.gov.cn/dataproxy.jsp?page={page}", '
        "max_pages = true }"
    )
    message = load_error(path := city_with(tmp_path, line))
    assert f"{path}: source 'city': field 'list_api'" in message


def test_duplicate_names(tmp_path):
    path = write(tmp_path, VALID + "\n" + VALID)
    message = load_error(path)
    assert f"{path}: source 'city': field 'name': duplicate name" in message


# -- errors of the whole file -------------------------------------------------------------------------------


def test_invalid_toml(tmp_path):
    path = write(tmp_path, VALID + "name = \n")
    message = load_error(path)
    assert message.startswith(f"{path}: not valid TOML")


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.toml"
    assert load_error(path) == f"{path}: file not found"


def test_file_without_source_tables(tmp_path):
    path = write(tmp_path, "# nothing here yet\n")
    assert load_error(path) == f"{path}: no [[source]] tables"


def test_single_bracket_source_table_is_refused(tmp_path):
    path = write(tmp_path, VALID.replace("[[source]]", "[source]"))
    assert load_error(path) == f"{path}: no [[source]] tables"


# -- select_sources ----------------------------------------------------------------------------------------


def two_sources_one_disabled(tmp_path: Path) -> list:
    off = VALID.replace('"city"', '"old-city"') + "enabled = false\n"
    return load_sources(write(tmp_path, VALID + "\n" + off))


def test_select_without_names_gives_enabled_sources_only(tmp_path):
    assert [s.name for s in select_sources(two_sources_one_disabled(tmp_path), [])] == ["city"]


def test_select_by_name_gives_a_disabled_source_too(tmp_path):
    assert [s.name for s in select_sources(two_sources_one_disabled(tmp_path), ["old-city"])] == ["old-city"]


def test_select_unknown_name_is_an_error_listing_known_names(tmp_path):
    with pytest.raises(SourcesError) as info:
        select_sources(two_sources_one_disabled(tmp_path), ["city", "vilage"])
    assert "['vilage']" in str(info.value)
    assert "['city', 'old-city']" in str(info.value)
