"""Feeds: Atom for new speeches and commitments (feedgen), iCalendar for accepted commitments' deadlines (icalendar).

The builders are pure (records in, bytes out) so a web server can serve them at the stable paths of
``FEED_PATHS``; the ``*_records`` functions read the records from the database. Entry and event ids depend only on
the row id (and ``base_url`` when given), so a feed reader or calendar updates an entry instead of repeating it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from storage.database import Database
from storage.models import Commitment, Document, Speech

FEED_PATHS = {
    ("speeches", "atom"): "/feeds/speeches.atom",
    ("commitments", "atom"): "/feeds/commitments.atom",
    ("deadlines", "ics"): "/feeds/deadlines.ics",
}
MEDIA_TYPES = {"atom": "application/atom+xml; charset=utf-8", "ics": "text/calendar; charset=utf-8"}
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not allowed in XML 1.0
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


class FeedError(ValueError):
    """A feed that does not exist (what × format)."""


def clean(text: object) -> str:
    return CONTROL.sub("", str(text)) if text is not None else ""


def web_url(url: str | None) -> str | None:
    """A crawled URL fit to be a link: http(s) only (a ``javascript:`` or ``data:`` URL never becomes one)."""
    url = clean(url or "").strip()
    return url if url.lower().startswith(("http://", "https://")) else None


def _uri(base_url: str | None, kind: str, row_id: int) -> str:
    return f"{base_url.rstrip('/')}/{kind}/{row_id}" if base_url else f"urn:speechwatch:{kind}:{row_id}"


def _generator(what: str, title: str, base_url: str | None, updated: datetime):
    from feedgen.feed import FeedGenerator

    feed = FeedGenerator()
    path = FEED_PATHS[(what, "atom")]
    feed.id(f"{base_url.rstrip('/')}{path}" if base_url else f"urn:speechwatch:feed:{what}")
    feed.title(title)
    feed.author({"name": "speechwatch"})
    feed.generator("speechwatch")
    feed.language("zh-CN")
    if base_url:
        feed.link(href=f"{base_url.rstrip('/')}{path}", rel="self")
    feed.updated(updated)
    return feed


# -- speeches --------------------------------------------------------------------------------------------------


def speech_feed_records(db: Database, limit: int = 50) -> list[dict]:
    """The newest speeches (by when they were found), with the URL of their canonical copy."""
    with db.read() as session:
        speeches = list(
            session.scalars(select(Speech).order_by(Speech.created_at.desc(), Speech.id.desc()).limit(limit))
        )
        ids = [s.canonical_document_id for s in speeches if s.canonical_document_id]
        urls = dict(session.execute(select(Document.id, Document.url).where(Document.id.in_(ids))).all()) if ids else {}
    return [
        {
            "id": s.id,
            "title": s.title,
            "url": urls.get(s.canonical_document_id),
            "speaker": s.speaker,
            "speaker_post": s.speaker_post,
            "region": s.region,
            "speech_date": s.speech_date,
            "doc_type": s.doc_type,
            "copies": s.copies,
            "created_at": s.created_at,
            "updated_at": s.updated_at,
        }
        for s in speeches
    ]


def speeches_atom(records: list[dict], *, base_url: str | None = None) -> bytes:
    """Pure: an Atom feed of speech records (as from :func:`speech_feed_records`)."""
    updated = max((r["updated_at"] for r in records), default=EPOCH)
    feed = _generator("speeches", "speechwatch: new speeches", base_url, updated)
    for r in records:
        entry = feed.add_entry(order="append")
        entry.id(_uri(base_url, "speeches", r["id"]))
        entry.title(clean(r["title"]) or f"speech {r['id']}")
        entry.updated(r["updated_at"])
        entry.published(r["created_at"])
        if r.get("speaker"):
            entry.author({"name": clean(r["speaker"])})
        facts = [r.get("speaker_post"), r.get("region"), r.get("speech_date"), r.get("doc_type")]
        summary = " · ".join(clean(f) for f in facts if f) + f" · {r['copies']} copies"
        entry.summary(summary.strip(" ·"))
        if web_url(r.get("url")):
            entry.link(href=web_url(r["url"]), rel="alternate")
        else:
            entry.content(summary, type="text")
    return feed.atom_str(pretty=True)


# -- commitments -------------------------------------------------------------------------------------------------


def commitment_feed_records(db: Database, limit: int = 100) -> list[dict]:
    """The newest commitments that are not quotes of higher bodies, with their speech and source URL."""
    with db.read() as session:
        rows = list(
            session.scalars(
                select(Commitment)
                .where(Commitment.cited.is_(False), Commitment.status != "rejected")
                .order_by(Commitment.created_at.desc(), Commitment.id.desc())
                .limit(limit)
            )
        )
        return _commitment_dicts(session, rows)


def deadline_records(db: Database) -> list[dict]:
    """Accepted commitments with a deadline (overdue ones included), soonest first."""
    with db.read() as session:
        rows = list(
            session.scalars(
                select(Commitment)
                .where(Commitment.status == "accepted", Commitment.deadline.is_not(None))
                .order_by(Commitment.deadline, Commitment.id)
            )
        )
        return _commitment_dicts(session, rows)


def _commitment_dicts(session, rows: list[Commitment]) -> list[dict]:
    """The digest's commitment records (speech title, speaker, region, source URL) plus what a feed entry needs."""
    from monitor.digest.build import commitment_records

    records = commitment_records(session, rows)
    for record, row in zip(records, rows, strict=True):
        record.update(relation=row.relation, created_at=row.created_at, updated_at=row.updated_at)
    return records


