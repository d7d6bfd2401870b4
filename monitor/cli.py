"""The ``speechwatch`` command: thin subcommands over crawler, storage and monitor."""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crawler.sources import Source, SourcesError, load_sources, select_sources

SAMPLE_SOURCES = Path(__file__).parent / "sampleweb" / "sources.toml"
console = Console(stderr=False)
if not console.is_terminal:
    console = Console(stderr=False, width=120)
err_console = Console(stderr=True)


class UserError(click.ClickException):
    """A problem the user can fix, shown as one line (no traceback unless --debug)."""

    def show(self, file=None) -> None:  # noqa: ARG002 - click's signature
        err_console.print(f"[red]error:[/] {escape(self.message)}", highlight=False, soft_wrap=True)


@contextmanager
def needs_redis_extra():
    """A missing scrapy-redis / redis (the ``redis`` extra) becomes one line saying what to install."""
    try:
        yield
    except ModuleNotFoundError as exc:
        raise click.ClickException(
            f"distributed crawling needs the redis extra ({exc.name} is not installed): "
            "pip install 'speechwatch[redis]'"
        ) from None


def friendly_errors(function: Callable) -> Callable:
    """Turn domain errors into one clear line; ``--debug`` (or SPEECHWATCH_DEBUG=1) shows the traceback."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except click.ClickException:
            raise
        except Exception as exc:  # noqa: BLE001 - the CLI boundary
            if os.environ.get("SPEECHWATCH_DEBUG") == "1":
                raise
            raise UserError(_describe(exc)) from exc

    return wrapper


def _describe(exc: Exception) -> str:
    from sqlalchemy.exc import ArgumentError, OperationalError

    if isinstance(exc, SourcesError):
        return str(exc)
    if isinstance(exc, OperationalError):
        return f"database error: {str(exc.orig).splitlines()[0] if exc.orig else exc}"
    if isinstance(exc, ArgumentError):
        return f"bad database URL: {exc}"
    return f"{type(exc).__name__}: {exc}"


def db_option(function: Callable) -> Callable:
    return click.option(
        "--db",
        "db_url",
        envvar="SPEECHWATCH_DB",
        help="SQLAlchemy URL or SQLite path [env SPEECHWATCH_DB; default ./data/speechwatch.db].",
    )(function)


def sources_option(function: Callable) -> Callable:
    return click.option(
        "--sources",
        "sources_path",
        envvar="SPEECHWATCH_SOURCES",
        default="sources.toml",
        show_default=True,
        type=click.Path(path_type=Path),
        help="Sources file (TOML) [env SPEECHWATCH_SOURCES].",
    )(function)


def open_db(db_url: str | None):
    from storage.database import Database

    return Database(db_url)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(package_name="speechwatch")
def main(debug: bool) -> None:
    """speechwatch: crawl officials' speeches on the business environment and track what they promise."""
    if debug:
        os.environ["SPEECHWATCH_DEBUG"] = "1"


# -- crawling ------------------------------------------------------------------------------------------------


