"""Which jobs the scheduler plans, their misfire grace, and when a job is due (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crawler.sources import Source
from monitor.schedule.plan import crawl_job_id, is_due, misfire_grace, next_fire, planned_jobs


def source(name: str, schedule: str = "0 7 * * *", enabled: bool = True, timezone: str = "Asia/Shanghai") -> Source:
    return Source(name=name, kind="gov", start_urls=("http://example.gov.cn/",), allowed_domains=("example.gov.cn",),
                  schedule=schedule,
                  timezone=timezone, enabled=enabled)  # fmt: skip


def test_one_job_per_enabled_source_plus_the_digest():
    jobs = planned_jobs([source("a"), source("b", enabled=False), source("c", "@every 30m")], "0 8 * * *")
    assert [j.id for j in jobs] == [crawl_job_id("a"), crawl_job_id("c"), "digest"]
    assert jobs[0].kwargs == {"source": "a"} and jobs[0].func == "monitor.schedule.jobs:crawl_job"
    assert planned_jobs([source("a")], None)[-1].id == "crawl:a"  # digest off


def test_the_job_name_carries_its_spec_so_a_change_is_seen():
    before, after = planned_jobs([source("a")], None)[0], planned_jobs([source("a", "5 7 * * *")], None)[0]
    assert before.name != after.name
    assert before.name == planned_jobs([source("a")], None)[0].name


def test_misfire_grace_is_about_one_period():
    daily, hourly, every = (planned_jobs([source("a", s)], None)[0].trigger() for s in
                            ("0 7 * * *", "15 * * * *", "@every 45s"))  # fmt: skip
    assert misfire_grace(daily) == 86400
    assert misfire_grace(hourly) == 3600
    assert misfire_grace(every) == 45


def test_cron_runs_in_the_sources_zone_not_the_machines():
    job = planned_jobs([source("a", "0 7 * * *")], None)[0]
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai
    fire = next_fire(job, now)
    assert fire is not None and fire.astimezone(UTC) == datetime(2026, 11, 28, 23, 0, tzinfo=UTC)  # 07:00 +08


def test_due_when_a_fire_time_passed_since_the_last_run():
    job = planned_jobs([source("a", "0 7 * * *")], None)[0]
    at_0730_shanghai = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)
    assert is_due(job, None, at_0730_shanghai)  # never ran
    assert not is_due(job, at_0730_shanghai - timedelta(minutes=10), at_0730_shanghai)  # ran at 07:20
    assert is_due(job, at_0730_shanghai - timedelta(hours=1), at_0730_shanghai)  # ran at 06:30, 07:00 passed
    every = planned_jobs([source("b", "@every 10m")], None)[0]
    assert not is_due(every, at_0730_shanghai - timedelta(minutes=9), at_0730_shanghai)
    assert is_due(every, at_0730_shanghai - timedelta(minutes=10), at_0730_shanghai)