def commitments_atom(records: list[dict], *, base_url: str | None = None) -> bytes:
    """Pure: an Atom feed of commitment records (as from :func:`commitment_feed_records`)."""
    updated = max((r["updated_at"] for r in records), default=EPOCH)
    feed = _generator("commitments", "speechwatch: commitments", base_url, updated)
    for r in records:
        entry = feed.add_entry(order="append")
        entry.id(_uri(base_url, "commitments", r["id"]))
        deadline = r["deadline"] or r["deadline_precision"] or "no deadline"
        entry.title(f"[{r['status']}] {deadline}: {clean(r['text'])[:80]}")
        entry.updated(r["updated_at"])
        entry.published(r["created_at"])
        if r.get("speaker"):
            entry.author({"name": clean(r["speaker"])})
        lines = [clean(r["sentence"] or r["text"]), f"{clean(r['speech_title'])} ({clean(r['region'] or '')})".strip()]
        if r.get("relation"):
            lines.append(f"{r['relation']} (an earlier speech said it before)")
        entry.content("\n".join(line for line in lines if line), type="text")
        if r.get("topic"):
            entry.category(term=r["topic"])
        if web_url(r.get("url")):
            entry.link(href=web_url(r["url"]), rel="alternate")
    return feed.atom_str(pretty=True)


# -- deadlines ---------------------------------------------------------------------------------------------------


def deadlines_ics(records: list[dict], *, base_url: str | None = None, now: datetime | None = None) -> bytes:
    """Pure: an iCalendar with one all-day event per accepted commitment on its deadline (as from
    :func:`deadline_records`); UIDs are stable, so re-importing updates events instead of doubling them."""
    from icalendar import Calendar, Event

    now = now or datetime.now(UTC)
    calendar = Calendar()
    calendar.add("prodid", "-//speechwatch//commitment deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "speechwatch: commitment deadlines")
    for r in records:
        if not r.get("deadline"):
            continue
        day = date.fromisoformat(r["deadline"])
        event = Event()
        event.add("uid", f"commitment-{r['id']}@speechwatch")
        event.add("dtstamp", now)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("summary", f"截止 {clean(r['text'])[:60]}")
        description = [clean(r["sentence"] or r["text"]), f"{clean(r['speech_title'])} — {clean(r['speaker'] or '')}"]
        if r.get("deadline_text"):
            description.append(f"deadline as said: {clean(r['deadline_text'])} ({r['deadline_precision']})")
        if web_url(r.get("url")):
            description.append(web_url(r["url"]))
        event.add("description", "\n".join(description))
        if web_url(r.get("url")):
            event.add("url", web_url(r["url"]))
        if r.get("topic"):
            event.add("categories", [r["topic"]])
        if base_url:
            event.add("related-to", _uri(base_url, "commitments", r["id"]))
        calendar.add_component(event)
    return calendar.to_ical()


def build_feed(db: Database, what: str, output_format: str, *, base_url: str | None = None, limit: int = 100) -> bytes:
    """One of the feeds of ``FEED_PATHS`` from the database."""
    if (what, output_format) not in FEED_PATHS:
        choices = ", ".join(f"--what {w} --format {f}" for w, f in FEED_PATHS)
        raise FeedError(f"no {output_format} feed of {what} (there are: {choices})")
    if what == "speeches":
        return speeches_atom(speech_feed_records(db, limit), base_url=base_url)
    if what == "commitments":
        return commitments_atom(commitment_feed_records(db, limit), base_url=base_url)
    return deadlines_ics(deadline_records(db), base_url=base_url)