@main.command()
@sources_option
@click.option("--source", "names", multiple=True, help="Crawl only this source (repeatable). Default: all enabled.")
@db_option
@click.option("--proxy", envvar="SPEECHWATCH_PROXY", help="HTTP proxy for every request [env SPEECHWATCH_PROXY].")
@click.option("--jobs", default=2, show_default=True, type=click.IntRange(1, 16), help="Crawls at once.")
@click.option("--timeout", default=3600, show_default=True, type=click.IntRange(10), help="Seconds per crawl.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@friendly_errors
def crawl(sources_path, names, db_url, proxy, jobs, timeout, output_format) -> None:
    """Crawl sources now (each in a child process) and print a per-source summary."""
    sources = select_sources(load_sources(sources_path), names)
    if not sources:
        raise UserError(f"{sources_path}: no enabled source to crawl")
    _crawl_and_report(sources, sources_path, db_url, proxy, jobs, timeout, output_format)


@main.command()
@db_option
@click.option("--port", default=0, show_default=True, type=click.IntRange(0, 65535), help="Sample web port (0: free).")
@click.option("--jobs", default=4, show_default=True, type=click.IntRange(1, 16), help="Crawls at once.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@friendly_errors
def demo(db_url, port, jobs, output_format) -> None:
    """Start the bundled sample web on 127.0.0.1 and crawl all of its sources into the store."""
    from monitor.sampleweb.server import SampleWeb

    sources = load_sources(SAMPLE_SOURCES)
    with SampleWeb(port=port) as web:
        if output_format == "table":
            console.print(f"sample web: {len(web.sites)} sites at {web.proxy_url} (serves them by host name)")
        _crawl_and_report(sources, SAMPLE_SOURCES, db_url, web.proxy_url, jobs, 600, output_format)
    if output_format == "table":
        _demo_digest(db_url)


def _crawl_and_report(
    sources: list[Source], sources_path: Path, db_url, proxy, jobs: int, timeout: int, output_format: str
) -> None:
    from monitor.crawling import crawl_sources
    from monitor.postrun import process_new_documents
    from monitor.report import print_runs
    from storage.documents import count_documents
    from storage.runs import get_runs

    db = open_db(db_url)
    try:
        show = output_format == "table" and console.is_terminal
        with Progress(
            TextColumn("[bold]crawling[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            disable=not show,
            transient=True,
        ) as progress:
            task = progress.add_task("", total=len(sources))

            def done(run) -> None:
                progress.update(task, advance=1, description=f"{run.source}: {run.status}")
                if not show and output_format == "table":
                    console.print(f"  {run.source}: {run.status}")

            runs = crawl_sources(db, sources, sources_path, proxy=proxy, jobs=jobs, timeout=timeout, on_done=done)
        found = process_new_documents(db, [run.id for run in runs])
        clustered, mined = found.clustered, found.mined
        runs = get_runs(db, [run.id for run in runs])
        print_runs(runs, output_format, console)
        if output_format == "table":
            console.print(
                f"store: {db.display_url} · {count_documents(db)} documents in all · speeches: "
                f"{clustered.new_speeches} new, {clustered.joined} copies joined a speech, {clustered.merged} merged"
                f" · commitments: {mined.new} new (flagged for review), {mined.seen_again} seen again"
            )
        if any(run.status in ("failed", "timeout") for run in runs):
            logs = os.environ.get("SPEECHWATCH_LOG_DIR", "data/logs")
            err_console.print(f"[yellow]some crawls failed; their logs are in {logs}/[/]")
    finally:
        db.close()


# -- scheduling ----------------------------------------------------------------------------------------------


@main.command()
@sources_option
@db_option
@click.option("--proxy", envvar="SPEECHWATCH_PROXY", help="HTTP proxy for every request [env SPEECHWATCH_PROXY].")
@click.option("--timeout", default=3600, show_default=True, type=click.IntRange(1), help="Seconds per crawl.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 16), help="Crawls at once.")
@click.option(
    "--digest-schedule",
    envvar="SPEECHWATCH_DIGEST_SCHEDULE",
    default="0 8 * * *",
    show_default=True,
    help="Cron (or '@every 1d') of the digest job, in --digest-zone; 'off' for none [env SPEECHWATCH_DIGEST_SCHEDULE].",
)
@click.option("--digest-zone", default="Asia/Shanghai", show_default=True, help="Time zone of --digest-schedule.")
@click.option(
    "--config",
    "digest_config",
    envvar="SPEECHWATCH_CONFIG",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Settings file with the digest delivery [env SPEECHWATCH_CONFIG].",
)
@click.option(
    "--redis",
    "redis_url",
    envvar="SPEECHWATCH_REDIS",
    help="Seed each run into this Redis for `speechwatch worker`s instead of crawling here [env SPEECHWATCH_REDIS].",
)
@click.option("--queue", envvar="SPEECHWATCH_QUEUE", default="speechwatch", show_default=True,
              help="Name of the Redis run queue the workers serve [env SPEECHWATCH_QUEUE].")  # fmt: skip
@click.option("--list", "list_jobs", is_flag=True, help="Show each job with its next run time, then exit.")
@click.option("--once", is_flag=True, help="Run every job that is due now, then exit (for cron users).")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@friendly_errors
def schedule(
    sources_path,
    db_url,
    proxy,
    timeout,
    workers,
    digest_schedule,
    digest_zone,
    digest_config,
    redis_url,
    queue,
    list_jobs,
    once,
    output_format,
) -> None:
    """Run the scheduler: crawl each enabled source on its schedule, then cluster, mine and send the digest.

    Stops on SIGTERM or Ctrl-C (running crawls are stopped and recorded); SIGHUP re-reads the sources file.
    """
    from crawler.sources import parse_schedule

    load_sources(sources_path)  # a bad file is one clear line, before anything starts
    digest_schedule = None if digest_schedule.strip().lower() in ("off", "none", "") else digest_schedule
    if digest_schedule:
        try:
            parse_schedule(digest_schedule, digest_zone)
        except Exception as exc:  # noqa: BLE001 - APScheduler raises ValueError or zone errors
            raise UserError(f"--digest-schedule {digest_schedule!r}: {exc}") from None
    if digest_schedule and not list_jobs:
        digest_schedule = _digest_schedule_if_deliverable(digest_schedule, digest_config)
    if list_jobs:
        _print_jobs(db_url, sources_path, digest_schedule, digest_zone, output_format)
    elif once:
        _run_once(db_url, sources_path, proxy, timeout, workers, digest_schedule, digest_zone, digest_config,
                  output_format)  # fmt: skip
    else:
        _serve_schedule(db_url, sources_path, proxy, timeout, workers, digest_schedule, digest_zone, digest_config,
                        redis_url, queue)  # fmt: skip


def _digest_schedule_if_deliverable(digest_schedule: str, digest_config: Path | None) -> str | None:
    """The digest job needs somewhere to deliver: a bad settings file stops us, no channel at all drops the job."""
    from monitor.digest import DigestConfigError, load_digest_config

    config = None
    try:
        config = load_digest_config(digest_config)
        config.check()
    except DigestConfigError as exc:
        if config is None or config.channels:
            raise UserError(str(exc)) from None
        err_console.print(f"[yellow]no digest job[/]: {escape(str(exc))}", highlight=False)
        return None
    return digest_schedule


def _serve_schedule(db_url, sources_path, proxy, timeout, workers, digest_schedule, digest_zone, digest_config,
                    redis_url=None, queue="speechwatch"):  # fmt: skip
    import logging

    from monitor.schedule.service import ScheduleOptions, SchedulerBusy, SchedulerService

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("apscheduler", "alembic"):  # their INFO lines (job added, migration context) are not news
        logging.getLogger(noisy).setLevel(logging.WARNING)
    options = ScheduleOptions(
        sources_path=sources_path,
        db_url=db_url,
        proxy=proxy,
        timeout=timeout,
        workers=workers,
        digest_schedule=digest_schedule,
        digest_zone=digest_zone,
        digest_config=digest_config,
        redis_url=redis_url,
        queue=queue,
    )
    if redis_url:
        with needs_redis_extra():
            from monitor.schedule.distributed import RedisUnavailable, open_redis

        try:
            open_redis(redis_url)
        except RedisUnavailable as exc:
            raise UserError(str(exc)) from None
    try:
        SchedulerService(options).run()
    except SchedulerBusy as exc:
        raise UserError(str(exc)) from None


def _print_jobs(db_url, sources_path, digest_schedule, digest_zone, output_format) -> None:
    from zoneinfo import ZoneInfo

    from rich.table import Table

    from monitor.schedule.listing import job_rows

    db = open_db(db_url)
    try:
        rows = job_rows(db, sources_path, digest_schedule, digest_zone)
    finally:
        db.close()
    if output_format == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    from datetime import datetime

    table = Table(title=f"{len(rows)} scheduled jobs", title_justify="left")
    for column in ("job", "schedule", "zone", "next run (zone)", "from", "last run"):
        table.add_column(column, overflow="fold")
    for row in rows:
        upcoming = ""
        if row["next_run"]:
            when = datetime.fromisoformat(row["next_run"]).astimezone(ZoneInfo(row["timezone"] or digest_zone))
            upcoming = when.strftime("%Y-%m-%d %H:%M")
        last = f"{row['last_run_status']} {row['last_run_started'][:16]}" if row["last_run_status"] else ""
        table.add_row(row["job"], row["schedule"] or "", row["timezone"] or "", upcoming, row["next_run_source"], last)
    console.print(table)


def _run_once(db_url, sources_path, proxy, timeout, workers, digest_schedule, digest_zone, digest_config,
              output_format) -> None:  # fmt: skip
    from monitor.report import print_runs
    from monitor.schedule.once import run_due_jobs

    db = open_db(db_url)
    try:
        result = run_due_jobs(
            db,
            sources_path,
            proxy=proxy,
            timeout=timeout,
            workers=workers,
            digest_schedule=digest_schedule,
            digest_zone=digest_zone,
            digest_config=digest_config,
        )
        if output_format == "json":
            print_runs(result.runs, "json", console)
        else:
            if result.runs:
                print_runs(result.runs, "table", console)
            console.print(f"not due: {', '.join(result.skipped) or 'none'}")
            if result.digest is not None:
                console.print(f"digest: {result.digest}")
    finally:
        db.close()
    if any(run.status in ("failed", "timeout") for run in result.runs):
        sys.exit(1)


@main.command()
@sources_option
@db_option
@click.option("--redis", "redis_url", envvar="SPEECHWATCH_REDIS", required=True,
              help="Redis holding the run queue [env SPEECHWATCH_REDIS].")  # fmt: skip
@click.option("--queue", envvar="SPEECHWATCH_QUEUE", default="speechwatch", show_default=True,
              help="Name of the run queue to serve [env SPEECHWATCH_QUEUE].")  # fmt: skip
@click.option("--proxy", envvar="SPEECHWATCH_PROXY", help="HTTP proxy for every request [env SPEECHWATCH_PROXY].")
@click.option("--slots", default=2, show_default=True, type=click.IntRange(1, 32), help="Runs crawled at once.")
@click.option("--timeout", default=3600, show_default=True, type=click.IntRange(1), help="Seconds per crawl.")
@friendly_errors
def worker(sources_path, db_url, redis_url, queue, proxy, slots, timeout) -> None:
    """Crawl runs the scheduler seeds into Redis, with any number of other workers, into the shared database.

    Stops on SIGTERM or Ctrl-C: its crawls close cleanly and hand their counts to the run.
    """
    import logging
    import signal

    from storage.engine import resolve_url

    with needs_redis_extra():
        from monitor.schedule.distributed import RedisUnavailable
        from monitor.worker import Worker, WorkerOptions

    load_sources(sources_path)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    options = WorkerOptions(
        sources_path=sources_path,
        db_url=resolve_url(db_url),
        redis_url=redis_url,
        queue=queue,
        proxy=proxy,
        slots=slots,
        timeout=timeout,
        log_dir=Path(os.environ.get("SPEECHWATCH_LOG_DIR", "data/logs")),
    )
    open_db(db_url).close()  # the schema exists before any crawl child starts
    crawler_worker = Worker(options)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: crawler_worker.stop.set())
    try:
        crawler_worker.run()
    except RedisUnavailable as exc:
        raise UserError(str(exc)) from None


@main.command()
@click.option("--source", "source_name", help="Only the runs of this source.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1))
@click.option("--format", "output_format", type=click.Choice(["table", "json", "csv"]), default="table")
@db_option
@friendly_errors
def runs(source_name, limit, output_format, db_url) -> None:
    """Run history, newest first: start, duration, pages, new documents / speeches / commitments, status."""
    from monitor.report import RUN_FIELDS, print_history, run_record
    from storage.runs import recent_runs

    db = open_db(db_url)
    try:
        rows = recent_runs(db, source_name, limit)
    finally:
        db.close()
    if output_format == "table":
        print_history(rows, console)
        return
    records = [run_record(run) for run in rows]
    if output_format == "json":
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    import csv

    writer = csv.DictWriter(sys.stdout, fieldnames=RUN_FIELDS)
    writer.writeheader()
    writer.writerows(records)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--truth", is_flag=True, help="Print the ground truth of every page as JSONL and exit.")
@friendly_errors
def sampleweb(host, port, truth) -> None:
    """Serve the bundled sample web so a person (or a crawl) can browse it.

    Browse with the server as HTTP proxy, e.g.
    curl -x http://127.0.0.1:8000 http://www.pingshan.gov.cn/zwgk/ldjh/index.html
    """
    from monitor.sampleweb.server import SampleWeb
    from monitor.sampleweb.site import default_sites, ground_truth

    if truth:
        for row in ground_truth(default_sites()):
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    web = SampleWeb(host=host, port=port)
    console.print(f"sample web at {web.proxy_url}; sites: {', '.join(sorted(web.sites))}")
    console.print(f"use it as an HTTP proxy: curl -x {web.proxy_url} http://www.pingshan.gov.cn/zwgk/ldjh/index.html")
    try:
        web.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        web.stop()


# -- sources -------------------------------------------------------------------------------------------------


@main.group()
def sources() -> None:
    """Inspect the sources file."""


@sources.command("check")
@sources_option
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@friendly_errors
def sources_check(sources_path, output_format) -> None:
    """Validate the sources file and list its sources."""
    from rich.table import Table

    loaded = load_sources(sources_path)
    if output_format == "json":
        click.echo(json.dumps([s.to_config() for s in loaded], ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{sources_path}: {len(loaded)} sources, all valid", title_justify="left")
    for column in ("name", "kind", "enabled", "schedule", "start URLs", "list API"):
        table.add_column(column)
    for s in loaded:
        table.add_row(
            s.name,
            s.kind,
            "yes" if s.enabled else "no",
            f"{s.schedule} ({s.timezone})",
            "\n".join(s.start_urls),
            s.list_api.type if s.list_api else "",
        )
    console.print(table)


# -- extraction ------------------------------------------------------------------------------------------------


@main.command("extract")
@click.argument("page", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--url", required=True, help="The page's URL (its host picks the site's rules).")
@click.option("--source", "source_name", help="Use this source's selectors from the sources file.")
@sources_option
@click.option("--json", "as_json", is_flag=True, help="Print the fields as one JSON object.")
@click.option("--explain", is_flag=True, help="Also list the removed lines and why.")
@friendly_errors
def extract_command(page, url, source_name, sources_path, as_json, explain) -> None:
    """Show what would be stored from one saved page (like ``scrapy parse``), for someone adding a source."""
    from monitor.extract.core import SiteProfile, bare_extract
    from monitor.extract.decode import DecodeError, decode_html

    try:
        html, encoding = decode_html(page.read_bytes())
    except DecodeError as exc:
        raise UserError(f"{page}: {exc}") from None
    selectors = {}
    if source_name:
        selectors = select_sources(load_sources(sources_path), [source_name])[0].selectors
    from urllib.parse import urlsplit

    profile = SiteProfile(host=urlsplit(url).hostname or "", selectors=selectors)
    result, debug = bare_extract(html, url, profile)
    record = {"url": url, "encoding": encoding, **result.to_dict()}
    if as_json:
        if explain:
            record["removed"] = [{"line": line, "reason": reason} for line, reason in debug.removed]
            record["block"] = debug.method
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    table = Table(show_header=False, title=f"{page} ({encoding}, body from {debug.method})", title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for key, value in record.items():
        if key != "text":
            table.add_row(key, "" if value is None else str(value))
    table.add_row(
        "text", f"{len(result.text)} characters, {result.text.count(chr(10)) + 1 if result.text else 0} paragraphs"
    )
    console.print(table)
    console.print(result.text[:2000] + ("…" if len(result.text) > 2000 else ""), highlight=False)
    if explain:
        console.print("[bold]removed lines[/]")
        for line, reason in debug.removed:
            console.print(f"  [dim]{reason:>16}[/]  {escape(line[:100])}", highlight=False)


@main.command()
@click.option("--source", "source_name", help="Only this source's documents.")
@db_option
@friendly_errors
def reprocess(source_name, db_url) -> None:
    """Re-run extraction over stored raw HTML (no refetching) and update what changed."""
    from monitor.reprocess import count_selected, reprocess_documents

    db = open_db(db_url)
    try:
        total = count_selected(db, source_name)
        with Progress(
            TextColumn("[bold]reprocessing[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal,
        ) as progress:
            task = progress.add_task("", total=total)
            counts = reprocess_documents(db, source_name, on_progress=lambda n: progress.advance(task, n))
        console.print(f"{counts.total} documents: {counts.changed} changed, {counts.failed} failed")
    finally:
        db.close()


@main.group("eval")
def eval_group() -> None:
    """Measure quality against the gold sets."""


@eval_group.command("extraction")
@click.option(
    "--gold", "gold_dir", type=click.Path(path_type=Path), help="Gold directory (default tests/gold/extraction)."
)
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--pages", "show_pages", is_flag=True, help="List the pages that miss a field or leave chrome.")
@friendly_errors
def eval_extraction(gold_dir, output_format, show_pages) -> None:
    """Body F1, chrome left and field accuracy on the gold set, next to bare trafilatura."""
    from monitor.evaluation import (
        FIELDS,
        GOLD_DIR,
        directory_gold,
        evaluate,
        gold_set,
        speechwatch_system,
        trafilatura_system,
    )

    pages = directory_gold(gold_dir) if gold_dir else gold_set(GOLD_DIR)
    reports = [evaluate(pages, speechwatch_system, "speechwatch"), evaluate(pages, trafilatura_system, "trafilatura")]
    if output_format == "json":
        click.echo(json.dumps([r.as_dict() for r in reports], ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    table = Table(title=f"Extraction on {len(pages)} gold pages", title_justify="left")
    table.add_column("metric")
    for report in reports:
        table.add_column(report.system, justify="right")
    rows = [
        ("body F1 (chars)", lambda r: f"{r.f1:.3f}"),
        ("pages with chrome left", lambda r: f"{r.chrome_left_share:.1%}"),
    ]
    shown = ("page_title", "speaker_post", "published_at", "truncated", "script", "region_code", "occasion")
    for name in FIELDS + shown:
        rows.append((f"{name} accuracy", lambda r, n=name: "n/a" if r.accuracy(n) is None else f"{r.accuracy(n):.3f}"))
    rows.append(("ms per page", lambda r: f"{1000 * r.seconds / max(1, len(r.pages)):.1f}"))
    for label, cell in rows:
        table.add_row(label, *(cell(r) for r in reports))
    console.print(table)
    if show_pages:
        for score in reports[0].pages:
            wrong = [k for k, ok in score.fields.items() if not ok]
            if wrong or score.extra_lines or score.f1 < 0.95:
                extra = [line[:40] for line in score.extra_lines[:2]]
                console.print(f"{score.name}: F1 {score.f1:.3f} wrong {wrong} extra {extra}")


@eval_group.command("dedup")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@friendly_errors
def eval_dedup(output_format) -> None:
    """Pairwise precision and recall and the false-merge rate of repost clustering on the labelled set."""
    from monitor.dedup.evaluate import evaluate_dedup, labelled_set

    report = evaluate_dedup(labelled_set())
    if output_format == "json":
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    table = Table(title=f"Repost clustering on {report.documents} labelled documents", title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("pairs (same speech)", f"{report.pairs} ({report.true_pairs})")
    table.add_row("pairwise precision", f"{report.precision:.4f}")
    table.add_row("pairwise recall", f"{report.recall:.4f}")
    table.add_row("false-merge rate (speeches mixing labels)", f"{report.false_merge_rate:.4f}")
    table.add_row("seconds", f"{report.seconds:.1f}")
    console.print(table)
    for left, right in report.false_merges[:10]:
        console.print(f"[red]false merge[/] {left} ~ {right}")
    for left, right in report.missed[:10]:
        console.print(f"[yellow]missed[/] {left} ~ {right}")


@eval_group.command("commitments")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--misses", is_flag=True, help="List missed gold commitments and wrong predictions.")
@click.option(
    "--split",
    type=click.Choice(["main", "holdout"]),
    default="main",
    show_default=True,
    help="Gold split: main (tests/gold/commitments) or the held-out set (tests/gold/commitments_holdout).",
)
@friendly_errors
def eval_commitments(output_format, misses, split) -> None:
    """Core recall, precision, deadline / quantity / strength accuracy on the commitment gold set."""
    from monitor.commitments.evaluate import SPLITS, evaluate_commitments, load_gold

    report = evaluate_commitments(load_gold(SPLITS[split]))
    if output_format == "json":
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    table = Table(
        title=f"Commitments on {report.documents} {split} gold documents ({report.gold_core} core)",
        title_justify="left",
    )
    table.add_column("metric")
    table.add_column("value", justify="right")
    for label, value in (("core recall", report.core_recall), ("precision", report.precision),
                         ("deadline exact", report.deadline_accuracy), ("quantity accuracy", report.quantity_accuracy),
                         ("strength accuracy", report.strength_accuracy)):  # fmt: skip
        table.add_row(label, f"{value:.3f}")
    table.add_row("predictions right / wrong / borderline", f"{report.right} / {report.wrong} / {report.neutral}")
    console.print(table)
    if misses:
        for doc, text in report.misses:
            console.print(f"[yellow]missed[/] {doc}: {escape(text)}")
        for doc, text in report.false_hits:
            console.print(f"[red]wrong[/] {doc}: {escape(text)}")
        for doc, text, want, got in report.wrong_deadlines:
            console.print(f"[magenta]deadline[/] {doc}: {escape(text)} want {want} got {got}")


# -- speeches (repost clusters) -----------------------------------------------------------------------------


@main.command()
@db_option
@friendly_errors
def cluster(db_url) -> None:
    """Fingerprint new or changed documents and fold them into speeches (runs after every crawl too)."""
    from monitor.dedup.cluster import cluster_documents, pending_documents

    db = open_db(db_url)
    try:
        with Progress(
            TextColumn("[bold]clustering[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=console, disable=not console.is_terminal,
        ) as progress:  # fmt: skip
            task = progress.add_task("", total=len(pending_documents(db)))
            counts = cluster_documents(db, on_progress=lambda n: progress.advance(task, n))
        console.print(
            f"{counts.documents} documents: {counts.new_speeches} new speeches, {counts.joined} joined one, "
            f"{counts.merged} merges"
        )
    finally:
        db.close()


@main.group()
def speeches() -> None:
    """Speeches: each with all its copies behind it."""


@speeches.command("list")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1))
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@db_option
@friendly_errors
def speeches_list(limit, output_format, db_url) -> None:
    """Speeches, newest speech date first, with their number of copies."""
    from sqlalchemy import select

    from storage.models import Speech

    db = open_db(db_url)
    try:
        with db.read() as session:
            rows = session.scalars(
                select(Speech).order_by(Speech.speech_date.desc().nulls_last(), Speech.id).limit(limit)
            ).all()
        if output_format == "json":
            fields = ("id", "title", "speaker", "speech_date", "region", "doc_type", "topic", "copies")
            click.echo(json.dumps([{f: getattr(r, f) for f in fields} for r in rows], ensure_ascii=False, indent=2))
            return
        from rich.table import Table

        table = Table(title=f"{len(rows)} speeches", title_justify="left")
        for column in ("id", "date", "speaker", "title", "region", "type", "copies"):
            table.add_column(column, overflow="fold")
        for r in rows:
            table.add_row(str(r.id), r.speech_date or "", r.speaker or "", r.title or "", r.region or "",
                          r.doc_type or "", str(r.copies))  # fmt: skip
        console.print(table)
    finally:
        db.close()


@speeches.command("show")
@click.argument("speech_id", type=int)
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@db_option
@friendly_errors
def speeches_show(speech_id, output_format, db_url) -> None:
    """One speech: its fields (and which copy each came from), its copies and why the canonical one won."""
    from monitor.dedup.views import speech_record

    db = open_db(db_url)
    try:
        record = speech_record(db, speech_id)
    finally:
        db.close()
    if record is None:
        raise UserError(f"no speech with id {speech_id}")
    if output_format == "json":
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    fields = Table(show_header=False, title=f"speech {speech_id}", title_justify="left")
    fields.add_column("field", style="bold")
    fields.add_column("value", overflow="fold")
    fields.add_column("from copy", style="dim")
    for name in ("title", "speaker", "speaker_post", "organization", "region", "region_code", "occasion",
                 "speech_date", "doc_type", "topic"):  # fmt: skip
        fields.add_row(name, "" if record[name] is None else str(record[name]), str(record["provenance"].get(name, "")))
    console.print(fields)
    console.print(f"canonical copy: {record['canonical_url']} — {record['canonical_reason']}")
    copies = Table(title=f"{record['copies']} copies", title_justify="left")
    for column in ("doc", "", "source", "chars", "hamming", "containment", "truncated", "script", "joined by", "url"):
        copies.add_column(column, overflow="fold")
    for row in record["copy_list"]:
        link = row["link"] or {}
        copies.add_row(
            str(row["document_id"]), "★" if row["canonical"] else "", row["source"], str(row["characters"]),
            "" if row["hamming"] is None else str(row["hamming"]),
            "" if row["containment"] is None else f"{row['containment']:.2f}",
            "yes" if row["truncated"] else "", row["script"] or "", link.get("reason", ""), row["url"],
        )  # fmt: skip
    console.print(copies)


# -- commitments -------------------------------------------------------------------------------------------------

COMMITMENT_FIELDS = ("id", "status", "speech_id", "deadline", "deadline_precision", "deadline_text", "text",
                     "action", "quantities", "strength", "tier", "topic", "actor", "actor_implicit", "counterparty",
                     "cited", "flagged", "reviewer", "note", "evidence", "document_id", "relation", "related_id",
                     "fulfilment")  # fmt: skip


def commitment_record(row) -> dict:
    from monitor.commitments.track import display_status

    record = {name: getattr(row, name) for name in COMMITMENT_FIELDS if name != "fulfilment"}
    record["status"] = display_status(row)
    return record


@main.group()
def commitments() -> None:
    """Commitments: what speeches promise, reviewed by people and tracked until done or overdue."""


@commitments.command("list")
@click.option(
    "--status", type=click.Choice(["new", "accepted", "rejected", "done", "overdue"]), help="Only this status."
)
@click.option("--due-before", help="Only deadlines on or before this date (YYYY-MM-DD).")
@click.option("--topic", help="Only this topic (land, finance, talent, approvals, …).")
@click.option("--cited", "include_cited", is_flag=True, help="Include targets quoted from higher bodies.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1))
@click.option(
    "--format", "output_format", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True
)
@db_option
@friendly_errors
def commitments_list(status, due_before, topic, include_cited, limit, output_format, db_url) -> None:
    """Commitments sorted by deadline."""
    from monitor.commitments.track import list_commitments

    db = open_db(db_url)
    try:
        rows = list_commitments(db, status=status, due_before=due_before, topic=topic, include_cited=include_cited,
                                limit=limit)  # fmt: skip
    finally:
        db.close()
    records = [commitment_record(row) for row in rows]
    if output_format != "table":
        from monitor.commitments.track import fulfilment_events

        db = open_db(db_url)
        try:
            for record in records:
                record["fulfilment"] = fulfilment_events(db, record["id"])
        finally:
            db.close()
    if output_format == "json":
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    if output_format == "csv":
        from monitor.export import write_records

        flat = ({k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v for k, v in r.items()}
                for r in records)  # fmt: skip
        write_records(flat, COMMITMENT_FIELDS, "csv", sys.stdout)
        return
    from rich.table import Table

    table = Table(title=f"{len(records)} commitments", title_justify="left")
    for column in ("id", "status", "deadline", "strength", "topic", "commitment", "speech"):
        table.add_column(column, overflow="fold")
    styles = {"overdue": "bold red", "new": "yellow", "accepted": "green", "done": "dim", "rejected": "dim"}
    for r in records:
        status_text = f"[{styles.get(r['status'], '')}]{r['status']}[/]"
        table.add_row(str(r["id"]), status_text, r["deadline"] or (r["deadline_precision"] or ""), r["strength"] or "",
                      r["topic"] or "", escape(r["text"]), str(r["speech_id"]))  # fmt: skip
    console.print(table)


def _review_command(action: str, help_text: str):
    @click.argument("commitment_id", type=int)
    @click.option("--note", help="Why (for done: the evidence, a URL or a sentence).")
    @click.option("--reviewer", envvar="USER", help="Who decides [env USER].")
    @db_option
    @friendly_errors
    def command(commitment_id, note, reviewer, db_url) -> None:
        from monitor.commitments.track import ReviewError, review

        db = open_db(db_url)
        try:
            row = review(db, commitment_id, action, reviewer=reviewer, note=note)
        except ReviewError as exc:
            raise UserError(str(exc)) from None
        finally:
            db.close()
        console.print(f"commitment {row.id}: {row.status} ({escape(row.text)})")

    command.__doc__ = help_text
    return commitments.command(action)(command)


_review_command("accept", "Accept a flagged commitment: it is tracked until done or overdue.")
_review_command("reject", "Reject a flagged commitment (not a real pledge).")
_review_command("done", "Mark an accepted commitment as done, with the evidence as --note.")


@commitments.command("extract")
@click.argument("textfile", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--date", "speech_date", help="Speech date (YYYY, YYYY-MM or YYYY-MM-DD) for relative deadlines.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@friendly_errors
def commitments_extract(textfile, speech_date, as_json) -> None:
    """Run commitment extraction on any UTF-8 text file (a whole page's text is fine)."""
    from monitor.commitments.extract import extract_commitments

    try:
        text = textfile.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{textfile}: not UTF-8 text") from None
    found = [c.as_dict() for c in extract_commitments(text, speech_date)]
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    for item in found:
        deadline = item["deadline"] or item["deadline_precision"] or "-"
        console.print(f"[bold]{deadline:>10}[/] {item['strength']:>12} {item['tier']:>10}  {escape(item['text'])}")
    console.print(f"{len(found)} commitments")


# -- import / export -----------------------------------------------------------------------------------------


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--source", "source_name", default="warc-import", show_default=True, help="Source to file pages under.")
@click.option("--kind", type=click.Choice(["gov", "template"]), default="gov", show_default=True)
@sources_option
@db_option
@friendly_errors
def ingest(files, source_name, kind, sources_path, db_url) -> None:
    """Import archived pages (WARC response records, gzipped or not) through the crawl's document path.

    If --source names a source of the sources file, its kind, article patterns and selectors apply.
    """
    from monitor.ingest import IngestError, ingest_warc
    from storage.runs import get_runs

    source = _source_for_ingest(source_name, kind, sources_path)
    db = open_db(db_url)
    try:
        runs = []
        for path in files:
            started = time.monotonic()
            with console.status(f"ingesting {path}…") if console.is_terminal else _null():
                try:
                    run_id, counts = ingest_warc(db, path, source)
                except IngestError as exc:
                    raise UserError(str(exc)) from None
            runs.append(get_runs(db, [run_id])[0])
            console.print(
                f"{path}: {counts.records} records, {counts.pages} pages, {counts.skipped} skipped, "
                f"{counts.blocked} blocked ({time.monotonic() - started:.1f} s)"
            )
        from monitor.postrun import process_new_documents
        from monitor.report import print_runs

        found = process_new_documents(db, [run.id for run in runs])
        clustered, mined = found.clustered, found.mined
        print_runs(get_runs(db, [run.id for run in runs]), "table", console)
        console.print(
            f"speeches: {clustered.new_speeches} new, {clustered.joined} copies joined a speech · "
            f"commitments: {mined.new} new"
        )
    finally:
        db.close()


def _source_for_ingest(name: str, kind: str, sources_path: Path) -> Source:
    if sources_path.exists():
        try:
            for source in load_sources(sources_path):
                if source.name == name:
                    return source
        except SourcesError:
            pass
    return Source(name=name, kind=kind, start_urls=(), allowed_domains=())


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@main.command()
@click.option(
    "--what", type=click.Choice(["documents", "speeches", "commitments"]), default="documents", show_default=True
)
@click.option("--format", "output_format", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), help="Write to this file instead of standard output.")
@click.option("--source", "source_name", help="Only this source.")
@db_option
@friendly_errors
def export(what, output_format, out, source_name, db_url) -> None:
    """Export stored records (one per line for JSONL; README lists the fields)."""
    from monitor.dedup.views import SPEECH_EXPORT_FIELDS, speech_records
    from monitor.export import DOCUMENT_FIELDS, document_records, write_records

    db = open_db(db_url)
    try:
        if what == "speeches":
            records, fields = _flatten_for(output_format, speech_records(db)), SPEECH_EXPORT_FIELDS
        elif what == "commitments":
            from monitor.export import COMMITMENT_EXPORT_FIELDS, commitment_records

            records = _flatten_for(output_format, commitment_records(db, source_name))
            fields = COMMITMENT_EXPORT_FIELDS
        else:
            records, fields = document_records(db, source_name), DOCUMENT_FIELDS
        if out:
            with out.open("w", encoding="utf-8", newline="") as handle:
                count = write_records(records, fields, output_format, handle)
            err_console.print(f"wrote {count} {what} to {out}")
        else:
            write_records(records, fields, output_format, sys.stdout)
    finally:
        db.close()


def _flatten_for(output_format: str, records):
    """CSV cells hold JSON for the nested fields (provenance, copy_list)."""
    for record in records:
        if output_format == "csv":
            record = {
                k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v for k, v in record.items()
            }
        yield record


# -- digests, feeds, source health -----------------------------------------------------------------------------


def config_option(function: Callable) -> Callable:
    return click.option(
        "--config",
        "config_path",
        envvar="SPEECHWATCH_CONFIG",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Settings file (TOML, [digest] table) [env SPEECHWATCH_CONFIG; default ./speechwatch.toml if present].",
    )(function)


class SinceType(click.ParamType):
    """A start of a window: ``YYYY-MM-DD``, an ISO time (UTC unless it says), or ``24h`` / ``7d`` ago."""

    name = "since"

    def convert(self, value, param, ctx):
        import re
        from datetime import UTC, datetime, timedelta

        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        relative = re.fullmatch(r"(\d+)\s*([hd])", text)
        if relative:
            amount = int(relative.group(1))
            delta = timedelta(hours=amount) if relative.group(2) == "h" else timedelta(days=amount)
            return datetime.now(UTC) - delta
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.fail(f"{text!r} is not YYYY-MM-DD, an ISO time or a duration like 24h / 7d", param, ctx)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _demo_digest(db_url) -> None:
    """The demo ends with the digest of what it found, delivered to standard output (so a second run shows little)."""
    from monitor.digest import DigestConfig, send_digest

    db = open_db(db_url)
    try:
        console.rule("digest (delivered to standard output; the next run shows only what is new)")
        result = send_digest(db, DigestConfig(channels=("stdout",), format="md", origin="demo"))
        if result.empty:
            console.print("nothing new since the last digest")
    finally:
        db.close()


@main.command()
@click.option(
    "--since",
    type=SinceType(),
    help="Start the window here (YYYY-MM-DD, ISO time, 24h, 7d) instead of at the last delivered digest.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["md", "html", "json"]),
    help="Preview format (default md); with --send, overrides the format of the file and stdout channels.",
)
@click.option("--send", is_flag=True, help="Deliver through the configured channels; mark delivered when all took it.")
@config_option
@db_option
@friendly_errors
def digest(since, output_format, send, config_path, db_url) -> None:
    """Preview the digest of what is new since the last delivered one (marks nothing), or --send it."""
    from monitor.digest import DigestConfigError, build_digest, load_digest_config, render, send_digest
    from monitor.health import HealthOptions

    try:
        config = load_digest_config(config_path)
        if send:
            config = config.with_channels(*config.channels, format=output_format).check()
    except DigestConfigError as exc:
        raise UserError(str(exc)) from None
    db = open_db(db_url)
    try:
        if not send:
            built = build_digest(db, since, health=HealthOptions(idle_runs=config.idle_runs))
            click.echo(render(built, output_format or "md"), nl=False)
            return
        result = send_digest(db, config, since=since)
    finally:
        db.close()
    for earlier in result.finished:
        err_console.print(f"digest {earlier}: delivered to the channels it had missed")
    if result.empty:
        err_console.print("nothing new since the last digest; nothing sent")
    elif not result.ok:
        raise UserError(result.error or "digest not delivered")
    else:
        where = "; ".join(f"{channel}: {target}" for channel, target in result.targets.items())
        err_console.print(f"digest {result.digest_id} delivered ({result.items} items) · {escape(where)}")


@main.command()
@click.option(
    "--what", type=click.Choice(["speeches", "commitments", "deadlines"]), default="speeches", show_default=True
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["atom", "ics"]),
    help="atom (speeches, commitments) or ics (deadlines); default: the one that fits --what.",
)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write to this file, not standard output.")
@click.option("--base-url", help="Public URL the feeds are served under (entry ids and self links).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1), help="Entries in an Atom feed.")
@db_option
@friendly_errors
def feed(what, output_format, out, base_url, limit, db_url) -> None:
    """An Atom feed of new speeches or commitments, or an iCalendar of accepted commitments' deadlines."""
    from monitor.feeds import FeedError, build_feed

    output_format = output_format or ("ics" if what == "deadlines" else "atom")
    db = open_db(db_url)
    try:
        data = build_feed(db, what, output_format, base_url=base_url, limit=limit)
    except FeedError as exc:
        raise UserError(str(exc)) from None
    finally:
        db.close()
    if out:
        out.write_bytes(data)
        err_console.print(f"wrote the {what} feed ({output_format}) to {out}")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


@main.command()
@click.option("--source", "names", multiple=True, help="Only this source (repeatable). Default: every source that ran.")
@click.option(
    "--idle-runs",
    default=5,
    show_default=True,
    type=click.IntRange(1),
    help="Runs in a row without anything new before a source is reported idle.",
)
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@db_option
@friendly_errors
def health(names, idle_runs, output_format, db_url) -> None:
    """Source health from the crawl runs: idle, layout changed, errors, anti-bot walls, failing extraction."""
    from monitor.health import HealthOptions, source_health

    db = open_db(db_url)
    try:
        report = source_health(db, HealthOptions(idle_runs=idle_runs), names or None)
    finally:
        db.close()
    if output_format == "json":
        click.echo(json.dumps([h.as_dict() for h in report], ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    table = Table(title=f"Source health: {sum(not h.ok for h in report)} of {len(report)} with problems",
                  title_justify="left")  # fmt: skip
    for column in ("source", "runs", "last run", "problems"):
        table.add_column(column, overflow="fold")
    for h in report:
        problems = "\n".join(f"[red]{i.problem}[/]: {escape(i.reason)}" for i in h.issues) or "[green]ok[/]"
        table.add_row(h.source, str(h.runs), f"{h.last_run_id} {h.last_status}" if h.last_run_id else "", problems)
    console.print(table)


# -- search --------------------------------------------------------------------------------------------------------

QUERY_SPEECH_FIELDS = ("speech_id", "score", "title", "speech_date", "speaker", "speaker_post", "organization",
                       "region_code", "region", "doc_type", "topic", "copies", "commitments", "source_kind", "url",
                       "snippet", "title_marked", "canonical_document_id", "source", "copy_list")  # fmt: skip
QUERY_COMMITMENT_FIELDS = ("commitment_id", "score", "status", "deadline", "deadline_precision", "strength", "topic",
                           "text", "snippet", "action", "deadline_text", "tier", "cited", "speech_id", "speech_title",
                           "speaker", "region_code", "region", "speech_date", "document_id", "url")  # fmt: skip


@main.command("query")
@click.argument("text", required=False, default="")
@click.option(
    "--what",
    type=click.Choice(["speeches", "commitments"]),
    default="speeches",
    show_default=True,
    help="Search speeches (one hit per speech, reposts folded) or commitments.",
)
@click.option("--region", help="Region code prefix: 33 (province), 3305 (city) or 330502; 330000 means 33.")
@click.option("--speaker", help="Part of the speaker's name (either script).")
@click.option("--organization", help="Part of the organization's name.")
@click.option("--doc-type", help="speech, speech_report, transcript, notice or other.")
@click.option("--source-kind", type=click.Choice(["gov", "template"]), help="Kind of site of the canonical copy.")
@click.option("--date-from", help="Speech date on or after (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--date-to", help="Speech date on or before (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--topic", help="The speech's topic (bizenv or other).")
@click.option("--has-commitments/--no-commitments", default=None, help="Only speeches with (without) commitments.")
@click.option(
    "--status", type=click.Choice(["new", "accepted", "rejected", "done", "overdue"]), help="Commitment status."
)
@click.option("--commitment-topic", help="Commitment topic (land, finance, talent, approvals, …).")
@click.option("--strength", type=click.Choice(["strong", "aspirational", "general"]), help="Commitment strength.")
@click.option("--deadline-from", help="Commitment deadline on or after (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--deadline-to", help="Commitment deadline on or before (YYYY, YYYY-MM or YYYY-MM-DD).")
@click.option("--overdue", is_flag=True, help="Only accepted commitments past their deadline.")
@click.option("--cited", "include_cited", is_flag=True, help="Include commitment targets quoted from higher bodies.")
@click.option("--include-copies", is_flag=True, help="List each speech hit's copies (URL, source, kind).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500))
@click.option("--offset", default=0, show_default=True, type=click.IntRange(0))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "jsonl", "csv"]),
    default="table",
    show_default=True,
)
@db_option
@friendly_errors
def query_command(text, what, include_copies, limit, offset, output_format, db_url, **filter_values) -> None:
    """Full-text search: every word of TEXT must appear (any script, any length); filters narrow it.

    An empty TEXT lists by the filters alone. README "Search" has the rules.
    """
    from monitor.query import QueryError, SearchFilters, search_commitments, search_speeches

    db = open_db(db_url)
    try:
        filters = SearchFilters(**filter_values)
        if what == "speeches":
            page = search_speeches(db, text, filters, limit, offset, include_copies=include_copies)
        else:
            page = search_commitments(db, text, filters, limit, offset)
    except QueryError as exc:
        raise UserError(str(exc)) from None
    finally:
        db.close()
    record = page.as_dict()
    if output_format == "json":
        click.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    for notice in page.notices:
        err_console.print(f"[yellow]note:[/] {escape(notice)}", highlight=False)
    fields = QUERY_SPEECH_FIELDS if what == "speeches" else QUERY_COMMITMENT_FIELDS
    if output_format in ("jsonl", "csv"):
        from monitor.export import write_records

        rows = record["hits"]
        if output_format == "csv":
            rows = ({k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v for k, v in r.items()}
                    for r in rows)  # fmt: skip
        write_records(rows, fields, output_format, sys.stdout)
        return
    _print_query_table(page, include_copies)


def _marked(text: str | None):
    """Rich text with the search markers turned into highlighting."""
    from rich.text import Text

    from monitor.query import MARK_END, MARK_START

    out = Text()
    for n, part in enumerate((text or "").replace(MARK_END, MARK_START).split(MARK_START)):
        out.append(part, style="bold yellow" if n % 2 else "")
    return out


def _print_query_table(page, include_copies: bool) -> None:
    from rich.table import Table

    shown = f"{page.offset + 1}–{page.offset + len(page.hits)}" if page.hits else "none"
    terms = " ".join(page.terms) or "(no words)"
    title = f"{page.total_text} {page.what} for {terms} · showing {shown} · {page.seconds * 1000:.0f} ms"
    table = Table(title=title, title_justify="left", show_lines=True)
    if page.what == "speeches":
        for column in ("id", "date", "speaker", "region", "copies", "title / snippet"):
            table.add_column(column, overflow="fold")
        for hit in page.hits:
            body = _marked(hit.title_marked or "(no title)")
            body.stylize("bold")
            body.append("\n").append(_marked(hit.snippet))
            for ref in hit.copy_list or []:
                body.append(f"\n{'★' if ref.canonical else '·'} {ref.source_kind} {ref.url}", style="dim")
            table.add_row(str(hit.speech_id), hit.speech_date or "", hit.speaker or "", hit.region or "",
                          str(hit.copies), body)  # fmt: skip
    else:
        styles = {"overdue": "bold red", "new": "yellow", "accepted": "green", "done": "dim", "rejected": "dim"}
        for column in ("id", "status", "deadline", "strength", "commitment", "speech"):
            table.add_column(column, overflow="fold")
        for hit in page.hits:
            speech = f"{hit.speech_id} {hit.speech_date or ''} {hit.speaker or ''}\n{hit.speech_title or ''}"
            table.add_row(str(hit.commitment_id), f"[{styles.get(hit.status, '')}]{hit.status}[/]",
                          hit.deadline or (hit.deadline_precision or ""), hit.strength or "", _marked(hit.snippet),
                          escape(speech))  # fmt: skip
    console.print(table)
    if page.next_offset is not None:
        console.print(f"[dim]more: --offset {page.next_offset}[/]")


# -- web and API ---------------------------------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (0.0.0.0 exposes it to all).")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option(
    "--token",
    envvar="SPEECHWATCH_TOKEN",
    help="Write token for reviews (8+ characters) [env SPEECHWATCH_TOKEN; default: a new one, printed once].",
)
@db_option
@friendly_errors
def serve(host, port, token, db_url) -> None:
    """Serve the web pages and the JSON API (docs at /docs); reviewing needs the write token."""
    import uvicorn

    from monitor.web import create_app

    if token is not None and len(token) < 8:
        raise UserError("--token: use at least 8 characters")
    app = create_app(open_db(db_url), token=token)
    where = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    console.print(f"speechwatch web at {where}/ (API docs {where}/docs) · store: {app.state.db.display_url}")
    if app.state.token_generated:
        told = "write token (generated for this run; set SPEECHWATCH_TOKEN to keep one)"
        console.print(f"{told}: {app.state.auth.token}", highlight=False, soft_wrap=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        err_console.print(f"[yellow]note:[/] listening on {host}: anyone who can reach it can read everything")
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)


if __name__ == "__main__":
    main()
