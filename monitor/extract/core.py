"""The extractor: a pure function of (html, url, site) → text and speech metadata.

``extract`` is the public wrapper; ``bare_extract`` also returns what was removed and why (for
``speechwatch extract`` and for debugging a new source).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from urllib.parse import urlsplit

from monitor.extract import meta as m
from monitor.extract.body import first_text, main_block, node_lines, parse
from monitor.extract.chrome import ChromeChecks, SiteChrome, page_keys
from monitor.extract.clean import clean_lines
from monitor.extract.options import DEFAULT_OPTIONS, ExtractOptions
from monitor.extract.script import detect_script, has_masked_names, matching_text, to_simplified

GUIDELINE_META = re.compile(
    r"<meta\s+(?:name=[\"'](?P<n1>\w+)[\"']\s+content=[\"'](?P<c1>[^\"']*)[\"']|"
    r"content=[\"'](?P<c2>[^\"']*)[\"']\s+name=[\"'](?P<n2>\w+)[\"'])",
    re.I,
)
HEADLINE_XPATHS = (
    "//h1",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' title ')]",
    "//*[contains(@class, 'arttitle') or contains(@class, 'article-title') or contains(@class, 'news_title')]",
    "//h2",
)


@dataclass
class SiteProfile:
    """What the extractor may know about the page's site: its selectors and learned chrome."""

    host: str
    kind: str | None = None
    selectors: dict[str, str] = field(default_factory=dict)
    chrome: SiteChrome | None = None


@dataclass
class Extraction:
    text: str = ""
    title: str | None = None
    page_title: str | None = None
    speaker: str | None = None
    speaker_post: str | None = None
    organization: str | None = None
    region_code: str | None = None
    region: str | None = None
    occasion: str | None = None
    speech_date: str | None = None
    speech_date_precision: str | None = None
    published_at: str | None = None
    doc_type: str = "other"
    topic: str = "other"
    relevance: float = 0.0
    script: str = "simplified"
    masked: bool = False
    truncated: bool = False
    truncation_marker: str | None = None
    match_text: str = ""
    chrome_keys: set[int] = field(default_factory=set, repr=False)
    chrome_checks: ChromeChecks | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict:
        data = asdict(replace(self, chrome_checks=None))
        data.pop("chrome_keys")
        data.pop("chrome_checks")
        data.pop("match_text")
        return data


@dataclass
class ExtractionDebug:
    method: str
    removed: list[tuple[str, str]]
    header_lines: list[str]


def guideline_meta(html: str) -> dict[str, str]:
    """The 2017 guideline meta tags, whichever attribute comes first (real pages put ``content`` first)."""
    found: dict[str, str] = {}
    for match in GUIDELINE_META.finditer(html[:50_000]):
        name = match.group("n1") or match.group("n2")
        content = match.group("c1") if match.group("n1") else match.group("c2")
        found.setdefault(name, content.strip())
    return found


def extract(
    html: str, url: str, site: SiteProfile | None = None, options: ExtractOptions = DEFAULT_OPTIONS
) -> Extraction:
    return bare_extract(html, url, site, options)[0]


