"""The sources file (TOML): the documented way to watch a site without writing code.

A bad file fails fast with one line naming the file, the source and the field.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_SCHEDULE = "0 6 * * *"
KINDS = ("gov", "template")
LIST_API_TYPES = ("hanweb_jpage",)
SELECTOR_KEYS = ("title", "body", "date")
SOURCE_KEYS = {
    "name",
    "kind",
    "start_urls",
    "allowed_domains",
    "follow",
    "articles",
    "list_api",
    "selectors",
    "encoding",
    "schedule",
    "timezone",
    "enabled",
    "max_pages",
    "allow_private",
    "description",
}
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
IPV4_LOOSE = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$")  # 127.1, 0x7f.1, 2130706433


class SourcesError(ValueError):
    """A problem in the sources file, already phrased for the user."""


@dataclass(frozen=True)
class ListApi:
    """A list served as XML by Hanweb's ``/module/web/jpage/dataproxy.jsp`` (``{page}`` in ``url``)."""

    type: str
    url: str
    max_pages: int = 50


@dataclass(frozen=True)
class Source:
    name: str
    kind: str
    start_urls: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    follow: tuple[re.Pattern, ...] = ()
    articles: tuple[re.Pattern, ...] = ()
    list_api: ListApi | None = None
    selectors: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    schedule: str = DEFAULT_SCHEDULE
    timezone: str = DEFAULT_TIMEZONE
    enabled: bool = True
    max_pages: int = 2000
    allow_private: bool = False
    description: str = ""

    def to_config(self) -> dict:
        """A JSON-able form, as stored in the ``sources`` table."""
        return {
            "name": self.name,
            "kind": self.kind,
            "start_urls": list(self.start_urls),
            "allowed_domains": list(self.allowed_domains),
            "follow": [p.pattern for p in self.follow],
            "articles": [p.pattern for p in self.articles],
            "list_api": None if self.list_api is None else vars(self.list_api),
            "selectors": dict(self.selectors),
            "encoding": self.encoding,
            "schedule": self.schedule,
            "timezone": self.timezone,
            "enabled": self.enabled,
            "max_pages": self.max_pages,
            "allow_private": self.allow_private,
        }


