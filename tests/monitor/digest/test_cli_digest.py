"""``speechwatch digest`` via the real CLI: a preview marks nothing, --send delivers once, bad settings: one line."""

from __future__ import annotations

import json

from click.testing import CliRunner

from monitor.cli import main
from storage.database import Database
from tests.monitor.digest.conftest import XSS_TITLE, Store

SETTINGS = ("SPEECHWATCH_CONFIG", "SPEECHWATCH_DIGEST_CHANNELS", "SPEECHWATCH_DIGEST_DIR", "SPEECHWATCH_DIGEST_FORMAT",
            "SPEECHWATCH_DIGEST_WEBHOOK", "SPEECHWATCH_DB")  # fmt: skip
CLEAN = dict.fromkeys(SETTINGS)


def run(*args: str, **env: str):
    return CliRunner().invoke(main, list(args), env={**CLEAN, **env})


def seeded(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'sw.db'}"
    with Database(url) as db:
        store = Store(db)
        speech, (doc,) = store.speech(XSS_TITLE, "http://www.pingshan.gov.cn/t.html", speaker="李珺")
        store.commitment(speech, doc, "确保2030年9月底前至少完成一宗标准地出让", deadline="2030-09-30")
    return url


def test_preview_in_every_format_marks_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = seeded(tmp_path)
    text = run("digest", "--db", url)
    assert text.exit_code == 0, text.output
    assert text.output.startswith("# speechwatch digest") and "\\<script\\>" in text.output
    page = run("digest", "--format", "html", "--db", url).output
    assert "&lt;script&gt;" in page and "<script>" not in page
    data = json.loads(run("digest", "--format", "json", "--db", url).output)
    assert data["digest_id"] is None and data["counts"]["speeches"] == 1 and data["counts"]["new_commitments"] == 1
    assert json.loads(run("digest", "--format", "json", "--db", url).output)["counts"] == data["counts"]
    later = json.loads(run("digest", "--format", "json", "--since", "2999-01-01", "--db", url).output)
    assert later["speeches"] == [] and later["since"].startswith("2999-01-01")
    assert run("digest", "--since", "7d", "--db", url).exit_code == 0
    bad = run("digest", "--since", "last tuesday", "--db", url)
    assert bad.exit_code == 2 and "not YYYY-MM-DD" in bad.output


def test_send_delivers_once_then_has_nothing_new(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = seeded(tmp_path)
    env = {"SPEECHWATCH_DIGEST_CHANNELS": "file", "SPEECHWATCH_DIGEST_DIR": str(tmp_path / "out")}
    sent = run("digest", "--send", "--format", "json", "--db", url, **env)
    assert sent.exit_code == 0, sent.output
    assert "digest 1 delivered" in sent.output and "file:" in sent.output
    (written,) = (tmp_path / "out").glob("digest-1-*.json")
    assert json.loads(written.read_text(encoding="utf-8"))["digest_id"] == 1
    again = run("digest", "--send", "--db", url, **env)
    assert again.exit_code == 0 and "nothing new since the last digest" in again.output
    preview = json.loads(run("digest", "--format", "json", "--db", url).output)
    assert preview["counts"]["speeches"] == 0 and preview["since"] is not None


def test_send_without_channels_or_with_a_bad_file_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = seeded(tmp_path)
    none = run("digest", "--send", "--db", url)
    assert none.exit_code == 1 and "no digest channel configured" in none.output
    assert len(none.output.strip().splitlines()) == 1
    settings = tmp_path / "speechwatch.toml"
    settings.write_text("[digest]\nchannels = ['webhook']\nwebhook_url = 'http://127.0.0.1:9/none'\n")
    failed = run("digest", "--send", "--config", str(settings), "--db", url)
    assert failed.exit_code == 1 and "not delivered" in failed.output and "retried next time" in failed.output
    assert "Traceback" not in failed.output


def test_demo_ends_with_the_digest_and_delivers_it(tmp_path):
    from tests.monitor.test_cli_crawl import run_cli

    db = str(tmp_path / "demo.db")
    demo = run_cli("demo", "--db", db, cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    digest = demo.stdout[demo.stdout.index("# speechwatch digest") :]
    assert "## New speeches (19)" in digest and "## Commitments to review" in digest
    assert "**pingshan-ldjh** blocked" in digest and "**fanwen365** blocked" in digest
    after = run_cli("digest", "--format", "json", "--db", db, cwd=tmp_path)
    assert json.loads(after.stdout)["counts"] == dict.fromkeys(
        ("speeches", "new_commitments", "changed_commitments", "due_soon", "overdue", "fulfilment", "reposts",
         "source_health"), 0)  # fmt: skip


def test_the_smtp_password_never_shows_in_output_logs_or_stored_digests(tmp_path, monkeypatch, caplog):
    from sqlalchemy import select

    from storage.models import Digest as DigestRow

    monkeypatch.chdir(tmp_path)
    url = seeded(tmp_path)
    secret = "pw-7f3c-do-not-show"
    env = {"SPEECHWATCH_DIGEST_CHANNELS": "smtp", "SPEECHWATCH_SMTP_HOST": "127.0.0.1", "SPEECHWATCH_SMTP_PORT": "9",
           "SPEECHWATCH_SMTP_USER": "digest", "SPEECHWATCH_SMTP_PASSWORD": secret, "SPEECHWATCH_SMTP_FROM": "a@b.cn",
           "SPEECHWATCH_SMTP_TO": "c@d.cn", "SPEECHWATCH_SMTP_SECURITY": "none"}  # fmt: skip
    for args in (("digest", "--send", "--db", url), ("--debug", "digest", "--send", "--db", url)):
        result = run(*args, **env)
        assert result.exit_code == 1  # nothing listens on port 9: the delivery failed
        assert secret not in result.output and secret not in str(result.exception or "")
    assert secret not in caplog.text
    with Database(url) as db, db.read() as session:
        rows = session.scalars(select(DigestRow)).all()
    assert rows and all(secret not in f"{r.last_error} {r.content}" for r in rows)
