"""Crawl throughput: our spider with its full pipeline against a bare Scrapy spider, then 1 / 2 / 4 workers.

A synthetic site (``synthetic_site.py``: ``--pages`` article pages over ``--hosts`` host names) is served by the
sample web with ``--latency`` seconds added to every response, in this process; every crawl runs in a child
process through it as the HTTP proxy, as ``speechwatch crawl`` does.

- **single**: for each ``--modes`` (``polite``: the project's own politeness settings; ``unthrottled``: no
  delay, no AutoThrottle, 16 requests per host) a bare Scrapy spider (same pages, same link discovery and
  settings, robots.txt obeyed, no pipelines, nothing stored) and ``scrapy crawl source`` with the full pipeline
  (extraction + storage into a fresh SQLite file, including the re-extraction pass at close). Pages/min over the
  child's wall time (start to exit) and over the fetch window (first to last request served).
- **distributed**: for each ``--workers`` count, a fresh PostgreSQL database, that many ``speechwatch worker``
  processes (``--slots 1``) on a unique Redis queue, and ``crawl_distributed`` as the coordinator in this
  process. Worker children use the project settings (``speechwatch worker`` passes no Scrapy overrides), i.e. the
  polite mode. Timed from seeding to the last crawl child's exit; the queue's keys are deleted afterwards.

    .venv/bin/python bench/bench_crawl.py [--pages 2000] [--hosts 10] [--latency 0.05] [--workers 1 2 4]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import synthetic_site  # noqa: E402

ROOT = BENCH_DIR.parent
PYTHON = sys.executable
POLITE = {  # the values of crawler/settings.py, written out so the bare spider gets exactly the same
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    "DOWNLOAD_DELAY": 0.25,
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 0.25,
    "AUTOTHROTTLE_MAX_DELAY": 30,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
}
UNTHROTTLED = {
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
}
MODES = {"polite": POLITE, "unthrottled": UNTHROTTLED}
COMMON = {  # the same in both spiders
    "ROBOTSTXT_OBEY": True,
    "COOKIES_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False,
    "RETRY_TIMES": 2,
    "DOWNLOAD_TIMEOUT": 30,
    "DEPTH_LIMIT": 50,
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    "USER_AGENT": "speechwatch/0.1 (+policy-speech monitor; contact: see README)",
    "LOG_LEVEL": "INFO",
}


# -- the bare spider (run in a child: ``bench_crawl.py --bare-child SETTINGS_JSON``) -------------------------


def run_bare_child(config: dict) -> None:
    """Crawl with plain Scrapy: list pages → article pages, the spider's link discovery, no pipelines."""
    import re

    from scrapy import Request, Spider
    from scrapy.crawler import CrawlerProcess
    from scrapy.http import TextResponse

    from crawler.pagination import hrefs_in_markup, trs_page_urls

    follow = [re.compile(p) for p in config["follow"]]
    article = [re.compile(p) for p in config["articles"]]

    class BareSpider(Spider):
        name = "bare"
        allowed_domains = config["hosts"]

        async def start(self):
            for url in config["start_urls"]:
                yield Request(url, callback=self.parse_list)

        def parse_list(self, response):
            if not isinstance(response, TextResponse):
                return
            for url in hrefs_in_markup(response.url, response.text):
                if any(p.search(url) for p in article):
                    yield Request(url, callback=self.parse_article)
                elif any(p.search(url) for p in follow):
                    yield Request(url, callback=self.parse_list)
            for url in trs_page_urls(response.url, response.text):
                yield Request(url, callback=self.parse_list)

        def parse_article(self, response):
            yield {"url": response.url, "bytes": len(response.body)}

    os.environ["http_proxy"] = config["proxy"]  # HttpProxyMiddleware: robots.txt requests go through it too
    process = CrawlerProcess({**config["settings"], "ITEM_PIPELINES": {}})
    process.crawl(BareSpider)
    process.start()


# -- the served site -----------------------------------------------------------------------------------------


def make_web(sites, latency: float):
    from monitor.sampleweb.server import SampleWeb

    class TimedWeb(SampleWeb):
        """The sample web, with the time of every request (for the fetch window)."""

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.times: list[float] = []

        def answer(self, method, host, path, headers):
            with self._lock:
                self.times.append(time.monotonic())
            return super().answer(method, host, path, headers)

        def clear(self) -> None:
            with self._lock:
                self.requests.clear()
                self.times.clear()
                self._hits.clear()

    return TimedWeb(sites=sites, latency=latency)


