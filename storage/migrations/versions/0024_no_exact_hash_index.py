"""The index on ``documents.exact_hash`` goes: no query looks a document up by it.

Clustering writes each document's SHA-1 of its normalised text (``exact_hash``) and nothing reads it by value, so
the index only cost a B-tree entry at a random place per document (a 40-character key): inserting 1,000
documents into a copy of a 90,000-document SQLite store took 0.21 ms a row with it and 0.14 without
(``bench/README.md``, sixteenth round). The column stays. The downgrade builds the index again.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30
"""

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_documents_exact_hash", "documents")


def downgrade() -> None:
    op.create_index("ix_documents_exact_hash", "documents", ["exact_hash"])
