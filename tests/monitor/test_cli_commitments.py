"""``speechwatch commitments …`` through the real CLI and a real SQLite store."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from monitor.cli import main
from monitor.commitments.track import mine_commitments
from monitor.dedup.cluster import cluster_documents
from storage.database import Database
from storage.documents import store_documents
from tests.monitor.commitments.test_track import SPEECH, record


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def seeded(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'sw.db'}"
    with Database(url) as db:
        store_documents(db, [record("http://gov/full", SPEECH)])
        cluster_documents(db)
        mine_commitments(db)
    return url


def test_list_review_and_overdue(tmp_path):
    url = seeded(tmp_path)
    listed = json.loads(run("commitments", "list", "--status", "new", "--format", "json", "--db", url).output)
    dated = next(item for item in listed if item["deadline"] == "2020-09-30")
    assert dated["flagged"] and dated["fulfilment"] == [] and dated["quantities"]
    accepted = run("commitments", "accept", str(dated["id"]), "--note", "testable", "--reviewer", "ana", "--db", url)
    assert accepted.exit_code == 0 and "accepted" in accepted.output
    overdue = json.loads(run("commitments", "list", "--status", "overdue", "--format", "json", "--db", url).output)
    assert [item["id"] for item in overdue] == [dated["id"]] and overdue[0]["status"] == "overdue"
    refused = run("commitments", "done", str(dated["id"]), "--db", url)
    assert refused.exit_code == 1 and "evidence" in refused.output
    done = run("commitments", "done", str(dated["id"]), "--note", "http://gov/notice", "--db", url)
    assert done.exit_code == 0 and "done" in done.output
    rejected_again = run("commitments", "reject", str(dated["id"]), "--db", url)
    assert rejected_again.exit_code == 1 and "cannot reject" in rejected_again.output


def test_list_as_csv_and_table(tmp_path):
    url = seeded(tmp_path)
    rows = list(csv.DictReader(io.StringIO(run("commitments", "list", "--format", "csv", "--db", url).output)))
    assert rows and {"id", "deadline", "text", "quantities"} <= set(rows[0])
    table = run("commitments", "list", "--topic", "land", "--db", url)
    assert table.exit_code == 0 and "标准地" in table.output


def test_extract_on_a_text_file(tmp_path):
    path = tmp_path / "speech.txt"
    path.write_text(SPEECH, encoding="utf-8")
    found = json.loads(run("commitments", "extract", str(path), "--date", "2020-08", "--json").output)
    assert any(item["deadline"] == "2020-09-30" for item in found)
    binary = tmp_path / "x.txt"
    binary.write_bytes(b"\xff\xfe\xfa")
    result = run("commitments", "extract", str(binary))
    assert result.exit_code == 1 and "not UTF-8" in result.output


def test_eval_commitments_json():
    report = json.loads(run("eval", "commitments", "--format", "json").output)
    assert report["documents"] >= 25 and report["core_recall"] >= 0.9