def load_sources(path: str | Path) -> list[Source]:
    """Parse and validate a sources file; raise :class:`SourcesError` naming file, source and field."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourcesError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise SourcesError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SourcesError(f"{path}: not valid TOML: {exc}") from None
    unknown_top = set(data) - {"source"}
    if unknown_top:
        raise SourcesError(f"{path}: unknown top-level key(s) {sorted(unknown_top)}; use [[source]] tables")
    entries = data.get("source", [])
    if not isinstance(entries, list) or not entries:
        raise SourcesError(f"{path}: no [[source]] tables")
    sources: list[Source] = []
    for index, entry in enumerate(entries, start=1):
        label = f"{path}: source #{index}"
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            label = f"{path}: source {entry['name']!r}"
        sources.append(_parse_source(entry, label))
    seen: set[str] = set()
    for source in sources:
        if source.name in seen:
            raise SourcesError(f"{path}: source {source.name!r}: field 'name': duplicate name")
        seen.add(source.name)
    return sources


def select_sources(sources: list[Source], names: list[str] | tuple[str, ...]) -> list[Source]:
    """The named sources (all enabled ones when no name is given); unknown names are an error."""
    if not names:
        return [s for s in sources if s.enabled]
    by_name = {s.name: s for s in sources}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise SourcesError(f"unknown source(s) {missing}; known: {sorted(by_name)}")
    return [by_name[n] for n in names]


def _parse_source(entry: object, label: str) -> Source:
    if not isinstance(entry, dict):
        raise SourcesError(f"{label}: must be a table")
    unknown = set(entry) - SOURCE_KEYS
    if unknown:
        raise SourcesError(f"{label}: unknown field(s) {sorted(unknown)}; allowed: {sorted(SOURCE_KEYS)}")

    def fail(field_name: str, problem: str) -> SourcesError:
        return SourcesError(f"{label}: field {field_name!r}: {problem}")

    name = _require(entry, "name", str, fail)
    if not NAME_PATTERN.match(name):
        raise fail("name", "use lowercase letters, digits, '-' or '_' (at most 64)")
    kind = _require(entry, "kind", str, fail)
    if kind not in KINDS:
        raise fail("kind", f"{kind!r} is not one of {list(KINDS)}")
    start_urls = _str_list(entry, "start_urls", fail, required=True)
    for url in start_urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise fail("start_urls", f"{url!r} is not an http(s) URL")
    default_domains = sorted({urlsplit(u).hostname or "" for u in start_urls})
    allowed_domains = _str_list(entry, "allowed_domains", fail) or default_domains
    follow = _patterns(entry, "follow", fail)
    articles = _patterns(entry, "articles", fail)
    list_api = _list_api(entry.get("list_api"), fail)
    if not articles:
        raise fail("articles", "give at least one regex for article URLs")
    selectors = entry.get("selectors", {})
    if not isinstance(selectors, dict) or not all(isinstance(v, str) for v in selectors.values()):
        raise fail("selectors", "must be a table of strings (title, body, date)")
    bad_keys = set(selectors) - set(SELECTOR_KEYS)
    if bad_keys:
        raise fail("selectors", f"unknown selector(s) {sorted(bad_keys)}; allowed: {list(SELECTOR_KEYS)}")
    for key, value in selectors.items():
        _check_selector(value, f"selectors.{key}", fail)
    encoding = entry.get("encoding")
    if encoding is not None:
        if not isinstance(encoding, str):
            raise fail("encoding", "must be a string such as 'gb18030'")
        import codecs

        try:
            codecs.lookup(encoding)
        except LookupError:
            raise fail("encoding", f"unknown encoding {encoding!r}") from None
    schedule = entry.get("schedule", DEFAULT_SCHEDULE)
    timezone = entry.get("timezone", DEFAULT_TIMEZONE)
    if not isinstance(timezone, str):
        raise fail("timezone", "must be a string such as 'Asia/Shanghai'")
    if not isinstance(schedule, str):
        raise fail("schedule", "must be a cron string such as '0 6 * * *'")
    _check_timezone(timezone, fail)
    _check_cron(schedule, timezone, fail)
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise fail("enabled", "must be true or false")
    max_pages = entry.get("max_pages", 2000)
    if not isinstance(max_pages, int) or isinstance(max_pages, bool) or max_pages < 1:
        raise fail("max_pages", "must be a positive integer")
    description = entry.get("description", "")
    if not isinstance(description, str):
        raise fail("description", "must be a string")
    allow_private = entry.get("allow_private", False)
    if not isinstance(allow_private, bool):
        raise fail("allow_private", "must be true or false")
    if not allow_private:
        targets = [("start_urls", url) for url in start_urls] + ([("list_api", list_api.url)] if list_api else [])
        for field_name, url in targets:
            if private_host(urlsplit(url).hostname):
                problem = f"{url!r} is a private, loopback or link-local address; set allow_private = true to crawl it"
                raise fail(field_name, problem)
    return Source(
        name=name,
        kind=kind,
        start_urls=tuple(start_urls),
        allowed_domains=tuple(allowed_domains),
        follow=tuple(follow),
        articles=tuple(articles),
        list_api=list_api,
        selectors=dict(selectors),
        encoding=encoding,
        schedule=schedule,
        timezone=timezone,
        enabled=enabled,
        max_pages=max_pages,
        allow_private=allow_private,
        description=description,
    )


def private_host(host: str | None) -> bool:
    """Whether a URL's host is an address a public page must not make us fetch (SSRF): loopback, private,
    link-local (169.254.169.254 is the cloud metadata service), shared, reserved, multicast or unspecified.

    Only literals are judged (IPv4 in any form ``inet_aton`` accepts, since ``127.1`` and ``2130706433`` connect
    to 127.0.0.1; IPv6, IPv4-mapped included) plus ``localhost`` names: other names are not resolved.
    """
    if not host:
        return False
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if not IPV4_LOOSE.match(host):
            return False
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def _require(entry: dict, key: str, type_: type, fail) -> object:
    if key not in entry:
        raise fail(key, "missing")
    value = entry[key]
    if not isinstance(value, type_) or (type_ is str and not value.strip()):
        raise fail(key, f"must be a non-empty {type_.__name__}, got {value!r}")
    return value


def _str_list(entry: dict, key: str, fail, *, required: bool = False) -> list[str]:
    value = entry.get(key)
    if value is None:
        if required:
            raise fail(key, "missing")
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise fail(key, "must be a list of strings")
    if required and not value:
        raise fail(key, "must not be empty")
    return value


def _patterns(entry: dict, key: str, fail) -> list[re.Pattern]:
    patterns = []
    for text in _str_list(entry, key, fail):
        try:
            patterns.append(re.compile(text))
        except re.error as exc:
            raise fail(key, f"bad regex {text!r}: {exc}") from None
    return patterns


def _list_api(value: object, fail) -> ListApi | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise fail("list_api", "must be a table with 'type' and 'url'")
    unknown = set(value) - {"type", "url", "max_pages"}
    if unknown:
        raise fail("list_api", f"unknown key(s) {sorted(unknown)}")
    api_type = value.get("type", "hanweb_jpage")
    if api_type not in LIST_API_TYPES:
        raise fail("list_api", f"type {api_type!r} is not one of {list(LIST_API_TYPES)}")
    url = value.get("url")
    if not isinstance(url, str) or "{page}" not in url or not url.startswith(("http://", "https://")):
        raise fail("list_api", "'url' must be an http(s) URL containing '{page}'")
    max_pages = value.get("max_pages", 50)
    if not isinstance(max_pages, int) or isinstance(max_pages, bool) or max_pages < 1:
        raise fail("list_api", "'max_pages' must be a positive integer")
    return ListApi(type=api_type, url=url, max_pages=max_pages)


def _check_selector(value: str, field_name: str, fail) -> None:
    from parsel import Selector

    probe = Selector(text="<html></html>")
    try:
        if value.startswith(("/", "(")):
            probe.xpath(value)
        else:
            probe.css(value)
    except Exception as exc:  # noqa: BLE001 - parsel raises several types for bad expressions
        raise fail(field_name, f"bad selector {value!r}: {exc}") from None


def _check_timezone(timezone: str, fail) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise fail("timezone", f"unknown time zone {timezone!r} (use an IANA name such as 'Asia/Shanghai')") from None


def _check_cron(expression: str, timezone: str, fail) -> None:
    try:
        parse_schedule(expression, timezone)
    except Exception as exc:  # noqa: BLE001 - APScheduler raises ValueError or zone errors
        problem = f"bad schedule {expression!r} (a cron 'minute hour day month weekday', or '@every 30m'): {exc}"
        raise fail("schedule", problem) from None


EVERY_PATTERN = re.compile(r"^@every\s+(\d+)\s*([smhd])$")
EVERY_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_schedule(expression: str, timezone: str = DEFAULT_TIMEZONE):
    """An APScheduler trigger: a 5-field cron in ``timezone``, or ``@every N{s,m,h,d}`` for a fixed interval."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    every = EVERY_PATTERN.match(expression.strip())
    if every:
        seconds = int(every.group(1)) * EVERY_UNITS[every.group(2)]
        if seconds < 1:
            raise ValueError("the interval must be at least one second")
        return IntervalTrigger(seconds=seconds, timezone=timezone)
    return CronTrigger.from_crontab(expression, timezone=timezone)
