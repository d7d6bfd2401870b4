"""A large synthetic TRS-style government site for the crawl and pipeline benchmarks (never bundled).

``pages`` article pages spread over ``hosts`` host names (``www.bench00.gov.cn`` …), each host a 领导讲话 column
like the sample web's 坪山区 portal: list pages ``/zwgk/ldjh/index.html``, ``index_1.html`` … (20 links each,
the page count only in the ``createPageHTML`` script) and articles ``/zwgk/ldjh/YYYYMM/tYYYYMMDD_N.html`` built
from the 坪山 templates (served as UTF-8). Each article has the title block of a random sample speech and a
fresh synthetic body (``synthetic.body``: sentences of the sample speeches, 3–6 KB), so every page is distinct.
Deterministic for a seed.
"""

from __future__ import annotations

import html
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from string import Template

from synthetic import body

from monitor.sampleweb.site import SITES_DIR, Page, Site
from monitor.sampleweb.speeches import load_speeches

TEMPLATES = SITES_DIR / "www.pingshan.gov.cn" / "templates"
COLUMN = "/zwgk/ldjh/"
PAGE_SIZE = 20
SOURCE_NAME = "bench-synth"


@dataclass(frozen=True)
class Article:
    host: str
    path: str
    title: str
    published: datetime
    html: str

    @property
    def url(self) -> str:
        return f"http://{self.host}{self.path}"


def host_names(hosts: int) -> list[str]:
    return [f"www.bench{index:02d}.gov.cn" for index in range(hosts)]


def _template(name: str) -> Template:
    text = (TEMPLATES / name).read_text(encoding="utf-8").replace("charset=gb2312", "charset=utf-8")
    return Template(text.replace("http://www.pingshan.gov.cn", "http://$host"))


def _site_vars(host: str, index: int) -> dict[str, str]:
    return {
        "host": host,
        "site_name": f"基准测试第{index}区人民政府门户网站",
        "site_id_code": f"44{index:08d}",
        "column_name": "领导讲话",
    }


def articles(pages: int, hosts: int = 1, seed: int = 1) -> list[Article]:
    """The article pages, round-robin over the hosts."""
    return list(iter_articles(pages, hosts, seed))


def iter_articles(pages: int, hosts: int = 1, seed: int = 1) -> Iterator[Article]:
    """The article pages one by one (100k pages need not be held at once)."""
    rng = random.Random(seed)
    speeches = sorted(load_speeches().values(), key=lambda s: s.id)
    template = _template("article.html")
    names = host_names(hosts)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for number in range(pages):
        host_index = number % hosts
        host = names[host_index]
        speech = rng.choice(speeches)
        when = start + timedelta(days=rng.randrange(6 * 365))
        path = f"{COLUMN}{when:%Y%m}/t{when:%Y%m%d}_{10_000_000 + number}.html"
        title = f"{speech.title}（{number}）"
        text = body(rng, rng.randint(3072, 6144))
        header = "\n".join(f'<p style="text-align:center;">{html.escape(line)}</p>' for line in speech.header_lines)
        paragraphs = "\n".join(f'<p style="text-indent:2em;">{html.escape(p)}</p>' for p in text.split("\n"))
        yield (
            Article(
                host=host,
                path=path,
                title=title,
                published=when,
                html=template.substitute(
                    title=html.escape(title),
                    pubdate=f"{when:%Y-%m-%d}",
                    url=f"http://{host}{path}",
                    body=f"{header}\n{paragraphs}",
                    description=html.escape(text[:60]),
                    next_url=path,  # replaced below by the neighbour's path
                    next_title=html.escape(title),
                    **_site_vars(host, host_index),
                ),
            )
        )


def build_sites(pages: int, hosts: int = 1, seed: int = 1) -> tuple[dict[str, Site], list[Article]]:
    """``{host: Site}`` for :class:`monitor.sampleweb.server.SampleWeb` and the articles served."""
    all_articles = articles(pages, hosts, seed)
    list_template = _template("list.html")
    sites = {}
    for host_index, host in enumerate(host_names(hosts)):
        site = Site(host=host, spec={}, directory=TEMPLATES.parent)
        mine = sorted((a for a in all_articles if a.host == host), key=lambda a: a.published, reverse=True)
        chunks = [mine[i : i + PAGE_SIZE] for i in range(0, len(mine), PAGE_SIZE)] or [[]]
        for number, chunk in enumerate(chunks):
            items = "\n".join(
                f'<li><a href="{a.path}" target="_blank" title="{html.escape(a.title)}">{html.escape(a.title)}</a>'
                f"<span>{a.published:%Y-%m-%d}</span></li>"
                for a in chunk
            )
            name = "index.html" if number == 0 else f"index_{number}.html"
            text = list_template.substitute(
                items=items, page_count=len(chunks), current=number, **_site_vars(host, host_index)
            )
            site.add(COLUMN + name, Page(body=text.encode("utf-8")))
        for index, article in enumerate(mine):
            neighbour = mine[(index + 1) % len(mine)]
            text = article.html.replace(f'下一篇：<a href="{article.path}">', f'下一篇：<a href="{neighbour.path}">')
            site.add(article.path, Page(body=text.encode("utf-8"), last_modified=article.published))
        site.add("/robots.txt", Page(b"User-agent: *\nDisallow: /search/\n", content_type="text/plain"))
        sites[host] = site
    return sites, all_articles


def sources_toml(hosts: int) -> str:
    """A sources file with one source crawling every host's column."""
    starts = ", ".join(f'"http://{host}{COLUMN}index.html"' for host in host_names(hosts))
    return f"""[[source]]
name = "{SOURCE_NAME}"
kind = "gov"
description = "synthetic TRS columns for bench/"
start_urls = [{starts}]
follow = ['/zwgk/ldjh/index(_\\d+)?\\.html$']
articles = ['/zwgk/ldjh/\\d{{6}}/t\\d{{8}}_\\d+\\.html$']
max_pages = 10000
"""
