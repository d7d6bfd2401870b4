"""First-cut extraction of title, date and body text from a stored page: pure, no Scrapy, no database.

Order of evidence: the source's own selectors, then the government-website guideline meta tags
(``ArticleTitle``, ``PubDate``), then known CMS body containers (TRS ``div.TRS_Editor``, Hanweb's
``ZJEG_RSS`` markers / ``#zoom``), then trafilatura's main-content detection.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import lxml.html
from lxml import etree

log = logging.getLogger(__name__)

BODY_CONTAINERS = (
    "div.TRS_Editor",
    "#zoom",
    "div.pages_content",
    "#ivs_content",
    ".my_doccontent",
    "#Content",
)
HANWEB_BODY = re.compile(r"<!--ZJEG_RSS\.content\.begin-->(.*?)<!--ZJEG_RSS\.content\.end-->", re.S)
BLOCK_TAGS = ("p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "table", "ul")
DATE_IN_PAGE = re.compile(
    r"(?:发布时间|发布日期|日期|时间|時間)[：:]\s*(\d{4}-\d{1,2}-\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?)"
)
GUIDELINE_META = re.compile(
    r"<meta\s+(?:name=[\"'](?P<n1>\w+)[\"']\s+content=[\"'](?P<c1>[^\"']*)[\"']|"
    r"content=[\"'](?P<c2>[^\"']*)[\"']\s+name=[\"'](?P<n2>\w+)[\"'])",
    re.I,
)


@dataclass
class ExtractedPage:
    title: str | None
    page_title: str | None
    published_at: str | None
    text: str


def guideline_meta(html: str) -> dict[str, str]:
    """The guideline meta tags, whichever attribute comes first (real pages put ``content`` first)."""
    found: dict[str, str] = {}
    for match in GUIDELINE_META.finditer(html):
        name = match.group("n1") or match.group("n2")
        content = match.group("c1") if match.group("n1") else match.group("c2")
        found.setdefault(name, content.strip())
    return found


def extract_page(html: str, url: str, selectors: dict[str, str] | None = None) -> ExtractedPage:
    """Title, page title, publication date and body text of one page."""
    selectors = selectors or {}
    if not html.strip():
        return ExtractedPage(None, None, None, "")
    try:
        tree = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        log.warning("unparseable HTML at %s: %s", url, exc)
        return ExtractedPage(None, None, None, "")
    for bad in tree.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    meta = guideline_meta(html)
    page_title = _first_text(tree, "//title") or None
    title = (
        _select_text(tree, selectors.get("title"))
        or meta.get("ArticleTitle")
        or _first_text(tree, "//h1")
        or page_title
    )
    published = _select_text(tree, selectors.get("date")) or meta.get("PubDate") or _date_in_page(tree)
    text = _body_text(tree, html, url, selectors.get("body"))
    return ExtractedPage(title=title or None, page_title=page_title, published_at=published or None, text=text)


def node_text(node: etree._Element) -> str:
    """Text of an element with one line per block element or ``<br>``, blank lines dropped."""
    node = _copy(node)
    for element in node.iter("br"):
        element.tail = "\n" + (element.tail or "")
    for element in node.iter(*BLOCK_TAGS):
        element.tail = "\n" + (element.tail or "")
        element.text = "\n" + (element.text or "")
    lines = (line.strip().replace("\u3000", " ").strip() for line in node.text_content().split("\n"))
    return "\n".join(line for line in lines if line)


def _copy(node: etree._Element) -> etree._Element:
    return lxml.html.fromstring(lxml.html.tostring(node, encoding="unicode"))


def _body_text(tree: etree._Element, html: str, url: str, selector: str | None) -> str:
    if selector:
        nodes = _select(tree, selector)
        if nodes:
            return "\n".join(node_text(n) for n in nodes)
        log.info("body selector %r matched nothing at %s; falling back", selector, url)
    marked = HANWEB_BODY.search(html)
    if marked:
        fragment = lxml.html.fragment_fromstring(marked.group(1), create_parent="div")
        text = node_text(fragment)
        if text:
            return text
    for css in BODY_CONTAINERS:
        nodes = tree.cssselect(css)
        if nodes:
            text = node_text(nodes[0])
            if text:
                return text
    import trafilatura

    text = trafilatura.extract(html, url=url, include_comments=False, include_tables=False, favor_recall=True)
    return (text or "").strip()


def _select(tree: etree._Element, selector: str) -> list:
    if selector.startswith(("/", "(")):
        return [n for n in tree.xpath(selector) if isinstance(n, etree._Element)]
    return tree.cssselect(selector)


def _select_text(tree: etree._Element, selector: str | None) -> str:
    if not selector:
        return ""
    nodes = _select(tree, selector)
    return " ".join(node_text(n) for n in nodes).strip() if nodes else ""


def _first_text(tree: etree._Element, xpath: str) -> str:
    nodes = tree.xpath(xpath)
    return " ".join(nodes[0].text_content().split()) if nodes else ""


def _date_in_page(tree: etree._Element) -> str:
    match = DATE_IN_PAGE.search(tree.text_content())
    return match.group(1) if match else ""
