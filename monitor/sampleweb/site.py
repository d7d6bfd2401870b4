"""Build the sample web's pages from data: site.toml + HTML templates + speech texts.

Each site folder under ``sites/`` holds ``site.toml`` (pages, traps and the ground truth of every page) and
``templates/*.html`` (``string.Template`` files, ``$$`` for a literal dollar). The result is an in-memory map
``(host, path) -> Page`` that :mod:`monitor.sampleweb.server` serves.
"""

from __future__ import annotations

import hashlib
import html
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import cache
from pathlib import Path
from string import Template
from urllib.parse import urljoin

from monitor.sampleweb.speeches import Speech, load_speeches

SITES_DIR = Path(__file__).parent / "sites"
ASCII_PUNCT = str.maketrans({"，": ",", "：": ":", "（": "(", "）": ")", "；": ";", "！": "!", "？": "?"})
TRUNCATION_MARKERS = {
    "login": ["阅读全文", "(想阅读完全部图文内容,您需要先登陆!)"],
    "count": ["(未完,全文共{total}字,当前显示{shown}字)", "阅读全文"],
    "app": ["……", "打开app阅读全文"],
    "preview": ["预览结束，剩余{rest}字请扫码联系老师获取完整版"],
    "trial": ["10.00元 免费试读", "本文为会员专享文档，开通会员后下载全文"],
}
JPAGE = "/module/web/jpage/dataproxy.jsp"
MID_MARKER = "……省略{n}字,正式会员可完整阅读……"


@dataclass
class Page:
    """One URL of the sample web and how the server answers it."""

    body: bytes
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    last_modified: datetime | None = None
    delay: float = 0.0
    flaky: bool = False
    truth: dict | None = None
    stream: Callable[[], Iterable[bytes]] | None = None  # a body made piece by piece instead of ``body``
    stream_length: int | None = None  # its Content-Length; None: sent chunked

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


@dataclass
class Site:
    host: str
    spec: dict
    directory: Path
    pages: dict[str, Page] = field(default_factory=dict)
    dynamic: Callable[[str], Page | None] | None = None  # pages made per request, for paths not in ``pages``

    def template(self, name: str) -> Template:
        return Template((self.directory / "templates" / name).read_text(encoding="utf-8"))

    def add(self, path: str, page: Page) -> None:
        if path in self.pages:
            raise ValueError(f"{self.host}{path} defined twice")
        self.pages[path] = page


def build_sites(directory: Path = SITES_DIR) -> dict[str, Site]:
    """Every site under ``directory``, keyed by host name."""
    speeches = load_speeches()
    sites = {}
    for site_file in sorted(directory.glob("*/site.toml")):
        spec = tomllib.loads(site_file.read_text(encoding="utf-8"))
        site = Site(host=spec["host"], spec=spec, directory=site_file.parent)
        BUILDERS[spec["style"]](site, speeches)
        _add_traps(site)
        site.add(
            "/robots.txt",
            Page(spec.get("robots", "User-agent: *\nDisallow:\n").encode(), content_type="text/plain"),
        )
        sites[site.host] = site
    return sites


@cache
def default_sites() -> dict[str, Site]:
    return build_sites()


def ground_truth(sites: dict[str, Site]) -> list[dict]:
    """One record per page served: URL and kind; an article also its speech ids, expected metadata and traps.

    Articles and trap pages carry the truth built with them; the other pages are ``list`` pages (HTML lists,
    pager pages, the Hanweb XML), ``robots`` (robots.txt) and ``trap:redirect`` hops (status and target).
    """
    rows = []
    for host, site in sorted(sites.items()):
        for path, page in sorted(site.pages.items()):
            url = f"http://{host}{path}"
            if page.truth is not None:
                rows.append({"url": url, **page.truth})
            elif page.status in (301, 302):
                location = urljoin(url, page.headers["Location"])
                rows.append({"url": url, "kind": "trap:redirect", "status": page.status, "location": location})
            else:
                rows.append({"url": url, "kind": "robots" if path == "/robots.txt" else "list"})
    return rows


# -- text variants ---------------------------------------------------------------------------------------


def _opencc(config: str):
    import opencc

    return opencc.OpenCC(config)


