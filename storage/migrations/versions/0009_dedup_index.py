"""Near-duplicate lookup keys replace the four simhash band columns; keys backfilled for fingerprinted documents.

``simhash_keys(key, document_id)``: 10 keys per document, one per pair of 5 simhash blocks (13, 13, 13, 13 and
12 bits), so fingerprints within distance 3 share a key and a random pair almost never does (a candidate per
query ≈ 10·N/2^26 instead of the bands' 4·N/2^16). The key functions are copied here, not imported, so the
migration keeps doing what it did when ``monitor.dedup.fingerprint`` changes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

from itertools import combinations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BLOCKS = ((0, 13), (13, 13), (26, 13), (39, 13), (52, 12))  # (shift, width), as in monitor.dedup.fingerprint
PAIRS = tuple(combinations(range(len(BLOCKS)), 2))
KEY_BITS = 26
BATCH = 5_000  # documents per backfill round trip


def lookup_keys(value: int) -> list[int]:
    blocks = [(value >> shift) & ((1 << width) - 1) for shift, width in BLOCKS]
    return [(pair << KEY_BITS) | (blocks[i] << 13) | blocks[j] for pair, (i, j) in enumerate(PAIRS)]


def upgrade() -> None:
    create_keys()
    for band in range(4):
        op.drop_index(f"ix_documents_band{band}", "documents")
    for band in (3, 2, 1, 0):  # SQLite ≥ 3.35 drops in place; a batch copy would cascade-delete paragraph keys
        op.drop_column("documents", f"band{band}")


def create_keys() -> None:
    """``simhash_keys`` made and filled with the keys of every fingerprinted document (also 0023's downgrade)."""
    op.create_table(
        "simhash_keys",
        sa.Column("key", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("document_id", sa.Integer, primary_key=True, autoincrement=False),
        sqlite_with_rowid=False,
    )
    conn = op.get_bind()
    documents = sa.table("documents", sa.column("id", sa.Integer), sa.column("simhash", sa.BigInteger))
    keys = sa.table("simhash_keys", sa.column("key", sa.BigInteger), sa.column("document_id", sa.Integer))
    last = 0
    while True:
        rows = conn.execute(
            sa.select(documents.c.id, documents.c.simhash)
            .where(documents.c.id > last, documents.c.simhash.is_not(None))
            .order_by(documents.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        conn.execute(
            keys.insert(),
            [{"key": k, "document_id": i} for i, signed in rows for k in lookup_keys(signed % (1 << 64))],
        )
        last = rows[-1].id


def downgrade() -> None:
    for band in range(4):
        op.add_column("documents", sa.Column(f"band{band}", sa.Integer))
    conn = op.get_bind()
    documents = sa.table(
        "documents", sa.column("id", sa.Integer), sa.column("simhash", sa.BigInteger),
        *(sa.column(f"band{b}", sa.Integer) for b in range(4)),
    )  # fmt: skip
    rows = conn.execute(sa.select(documents.c.id, documents.c.simhash).where(documents.c.simhash.is_not(None))).all()
    for start in range(0, len(rows), BATCH):  # the 16-bit bands of the unsigned simhash, as 0003 had them
        params = [
            {"i": i, **{f"b{b}": ((signed % (1 << 64)) >> (16 * b)) & 0xFFFF for b in range(4)}}
            for i, signed in rows[start : start + BATCH]
        ]
        conn.execute(
            documents.update()
            .where(documents.c.id == sa.bindparam("i"))
            .values(**{f"band{b}": sa.bindparam(f"b{b}") for b in range(4)}),
            params,
        )
    for band in range(4):
        op.create_index(f"ix_documents_band{band}", "documents", [f"band{band}"])
    op.drop_table("simhash_keys")
