"""The sample web's hostile pages: one badly run district portal whose pages try to break a crawl.

``sites/www.xinqiao.gov.cn/hostile.toml`` lists the cases (what each page is and what a crawl must do with it);
this module builds them. Most are plain :class:`~monitor.sampleweb.site.Page` objects; the 50 MB pages are
streamed (never held in memory), and the endless calendar, the endless redirect chain and the pages that change on
every fetch are made per request. The bundled web does not include this site: serve it with
``SampleWeb(sites=hostile_sites())`` and crawl it with ``monitor/sampleweb/hostile_sources.toml``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import random
import struct
import threading
import tomllib
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from string import Template
from urllib.parse import parse_qsl, quote, urlsplit

from monitor.sampleweb.site import SITES_DIR, Page, Site
from monitor.sampleweb.speeches import Speech, load_speeches

HOST = "www.xinqiao.gov.cn"
DIRECTORY = SITES_DIR / HOST
MB = 1024 * 1024
UTF8_HTML = "text/html; charset=utf-8"
ADS = ("新桥区政务服务网上线啦", "“i新桥”APP扫码下载", "2024年度人才引进公告", "全国文明城区创建进行时")


def private_links(canary_port: int) -> list[str]:
    """Article-like links on hosts a public page must not make a crawler fetch (they match the source's pattern)."""
    path = "/zwgk/ldjh/202401/t20240101_{n}.html"
    hosts = [
        f"127.0.0.1:{canary_port}",
        f"localhost:{canary_port}",
        f"[::1]:{canary_port}",
        "10.0.0.8",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # the cloud metadata service
        "2130706433",  # 127.0.0.1 written as one number
        "0x7f.1",  # 127.0.0.1 in hex shorthand
    ]
    return [f"http://{host}{path.format(n=n)}" for n, host in enumerate(hosts, start=1)]


@dataclass
class HostileSite:
    """The built site, its cases (each with its ``url``) and what the server did with the per-request pages."""

    site: Site
    cases: list[dict]
    canary_port: int
    fetches: Counter = field(default_factory=Counter)  # per-request pages: path -> times served
    streamed: dict[str, int] = field(default_factory=dict)  # streamed pages: path -> bytes written
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def case(self, kind: str) -> dict:
        return next(c for c in self.cases if c["kind"] == kind)

    def url(self, kind: str) -> str:
        return self.case(kind)["url"]

    def count(self, path: str) -> int:
        with self._lock:
            self.fetches[path] += 1
            return self.fetches[path]


def hostile_sites(canary_port: int = 9) -> dict[str, Site]:
    """The hostile site keyed by host, ready for ``SampleWeb(sites=…)``."""
    return {HOST: build_hostile(canary_port).site}


def build_hostile(canary_port: int = 9) -> HostileSite:
    """Build every case of ``hostile.toml``; links to loopback use ``canary_port`` (port 9, discard, by default)."""
    spec = tomllib.loads((DIRECTORY / "hostile.toml").read_text(encoding="utf-8"))
    speeches = load_speeches()
    site = Site(host=HOST, spec=spec, directory=DIRECTORY)
    hostile = HostileSite(site=site, cases=spec["case"], canary_port=canary_port)
    for case in hostile.cases:
        when = date.fromisoformat(case["published"])
        case["path"] = f"{spec['column_path']}{when:%Y%m}/t{when:%Y%m%d}_{case['id']}.html"
        case["url"] = f"http://{HOST}{case['path']}"
        case.setdefault("title", speeches[case["speech"]].title if "speech" in case else "")
    _add_lists(hostile)
    for case in hostile.cases:
        BUILDERS[case["kind"]](hostile, case, speeches.get(case.get("speech", "")))
    site.add("/robots.txt", Page(spec["robots"].encode(), content_type="text/plain"))
    site.dynamic = lambda path: _dynamic(hostile, path)
    return hostile


# -- list pages ------------------------------------------------------------------------------------------------


def _add_lists(hostile: HostileSite) -> None:
    """``index.html`` lists every case; ``index_1.html`` floods with off-site links, ``index_2.html`` with private
    ones (each also lists one good article, so the flood must not hide it)."""
    spec, site = hostile.site.spec, hostile.site
    good = hostile.case("ok")
    flood = [
        (f"http://www{n}.mirror-{n % 7}.invalid/zwgk/ldjh/202401/t20240101_{n}.html", f"转载：{good['title']}")
        for n in range(1, spec["offsite_links"] + 1)
    ]
    private = [(url, f"内网链接 {n}") for n, url in enumerate(private_links(hostile.canary_port), start=1)]
    pages = [
        [(c["path"], c["title"]) for c in sorted(hostile.cases, key=lambda c: c["published"], reverse=True)],
        [(good["path"], good["title"]), *flood],
        [(good["path"], good["title"]), *private],
    ]
    template = _template("list.html")
    for number, links in enumerate(pages):
        items = "\n".join(f'<li><a href="{html.escape(u)}">{html.escape(t)}</a></li>' for u, t in links)
        body = template.substitute(items=items, page_count=len(pages), current=number, **_site_vars(spec))
        name = "index.html" if number == 0 else f"index_{number}.html"
        site.add(spec["column_path"] + name, Page(body.encode(), content_type=UTF8_HTML))


# -- articles ----------------------------------------------------------------------------------------------------


def _template(name: str) -> Template:
    return Template((DIRECTORY / "templates" / name).read_text(encoding="utf-8"))


def _site_vars(spec: dict) -> dict:
    keys = ("host", "site_name", "site_id_code", "column_name", "calendar_start")
    return {k: spec[k] for k in keys}


def _paragraphs(speech: Speech) -> list[str]:
    return [*speech.header_lines, *speech.paragraphs]


def article_html(spec: dict, case: dict, body: str, fetch: int = 1) -> str:
    """The article template; ``fetch`` drives the chrome that changes on every request (views, clock, ad, nonce)."""
    return _template("article.html").substitute(
        title=html.escape(case["title"]),
        pubdate=case["published"],
        body=body,
        views=1000 + 7 * fetch,
        clock=(datetime(2024, 5, 1, 8) + timedelta(seconds=37 * fetch)).strftime("%Y年%m月%d日 %H:%M:%S"),
        ad=ADS[fetch % len(ADS)],
        nonce=hashlib.sha1(f"nonce-{fetch}".encode()).hexdigest(),
        **_site_vars(spec),
    )


def _plain_body(speech: Speech) -> str:
    return "\n".join(f"<p>{html.escape(p)}</p>" for p in _paragraphs(speech))


def _add(hostile: HostileSite, case: dict, page: Page) -> None:
    hostile.site.add(case["path"], page)


def _ok(hostile: HostileSite, case: dict, speech: Speech) -> None:
    body = article_html(hostile.site.spec, case, _plain_body(speech))
    last_modified = datetime.fromisoformat(case["published"] + "T09:00:00+08:00")
    _add(hostile, case, Page(body.encode(), content_type=UTF8_HTML, last_modified=last_modified))


def _broken_html(hostile: HostileSite, case: dict, speech: Speech) -> None:
    """Tag soup: unclosed and stray tags, bad entities, control characters and a NUL, invalid UTF-8, no end."""
    openers = ("<p>{}", "<div><span>{}", "<p><b><i>{}</td></tr></table>", "<font color=red>{}</p></p>")
    parts = []
    for n, paragraph in enumerate(_paragraphs(speech)):
        text = html.escape(paragraph)
        if n == 2:
            text = "\x0b\x0c" + text + "\x1b"  # vertical tab, form feed, escape: pasted from Word
        if n == len(_paragraphs(speech)) - 1:
            text += "\x00"  # a NUL late in the page (PostgreSQL refuses NUL in text)
        parts.append(openers[n % len(openers)].format(text))
        if n == 3:
            parts.append("<<>> &#xZZ; &#99999999; &nbsp &lt <table><tr><td><td></div></div></div>")
    page = article_html(hostile.site.spec, case, "\n".join(parts)).replace("</body>\n</html>", "")
    page = page.replace('<div class="footer">', '<div class="footer"><!-- 统计代码 ', 1)  # never closed
    body = page.encode("utf-8").replace(b"&lt <table>", b"&lt \xff\xfe\xc3 <table>")  # invalid UTF-8
    _add(hostile, case, Page(body, content_type=UTF8_HTML))


def _binary_png(hostile: HostileSite, case: dict, speech: Speech | None) -> None:
    noise = random.Random(case["id"]).randbytes(48_000)
    ihdr = struct.pack(">IIBBBBB", 1200, 800, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    _add(hostile, case, Page(b"\x89PNG\r\n\x1a\n" + chunk + noise, content_type="text/html"))


def _binary_zip(hostile: HostileSite, case: dict, speech: Speech | None) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", f"<w:document><w:t>{case['title']}</w:t></w:document>")
    _add(hostile, case, Page(buffer.getvalue(), content_type=UTF8_HTML))


def _gbk_undeclared(hostile: HostileSite, case: dict, speech: Speech) -> None:
    page = article_html(hostile.site.spec, case, _plain_body(speech))
    page = page.replace('<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n', "")
    _add(hostile, case, Page(page.encode("gbk"), content_type="text/html"))


def _huge(hostile: HostileSite, case: dict, speech: Speech | None) -> None:
    size = case["size_mb"] * MB
    path = case["path"]
    head = article_html(hostile.site.spec, case, "<!--BODY-->").split("<!--BODY-->")
    filler = ("<p>" + "新桥区政府信息公开年度报告正文。" * 200 + "</p>\n").encode()

    def pieces() -> Iterator[bytes]:
        piece, sent = head[0].encode(), 0
        try:
            while sent < size:
                piece = piece[: size - sent]
                yield piece
                sent += len(piece)
                piece = filler
        finally:
            hostile.streamed[path] = sent

    declared = size if case["kind"] == "huge_declared" else None
    _add(hostile, case, Page(b"", content_type=UTF8_HTML, stream=pieces, stream_length=declared))


def _gzip_bomb(hostile: HostileSite, case: dict, speech: Speech | None) -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip container
    parts = [compressor.compress(b"<html><body><div class='TRS_Editor'>")]
    block = b" " * MB
    parts += [compressor.compress(block) for _ in range(case["inflated_mb"])]
    parts.append(compressor.flush())
    _add(hostile, case, Page(b"".join(parts), content_type=UTF8_HTML, headers={"Content-Encoding": "gzip"}))


def _redirect_loop(hostile: HostileSite, case: dict, speech: Speech | None) -> None:
    """A WAF cookie check: the article sends to the check page, which sets a cookie and sends back. No cookies, no
    end."""
    check = f"/security/check.jsp?url={quote(case['path'], safe='')}"
    cookie = {"Set-Cookie": "wzws_cid=4f1c2b; Path=/; HttpOnly"}
    _add(hostile, case, Page(b"", status=302, headers={"Location": check}))
    hostile.site.add(check, Page(b"", status=302, headers={"Location": case["path"], **cookie}))


def _redirect_chain(hostile: HostileSite, case: dict, speech: Speech | None) -> None:
    _add(hostile, case, Page(b"", status=302, headers={"Location": f"{case['path']}?hop=1"}))


def _one_line(hostile: HostileSite, case: dict, speech: Speech) -> None:
    """A minified page: no line break anywhere, 200 KB with an inline state blob."""
    blob = base64.b64encode(random.Random(case["id"]).randbytes(150_000)).decode()
    body = "<br>".join(html.escape(p) for p in _paragraphs(speech))
    page = article_html(hostile.site.spec, case, body)
    page = page.replace("</body>", f'<script>window.__STATE__="{blob}";</script></body>')
    _add(hostile, case, Page("".join(page.splitlines()).encode(), content_type=UTF8_HTML))


def _empty(hostile: HostileSite, case: dict, speech: Speech | None) -> None:
    _add(hostile, case, Page(b"", content_type=UTF8_HTML))


def _antibot(hostile: HostileSite, case: dict, speech: Speech | None) -> None:
    _add(hostile, case, Page(_template("antibot.html").substitute().encode(), content_type=UTF8_HTML))


def _per_request(hostile: HostileSite, case: dict, speech: Speech) -> None:
    """Made in :func:`_dynamic` on every fetch (no ``Last-Modified``: the server cannot say it did not change)."""
    case["speech_paragraphs"] = _paragraphs(speech)


BUILDERS = {
    "ok": _ok,
    "broken_html": _broken_html,
    "binary_png": _binary_png,
    "binary_zip": _binary_zip,
    "gbk_undeclared": _gbk_undeclared,
    "huge_chunked": _huge,
    "huge_declared": _huge,
    "gzip_bomb": _gzip_bomb,
    "redirect_loop": _redirect_loop,
    "redirect_chain": _redirect_chain,
    "one_line": _one_line,
    "empty": _empty,
    "antibot": _antibot,
    "changing_chrome": _per_request,
    "changing_text": _per_request,
}


# -- pages made per request ---------------------------------------------------------------------------------------


def _dynamic(hostile: HostileSite, path: str) -> Page | None:
    """The endless calendar, the endless redirect chain and the pages that change on every fetch."""
    spec = hostile.site.spec
    parts = urlsplit(path)
    query = dict(parse_qsl(parts.query))
    if parts.path == spec["calendar_path"] and "date" in query:
        return _calendar_day(hostile, path, query["date"])
    for case in hostile.cases:
        if parts.path != case["path"]:
            continue
        if case["kind"] == "redirect_chain" and query.get("hop", "").isdigit():
            hostile.count(path)
            return Page(b"", status=302, headers={"Location": f"{case['path']}?hop={int(query['hop']) + 1}"})
        if case["kind"] in ("changing_chrome", "changing_text") and not parts.query:
            fetch = hostile.count(path)
            paragraphs = list(case["speech_paragraphs"])
            if case["kind"] == "changing_text":
                paragraphs.append(f"截至发稿时，已有{fetch * 13}位市民通过网上留言参与讨论，本文将持续更新。")
            body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
            return Page(article_html(spec, case, body, fetch).encode(), content_type=UTF8_HTML)
    return None


def _calendar_day(hostile: HostileSite, path: str, day: str) -> Page | None:
    """活动日历: every day links the day before and the day after, for ever (the trap ends only at a crawl limit)."""
    try:
        current = date.fromisoformat(day)
    except ValueError:
        return None
    hostile.count(path)
    calendar = hostile.site.spec["calendar_path"]
    links = " ".join(
        f'<a href="{calendar}?date={d.isoformat()}">{label}</a>'
        for d, label in ((current - timedelta(days=1), "前一天"), (current + timedelta(days=1), "后一天"))
    )
    body = (
        '<html><head><meta charset="utf-8"><title>活动日历</title></head><body>'
        f"<h1>{current:%Y年%m月%d日} 活动日历</h1><p>当日暂无活动安排。</p><div class='pager'>{links}</div>"
        "</body></html>"
    )
    return Page(body.encode(), content_type=UTF8_HTML)
