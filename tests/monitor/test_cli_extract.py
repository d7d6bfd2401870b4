"""``speechwatch extract``, ``reprocess`` and ``eval extraction`` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from monitor.cli import main
from storage.database import Database
from storage.documents import DocumentRecord, store_documents
from storage.models import Document

GOLD = Path(__file__).parents[1] / "gold" / "extraction"
OLD_TABLE = GOLD / "oldtable-yangcheng-2019-gbk.html"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_extract_shows_what_would_be_stored(tmp_path):
    result = run(
        "extract", str(OLD_TABLE), "--url", "http://www.yczf.gov.cn/news/ShowArticle.asp?ArticleID=3821", "--json"
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["encoding"] == "gb18030"  # declared gb2312, holds 镕 and 堃
    assert record["speaker"] == "郭镕堃" and record["doc_type"] == "speech"
    assert record["speech_date"] == "2019-04-12" and record["speech_date_precision"] == "day"
    assert record["text"].startswith("同志们：") and "打印本页" not in record["text"]


def test_extract_explains_removed_lines():
    page = GOLD / "tpl-baoji-2023-cut-end.html"
    result = run("extract", str(page), "--url", "http://www.xiezuoba.cn/a/1.html", "--json", "--explain")
    record = json.loads(result.output)
    reasons = {item["reason"] for item in record["removed"]}
    assert {"truncation", "promotion"} <= reasons and record["truncated"] is True


def test_extract_table_output_for_people():
    result = run("extract", str(OLD_TABLE), "--url", "http://www.yczf.gov.cn/a.html")
    assert result.exit_code == 0 and "郭镕堃" in result.output and "speech_date" in result.output


def test_extract_rejects_files_that_are_not_html(tmp_path):
    binary = tmp_path / "scan.html"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    pdf = tmp_path / "attachment.html"
    pdf.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n")
    notes = tmp_path / "notes.txt"
    notes.write_text("只是一段笔记，不是网页。", encoding="utf-8")
    garbled = tmp_path / "garbled.html"
    garbled.write_bytes(b"<html><body><p>" + bytes(range(0x80, 0x100)) * 8 + b"</p></body></html>")
    cases = (
        (binary, "binary data"),
        (empty, "empty file"),
        (pdf, "PDF file"),
        (notes, "not an HTML page"),
        (garbled, "cannot be decoded"),
    )
    for path, message in cases:
        result = CliRunner().invoke(main, ["extract", str(path), "--url", "http://a.gov.cn/"])
        assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_reprocess_rewrites_from_stored_html_and_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'sw.db'}"
    raw = OLD_TABLE.read_bytes()
    with Database(url) as db:
        stale = DocumentRecord(
            url="http://www.yczf.gov.cn/a.html", final_url="http://www.yczf.gov.cn/a.html", source="yc",
            source_kind="gov", http_status=200, content_hash="old", raw_html=raw, text="旧的抽取结果",
            encoding="gb18030",
        )  # fmt: skip
        store_documents(db, [stale])
    first = run("reprocess", "--db", url)
    assert first.exit_code == 0 and "1 documents: 1 changed" in first.output
    with Database(url) as db, db.read() as session:
        document = session.scalar(select(Document))
    assert document.speaker == "郭镕堃" and document.text.startswith("同志们：") and document.extractor_version == 1
    second = run("reprocess", "--db", url)
    assert "1 documents: 0 changed" in second.output


def test_eval_extraction_json_reports_both_systems():
    result = run("eval", "extraction", "--format", "json")
    assert result.exit_code == 0
    reports = {r["system"]: r for r in json.loads(result.output)}
    assert set(reports) == {"speechwatch", "trafilatura"}
    assert reports["speechwatch"]["pages"] >= 40
    assert reports["speechwatch"]["body_f1"] > reports["trafilatura"]["body_f1"]
