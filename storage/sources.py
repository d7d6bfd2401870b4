"""The ``sources`` table mirrors the sources file as last loaded."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select

from storage.database import Database
from storage.models import Source as SourceRow


class SourceLike(Protocol):
    name: str
    kind: str
    enabled: bool

    def to_config(self) -> dict: ...


def sync_sources(db: Database, sources: Iterable[SourceLike]) -> None:
    """Insert new sources and refresh the ones whose settings changed."""
    now = datetime.now(UTC)
    with db.write() as session:
        existing = {row.name: row for row in session.scalars(select(SourceRow))}
        seen = set()
        for source in sources:
            seen.add(source.name)
            row = existing.get(source.name)
            config = source.to_config()
            if row is None:
                session.add(
                    SourceRow(
                        name=source.name,
                        kind=source.kind,
                        enabled=source.enabled,
                        config=config,
                        created_at=now,
                        updated_at=now,
                    )
                )
            elif row.config != config or row.enabled != source.enabled or row.kind != source.kind:
                row.kind, row.enabled, row.config, row.updated_at = source.kind, source.enabled, config, now


def ensure_source(db: Database, name: str, kind: str) -> None:
    """Make sure a source row exists (for documents that come from elsewhere, such as a WARC file)."""
    now = datetime.now(UTC)
    with db.write() as session:
        if session.scalar(select(SourceRow.id).where(SourceRow.name == name)) is None:
            session.add(SourceRow(name=name, kind=kind, enabled=False, config={}, created_at=now, updated_at=now))