def bare_extract(
    html: str, url: str, site: SiteProfile | None = None, options: ExtractOptions = DEFAULT_OPTIONS
) -> tuple[Extraction, ExtractionDebug]:
    site = site or SiteProfile(host=urlsplit(url).hostname or "")
    tree = parse(html) if html.strip() else None
    if tree is None:
        return Extraction(), ExtractionDebug("unparseable", [], [])
    page_meta = guideline_meta(html)
    body_nodes = tree.xpath("//body")
    all_lines = node_lines(body_nodes[0] if body_nodes else tree)
    keys = page_keys(all_lines, options)
    block, method = main_block(tree, html, url, site.selectors.get("body"), options.min_body_chars)

    headline = _selected(tree, site.selectors.get("title")) or _headline(tree)
    html_title = first_text(tree, "//title")
    article_title = page_meta.get("ArticleTitle")
    page_title = headline or article_title or (m.strip_site_suffix(html_title) if html_title else None)
    drop = {t for t in (headline, article_title, html_title, page_title) if t}

    is_chrome = checks = ChromeChecks(site.chrome, options) if site.chrome is not None else None
    cleaned = clean_lines(block, is_learned_chrome=is_chrome, drop_exact=drop, options=options)
    if not cleaned.truncated:
        _wall_after_block(cleaned, block, all_lines)
    header = m.parse_header(cleaned.paragraphs, options.header_scan_lines)
    if not (header.subtitle or header.speaker or header.speech_date):
        header = _header_before_block(block, all_lines, drop, is_chrome, options) or header
    header_lines = [cleaned.paragraphs[i] for i in header.lines]
    paragraphs = [p for i, p in enumerate(cleaned.paragraphs) if i not in header.lines]
    paragraphs = _drop_leading_titles(paragraphs, drop)

    result = Extraction(chrome_keys=keys, chrome_checks=checks)
    result.page_title = page_title
    result.title = m.clean_title(header.title or article_title or page_title)
    result.occasion = (
        header.occasion or m.find_occasion(result.title, paragraphs) or m.find_occasion(result.page_title, [])
    )
    result.speaker, result.speaker_post = header.speaker, header.speaker_post
    page_text = to_simplified("\n".join(all_lines[:200]))
    result.published_at = m.published_date(page_meta, page_text) or _date_selector(tree, site)
    result.doc_type = m.classify_doc_type(result.title or "", paragraphs, header)
    if result.doc_type == "transcript" and not result.speaker:
        result.speaker, result.speaker_post = m.transcript_speaker(paragraphs)
    if result.doc_type in ("speech_report", "transcript") and not result.speaker:
        result.speaker, result.speaker_post = m.report_speaker("\n".join(paragraphs))
    if not result.speaker and not result.speaker_post:
        name, post = m.title_speaker(m.clean_title(result.page_title))
        result.speaker, result.speaker_post = name, post
    if result.speaker and has_masked_names(result.speaker + "市") or result.speaker in ("某某", "某某某"):
        result.speaker = None  # a masked name is not a name
    result.speech_date, result.speech_date_precision = header.speech_date, header.speech_date_precision
    if result.speech_date is None and result.doc_type == "transcript":
        result.speech_date, result.speech_date_precision = m.event_date(page_text)
    if result.speech_date is None and result.doc_type in ("speech_report", "transcript"):
        result.speech_date, result.speech_date_precision = m.report_date(paragraphs, result.published_at)
        if result.speech_date is None and result.published_at:  # reports and transcripts appear the same day
            result.speech_date, result.speech_date_precision = result.published_at, "day"
    if result.speech_date is None and result.doc_type == "notice":
        result.speech_date, result.speech_date_precision = m.signed_date(paragraphs)
    result.topic, result.relevance = m.topic_relevance(result.title or "", paragraphs)
    result.text = "\n".join(paragraphs)
    result.script = detect_script(result.text or (result.title or ""), options.traditional_share)
    result.masked = has_masked_names("\n".join([*header_lines, result.text[:3000]]))
    result.truncated, result.truncation_marker = cleaned.truncated, cleaned.truncation_marker
    result.match_text = matching_text(result.text)
    site_evidence = [page_meta.get("SiteName"), html_title, *_sponsor_lines(all_lines)]
    _place(result, page_meta, [t for t in site_evidence if t], paragraphs)
    return result, ExtractionDebug(method, cleaned.removed, header_lines)


def _block_start(block: list[str], all_lines: list[str]) -> int | None:
    for index, line in enumerate(all_lines):
        if block and line == block[0]:
            return index
    return None


def _wall_after_block(cleaned, block: list[str], all_lines: list[str]) -> None:
    """A paywall rendered just after the body block (mobile templates) still marks the copy as truncated."""
    start = _block_start(block, all_lines)
    if start is None:
        return
    from monitor.extract.clean import end_marker, mid_marker

    for line in all_lines[start + len(block) : start + len(block) + 6]:
        if end_marker(line) or mid_marker(line):
            cleaned.truncated, cleaned.truncation_marker, cleaned.cut = True, line, "end"
            return


