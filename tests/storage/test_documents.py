"""The single write path: upserts by canonical URL, whole batches, validators for conditional requests."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage.documents import (
    DocumentRecord,
    decompress_html,
    iter_documents,
    store_documents,
    validators_for_source,
)
from storage.models import Document, UnminedDocument


def record(url: str, text: str = "同志们：今天召开全区优化营商环境大会。", **kw) -> DocumentRecord:
    values = dict(
        url=url,
        final_url=url,
        source="test-source",
        source_kind="gov",
        http_status=200,
        content_hash=f"hash-of-{text}",
        raw_html=f"<html><body><p>{text}</p></body></html>".encode(),
        text=text,
        etag='"e1"',
        last_modified="Wed, 12 Aug 2020 02:30:00 GMT",
    )
    values.update(kw)
    return DocumentRecord(**values)


def count(database) -> int:
    with database.read() as session:
        return session.scalar(select(func.count(Document.id)))


def test_new_documents_are_inserted_once(database):
    batch = [record("http://a.gov.cn/1.html"), record("http://a.gov.cn/2.html")]
    first = store_documents(database, batch)
    second = store_documents(database, batch)
    assert (first.new, first.updated, first.unchanged) == (2, 0, 0)
    assert (second.new, second.updated, second.unchanged) == (0, 0, 2)
    assert count(database) == 2


def test_changed_text_updates_the_row_and_keeps_first_seen(database):
    store_documents(database, [record("http://a.gov.cn/1.html", text="旧文本")])
    with database.read() as session:
        before = session.scalar(select(Document))
    result = store_documents(database, [record("http://a.gov.cn/1.html", text="新文本：确保年底前完成")])
    with database.read() as session:
        after = session.scalar(select(Document))
    assert result.updated == 1
    assert after.id == before.id and after.first_seen_at == before.first_seen_at
    assert after.text == "新文本：确保年底前完成" and after.changed_at >= before.changed_at


def test_new_and_changed_texts_are_queued_for_mining_once(database):
    def queued() -> list[str]:
        with database.read() as session:
            return list(session.scalars(select(Document.url).join(UnminedDocument).order_by(Document.url)))

    store_documents(database, [record("http://a.gov.cn/1.html"), record("http://a.gov.cn/2.html")])
    assert queued() == ["http://a.gov.cn/1.html", "http://a.gov.cn/2.html"]
    with database.write() as session:  # both mined
        session.query(UnminedDocument).delete()
    store_documents(database, [record("http://a.gov.cn/1.html", text="新文本"), record("http://a.gov.cn/2.html")])
    assert queued() == ["http://a.gov.cn/1.html"]  # the changed text only
    store_documents(database, [record("http://a.gov.cn/1.html", text="又一版")])  # changed again, not mined yet
    assert queued() == ["http://a.gov.cn/1.html"]
    with database.read() as session:  # waiting for the newest text
        assert session.scalars(select(UnminedDocument.content_hash)).all() == ["hash-of-又一版"]
    with database.write() as session:  # a deleted document leaves the queue with it
        session.query(Document).filter(Document.url == "http://a.gov.cn/1.html").delete()
    assert queued() == [] and count(database) == 1


def test_unchanged_text_only_moves_fetch_time_and_validators(database):
    store_documents(database, [record("http://a.gov.cn/1.html")])
    store_documents(database, [record("http://a.gov.cn/1.html", etag='"e2"')])
    with database.read() as session:
        row = session.scalar(select(Document))
    assert row.etag == '"e2"' and row.fetched_at >= row.changed_at


def test_raw_html_is_kept_compressed_and_round_trips(database):
    raw = ("<p>" + "优化营商环境" * 2000 + "</p>").encode("gb18030")
    store_documents(database, [record("http://a.gov.cn/1.html", raw_html=raw)])
    row = next(iter_documents(database))
    assert row.raw_size == len(raw) and len(row.raw_html) < len(raw) / 10
    assert decompress_html(row.raw_html) == raw


def test_html_compressed_ahead_is_stored_as_it_came_and_round_trips(database):
    """The extraction compresses the page (off the storing process); the write path keeps those bytes."""
    from crawler.documents import extract_item, to_record
    from crawler.items import PageItem

    raw = "<html><body><p>同志们：确保2020年9月底前完成“标准地”出让。</p></body></html>".encode()
    item = extract_item(PageItem("http://a.gov.cn/1.html", "http://a.gov.cn/1.html", "s", "gov", 200, raw, "utf-8"))
    assert item.stored_body is not None and decompress_html(item.stored_body) == raw
    store_documents(database, [to_record(item, None)])
    row = next(iter_documents(database))
    assert row.raw_html == item.stored_body and row.raw_size == len(raw)


def test_duplicate_urls_in_one_batch_store_one_row(database):
    result = store_documents(
        database, [record("http://a.gov.cn/1.html", text="甲"), record("http://a.gov.cn/1.html", text="乙")]
    )
    assert result.new == 1 and count(database) == 1
    assert next(iter_documents(database)).text == "乙"


def test_a_failing_batch_leaves_nothing_half_written(database):
    store_documents(database, [record("http://a.gov.cn/1.html")])
    bad = [record("http://a.gov.cn/2.html"), record("http://a.gov.cn/3.html", http_status=None)]
    with pytest.raises(Exception):  # noqa: B017 - the driver's IntegrityError differs per back end
        store_documents(database, bad)
    assert count(database) == 1


def test_validators_by_source(database):
    store_documents(database, [record("http://a.gov.cn/1.html"), record("http://b.com/1.html", source="other")])
    assert validators_for_source(database, "test-source") == {
        "http://a.gov.cn/1.html": ('"e1"', "Wed, 12 Aug 2020 02:30:00 GMT")
    }
