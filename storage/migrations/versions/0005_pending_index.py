"""Index the "not yet fingerprinted" marker so finding pending documents does not scan the table.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_documents_fingerprinted_hash", "documents", ["fingerprinted_hash"])
    op.create_index("ix_documents_commitments_hash", "documents", ["commitments_hash"])


def downgrade() -> None:
    op.drop_index("ix_documents_commitments_hash", "documents")
    op.drop_index("ix_documents_fingerprinted_hash", "documents")
