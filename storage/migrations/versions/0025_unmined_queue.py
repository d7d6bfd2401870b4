"""Documents still to mine are queued in a narrow table of their own, no longer marked on the documents row.

Mining set ``documents.commitments_hash`` on every copy it mined. That column sat in the predicate of the partial
index of the unmined documents (0019), so no such update could be a heap-only one on PostgreSQL: each wrote a new
version of the wide documents row and an entry in every index of documents (the URL's included), a third row
version per document after the insert and clustering's update; SQLite rewrote the whole record (text, HTML) for a
64-character marker. Now the write path adds a row to ``unmined_documents`` with a new or changed text, and mining
deletes it in the unit of work that stores the document's commitments, for the text it mined only (the row keeps
the content hash it waits for: a text changed meanwhile stays queued).

The upgrade queues the documents whose hash was NULL (the next mining run drops those of the types not mined,
which the partial index had held for good) and drops the column (SQLite ≥ 3.35 rewrites the table once
to drop it). The downgrade restores the column, the stored hash for every document not queued (it was mined with
its current text) and the partial index.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

WHERE_UNMINED = sa.text("commitments_hash IS NULL")


def upgrade() -> None:
    op.create_table(
        "unmined_documents",
        sa.Column("document_id", sa.Integer, sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
    )
    op.execute(
        "INSERT INTO unmined_documents (document_id, content_hash) "
        "SELECT id, content_hash FROM documents WHERE commitments_hash IS NULL"
    )
    op.drop_index("ix_documents_unmined", table_name="documents")
    op.drop_column("documents", "commitments_hash")


def downgrade() -> None:
    op.add_column("documents", sa.Column("commitments_hash", sa.String(64)))
    op.execute(
        "UPDATE documents SET commitments_hash = content_hash "
        "WHERE id NOT IN (SELECT document_id FROM unmined_documents)"
    )
    op.create_index(
        "ix_documents_unmined", "documents", ["id"], postgresql_where=WHERE_UNMINED, sqlite_where=WHERE_UNMINED
    )
    op.drop_table("unmined_documents")
