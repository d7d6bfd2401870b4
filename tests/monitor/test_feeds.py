"""Feeds: Atom of speeches and commitments, iCalendar of accepted deadlines; stable ids; pure builders; the CLI."""

from __future__ import annotations

from datetime import date
from xml.etree import ElementTree

from click.testing import CliRunner
from icalendar import Calendar

from monitor.cli import main
from monitor.feeds import FEED_PATHS, build_feed, deadline_records, deadlines_ics, speeches_atom
from storage.database import Database
from tests.monitor.digest.conftest import XSS_TITLE, Store

ATOM = "{http://www.w3.org/2005/Atom}"


def seed(db) -> dict:
    store = Store(db)
    speech, (doc,) = store.speech(XSS_TITLE, "http://www.pingshan.gov.cn/t.html", speaker="李珺", region="坪山区")
    other, _ = store.speech("在全市招商引资大会上的讲话", "http://www.huzhou.gov.cn/art/1.html")
    return {
        "speeches": [speech, other],
        "accepted": store.commitment(
            speech, doc, "确保2030年9月底前完成出让", status="accepted", deadline="2030-09-30"
        ),
        "new": store.commitment(speech, doc, "争取落户基金", topic="finance"),
        "rejected": store.commitment(speech, doc, "要提高认识", status="rejected"),
    }


def test_atom_feeds_of_speeches_and_commitments(database):
    ids = seed(database)
    root = ElementTree.fromstring(build_feed(database, "speeches", "atom", base_url="https://sw.example.org/"))
    entries = root.findall(f"{ATOM}entry")
    assert root.find(f"{ATOM}id").text == "https://sw.example.org/feeds/speeches.atom"
    assert [e.find(f"{ATOM}id").text for e in entries] == [
        f"https://sw.example.org/speeches/{i}" for i in reversed(ids["speeches"])
    ]
    assert entries[1].find(f"{ATOM}title").text == XSS_TITLE  # XML-escaped by the serializer, text intact
    assert entries[1].find(f"{ATOM}link").get("href") == "http://www.pingshan.gov.cn/t.html"
    commitments = ElementTree.fromstring(build_feed(database, "commitments", "atom"))
    titles = [e.find(f"{ATOM}title").text for e in commitments.findall(f"{ATOM}entry")]
    assert len(titles) == 2 and all("要提高认识" not in t for t in titles)  # rejected ones are left out
    assert any(t.startswith("[accepted] 2030-09-30:") for t in titles)


def test_ics_of_accepted_deadlines_with_stable_uids(database):
    ids = seed(database)
    calendar = Calendar.from_ical(build_feed(database, "deadlines", "ics"))
    (event,) = calendar.walk("VEVENT")
    assert str(event["uid"]) == f"commitment-{ids['accepted']}@speechwatch"
    assert event.decoded("dtstart") == date(2030, 9, 30) and "确保2030年9月底前完成出让" in str(event["summary"])
    assert str(event["url"]) == "http://www.pingshan.gov.cn/t.html"
    again = Calendar.from_ical(deadlines_ics(deadline_records(database)))
    assert [str(e["uid"]) for e in again.walk("VEVENT")] == [str(event["uid"])]


def test_builders_are_pure_and_strip_what_xml_cannot_hold():
    assert b"<feed" in speeches_atom([])
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    record = {"id": 1, "title": "标题\x0b含控制符", "url": None, "speaker": None, "copies": 1, "created_at": now,
              "updated_at": now}  # fmt: skip
    assert "标题含控制符" in speeches_atom([record]).decode()
    assert set(FEED_PATHS.values()) == {"/feeds/speeches.atom", "/feeds/commitments.atom", "/feeds/deadlines.ics"}


def test_feed_command(tmp_path):
    url = f"sqlite:///{tmp_path / 'sw.db'}"
    with Database(url) as db:
        seed(db)
    runner = CliRunner()
    out = tmp_path / "deadlines.ics"
    written = runner.invoke(main, ["feed", "--what", "deadlines", "--out", str(out), "--db", url])
    assert written.exit_code == 0, written.output
    assert out.read_bytes().startswith(b"BEGIN:VCALENDAR")
    shown = runner.invoke(main, ["feed", "--what", "speeches", "--db", url])
    assert shown.exit_code == 0 and "<feed" in shown.output
    wrong = runner.invoke(main, ["feed", "--what", "speeches", "--format", "ics", "--db", url])
    assert wrong.exit_code == 1 and "no ics feed of speeches" in wrong.output
