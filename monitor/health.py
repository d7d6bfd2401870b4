"""Source health from the crawl-run log: which sources stopped yielding, changed layout, fail, or are walled off.

Every check reads only ``crawl_runs`` rows (their counts and the Scrapy stats kept with them), newest last, and
names the run where the current problem began (``since_run_id``), so that a digest can report a problem once
when it starts rather than every day it lasts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from sqlalchemy import select

from storage.database import Database
from storage.models import CrawlRun

PROBLEMS = ("failing", "blocked", "layout", "errors", "extraction", "idle")
ENDED = ("finished", "blocked", "failed", "timeout")


@dataclass(frozen=True)
class HealthOptions:
    """Every knob of the checks."""

    idle_runs: int = 5  # runs in a row without a new or changed document before a source counts as idle
    history: int = 20  # runs per source looked at
    error_rate: float = 0.2  # errors per fetched page from which an error rate counts as high …
    error_jump: float = 2.0  # … when it is also this many times the earlier runs' rate (or they had none)
    empty_share: float = 0.5  # share of fetched articles with an empty body from which extraction counts as failing
    min_articles: int = 2  # fewest fetched articles to judge extraction on


@dataclass
class SourceIssue:
    source: str
    problem: str  # one of PROBLEMS
    reason: str  # one line for people
    run_id: int  # the latest run showing it
    since_run_id: int  # the run where it began

    @property
    def key(self) -> str:
        """Stable while the problem lasts: a digest carries it once."""
        return f"{self.source}:{self.problem}:{self.since_run_id}"

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class SourceHealth:
    source: str
    runs: int
    last_run_id: int | None
    last_status: str | None
    last_finished_at: str | None
    issues: list[SourceIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "ok": self.ok,
            "runs": self.runs,
            "last_run_id": self.last_run_id,
            "last_status": self.last_status,
            "last_finished_at": self.last_finished_at,
            "issues": [issue.as_dict() for issue in self.issues],
        }


def source_health(
    db: Database, options: HealthOptions | None = None, sources: Sequence[str] | None = None
) -> list[SourceHealth]:
    """The health of every source that has run (or of ``sources``), from its recent ended runs."""
    options = options or HealthOptions()
    with db.read() as session:
        names = list(sources) if sources else sorted(set(session.scalars(select(CrawlRun.source).distinct())))
        report = []
        for name in names:
            runs = list(
                session.scalars(
                    select(CrawlRun)
                    .where(CrawlRun.source == name, CrawlRun.status.in_(ENDED))
                    .order_by(CrawlRun.id.desc())
                    .limit(options.history)
                )
            )
            report.append(check_source(name, runs[::-1], options))
    return report


def health_issues(db: Database, options: HealthOptions | None = None) -> list[SourceIssue]:
    return [issue for health in source_health(db, options) for issue in health.issues]


def check_source(name: str, runs: Sequence[CrawlRun], options: HealthOptions | None = None) -> SourceHealth:
    """Pure: the issues of one source given its ended runs, oldest first."""
    options = options or HealthOptions()
    last = runs[-1] if runs else None
    health = SourceHealth(
        source=name,
        runs=len(runs),
        last_run_id=last.id if last else None,
        last_status=last.status if last else None,
        last_finished_at=last.finished_at.isoformat() if last and last.finished_at else None,
    )
    if last is None:
        return health
    for problem, test in CHECKS:
        reason = test(last, runs[:-1], options)
        if reason is None:
            continue
        start = len(runs) - 1
        while start > 0 and test(runs[start - 1], runs[: start - 1], options) is not None:
            start -= 1
        health.issues.append(SourceIssue(name, problem, reason, last.id, runs[start].id))
    return health


def _failing(run: CrawlRun, earlier: Sequence[CrawlRun], options: HealthOptions) -> str | None:
    if run.status not in ("failed", "timeout"):
        return None
    first_line = (run.error_text or "").strip().splitlines()[:1]
    return f"last crawl {run.status}" + (f": {first_line[0]}" if first_line else "")


def _blocked(run: CrawlRun, earlier: Sequence[CrawlRun], options: HealthOptions) -> str | None:
    if not run.blocked and run.status != "blocked":
        return None
    codes = sorted(k.rsplit("/", 1)[1] for k in (run.stats or {}) if k.startswith("speechwatch/blocked/"))
    how = f" (HTTP {', '.join(codes)})" if codes else ""
    scope = "every page" if run.status == "blocked" else f"{run.blocked} page(s)"
    return f"{scope} behind an anti-bot wall{how}: needs a browser"


def _layout(run: CrawlRun, earlier: Sequence[CrawlRun], options: HealthOptions) -> str | None:
    if run.status != "finished" or run.article_links or not run.list_pages:
        return None
    before = max((r.article_links for r in earlier), default=0)
    if not before:
        return None
    return (
        f"list pages stopped matching: 0 article links on {run.list_pages} list page(s), earlier runs found up to "
        f"{before} (layout or URL change?)"
    )


def error_rate(run: CrawlRun) -> float:
    return run.errors / run.pages_fetched if run.pages_fetched else (1.0 if run.errors else 0.0)


def _errors(run: CrawlRun, earlier: Sequence[CrawlRun], options: HealthOptions) -> str | None:
    if run.status in ("failed", "timeout"):
        return None  # reported as failing
    rate = error_rate(run)
    if rate < options.error_rate:
        return None
    usable = [r for r in earlier if r.status not in ("failed", "timeout")]
    baseline = sum(error_rate(r) for r in usable) / len(usable) if usable else 0.0
    if baseline and rate < options.error_jump * baseline:
        return None
    return f"error rate {rate:.0%} ({run.errors} errors on {run.pages_fetched} pages), earlier {baseline:.0%}"


def _extraction(run: CrawlRun, earlier: Sequence[CrawlRun], options: HealthOptions) -> str | None:
    stats = run.stats or {}
    fetched = int(stats.get("speechwatch/articles_fetched", 0) or 0)
    failed = int(stats.get("speechwatch/empty_text", 0) or 0)
    if fetched < options.min_articles or failed / fetched < options.empty_share:
        return None
    return f"extraction failed on {failed} of {fetched} article pages (empty body): selectors or template changed?"


def _idle(run: CrawlRun, earlier: Sequence[CrawlRun], options: HealthOptions) -> str | None:
    window = [*earlier, run][-options.idle_runs :]
    if len(window) < options.idle_runs or any(r.documents_new or r.documents_updated for r in window):
        return None
    return f"nothing new or changed in the last {options.idle_runs} runs"


CHECKS = (
    ("failing", _failing),
    ("blocked", _blocked),
    ("layout", _layout),
    ("errors", _errors),
    ("extraction", _extraction),
    ("idle", _idle),
)
