"""Tables people read and records machines read, for crawl runs."""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from storage.models import CrawlRun

STATUS_STYLE = {
    "finished": "green",
    "blocked": "yellow",
    "failed": "red",
    "timeout": "red",
    "running": "cyan",
}
RUN_FIELDS = (
    "run_id",
    "source",
    "trigger",
    "status",
    "started_at",
    "pages_fetched",
    "documents_stored",
    "documents_new",
    "documents_updated",
    "documents_unchanged",
    "skipped",
    "blocked",
    "errors",
    "speeches_new",
    "commitments_new",
    "seconds",
    "error",
)


def run_record(run: CrawlRun) -> dict:
    """One crawl run as a flat record (the fields of ``--format json``; see README)."""
    seconds = None
    if run.finished_at and run.started_at:
        seconds = round((run.finished_at - run.started_at).total_seconds(), 1)
    return {
        "run_id": run.id,
        "source": run.source,
        "trigger": run.trigger,
        "status": run.status,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "pages_fetched": run.pages_fetched,
        "documents_stored": run.documents_new + run.documents_updated,
        "documents_new": run.documents_new,
        "documents_updated": run.documents_updated,
        "documents_unchanged": run.documents_unchanged,
        "skipped": run.skipped,
        "blocked": run.blocked,
        "errors": run.errors,
        "speeches_new": run.speeches_new,
        "commitments_new": run.commitments_new,
        "seconds": seconds,
        "error": (run.error_text or "").splitlines()[0] if run.error_text else None,
    }


def runs_table(runs: Sequence[CrawlRun], title: str = "Crawl summary") -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("source", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for name in ("pages", "stored", "new", "updated", "unchanged", "skipped", "blocked", "errors", "s"):
        table.add_column(name, justify="right", no_wrap=True)
    totals = dict.fromkeys(("pages", "stored", "new", "updated", "unchanged", "skipped", "blocked", "errors"), 0)
    for run in runs:
        record = run_record(run)
        values = {
            "pages": record["pages_fetched"],
            "stored": record["documents_stored"],
            "new": record["documents_new"],
            "updated": record["documents_updated"],
            "unchanged": record["documents_unchanged"],
            "skipped": record["skipped"],
            "blocked": record["blocked"],
            "errors": record["errors"],
        }
        for key, value in values.items():
            totals[key] += value
        style = STATUS_STYLE.get(run.status, "")
        table.add_row(
            run.source,
            f"[{style}]{run.status}[/]" if style else run.status,
            *(str(v) for v in values.values()),
            "" if record["seconds"] is None else f"{record['seconds']:.1f}",
        )
    if len(runs) > 1:
        table.add_section()
        table.add_row("total", "", *(str(v) for v in totals.values()), "")
    return table


def print_runs(runs: Sequence[CrawlRun], output_format: str, console: Console | None = None) -> None:
    console = console or Console()
    if output_format == "json":
        print(json.dumps([run_record(r) for r in runs], ensure_ascii=False, indent=2))
        return
    console.print(runs_table(runs))
    for run in runs:
        if run.status != "finished" and run.error_text:
            console.print(f"[red]{run.source}[/]: {run.error_text.splitlines()[0]}")
        elif run.blocked:
            console.print(f"[yellow]{run.source}[/]: {run.blocked} page(s) behind an anti-bot wall (need a browser)")


def history_table(runs: Sequence[CrawlRun], zone: str = "Asia/Shanghai") -> Table:
    """Run history, newest first: when, how long, what it fetched and found new, how it ended."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    table = Table(
        title=f"{len(runs)} runs · times in {zone} · docs, speeches, commitments: new in the run",
        title_justify="left",
    )
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("source", no_wrap=True)
    table.add_column("trigger", no_wrap=True)
    table.add_column("started", no_wrap=True)
    for name in ("took", "pages", "docs", "speeches", "commitments", "errors"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("status", no_wrap=True)
    for run in runs:
        record = run_record(run)
        started = run.started_at.astimezone(tz).strftime("%m-%d %H:%M:%S") if run.started_at else ""
        took = f"{record['seconds']:.0f}s" if record["seconds"] is not None else "…"
        style = STATUS_STYLE.get(run.status, "")
        table.add_row(
            str(run.id),
            run.source,
            run.trigger,
            started,
            took,
            str(run.pages_fetched),
            str(run.documents_new),
            str(run.speeches_new),
            str(run.commitments_new),
            str(run.errors),
            f"[{style}]{run.status}[/]" if style else run.status,
        )
    return table


def print_history(runs: Sequence[CrawlRun], console: Console) -> None:
    """The history table, then the first line of each failed run's error."""
    console.print(history_table(runs))
    for run in runs:
        if run.status not in ("finished", "running") and run.error_text:
            console.print(f"[red]run {run.id}[/] ({escape(run.source)}): {escape(run.error_text.splitlines()[0])}")
