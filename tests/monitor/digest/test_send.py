"""Sending digests: real SMTP (aiosmtpd) and webhook receivers, retries after failures, never an item twice."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from monitor.commitments.track import review
from monitor.digest import DigestConfig, SmtpSettings, send_digest
from storage.models import Digest as DigestRow
from storage.models import DigestItem
from tests.monitor.digest.conftest import XSS_TITLE
from tests.monitor.digest.servers import SmtpServer, Webhook, free_port, self_signed


def file_config(tmp_path, *channels: str, **fields) -> DigestConfig:
    return DigestConfig(channels=channels or ("file",), directory=tmp_path / "digests", origin="test", **fields)


def stored_digests(db) -> list[DigestRow]:
    with db.read() as session:
        return list(session.scalars(select(DigestRow).order_by(DigestRow.id)))


def test_no_item_is_ever_in_two_digests(database, store, populated, tmp_path):
    config = file_config(tmp_path, format="json")
    first = send_digest(database, config)
    assert first.ok and first.delivered == ["file"] and first.items > 0
    assert send_digest(database, config).empty  # nothing new: nothing sent, nothing stored
    speech = populated["speech"]
    repost = store.repost(speech, "http://www.gwfanwen.com/detail/1.html")
    other, (doc,) = store.speech("在全市招商引资大会上的讲话", "http://www.huzhou.gov.cn/art/1.html", speaker="王纲")
    pledge = store.commitment(other, doc, "确保年底前新引进项目10个", deadline="2030-12-31", topic="investment")
    second = send_digest(database, config)
    assert second.ok and second.digest_id != first.digest_id
    rows = stored_digests(database)
    assert [r.delivered_at is not None for r in rows] == [True, True]
    content = rows[1].content
    assert [s["id"] for s in content["speeches"]] == [other]
    assert [c["id"] for g in content["new_commitments"] for c in g["commitments"]] == [pledge]
    assert content["reposts"] == {"count": 1, "speeches": [{"speech_id": speech, "title": XSS_TITLE, "new_copies": 1}]}
    assert not content["due_soon"] and not content["overdue"] and not content["source_health"]
    assert ["document", str(repost)] in content["items"]
    first_items = {tuple(i) for i in rows[0].content["items"]}
    assert first_items and not first_items & {tuple(i) for i in content["items"]}
    assert len(list((tmp_path / "digests").glob("digest-*.json"))) == 2
    with pytest.raises(IntegrityError), database.write() as session:  # the database itself refuses a repeat
        session.add(DigestItem(digest_id=rows[1].id, kind="speech", key=str(other)))


def test_smtp_starttls_with_auth_delivers_text_and_html(database, populated, tmp_path):
    cert, key = self_signed(tmp_path)
    port = free_port()
    smtp = SmtpSettings(host="127.0.0.1", port=port, security="starttls", username="digest", password="secret",
                        sender="speechwatch@example.org", to=("analyst@example.org", "lead@example.org"),
                        cafile=str(cert), timeout=10)  # fmt: skip
    with SmtpServer(port, (cert, key)) as server:
        result = send_digest(database, DigestConfig(channels=("smtp",), smtp=smtp, origin="test"))
    assert result.ok, result.error
    (message,) = server.inbox.messages
    assert server.inbox.envelopes == [("speechwatch@example.org", ["analyst@example.org", "lead@example.org"])]
    assert message["Subject"].startswith("speechwatch digest ") and "1 new speech," in message["Subject"]
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    page = message.get_body(("html",)).get_content()
    assert "## New speeches (1)" in text and "确保6月底前完成土地收储" in text
    assert "&lt;script&gt;" in page and "<script>" not in page and "确保6月底前完成土地收储" in page
    assert stored_digests(database)[0].delivered_at is not None


def test_smtp_login_refused_is_one_clear_error(database, populated, tmp_path):
    cert, key = self_signed(tmp_path)
    port = free_port()
    smtp = SmtpSettings(host="127.0.0.1", port=port, username="digest", password="wrong", sender="a@example.org",
                        to=("b@example.org",), cafile=str(cert), timeout=10)  # fmt: skip
    with SmtpServer(port, (cert, key)) as server:
        result = send_digest(database, DigestConfig(channels=("smtp",), smtp=smtp, origin="test"))
    assert not result.ok and not server.inbox.messages
    assert "login refused for 'digest'" in result.failed["smtp"] and "\n" not in result.error


def test_smtp_down_is_retried_next_time_and_sent_once(database, store, populated, tmp_path):
    port = free_port()
    smtp = SmtpSettings(host="127.0.0.1", port=port, security="none", sender="a@example.org", to=("b@example.org",),
                        timeout=5)  # fmt: skip
    config = DigestConfig(channels=("smtp",), smtp=smtp, origin="test")
    down = send_digest(database, config)
    assert not down.ok and "smtp 127.0.0.1" in down.failed["smtp"] and "retried next time" in down.error
    (pending,) = stored_digests(database)
    assert pending.delivered_at is None and pending.attempts == 1 and pending.item_count == down.items
    other, (doc,) = store.speech("在全市招商引资大会上的讲话", "http://www.huzhou.gov.cn/art/2.html")
    with SmtpServer(port) as server:
        retry = send_digest(database, config)
        again = send_digest(database, config)
    assert retry.ok and retry.digest_id == down.digest_id and retry.items == down.items + 2  # + the new speech, copy
    assert again.empty
    (message,) = server.inbox.messages  # the retry carried what was pending and what came since, once
    text = message.get_body(("plain",)).get_content()
    assert "招商引资大会" in text and "确保6月底前完成土地收储" in text
    (delivered,) = stored_digests(database)
    assert delivered.delivered_at is not None and delivered.attempts == 2 and delivered.last_error is None


def test_a_partly_delivered_digest_goes_only_to_the_channels_that_missed_it(database, store, populated, tmp_path):
    with Webhook([500, 200]) as hook:
        config = file_config(tmp_path, "file", "webhook", webhook_url=hook.url)
        failed = send_digest(database, config)
        assert not failed.ok and failed.delivered == ["file"] and "HTTP 500" in failed.failed["webhook"]
        other, (doc,) = store.speech("在全市招商引资大会上的讲话", "http://www.huzhou.gov.cn/art/3.html")
        retry = send_digest(database, config)
    assert retry.ok and retry.finished == [failed.digest_id] and retry.digest_id != failed.digest_id
    first, second = hook.delivered()
    assert first["digest_id"] == failed.digest_id and XSS_TITLE in [s["title"] for s in first["speeches"]]
    assert second["digest_id"] == retry.digest_id and [s["id"] for s in second["speeches"]] == [other]
    assert len(hook.received) == 3  # the 500, then the first digest once, then the second
    assert len(list((tmp_path / "digests").glob("digest-*.md"))) == 2  # the file channel got each digest once
    assert all(row.delivered_at is not None for row in stored_digests(database))


def test_a_pending_digest_whose_items_were_reviewed_away_is_dropped(database, store, tmp_path):
    pledge = store.commitment(999, None, "确保年底前完成14项服务事项")  # its speech is not even there any more
    down = DigestConfig(channels=("webhook",), webhook_url=f"http://127.0.0.1:{free_port()}/down", origin="test")
    failed = send_digest(database, down)
    assert not failed.ok and failed.items == 1 and "webhook http://127.0.0.1" in failed.error
    review(database, pledge, "reject", reviewer="analyst", note="not a pledge")
    assert send_digest(database, file_config(tmp_path)).empty
    assert stored_digests(database) == [] and not (tmp_path / "digests").exists()
