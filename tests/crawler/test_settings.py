"""The crawler's polite defaults, as Scrapy loads them from the project (scrapy.cfg -> crawler.settings).

Telnet and remote control being off is checked in tests/faults/test_safety.py.
"""

from __future__ import annotations

import inspect

from scrapy.utils.project import get_project_settings

from crawler.spiders.source import SourceSpider


def test_polite_defaults():
    settings = get_project_settings()
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2
    assert settings.getbool("RETRY_ENABLED") and settings.getint("RETRY_TIMES") >= 1
    assert 500 in settings.getlist("RETRY_HTTP_CODES")
    assert settings.getint("DOWNLOAD_TIMEOUT") == 30
    assert settings.getint("DOWNLOAD_MAXSIZE") == 20 * 1024 * 1024


def test_the_spider_starts_with_an_async_start_method():
    assert inspect.isasyncgenfunction(SourceSpider.start)
    assert "start_requests" not in vars(SourceSpider)