@dataclass
class CrawlResult:
    label: str
    wall: float
    requests: int
    ok: int
    articles: int
    distinct_articles: int
    window: float
    stored: int | None = None
    note: str = ""
    hosts_per_16: float = 0.0  # distinct hosts among 16 consecutive article requests: how interleaved the crawl is
    startup: float = 0.0  # seconds from the start to the first request served
    closing: float = 0.0  # seconds from the last request served to the end (flush, re-extraction, exit)

    @property
    def per_min(self) -> float:
        return self.ok / self.wall * 60

    @property
    def window_per_min(self) -> float:
        return self.ok / self.window * 60 if self.window > 0 else 0.0

    def line(self) -> str:
        stored = f"  stored {self.stored:,}" if self.stored is not None else ""
        return (
            f"  {self.label:<42} {self.wall:6.1f} s {self.per_min:6,.0f} pages/min = startup {self.startup:4.1f} s"
            f" + fetch window {self.window:5.1f} s ({self.window_per_min:5,.0f} pages/min)"
            f" + close {self.closing:4.1f} s"
            f"   ({self.ok:,} pages 200: {self.distinct_articles:,} articles{stored}; {self.requests:,} requests;"
            f" {self.hosts_per_16:.1f} hosts per 16 consecutive article requests){self.note}"
        )


def served(web, label: str, start: float, wall: float, stored: int | None = None, note: str = "") -> CrawlResult:
    with web._lock:
        records = list(web.requests)
        times = list(web.times)
    ok = [r for r in records if r.status == 200]
    articles = [r for r in ok if r.path.rsplit("/", 1)[-1].startswith("t") and r.path.endswith(".html")]
    return CrawlResult(
        label=label,
        wall=wall,
        requests=len(records),
        ok=len(ok),
        articles=len(articles),
        distinct_articles=len({(r.host, r.path) for r in articles}),
        window=(max(times) - min(times)) if times else 0.0,
        stored=stored,
        note=note,
        hosts_per_16=_interleaving([r.host for r in articles]),
        startup=(min(times) - start) if times else 0.0,
        closing=(start + wall - max(times)) if times else 0.0,
    )


def _interleaving(hosts: list[str], width: int = 16) -> float:
    windows = [hosts[i : i + width] for i in range(0, len(hosts) - width + 1, width)]
    return sum(len(set(w)) for w in windows) / len(windows) if windows else 0.0


# -- single process: bare vs full ----------------------------------------------------------------------------


