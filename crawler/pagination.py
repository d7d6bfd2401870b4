"""List-page discovery that is not in ``<a href>``: TRS page-count scripts and Hanweb jpage XML."""

from __future__ import annotations

import re
from urllib.parse import urljoin

TRS_CREATE_PAGE = re.compile(
    r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"]([^'\"]+)['\"]\s*,\s*['\"]([^'\"]+)['\"]"
)
TRS_COUNT_PAGE = re.compile(r"\bcountPage\s*=\s*['\"]?(\d+)")
JPAGE_TOTAL = re.compile(r"<totalpage>\s*(\d+)\s*</totalpage>", re.I)
HREF = re.compile(r"""href\s*=\s*["']([^"'<>\s]+)["']""", re.I)
MAX_SCRIPT_PAGES = 500


def trs_page_urls(page_url: str, html: str) -> list[str]:
    """The other pages of a TRS column: ``index_1.html`` … from ``createPageHTML(N, i, "index", "html")``.

    TRS writes the pager with JavaScript, so the page count exists only in the script call (or in
    ``countPage = N`` on some templates). Counts are capped at ``MAX_SCRIPT_PAGES``.
    """
    match = TRS_CREATE_PAGE.search(html)
    if match:
        count, name, ext = int(match.group(1)), match.group(3), match.group(4)
    else:
        match = TRS_COUNT_PAGE.search(html)
        if not match:
            return []
        count, name, ext = int(match.group(1)), "index", "html"
    count = min(count, MAX_SCRIPT_PAGES)
    pages = [f"{name}.{ext}"] + [f"{name}_{i}.{ext}" for i in range(1, count)]
    return [urljoin(page_url, page) for page in pages]


def jpage_total_pages(xml: str) -> int:
    """``<totalpage>`` of a Hanweb ``dataproxy.jsp`` answer (0 when missing)."""
    match = JPAGE_TOTAL.search(xml)
    return int(match.group(1)) if match else 0


def hrefs_in_markup(base_url: str, markup: str) -> list[str]:
    """Absolute URLs of every ``href`` in markup, CDATA included (the jpage XML wraps its list in CDATA)."""
    seen: dict[str, None] = {}
    for href in HREF.findall(markup):
        if href.lower().startswith(("javascript:", "mailto:", "#")):
            continue
        seen.setdefault(urljoin(base_url, href.replace("&amp;", "&")), None)
    return list(seen)
