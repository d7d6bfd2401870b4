"""What the scheduler should run: one job per enabled source plus the digest, and which of them are due."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.sources import DEFAULT_TIMEZONE, Source, parse_schedule

CRAWL_FUNC = "monitor.schedule.jobs:crawl_job"
DIGEST_FUNC = "monitor.schedule.jobs:digest_job"
DIGEST_JOB_ID = "digest"
DEFAULT_DIGEST_SCHEDULE = "0 8 * * *"


@dataclass
class PlannedJob:
    """A job as the sources file and options describe it; ``name`` carries its spec, so a change is visible."""

    id: str
    kind: str  # crawl | digest
    schedule: str
    timezone: str
    func: str
    kwargs: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.id} · {self.schedule} · {self.timezone}"

    def trigger(self) -> BaseTrigger:
        return parse_schedule(self.schedule, self.timezone)


def crawl_job_id(source: str) -> str:
    return f"crawl:{source}"


def planned_jobs(
    sources: list[Source], digest_schedule: str | None = DEFAULT_DIGEST_SCHEDULE, digest_zone: str = DEFAULT_TIMEZONE
) -> list[PlannedJob]:
    """One crawl job per enabled source, and the digest job unless ``digest_schedule`` is None."""
    jobs = [
        PlannedJob(crawl_job_id(s.name), "crawl", s.schedule, s.timezone, CRAWL_FUNC, {"source": s.name})
        for s in sources
        if s.enabled
    ]
    if digest_schedule:
        jobs.append(PlannedJob(DIGEST_JOB_ID, "digest", digest_schedule, digest_zone, DIGEST_FUNC))
    return jobs


def period_seconds(trigger: BaseTrigger, now: datetime | None = None) -> float:
    """The trigger's period: its interval, or the shortest gap between a cron's next few fire times."""
    if isinstance(trigger, IntervalTrigger):
        return trigger.interval.total_seconds()
    now = now or datetime.now(UTC)
    times: list[datetime] = []
    previous = None
    for _ in range(4):
        fire = trigger.get_next_fire_time(previous, previous + timedelta(microseconds=1) if previous else now)
        if fire is None:
            break
        times.append(fire)
        previous = fire
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
    return min(gaps) if gaps else 86400.0


def misfire_grace(trigger: BaseTrigger) -> int:
    """About one period: after downtime the latest missed run is still run (once), older ones are not."""
    return max(1, int(period_seconds(trigger)))


def is_due(job: PlannedJob, last_run: datetime | None, now: datetime | None = None) -> bool:
    """Whether a fire time of the job's schedule has passed since ``last_run`` (never run: due)."""
    if last_run is None:
        return True
    now = now or datetime.now(UTC)
    trigger = job.trigger()
    if isinstance(trigger, IntervalTrigger):
        return now - last_run >= trigger.interval
    fire = trigger.get_next_fire_time(None, last_run)
    return fire is not None and fire <= now


def next_fire(job: PlannedJob, now: datetime | None = None) -> datetime | None:
    """The next fire time of the job's schedule after ``now`` (for jobs not yet in the job store)."""
    now = now or datetime.now(UTC)
    return job.trigger().get_next_fire_time(None, now)
