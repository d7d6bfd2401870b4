"""The ``speechwatch`` command: thin subcommands over crawler, storage and monitor."""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from collections.abc import Callable
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
    if list_jobs:
        _print_jobs(db_url, sources_path, digest_schedule, digest_zone, output_format)
    elif once:
        _run_once(db_url, sources_path, proxy, timeout, workers, digest_schedule, digest_zone, digest_config,
                  output_format)  # fmt: skip
    else:
        _serve_schedule(db_url, sources_path, proxy, timeout, workers, digest_schedule, digest_zone, digest_config,
                        redis_url, queue)  # fmt: skip


def _serve_schedule(db_url, sources_path, proxy, timeout, workers, digest_schedule, digest_zone, digest_config,
                    redis_url=None, queue="speechwatch"):  # fmt: skip
    import logging

    from monitor.schedule.service import ScheduleOptions, SchedulerBusy, SchedulerService

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
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

    from monitor.schedule.distributed import RedisUnavailable
    from monitor.worker import Worker, WorkerOptions
    from storage.engine import resolve_url

    load_sources(sources_path)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
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
    for name in FIELDS + ("page_title", "speaker_post", "published_at", "truncated", "script", "region_code"):
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
@click.option("--what", type=click.Choice(["documents", "speeches"]), default="documents", show_default=True)
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


if __name__ == "__main__":
    main()
