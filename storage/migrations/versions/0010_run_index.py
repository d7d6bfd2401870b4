"""Index documents by the run that stored them (re-extraction after a crawl and per-run counts select by it).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_documents_run_id", "documents", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_documents_run_id", "documents")
