"""A version row for ``simhash_keys``, so an in-memory copy of the key table can be checked before it is used.

``simhash_keys_version(id, generation, stamp)``: one row, bumped (generation + 1, a new random stamp) in every
unit of work that writes or deletes lookup keys. ``monitor.dedup.keyindex`` caches the keys in a file that
records the version it reflects, and rebuilds it from ``simhash_keys`` when the two differ.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "simhash_keys_version",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("generation", sa.BigInteger, nullable=False),
        sa.Column("stamp", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(table, [{"id": 1, "generation": 0, "stamp": secrets.randbits(63)}])


def downgrade() -> None:
    op.drop_table("simhash_keys_version")
