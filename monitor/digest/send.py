"""Send the digest: build since the last delivered one, store it with its items, deliver, mark delivered.

A digest is marked delivered only when every configured channel took it. Until then it stays pending with its
items: a digest no channel took is rebuilt next time (so it also carries what came since), and one that some
channels took is sent as it was to the others only, so that no channel gets an item twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import delete, select

from monitor.digest.build import Digest, build_digest
from monitor.digest.config import DigestConfig, load_digest_config
from monitor.digest.deliver import CHANNELS, DeliveryError
from monitor.health import HealthOptions
from storage.database import Database
from storage.locks import exclusive
from storage.models import Digest as DigestRow
from storage.models import DigestItem


@dataclass
class SendResult:
    """What one :func:`send_digest` call did."""

    digest_id: int | None = None
    items: int = 0
    delivered: list[str] = field(default_factory=list)  # channels that took it in this call
    failed: dict[str, str] = field(default_factory=dict)  # channel -> one-line error
    empty: bool = False  # nothing new: nothing was stored or sent
    finished: list[int] = field(default_factory=list)  # earlier, partly delivered digests completed in this call
    targets: dict[str, str] = field(default_factory=dict)  # channel -> where it went (file path, SMTP host …)

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def error(self) -> str | None:
        if not self.failed:
            return None
        failures = "; ".join(self.failed.values())
        return f"digest {self.digest_id} not delivered ({failures}); it stays pending and is retried next time"


def send_digest(
    db: Database, config: DigestConfig | None = None, *, now: datetime | None = None, since: datetime | None = None
) -> SendResult:
    """Build, store, deliver through every configured channel, and mark delivered when all of them took it.

    Raises :class:`~monitor.digest.config.DigestConfigError` for settings that cannot work; delivery failures
    are returned in the result (``ok``, ``error``), never raised, so a scheduler can log them and go on.
    One sender at a time per database (a named lock).
    """
    config = (config or load_digest_config()).check()
    health = HealthOptions(idle_runs=config.idle_runs)
    with exclusive(db, "digest"):
        finished = []
        partial = _partly_delivered(db)
        if partial is not None:
            result = _deliver(db, partial, Digest.from_dict(partial.content or {}), config)
            if not result.ok:
                return result
            finished.append(partial.id)
        digest = build_digest(db, since, now=now, health=health)
        if digest.is_empty:
            _drop_unstarted(db)
            return SendResult(empty=True, finished=finished)
        row_id = _store(db, digest, now or datetime.now(UTC))
        with db.read() as session:
            row = session.get(DigestRow, row_id)
        result = _deliver(db, row, digest, config)
        result.finished = finished
        return result


def _partly_delivered(db: Database) -> DigestRow | None:
    with db.read() as session:
        for row in session.scalars(select(DigestRow).where(DigestRow.delivered_at.is_(None)).order_by(DigestRow.id)):
            if row.channels_done:
                return row
    return None


def _drop_unstarted(db: Database) -> None:
    """A pending digest that no channel took and that has nothing left to say (its items were reviewed since)."""
    with db.write() as session:
        for row in session.scalars(select(DigestRow).where(DigestRow.delivered_at.is_(None))):
            if not row.channels_done:
                session.delete(row)


def _store(db: Database, digest: Digest, now: datetime) -> int:
    """Reuse the pending digest no channel took (its items are rebuilt) or open a new one; store the items."""
    with db.write() as session:
        row = next(
            (
                r
                for r in session.scalars(select(DigestRow).where(DigestRow.delivered_at.is_(None)))
                if not r.channels_done
            ),
            None,
        )
        if row is None:
            row = DigestRow(created_at=now, until=datetime.fromisoformat(digest.until), attempts=0, channels_done=[])
            session.add(row)
            session.flush()
        else:
            session.execute(delete(DigestItem).where(DigestItem.digest_id == row.id))
        digest.digest_id = row.id
        row.since = datetime.fromisoformat(digest.since) if digest.since else None
        row.until = datetime.fromisoformat(digest.until)
        row.item_count = len(digest.items)
        row.content = digest.stored()
        session.add_all(DigestItem(digest_id=row.id, kind=kind, key=key) for kind, key in digest.items)
        return row.id


def _deliver(db: Database, row: DigestRow, digest: Digest, config: DigestConfig) -> SendResult:
    done = list(row.channels_done or [])
    result = SendResult(digest_id=row.id, items=row.item_count)
    for channel in config.channels:
        if channel in done:
            continue
        try:
            result.targets[channel] = CHANNELS[channel](digest, config)
        except DeliveryError as exc:
            result.failed[channel] = str(exc)
            continue
        done.append(channel)
        result.delivered.append(channel)
    with db.write() as session:
        stored = session.get(DigestRow, row.id)
        stored.channels_done = done
        stored.attempts = (stored.attempts or 0) + 1
        stored.last_error = result.error
        if result.ok:
            stored.delivered_at = datetime.now(UTC)
    return result


def last_delivered_at(db: Database) -> datetime | None:
    """When the latest digest was delivered (None before the first): the scheduler's ``--once`` asks it."""
    from sqlalchemy import func

    with db.read() as session:
        return session.scalar(select(func.max(DigestRow.delivered_at)))