def crawl_bare(web, mode: str, hosts: int, tmp: Path) -> CrawlResult:
    source = _source(tmp, hosts)
    config = {
        "settings": {**COMMON, **MODES[mode]},
        "proxy": web.proxy_url,
        "start_urls": list(source.start_urls),
        "hosts": list(source.allowed_domains),
        "follow": [p.pattern for p in source.follow],
        "articles": [p.pattern for p in source.articles],
    }
    web.clear()
    log = tmp / f"bare-{mode}.log"
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    start = time.monotonic()
    with log.open("wb") as out:
        code = subprocess.call(
            [PYTHON, str(Path(__file__).resolve()), "--bare-child", json.dumps(config)],
            cwd=tmp,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    wall = time.monotonic() - start
    if code:
        raise SystemExit(f"bare crawl exited with {code}; see {log}")
    return served(web, f"bare Scrapy spider, {mode}", start, wall)


def crawl_full(web, mode: str, hosts: int, tmp: Path) -> CrawlResult:
    from sqlalchemy import func, select

    from monitor.crawling import spawn_crawl
    from storage.database import Database
    from storage.models import Document
    from storage.runs import start_run

    path = tmp / f"full-{mode}.db"
    db = Database(f"sqlite:///{path}")
    run_id = start_run(db, synthetic_site.SOURCE_NAME)
    overrides = {} if mode == "polite" else {k: str(v) for k, v in UNTHROTTLED.items()}
    web.clear()
    log = tmp / f"full-{mode}.log"
    start = time.monotonic()
    child = spawn_crawl(
        synthetic_site.SOURCE_NAME, run_id, log, db.url, _sources_file(tmp, hosts), web.proxy_url, 1800, overrides
    )
    code = child.wait()
    wall = time.monotonic() - start
    if code:
        raise SystemExit(f"full crawl exited with {code}; see {log}")
    with db.read() as session:
        stored = session.scalar(select(func.count()).select_from(Document))
    db.close()
    return served(web, f"speechwatch spider + pipeline, {mode}", start, wall, stored)


def _sources_file(tmp: Path, hosts: int) -> Path:
    path = tmp / "bench-sources.toml"
    if not path.exists():
        path.write_text(synthetic_site.sources_toml(hosts), encoding="utf-8")
    return path


def _source(tmp: Path, hosts: int):
    from crawler.sources import load_sources

    return load_sources(_sources_file(tmp, hosts))[0]


# -- distributed: N workers through Redis into PostgreSQL ----------------------------------------------------


def _children_of(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def crawl_distributed_with(web, workers: int, args, tmp: Path) -> CrawlResult:
    import psycopg
    import redis

    from monitor.schedule.distributed import crawl_distributed
    from storage.database import Database

    name = f"bench_crawl_{os.getpid()}_w{workers}"
    admin = psycopg.connect(args.pg_admin, autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(
        f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
    )
    db_url = f"{args.pg_base}/{name}"
    queue = f"bench-crawl-{uuid.uuid4().hex[:8]}"
    sources = _sources_file(tmp, args.hosts)
    db = Database(db_url)
    env = dict(os.environ, SPEECHWATCH_LOG_DIR=str(tmp / f"logs-w{workers}"), PYTHONUNBUFFERED="1")
    procs = []
    try:
        for index in range(workers):
            log = (tmp / f"worker-{workers}-{index}.log").open("wb")
            command = [str(Path(PYTHON).parent / "speechwatch"), "worker", "--sources", str(sources), "--db", db_url]
            command += ["--redis", args.redis, "--queue", queue, "--proxy", web.proxy_url, "--slots", "1"]
            procs.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
            log.close()
        deadline = time.monotonic() + 60
        for index in range(workers):  # every worker polling before the run is seeded
            log = tmp / f"worker-{workers}-{index}.log"
            while "worker serving queue" not in log.read_text(errors="replace"):
                if time.monotonic() > deadline or procs[index].poll() is not None:
                    raise SystemExit(f"worker {index} did not start; see {log}")
                time.sleep(0.2)
        web.clear()
        source = _source(tmp, args.hosts)
        start = time.monotonic()
        run = crawl_distributed(db, source, args.redis, queue=queue, timeout=1800, trigger="manual")
        closed = time.monotonic() - start
        while any(_children_of(p.pid) for p in procs):  # the crawl children finish their close (re-extraction)
            time.sleep(0.2)
        wall = time.monotonic() - start
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
        server = redis.Redis.from_url(args.redis)
        leftover = [f"{key.decode()} (ttl {server.ttl(key)} s)" for key in server.scan_iter(f"{queue}:*")]
        if leftover:
            server.delete(*(key.split(" ")[0] for key in leftover))
    from sqlalchemy import func, select

    from storage.models import Document

    with db.read() as session:
        stored = session.scalar(select(func.count()).select_from(Document))
    db.close()
    if not args.keep:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()
    fetched = served(web, "", start, wall)
    twice = fetched.articles - fetched.distinct_articles
    note = (
        f"; run {run.status}, closed by the coordinator after {closed:.1f} s; {twice} articles fetched twice;"
        f" Redis keys left after the run: {', '.join(k.removeprefix(queue + ':') for k in leftover) or 'none'}"
        " (deleted now)"
    )
    return served(web, f"{workers} worker{'s' if workers > 1 else ''}, PostgreSQL", start, wall, stored, note)


# -- main ----------------------------------------------------------------------------------------------------


def machine(label: str) -> str:
    return (
        f"{label}  {datetime.now():%Y-%m-%d %H:%M}  {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--bare-child":
        run_bare_child(json.loads(sys.argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=2000, help="article pages of the synthetic site")
    parser.add_argument("--hosts", type=int, default=10, help="host names the pages are spread over")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every response")
    parser.add_argument("--modes", nargs="*", default=["polite", "unthrottled"], choices=sorted(MODES))
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4], help="worker counts; none: skip")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--pg-admin", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--pg-base", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and databases")
    args = parser.parse_args()

    print(machine("bench_crawl"))
    started = time.monotonic()
    sites, articles = synthetic_site.build_sites(args.pages, args.hosts, args.seed)
    size = sum(len(a.html.encode("utf-8")) for a in articles) / len(articles) / 1024
    lists = sum(len(s.pages) for s in sites.values()) - len(articles) - len(sites)
    print(
        f"site: {len(articles):,} article pages (mean {size:.1f} KiB) + {lists} list pages + {len(sites)} robots.txt"
        f" over {args.hosts} hosts; {args.latency * 1000:.0f} ms added per response; built in"
        f" {time.monotonic() - started:.1f} s"
    )
    for mode in args.modes:
        shown = ", ".join(f"{k}={v}" for k, v in MODES[mode].items())
        print(f"mode {mode}: {shown}")
    tmp_dir = tempfile.mkdtemp(prefix="bench-crawl-")
    tmp = Path(tmp_dir)
    web = make_web(sites, args.latency).start()
    try:
        for mode in args.modes:
            print(f"\nsingle process, {mode}  (load average {os.getloadavg()[0]:.2f})", flush=True)
            bare = crawl_bare(web, mode, args.hosts, tmp)
            print(bare.line(), flush=True)
            full = crawl_full(web, mode, args.hosts, tmp)
            print(full.line(), flush=True)
            print(
                f"  ratio full/bare: {full.per_min / bare.per_min:.2f}x over the child's wall time,"
                f" {full.window_per_min / bare.window_per_min:.2f}x over the fetch window  (goal >= 0.5x)"
                f"  load average {os.getloadavg()[0]:.2f}",
                flush=True,
            )
        if args.workers:
            print("\ndistributed through Redis, PostgreSQL store, project settings (polite)", flush=True)
            results = []
            for count in args.workers:
                result = crawl_distributed_with(web, count, args, tmp)
                results.append(result)
                print(result.line() + f"  load average {os.getloadavg()[0]:.2f}", flush=True)
            base = results[0]
            print(
                "  speed-up over "
                + base.label.split(",")[0]
                + ": "
                + ", ".join(f"{r.label.split(',')[0]} {r.per_min / base.per_min:.2f}x" for r in results[1:])
                + "  (goal >= 1.7x with 2 workers)"
            )
    finally:
        web.stop()
        if args.keep:
            print(f"kept {tmp}")
        else:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