def render_text(speeches: list[Speech], options: dict) -> tuple[list[list[str]], dict]:
    """The paragraphs a page shows for each speech, after the repost's alterations, and what was done."""
    info: dict = {"truncated": False, "marker": None}
    blocks = []
    for speech in speeches:
        paragraphs = list(speech.paragraphs)
        for old, new in options.get("mask", {}).items():
            paragraphs = [p.replace(old, new) for p in paragraphs]
        if "mid_cut" in options:
            paragraphs, removed = _cut_middle(paragraphs, options["mid_cut"])
            info.update(truncated=True, marker=MID_MARKER.format(n=removed), cut="middle")
        if "truncate" in options:
            total = sum(len(p) for p in paragraphs)
            paragraphs = _keep_fraction(paragraphs, options["truncate"])
            shown = sum(len(p) for p in paragraphs)
            lines = [
                m.format(total=total, shown=shown, rest=total - shown)
                for m in TRUNCATION_MARKERS[options.get("marker", "login")]
            ]
            info.update(truncated=True, marker=lines[0], cut="end", kept_fraction=round(shown / total, 2))
            paragraphs = paragraphs + [f"\x00marker\x00{line}" for line in lines]
        spam = options.get("spam", [])
        if spam:
            every = options.get("spam_every", 3)
            with_spam = []
            for i, paragraph in enumerate(paragraphs, start=1):
                with_spam.append(paragraph)
                if i % every == 0:
                    with_spam.append(spam[(i // every) % len(spam)])
            paragraphs = with_spam
        blocks.append(paragraphs)
    return blocks, info


def _keep_fraction(paragraphs: list[str], fraction: float) -> list[str]:
    budget = sum(len(p) for p in paragraphs) * fraction
    kept, used = [], 0
    for paragraph in paragraphs:
        if used + len(paragraph) > budget:
            cut = max(0, int(budget - used))
            if cut > 20:
                kept.append(paragraph[:cut])
            break
        kept.append(paragraph)
        used += len(paragraph)
    return kept


def _cut_middle(paragraphs: list[str], span: list[float]) -> tuple[list[str], int]:
    """Remove the share ``span=[start, end]`` of paragraphs and put the member-only marker there."""
    start, end = int(len(paragraphs) * span[0]), int(len(paragraphs) * span[1])
    removed = sum(len(p) for p in paragraphs[start:end])
    marker = f"\x00marker\x00{MID_MARKER.format(n=removed)}"
    return paragraphs[:start] + [marker] + paragraphs[end:], removed


def _transform(text: str, options: dict) -> str:
    if options.get("traditional"):
        text = _opencc("s2t").convert(text)
    if options.get("ascii_punct"):
        text = text.translate(ASCII_PUNCT)
    return text


def paragraphs_html(paragraphs: list[str], options: dict, style: str = "p") -> str:
    """Paragraphs as HTML: ``<p>`` per paragraph, or hard line breaks every ``wrap`` characters."""
    out = []
    wrap = options.get("hard_breaks")
    for paragraph in paragraphs:
        if paragraph.startswith("\x00marker\x00"):
            line = paragraph.removeprefix("\x00marker\x00")
            out.append(f'<p class="readmore">{html.escape(line)}</p>')
            continue
        text = _transform(paragraph, options)
        if wrap:
            pieces = [text[i : i + wrap] for i in range(0, len(text), wrap)]
            out.append("<br>\n".join(html.escape(p) for p in pieces) + "<br>\n")
        elif style == "trs":
            out.append(f'<p style="text-indent:2em;">{html.escape(text)}</p>')
        else:
            out.append(f"<p>{html.escape(text)}</p>")
    return "\n".join(out)


def header_html(speech: Speech, options: dict, with_title: bool) -> str:
    lines = ([speech.title] if with_title else []) + speech.header_lines
    for old, new in options.get("mask", {}).items():
        lines = [line.replace(old, new) for line in lines]
    return "\n".join(f'<p style="text-align:center;">{html.escape(_transform(line, options))}</p>' for line in lines)


def expected(speeches: list[Speech], kind: str, page_title: str, info: dict, options: dict) -> dict:
    first = speeches[0]
    return {
        "kind": kind,
        "doc_type": first.doc_type,
        "speeches": [s.id for s in speeches],
        "title": first.title,
        "page_title": page_title,
        "speaker": first.speaker,
        "speaker_post": first.speaker_post,
        "speech_date": first.speech_date,
        "region_code": first.region_code,
        "topic": first.topic,
        "truncated": info["truncated"],
        "truncation_marker": info["marker"],
        "traditional": bool(options.get("traditional")),
        "masked": bool(options.get("mask")),
        "hard_breaks": bool(options.get("hard_breaks")),
        **_masked_speaker(first, options),
        "published_at": str(options["published"])[:10] if options.get("published") else first.publish_date,
    }


def expected_body(speeches: list[Speech], blocks: list[list[str]], options: dict) -> str:
    """The body a reader sees: no header of the first speech, no markers, no spam, one paragraph per line."""
    spam = set(options.get("spam", []))
    lines: list[str] = []
    for index, (speech, block) in enumerate(zip(speeches, blocks, strict=True)):
        if index > 0:
            header = [speech.title, *speech.header_lines]
            for old, new in options.get("mask", {}).items():
                header = [line.replace(old, new) for line in header]
            lines.extend(_transform(line, options) for line in header)
        for paragraph in block:
            if paragraph.startswith("\x00marker\x00") or paragraph in spam:
                continue
            lines.append(_transform(paragraph, options))
    return "\n".join(lines)


def _masked_speaker(speech: Speech, options: dict) -> dict:
    """A masked byline shows no real name: the expected speaker is unknown, the post as masked."""
    masks = options.get("mask", {})
    if speech.speaker not in masks:
        return {}
    post = speech.speaker_post
    for old, new in masks.items():
        post = post.replace(old, new)
    return {"speaker": None, "speaker_post": _transform(post, options), "region_code": None}


def _as_datetime(value: str) -> datetime:
    value = str(value)
    fmt = "%Y-%m-%d %H:%M:%S" if " " in value else "%Y-%m-%d"
    return datetime.strptime(value, fmt).replace(tzinfo=UTC)


def _encode(site: Site, text: str) -> bytes:
    return text.encode(site.spec.get("encoding", "utf-8"))


def _content_type(site: Site) -> str:
    return f"text/html; charset={site.spec.get('charset_label', 'utf-8')}"


def _article_page(site: Site, text: str, entry: dict, truth: dict | None) -> Page:
    page = Page(
        body=_encode(site, text),
        content_type=_content_type(site),
        last_modified=_as_datetime(entry["published"]),
        delay=float(entry.get("delay", 0)),
        flaky=bool(entry.get("flaky", False)),
        truth=truth,
    )
    if "header_charset" in entry:
        page.content_type = f"text/html; charset={entry['header_charset']}"
    if truth is not None:  # the traps this article is behind, for tests and measurements
        traps = [
            ("slow", page.delay > 0),
            ("retry_500", page.flaky),
            ("wrong_charset_header", "header_charset" in entry),
            ("redirect_chain", bool(entry.get("redirect_from"))),
        ]
        truth["traps"] = [name for name, present in traps if present]
    return page


# -- TRS-style government portal -------------------------------------------------------------------------


def _default_dates(spec: dict, speeches: dict[str, Speech]) -> None:
    for entry in spec["article"]:
        first = entry.get("speech") or entry["speeches"][0]
        entry.setdefault("published", speeches[first].publish_date)


def build_trs(site: Site, speeches: dict[str, Speech]) -> None:
    spec = site.spec
    _default_dates(spec, speeches)
    column = spec["column_path"]
    entries = spec["article"] + [t for t in spec.get("trap", []) if t.get("listed", True)]
    entries.sort(key=lambda e: str(e["published"]), reverse=True)
    for entry in entries:
        when = _as_datetime(entry["published"])
        if "path" not in entry:
            entry["path"] = f"{column}{when:%Y%m}/t{when:%Y%m%d}_{entry['id']}.html"
    size = spec["page_size"]
    chunks = [entries[i : i + size] for i in range(0, len(entries), size)]
    list_template = site.template("list.html")
    for number, chunk in enumerate(chunks):
        items = "\n".join(
            f'<li><a href="{e["path"]}" target="_blank" title="{html.escape(_entry_title(e, speeches))}">'
            f"{html.escape(_entry_title(e, speeches))}</a><span>{str(e['published'])[:10]}</span></li>"
            for e in chunk
        )
        name = "index.html" if number == 0 else f"index_{number}.html"
        body = list_template.substitute(items=items, page_count=len(chunks), current=number, **_site_vars(spec))
        site.add(column + name, Page(body=_encode(site, body), content_type=_content_type(site)))
    article_template = site.template("article.html")
    for index, entry in enumerate(spec["article"]):
        chosen = [speeches[entry["speech"]]]
        blocks, info = render_text(chosen, entry)
        speech = chosen[0]
        body_html = header_html(speech, entry, with_title=False) + "\n" + paragraphs_html(blocks[0], entry, "trs")
        neighbour = spec["article"][(index + 1) % len(spec["article"])]
        text = article_template.substitute(
            title=html.escape(speech.title),
            pubdate=str(entry["published"])[:10],
            url=f"http://{site.host}{entry['path']}",
            body=body_html,
            description=html.escape(speech.paragraphs[1][:60] if len(speech.paragraphs) > 1 else ""),
            next_url=neighbour["path"],
            next_title=html.escape(speeches[neighbour["speech"]].title),
            **_site_vars(spec),
        )
        truth = expected(chosen, speech.doc_type, speech.title, info, entry)
        truth["text"] = expected_body(chosen, blocks, entry)
        site.add(entry["path"], _article_page(site, text, entry, truth))


def _entry_title(entry: dict, speeches: dict[str, Speech]) -> str:
    if "page_title" in entry:
        return entry["page_title"]
    if "speech" in entry:
        return speeches[entry["speech"]].title
    return entry.get("title", "无标题")


def _site_vars(spec: dict) -> dict:
    return {k: v for k, v in spec.items() if isinstance(v, str | int) and k not in ("robots",)}


# -- Hanweb (大汉 JCMS) city portal ----------------------------------------------------------------------


def build_hanweb(site: Site, speeches: dict[str, Speech]) -> None:
    spec = site.spec
    _default_dates(spec, speeches)
    column = spec["column_id"]
    entries = spec["article"] + [t for t in spec.get("trap", []) if t.get("listed", True)]
    entries.sort(key=lambda e: str(e["published"]), reverse=True)
    for entry in entries:
        when = _as_datetime(entry["published"])
        if "path" not in entry:
            entry["path"] = f"/art/{when.year}/{when.month}/{when.day}/art_{column}_{entry['id']}.html"
    column_page = site.template("column.html").substitute(**_site_vars(spec))
    site.add(
        f"/col/col{column}/index.html",
        Page(body=_encode(site, column_page), content_type=_content_type(site)),
    )
    size = spec["page_size"]
    chunks = [entries[i : i + size] for i in range(0, len(entries), size)]
    for number, chunk in enumerate(chunks, start=1):
        records = "\n".join(
            f'<record><![CDATA[<li><a href="{e.get("listed_path", e["path"])}" target="_blank" '
            f'title="{html.escape(_entry_title(e, speeches))}">{html.escape(_entry_title(e, speeches))}</a>'
            f'<span class="bt_time">{str(e["published"])[:10]}</span></li>]]></record>'
            for e in chunk
        )
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n'
            f'<nextgroup><![CDATA[<a href="{JPAGE}?page={number + 1}"></a>]]></nextgroup>\n'
            f"<recordset>\n{records}\n</recordset>\n<totalrecord>{len(entries)}</totalrecord>"
            f"<totalpage>{len(chunks)}</totalpage><perpage>{size}</perpage>\n</datastore>\n"
        )
        query = f"page={number}&webid=1&path=/&columnid={column}&unitid={spec['unit_id']}&permissiontype=0"
        site.add(
            f"/module/web/jpage/dataproxy.jsp?{query}",
            Page(body=xml.encode("utf-8"), content_type="text/xml; charset=utf-8"),
        )
    article_template = site.template("article.html")
    for entry in spec["article"]:
        chosen = [speeches[entry["speech"]]]
        blocks, info = render_text(chosen, entry)
        speech = chosen[0]
        body_html = header_html(speech, entry, with_title=False) + "\n" + paragraphs_html(blocks[0], entry)
        text = article_template.substitute(
            title=html.escape(speech.title),
            pubdate=str(entry["published"])[:10],
            url=f"http://{site.host}{entry['path']}",
            body=body_html,
            **_site_vars(spec),
        )
        truth = expected(chosen, speech.doc_type, speech.title, info, entry)
        truth["text"] = expected_body(chosen, blocks, entry)
        site.add(entry["path"], _article_page(site, text, entry, truth))
        hops = entry.get("redirect_from", [])
        for i, old in enumerate(hops):
            target = hops[i + 1] if i + 1 < len(hops) else entry["path"]
            site.add(old, Page(body=b"", status=301 if i == 0 else 302, headers={"Location": target}))


# -- template (公文/范文) sites --------------------------------------------------------------------------


def build_template(site: Site, speeches: dict[str, Speech]) -> None:
    spec = site.spec
    entries = spec["article"] + [t for t in spec.get("trap", []) if t.get("listed", True)]
    entries.sort(key=lambda e: str(e["published"]), reverse=True)
    for entry in entries:
        when = _as_datetime(entry["published"])
        if "path" not in entry:
            entry["path"] = spec["article_path"].format(id=entry["id"], date=f"{when:%Y%m%d}")
    size = spec["page_size"]
    chunks = [entries[i : i + size] for i in range(0, len(entries), size)]
    list_template = site.template("list.html")
    for number, chunk in enumerate(chunks, start=1):
        items = "\n".join(
            f'<li><a href="{e["path"]}">{html.escape(_transform(_entry_title(e, speeches), e))}</a>'
            f"<em>{str(e['published'])[:10]}</em></li>"
            for e in chunk
        )
        links = [f'<a href="{spec["list_path"].format(page=n)}">{n}</a>' for n in range(1, len(chunks) + 1)]
        if number < len(chunks):
            links.append(f'<a href="{spec["list_path"].format(page=number + 1)}">下一页</a>')
        extra = "".join(f'\n<li><a href="{p}">{html.escape(t)}</a></li>' for p, t in spec.get("dead_links", []))
        body = list_template.substitute(items=items, pagination=" ".join(links), recommended=extra, **_site_vars(spec))
        site.add(
            spec["list_path"].format(page=number),
            Page(body=_encode(site, body), content_type=_content_type(site)),
        )
    article_template = site.template("article.html")
    related_pool = [e for e in entries]
    for index, entry in enumerate(spec["article"]):
        ids = entry.get("speeches") or [entry["speech"]]
        chosen = [speeches[i] for i in ids]
        blocks, info = render_text(chosen, entry)
        parts = []
        for speech, block in zip(chosen, blocks, strict=True):
            parts.append(header_html(speech, entry, with_title=True))
            parts.append(paragraphs_html(block, entry))
        page_title = _transform(_entry_title(entry, speeches), entry)
        related = "\n".join(
            f'<li><a href="{e["path"]}">{html.escape(_transform(_entry_title(e, speeches), e))}</a></li>'
            for e in (related_pool[(index + k) % len(related_pool)] for k in (1, 2, 3))
        )
        related += "".join(f'\n<li><a href="{p}">{html.escape(t)}</a></li>' for p, t in spec.get("dead_links", []))
        text = article_template.substitute(
            page_title=html.escape(page_title),
            pubdate=str(entry["published"]),
            views=entry.get("views", 100 + index * 37),
            url=f"http://{site.host}{entry['path']}",
            body="\n".join(parts),
            related=related,
            **_site_vars(spec),
        )
        kind = "repost" if len(chosen) == 1 else "multi"
        truth = expected(chosen, kind, page_title, info, entry)
        truth["text"] = expected_body(chosen, blocks, entry)
        site.add(entry["path"], _article_page(site, text, entry, truth))


# -- traps -------------------------------------------------------------------------------------------------


def _add_traps(site: Site) -> None:
    for trap in site.spec.get("trap", []):
        path = trap["path"]
        kind = trap["kind"]
        truth = {"kind": f"trap:{kind}"}
        if kind == "antibot_412":
            body = (
                site.template("antibot.html").substitute()
                if (site.directory / "templates/antibot.html").exists()
                else ""
            )
            site.add(path, Page(body=body.encode(), status=412, truth=truth))
        elif kind == "antibot_200":
            body = site.template("antibot.html").substitute()
            site.add(path, Page(body=body.encode(), status=200, truth=truth))
        elif kind == "missing":
            truth["status"] = 404
            site.pages.pop(path, None)
            site.add(path, Page(body="<h1>404 页面不存在</h1>".encode(), status=404, truth=truth))
        elif kind == "robots_disallowed":
            body = f"<html><body><h1>{html.escape(trap.get('title', ''))}</h1><p>内部材料</p></body></html>"
            site.add(path, Page(body=body.encode(), truth=truth))
        else:
            raise ValueError(f"{site.host}: unknown trap kind {kind!r}")


BUILDERS = {"trs": build_trs, "hanweb": build_hanweb, "template": build_template}


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)
