"""How a crawl learns where its database, sources file and proxy are."""

from __future__ import annotations

import os

from scrapy.settings import BaseSettings

DEFAULT_SOURCES = "sources.toml"


def setting(settings: BaseSettings, name: str, default: str | None = None) -> str | None:
    """A ``SPEECHWATCH_*`` setting: ``-s NAME=…`` first, then the environment variable, then ``default``."""
    value = settings.get(name)
    if value in (None, ""):
        value = os.environ.get(name) or default
    return value
