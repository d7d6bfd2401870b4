"""Crawl runs are opened once and closed once."""

from __future__ import annotations

from storage.runs import finish_run, get_runs, recent_runs, start_run


def test_a_run_is_closed_with_its_counts_and_only_once(database):
    run_id = start_run(database, "pingshan")
    finish_run(database, run_id, status="finished", counts={"pages_fetched": 12, "documents_new": 7})
    finish_run(database, run_id, status="failed", error_text="late")  # ignored: already closed
    (run,) = get_runs(database, [run_id])
    assert (run.status, run.pages_fetched, run.documents_new, run.error_text) == ("finished", 12, 7, None)
    assert run.finished_at >= run.started_at


def test_recent_runs_newest_first_and_by_source(database):
    ids = [start_run(database, name) for name in ("a", "b", "a")]
    assert [r.id for r in recent_runs(database)] == ids[::-1]
    assert [r.id for r in recent_runs(database, source="a")] == [ids[2], ids[0]]
