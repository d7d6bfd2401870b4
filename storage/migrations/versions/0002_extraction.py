"""Speech metadata on documents; chrome line statistics per host.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DOCUMENT_COLUMNS = (
    ("speaker", sa.Text),
    ("speaker_post", sa.Text),
    ("organization", sa.Text),
    ("region_code", sa.String(6)),
    ("region", sa.Text),
    ("occasion", sa.Text),
    ("speech_date", sa.String(10)),
    ("speech_date_precision", sa.String(8)),
    ("doc_type", sa.String(20)),
    ("topic", sa.String(20)),
    ("relevance", sa.Float),
    ("script", sa.String(12)),
    ("masked", sa.Boolean),
    ("truncated", sa.Boolean),
    ("truncation_marker", sa.Text),
    ("match_text", sa.Text),
    ("chrome_keys", sa.JSON),
    ("extractor_version", sa.Integer),
)


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        for name, type_ in DOCUMENT_COLUMNS:
            batch.add_column(sa.Column(name, type_))
    op.create_index("ix_documents_doc_type_topic", "documents", ["doc_type", "topic"])
    op.create_index("ix_documents_region_code", "documents", ["region_code"])
    op.create_table(
        "chrome_hosts",
        sa.Column("host", sa.String(255), primary_key=True),
        sa.Column("pages", sa.Integer, nullable=False),
    )
    op.create_table(
        "chrome_lines",
        sa.Column("host", sa.String(255), primary_key=True),
        sa.Column("line_key", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("pages", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("chrome_lines")
    op.drop_table("chrome_hosts")
    op.drop_index("ix_documents_region_code", "documents")
    op.drop_index("ix_documents_doc_type_topic", "documents")
    with op.batch_alter_table("documents") as batch:
        for name, _ in reversed(DOCUMENT_COLUMNS):
            batch.drop_column(name)
