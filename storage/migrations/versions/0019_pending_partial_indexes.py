"""Documents waiting to be clustered or mined are found by partial indexes; commitments lose a redundant index.

``fingerprinted_hash`` and ``commitments_hash`` were indexed whole, though they are only ever looked up as
``IS NULL`` (the documents still to cluster or mine). Every document's hash went into both b-trees at a random
place, twice per document as clustering and mining set them, and stayed there. A partial index of the ids whose
hash is NULL holds only the pending documents: it stays small however large the store grows. The index of
``commitments.speech_id`` repeated the first column of the unique (speech_id, key) index, which serves the same
lookups. The downgrade restores the old indexes.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

#: partial index -> the column whose NULL marks a pending document
PENDING = {"ix_documents_unclustered": "fingerprinted_hash", "ix_documents_unmined": "commitments_hash"}


def upgrade() -> None:
    for name, column in PENDING.items():
        where = sa.text(f"{column} IS NULL")
        op.create_index(name, "documents", ["id"], postgresql_where=where, sqlite_where=where)
        op.drop_index(f"ix_documents_{column}", table_name="documents")
    op.drop_index("ix_commitments_speech_id", table_name="commitments")


def downgrade() -> None:
    op.create_index("ix_commitments_speech_id", "commitments", ["speech_id"])
    for name, column in PENDING.items():
        op.create_index(f"ix_documents_{column}", "documents", [column])
        op.drop_index(name, table_name="documents")
