"""Fingerprints on documents, the paragraph index and the speeches table.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "speeches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("canonical_document_id", sa.Integer),
        sa.Column("copies", sa.Integer, nullable=False, server_default="0"),
        sa.Column("title", sa.Text),
        sa.Column("speaker", sa.Text),
        sa.Column("speaker_post", sa.Text),
        sa.Column("organization", sa.Text),
        sa.Column("region_code", sa.String(6)),
        sa.Column("region", sa.Text),
        sa.Column("occasion", sa.Text),
        sa.Column("speech_date", sa.String(10)),
        sa.Column("speech_date_precision", sa.String(8)),
        sa.Column("doc_type", sa.String(20)),
        sa.Column("topic", sa.String(20)),
        sa.Column("provenance", sa.JSON),
        sa.Column("canonical_reason", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("simhash", sa.BigInteger))
        for band in range(4):
            batch.add_column(sa.Column(f"band{band}", sa.Integer))
        batch.add_column(sa.Column("exact_hash", sa.String(40)))
        batch.add_column(sa.Column("norm_length", sa.Integer))
        batch.add_column(sa.Column("compilation", sa.Boolean))
        batch.add_column(sa.Column("fingerprinted_hash", sa.String(64)))
        batch.add_column(sa.Column("speech_id", sa.Integer))
        batch.add_column(sa.Column("speech_link", sa.JSON))
    for band in range(4):
        op.create_index(f"ix_documents_band{band}", "documents", [f"band{band}"])
    op.create_index("ix_documents_exact_hash", "documents", ["exact_hash"])
    op.create_index("ix_documents_speech_id", "documents", ["speech_id"])
    op.create_table(
        "paragraph_keys",
        sa.Column("document_id", sa.Integer, sa.ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("key", sa.BigInteger, primary_key=True, autoincrement=False),
    )
    op.create_index("ix_paragraph_keys_key", "paragraph_keys", ["key"])


def downgrade() -> None:
    op.drop_index("ix_paragraph_keys_key", "paragraph_keys")
    op.drop_table("paragraph_keys")
    for name in ("ix_documents_speech_id", "ix_documents_exact_hash", *(f"ix_documents_band{b}" for b in range(4))):
        op.drop_index(name, "documents")
    with op.batch_alter_table("documents") as batch:
        for name in ("speech_link", "speech_id", "fingerprinted_hash", "compilation", "norm_length", "exact_hash",
                     "band3", "band2", "band1", "band0", "simhash"):  # fmt: skip
            batch.drop_column(name)
    op.drop_table("speeches")