def _header_before_block(block, all_lines, drop, is_chrome, options) -> m.Header | None:
    """Old table layouts put title, byline and date in cells before the body: look there."""
    start = _block_start(block, all_lines)
    if not start:
        return None
    before = clean_lines(all_lines[max(0, start - 8) : start], is_learned_chrome=is_chrome, options=options)
    header = m.parse_header(before.paragraphs, options.header_scan_lines)
    if header.subtitle and not header.title and not header.subtitle.startswith(("—", "－", "-")):
        header.title = header.subtitle  # a title of the form 在…上的讲话
    header.lines = ()  # nothing to remove from the body
    return header if (header.subtitle or header.speaker or header.speech_date) else None


def _headline(tree) -> str | None:
    for xpath in HEADLINE_XPATHS:
        text = first_text(tree, xpath)
        if text and 4 <= len(text) <= 100:
            return text
    return None


def _selected(tree, selector: str | None) -> str | None:
    if not selector:
        return None
    from monitor.extract.body import select

    nodes = select(tree, selector)
    text = " ".join(" ".join(n.text_content().split()) for n in nodes).strip()
    return text or None


def _date_selector(tree, site: SiteProfile) -> str | None:
    return m.normalise_date(_selected(tree, site.selectors.get("date")))


def _drop_leading_titles(paragraphs: list[str], titles: set[str]) -> list[str]:
    """Remove title lines repeated at the top of the body (also when the repost changed the script)."""
    simplified_titles = {to_simplified(t) for t in titles}
    start = 0
    while start < min(3, len(paragraphs)) and to_simplified(paragraphs[start]) in simplified_titles:
        start += 1
    return paragraphs[start:]


def _sponsor_lines(all_lines: list[str]) -> list[str]:
    """Footer lines naming the site's owner (主办：…人民政府)."""
    return [line for line in all_lines[-15:] if re.search(r"主办|主辦|版权所有|版權所有", line)][:2]


def _place(result: Extraction, page_meta: dict[str, str], site_evidence: list[str], paragraphs: list[str]) -> None:
    """Region and organisation: the speaker's post, the title, the site's SiteIDCode and name, then the text.

    Template sites name no place of their own, so their evidence is the speech itself.
    """
    from monitor.extract import region as places  # imported on first use: it loads the division table

    evidence = [t for t in (result.speaker_post, result.organization, result.title, result.occasion) if t]
    region = places.region_from_text(*evidence) if evidence else None
    if region is None and page_meta.get("SiteIDCode"):
        region = places.region_from_site_id(page_meta["SiteIDCode"])
    if region is None and site_evidence:
        region = places.region_from_text(*site_evidence)
    if region is None and paragraphs:
        region = places.region_from_text(*paragraphs[:3])
    region = places.fit_to_post(region, result.speaker_post, *site_evidence, *paragraphs[:3])
    level = places.post_level(result.speaker_post)
    if region is None and paragraphs and level is not None:
        region = places.region_from_mentions("\n".join(paragraphs), level)
    if region is not None:
        result.region_code = region.code
        result.region = places.region_name(region.code) or None  # 天津市滨海新区, not 天津市天津市滨海新区
    result.organization = _organization(result, page_meta)


def _organization(result: Extraction, page_meta: dict[str, str]) -> str | None:
    post = to_simplified(result.speaker_post or "")
    place = result.region or ""
    if "管委会" in post or "党工委" in post:
        prefix = re.split(r"党工委|管委会", post)[0]
        return f"{prefix}管委会" if prefix else None
    if place and re.search(r"(市|区|县|省|州|旗)长", post):
        return f"{place}人民政府"
    if place and "书记" in post:
        return f"中共{place}委员会"
    return page_meta.get("ContentSource") or None


EXTRACTOR_VERSION = 1
ANALYSIS_FIELDS = (
    "speaker", "speaker_post", "organization", "region_code", "region", "occasion", "speech_date",
    "speech_date_precision", "doc_type", "topic", "relevance", "script", "masked", "truncated",
    "truncation_marker", "match_text",
)  # fmt: skip


def analysis_values(extraction: Extraction) -> dict:
    """The document columns an extraction fills besides text and titles."""
    values = {name: getattr(extraction, name) for name in ANALYSIS_FIELDS}
    values["extractor_version"] = EXTRACTOR_VERSION
    return values
