"""``speechwatch schedule --once``: what is due runs now, what is not waits, then the process exits."""

from __future__ import annotations

import csv
import io
import json
import subprocess

from tests.monitor.schedule.test_service import SPEECHWATCH, env_for, write_sources


def once(tmp_path, sources, db, proxy) -> subprocess.CompletedProcess:
    args = ["schedule", "--once", "--sources", str(sources), "--db", db, "--proxy", proxy]
    args += ["--digest-schedule", "off", "--format", "json"]
    return subprocess.run([*SPEECHWATCH, *args], cwd=tmp_path, env=env_for(tmp_path), capture_output=True,
                          text=True, timeout=240)  # fmt: skip


def test_once_runs_due_sources_then_nothing_until_the_next_fire_time(sample_web, tmp_path, store_url):
    sources, db = tmp_path / "sources.toml", store_url
    name = write_sources(sources, "0 7 * * *")
    first = once(tmp_path, sources, db, sample_web.proxy_url)
    assert first.returncode == 0, first.stderr
    (run,) = json.loads(first.stdout)
    assert run["source"] == name and run["trigger"] == "once" and run["status"] == "finished"
    assert run["documents_new"] > 0 and run["speeches_new"] > 0 and run["commitments_new"] > 0

    second = once(tmp_path, sources, db, sample_web.proxy_url)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout) == []  # ran after today's 07:00 already: not due

    history = subprocess.run([*SPEECHWATCH, "runs", "--db", db, "--format", "csv"], cwd=tmp_path,
                             env=env_for(tmp_path), capture_output=True, text=True, check=True)  # fmt: skip
    (row,) = list(csv.DictReader(io.StringIO(history.stdout)))
    assert row["run_id"] == str(run["run_id"]) and row["speeches_new"] == str(run["speeches_new"])
    table = subprocess.run([*SPEECHWATCH, "runs", "--db", db, "--source", name], cwd=tmp_path,
                           env=env_for(tmp_path), capture_output=True, text=True, check=True)  # fmt: skip
    assert name in table.stdout and "once" in table.stdout and "finished" in table.stdout
