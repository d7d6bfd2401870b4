"""``speechwatch export --what documents``: JSONL and CSV with exactly the documented fields."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.export import DOCUMENT_FIELDS
from monitor.extract.script import matching_text
from storage.documents import DocumentRecord, store_documents

FETCHED = datetime(2024, 4, 2, 7, 30, 15, tzinfo=UTC)

TEXTS = {
    "http://www.pingshan.gov.cn/zwgk/ldjh/202404/t20240402_11402236.html": (
        "pingshan-ldjh",
        "gov",
        "对标一流 提质增效\n同志们：今天，我们召开全区优化营商环境大会，区长陈文喆讲话。",
    ),
    "http://www.huzhou.gov.cn/art/2022/3/11/art_1229213526_58733461.html": (
        "huzhou-ldjh",
        "gov",
        '一是“放管服”改革, 二是"10+N"便利化行动；\n确保2022年9月底前完成，"引号"内也有,逗号',
    ),
    "http://www.gwfanwen.com/index/article/detail/detail_id/85752.html": (
        "gwfanwen",
        "template",
        '20211025:全区优化营商环境大会讲话稿\n\n(未完,全文共2246字,当前显示786字)\t"阅读全文"',
    ),
}


def records() -> list[DocumentRecord]:
    out = []
    for i, (url, (source, kind, text)) in enumerate(TEXTS.items()):
        raw = f"<html><body><p>{text}</p></body></html>".encode()
        out.append(
            DocumentRecord(
                url=url,
                final_url=url + ("?from=list" if i == 1 else ""),
                source=source,
                source_kind=kind,
                http_status=200,
                content_hash=f"{i:064x}",
                raw_html=raw,
                text=text,
                encoding="gb18030" if "pingshan" in url else "utf-8",
                etag=f'"etag-{i}"',
                last_modified="Tue, 02 Apr 2024 00:00:00 GMT" if i == 0 else None,
                title=text.splitlines()[0],
                page_title=f"标题{i}, 带逗号",
                published_at="2024-04-02 10:30" if i == 0 else None,
                fetched_at=FETCHED,
            )
        )
    return out


@pytest.fixture
def stored(database):
    result = store_documents(database, records())
    assert result.new == len(TEXTS)
    return database


def export(db_url: str, *args: str):
    return CliRunner().invoke(main, ["export", "--what", "documents", "--db", db_url, *args])


def test_jsonl_has_exactly_the_documented_fields(stored, db_url):
    result = export(db_url, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(TEXTS)
    rows = [json.loads(line) for line in lines]
    for row in rows:
        assert list(row) == list(DOCUMENT_FIELDS)
    assert [row["url"] for row in rows] == list(TEXTS)
    assert [row["id"] for row in rows] == sorted(row["id"] for row in rows)
    by_url = {row["url"]: row for row in rows}
    for record in records():
        row = by_url[record.url]
        assert row["text"] == record.text
        assert row["text_chars"] == len(record.text)
        assert row["raw_size"] == len(record.raw_html)
        assert row["final_url"] == record.final_url
        assert (row["source"], row["source_kind"]) == (record.source, record.source_kind)
        assert row["http_status"] == 200
        assert row["etag"] == record.etag
        assert row["last_modified"] == record.last_modified
        assert row["content_hash"] == record.content_hash
        assert row["encoding"] == record.encoding
        assert (row["title"], row["page_title"], row["published_at"]) == (
            record.title,
            record.page_title,
            record.published_at,
        )
        assert row["fetched_at"] == row["first_seen_at"] == row["changed_at"]
        assert datetime.fromisoformat(row["fetched_at"]).replace(tzinfo=None) == FETCHED.replace(tzinfo=None)
    assert "陈文喆" in result.stdout  # Chinese written as is, not \\u escapes


def test_csv_to_a_file_round_trips(stored, db_url, tmp_path):
    out = tmp_path / "documents.csv"
    result = export(db_url, "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"wrote {len(TEXTS)} documents to" in result.stderr

    with out.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames) == DOCUMENT_FIELDS
        rows = list(reader)
    assert len(rows) == len(TEXTS)
    by_url = {row["url"]: row for row in rows}
    for record in records():
        row = by_url[record.url]
        assert row["text"] == record.text  # commas, quotes, newlines, tabs survive
        assert row["page_title"] == record.page_title
        assert row["text_chars"] == str(len(record.text))
        assert row["http_status"] == "200"
        assert row["etag"] == record.etag
        assert row["last_modified"] == (record.last_modified or "")
        assert row["published_at"] == (record.published_at or "")


def test_csv_to_stdout_has_the_header_row(stored, db_url):
    result = export(db_url, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert len(rows) == len(TEXTS)
    assert result.stdout.splitlines()[0] == ",".join(DOCUMENT_FIELDS)
    assert {row["text"] for row in rows} == {text for _, _, text in TEXTS.values()}


@pytest.mark.parametrize("output_format", ["jsonl", "csv"])
def test_source_filters(stored, db_url, output_format):
    result = export(db_url, "--format", output_format, "--source", "huzhou-ldjh")
    assert result.exit_code == 0, result.output
    if output_format == "jsonl":
        rows = [json.loads(line) for line in result.stdout.splitlines()]
    else:
        rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert [row["source"] for row in rows] == ["huzhou-ldjh"]
    assert rows[0]["url"] == "http://www.huzhou.gov.cn/art/2022/3/11/art_1229213526_58733461.html"


def test_unknown_source_exports_nothing(stored, db_url):
    result = export(db_url, "--format", "jsonl", "--source", "no-such-source")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    result = export(db_url, "--format", "csv", "--source", "no-such-source")
    assert result.stdout.splitlines() == [",".join(DOCUMENT_FIELDS)]


def test_empty_store_exports_nothing(database, db_url):
    result = export(db_url, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_export_streams_more_than_one_batch(database, db_url):
    many = []
    for i in range(450):  # iter_documents reads 200 at a time
        url = f"http://www.gwfanwen.com/index/article/detail/detail_id/{100000 + i}.html"
        many.append(
            DocumentRecord(
                url=url,
                final_url=url,
                source="gwfanwen" if i % 3 else "fanwen365",
                source_kind="template",
                http_status=200,
                content_hash=f"{i:064x}",
                raw_html=b"<p>x</p>",
                text=f"第{i}篇",
            )
        )
    store_documents(database, many)
    result = export(db_url, "--format", "jsonl")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 450
    assert len({row["id"] for row in rows}) == 450
    result = export(db_url, "--format", "jsonl", "--source", "fanwen365")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 150
    assert {row["source"] for row in rows} == {"fanwen365"}


def test_timestamps_say_they_are_utc(stored, db_url):
    """README: fetched_at, first_seen_at, changed_at are ISO 8601, UTC."""
    result = export(db_url, "--format", "jsonl")
    for line in result.stdout.splitlines():
        row = json.loads(line)
        for name in ("fetched_at", "first_seen_at", "changed_at"):
            moment = datetime.fromisoformat(row[name])
            assert moment.utcoffset() is not None, (name, row[name])
            assert moment == FETCHED


def test_a_traditional_copy_exports_its_simplified_matching_text(database, db_url):
    text = "優化營商環境大會講話稿\n確保2020年9月底前至少完成一宗「標準地」出讓。"
    url = "http://www.fanwen365.net/a/1.html"
    record = DocumentRecord(url=url, final_url=url, source="fanwen365", source_kind="template", http_status=200,
                            content_hash="f" * 64, raw_html=b"<p></p>", text=text, fetched_at=FETCHED,
                            analysis={"script": "traditional", "match_text": matching_text(text)})  # fmt: skip
    store_documents(database, [record])
    result = export(db_url, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["script"] == "traditional" and row["text"] == text
    assert "优化营商环境" in row["match_text"] and "标准地" in row["match_text"] and "營" not in row["match_text"]
