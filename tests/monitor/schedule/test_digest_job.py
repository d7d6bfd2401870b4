"""The scheduler's digest job: fired by APScheduler, delivered once per item, skipped when nothing is new."""

from __future__ import annotations

import subprocess
import time

from tests.monitor.schedule.test_once import once
from tests.monitor.schedule.test_service import SPEECHWATCH, env_for, scheduler, wait_for, write_sources


def digest_settings(tmp_path):
    directory = tmp_path / "digests"
    config = tmp_path / "speechwatch.toml"
    config.write_text(f'[digest]\nchannels = ["file"]\nformat = "md"\ndirectory = "{directory}"\n', encoding="utf-8")
    return config, directory


def test_the_scheduled_digest_carries_a_crawl_once_and_empty_digests_are_not_sent(sample_web, tmp_path, store_url):
    sources = tmp_path / "sources.toml"
    config, directory = digest_settings(tmp_path)
    write_sources(sources, "0 7 * * *")
    crawled = once(tmp_path, sources, store_url, sample_web.proxy_url)  # a crawl, digest off
    assert crawled.returncode == 0, crawled.stderr
    args = ["--digest-schedule", "@every 2s", "--config", str(config)]  # the last --digest-schedule wins
    with scheduler(tmp_path, sources, store_url, sample_web.proxy_url, *args) as proc:
        files = wait_for(lambda: sorted(directory.glob("*")), 60, "a delivered digest")
        time.sleep(5)  # two more fires: nothing new, so nothing more is written
        later = sorted(directory.glob("*"))
        assert proc.poll() is None
    assert len(files) == 1 and later == files
    text = files[0].read_text(encoding="utf-8")
    assert "http://www.fanwen365.net/" in text  # the crawled speeches, linked to their source


def test_once_sends_a_due_digest_and_not_again_until_its_next_fire_time(sample_web, tmp_path, store_url):
    sources = tmp_path / "sources.toml"
    config, directory = digest_settings(tmp_path)
    write_sources(sources, "0 7 * * *")
    args = ["schedule", "--once", "--sources", str(sources), "--db", store_url, "--proxy", sample_web.proxy_url]
    args += ["--config", str(config), "--digest-schedule", "0 8 * * *"]
    run = lambda: subprocess.run([*SPEECHWATCH, *args], cwd=tmp_path, env=env_for(tmp_path),  # noqa: E731
                                 capture_output=True, text=True, timeout=240)  # fmt: skip
    first = run()
    assert first.returncode == 0, first.stderr
    assert "digest:" in first.stdout and len(list(directory.glob("*"))) == 1
    second = run()
    assert second.returncode == 0, second.stderr
    assert "digest:" not in second.stdout and len(list(directory.glob("*"))) == 1


def test_no_channel_means_no_digest_job_and_a_bad_settings_file_is_one_line(tmp_path, store_url):
    sources = tmp_path / "sources.toml"
    write_sources(sources, "0 7 * * *")
    base = [*SPEECHWATCH, "schedule", "--once", "--sources", str(sources), "--db", store_url]
    base += ["--proxy", "http://127.0.0.1:9", "--timeout", "20"]  # nothing listens there: the crawl fails fast
    env = {k: v for k, v in env_for(tmp_path).items() if not k.startswith("SPEECHWATCH_DIGEST")}
    bad = tmp_path / "bad.toml"
    bad.write_text('[digest]\nchanels = ["file"]\n', encoding="utf-8")
    result = subprocess.run([*base, "--config", str(bad)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 1 and "chanels" in result.stderr and "Traceback" not in result.stderr
    result = subprocess.run(base, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    assert "no digest job" in result.stderr and "no digest channel configured" in result.stderr
    assert "Traceback" not in result.stderr
