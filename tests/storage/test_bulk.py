"""``insert_rows``: the rows an executemany ``INSERT`` writes, on both back ends (PostgreSQL through ``COPY``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from storage.bulk import insert_rows
from storage.database import Database
from storage.models import Commitment, CommitmentEvent

AT = datetime(2026, 11, 29, 8, 30, 15, 123456, tzinfo=UTC)


def commitment(number: int) -> dict:
    """A new commitment's columns, ``cited`` and ``flagged`` left to their defaults."""
    return {
        "id": number, "speech_id": 3, "key": f"k{number}", "text": "确保2020年9月底前至少完成一宗“标准地”出让",
        "sentence": None, "action": "完成一宗“标准地”出让", "deadline": "2020-09-30", "deadline_precision": "month",
        "deadline_text": "2020年9月底前", "deadline_resolved": True,
        "quantities": [{"value": 1.5, "unit": "亿元", "text": "1.5亿元"}], "strength": "strong", "tier": "core",
        "topic": "land", "actor": None, "actor_implicit": False, "counterparty": "企业", "status": "new",
        "document_id": 7, "start": 0, "end": 21, "evidence": [7, 9], "related_id": None, "relation": None,
        "created_at": AT, "updated_at": AT + timedelta(hours=8),
    }  # fmt: skip


def event(number: int) -> dict:
    return {"commitment_id": number, "at": AT, "action": "flagged", "reviewer": None, "note": "新 'quoted' \\ \t tab",
            "document_id": 7, "details": {"document_id": 7, "related_id": None, "words": ["营商", "环境"]}}  # fmt: skip


def stored(db: Database, model, column, ids) -> list[tuple]:
    with db.read() as session:
        rows = session.scalars(select(model).where(column.in_(ids)).order_by(column)).all()
        names = [c.name for c in model.__table__.columns if c.name not in ("id", "key")]  # key: unique per row
        return [tuple(getattr(row, name) for name in names if name != "commitment_id") for row in rows]


def test_the_rows_are_those_an_insert_writes_defaults_json_and_times_included(store_url):
    """The same rows through ``insert_rows`` and through an executemany ``INSERT`` read back the same (the
    ``COPY`` path on PostgreSQL, the ``INSERT`` elsewhere), with the columns' defaults for those left out."""
    table, events = Commitment.__table__, CommitmentEvent.__table__
    with Database(store_url) as db:
        with db.engine.begin() as conn:
            insert_rows(conn, table, [commitment(1), commitment(2)])
            conn.execute(insert(table), [commitment(11), commitment(12)])
            insert_rows(conn, events, [event(1), event(2)])
            conn.execute(insert(events), [event(11), event(12)])
            insert_rows(conn, table, [])  # nothing to write: no statement
        copied = stored(db, Commitment, Commitment.id, [1, 2])
        assert copied == stored(db, Commitment, Commitment.id, [11, 12]) and len(copied) == 2
        with db.read() as session:
            first = session.get(Commitment, 1)
            assert (first.cited, first.flagged, first.end, first.quantities[0]["unit"]) == (False, True, 21, "亿元")
            assert first.updated_at == AT + timedelta(hours=8) and first.evidence == [7, 9]
        logged = stored(db, CommitmentEvent, CommitmentEvent.commitment_id, [1, 2])
        assert logged == stored(db, CommitmentEvent, CommitmentEvent.commitment_id, [11, 12])
        assert logged[0][-2]["words"] == ["营商", "环境"] and "'quoted'" in logged[0][3]


def test_postgresql_refuses_a_column_left_out_whose_default_is_computed(postgres_url):
    computed = Column("n", Integer, default=lambda: 1)
    table = Table("computed", MetaData(), Column("id", Integer, primary_key=True), computed)
    with Database(postgres_url) as db, db.engine.begin() as conn, pytest.raises(ValueError, match="computed default"):
        insert_rows(conn, table, [{"id": 1}])
