"""Find the main block of a page and turn markup into lines."""

from __future__ import annotations

import logging
import re

import lxml.html
from lxml import etree

from monitor.extract.script import count_cjk

log = logging.getLogger(__name__)

HANWEB_BODY = re.compile(r"<!--ZJEG_RSS\.content\.begin-->(.*?)<!--ZJEG_RSS\.content\.end-->", re.S)
# Body containers of Chinese government CMSs and template sites, most specific first.
BODY_CONTAINERS = (
    "div.TRS_Editor",
    "#zoom",
    "#UCAP-CONTENT",
    "div.pages_content",
    "#ivs_content",
    ".my_doccontent",
    "#Content",
    "#content",
    ".article-content",
    ".artbody",
    ".art-content",
    ".detail-content",
    ".news_content",
    ".content",
)
BLOCK_TAGS = (
    "p", "div", "li", "tr", "td", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "table", "ul", "ol",
    "blockquote", "center", "dd", "dt",
)  # fmt: skip


XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)


CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # C0 controls browsers ignore; tabs, breaks stay


def parse(html: str) -> etree._Element | None:
    html = XML_DECLARATION.sub("", html, count=1)  # lxml refuses str input that declares an encoding
    html = CONTROL_CHARACTERS.sub("", html)  # lxml refuses a page holding one (a form feed pasted from Word)
    try:
        tree = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        return None
    for bad in tree.xpath("//script|//style|//noscript|//template|//iframe"):
        bad.drop_tree()
    return tree


def node_lines(node: etree._Element) -> list[str]:
    """Visible text of an element, one line per block element or ``<br>``, empty lines dropped."""
    node = lxml.html.fromstring(lxml.html.tostring(node, encoding="unicode"))
    for element in node.iter("br"):
        element.tail = "\n" + (element.tail or "")
    for element in node.iter(*BLOCK_TAGS):
        element.tail = "\n" + (element.tail or "")
        element.text = "\n" + (element.text or "")
    lines = []
    for line in node.text_content().split("\n"):
        line = " ".join(line.replace("\u3000", " ").replace("\xa0", " ").split())
        if line:
            lines.append(line)
    return lines


def cjk_count(lines: list[str]) -> int:
    return count_cjk("".join(lines))


def select(tree: etree._Element, selector: str) -> list[etree._Element]:
    try:
        if selector.startswith(("/", "(")):
            return [n for n in tree.xpath(selector) if isinstance(n, etree._Element)]
        return tree.cssselect(selector)
    except (etree.XPathError, Exception):  # noqa: BLE001 - a bad selector is reported by the sources check
        return []


def main_block(
    tree: etree._Element, html: str, url: str, body_selector: str | None, min_chars: int
) -> tuple[list[str], str]:
    """Lines of the page's main block and how it was found (selector, markers, container, trafilatura)."""
    if body_selector:
        nodes = select(tree, body_selector)
        lines = [line for node in nodes for line in node_lines(node)]
        if cjk_count(lines) >= min_chars:
            return lines, f"selector {body_selector}"
        log.info("body selector %r found too little at %s; falling back", body_selector, url)
    marked = HANWEB_BODY.search(html)
    if marked:
        fragment = lxml.html.fragment_fromstring(marked.group(1), create_parent="div")
        lines = node_lines(fragment)
        if cjk_count(lines) >= min_chars:
            return lines, "ZJEG_RSS markers"
    for css in BODY_CONTAINERS:
        nodes = tree.cssselect(css)
        if nodes:
            count, lines = max(((cjk_count(found), found) for found in map(node_lines, nodes)), key=lambda c: c[0])
            if count >= min_chars:  # the first of the richest (max keeps the first)
                return lines, f"container {css}"
    dense = densest_block(tree)
    if dense is not None:
        lines = node_lines(dense)
        if cjk_count(lines) >= min_chars:
            return lines, f"densest <{dense.tag}>"
    return trafilatura_lines(html, url), "trafilatura"


def _own_text(node: etree._Element) -> int:
    """CJK characters of an element's text outside links (navigation is mostly links)."""
    text = node.text_content()
    linked = count_cjk("".join(a.text_content() for a in node.iter("a")))
    return count_cjk(text) - linked


def densest_block(tree: etree._Element, share: float = 0.7) -> etree._Element | None:
    """The smallest element that still holds most of the page's non-link text.

    Walk down from ``<body>`` while one child holds at least ``share`` of the current element's text; this
    finds the article cell of old table layouts and unknown templates without a known container.
    """
    bodies = tree.xpath("//body")
    node = bodies[0] if bodies else tree
    total = _own_text(node)
    if total <= 0:
        return None
    while True:
        children = [c for c in node if isinstance(c.tag, str)]
        if not children:
            return node
        best = max(children, key=_own_text)
        if _own_text(best) < share * _own_text(node):
            return node
        node = best


def trafilatura_lines(html: str, url: str | None) -> list[str]:
    import trafilatura

    text = trafilatura.extract(html, url=url, include_comments=False, include_tables=True, favor_recall=True)
    return [" ".join(line.split()) for line in (text or "").splitlines() if line.strip()]


def first_text(tree: etree._Element, xpath: str) -> str:
    nodes = tree.xpath(xpath)
    for node in nodes:
        text = " ".join(node.text_content().split())
        if text:
            return text
    return ""
