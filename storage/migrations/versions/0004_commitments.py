"""Commitments of speeches and their audit log.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "commitments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("speech_id", sa.Integer, nullable=False, index=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("sentence", sa.Text),
        sa.Column("action", sa.Text),
        sa.Column("deadline", sa.String(10), index=True),
        sa.Column("deadline_precision", sa.String(8)),
        sa.Column("deadline_text", sa.Text),
        sa.Column("deadline_resolved", sa.Boolean),
        sa.Column("quantities", sa.JSON),
        sa.Column("strength", sa.String(16)),
        sa.Column("tier", sa.String(16)),
        sa.Column("topic", sa.String(20), index=True),
        sa.Column("cited", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("actor", sa.Text),
        sa.Column("actor_implicit", sa.Boolean),
        sa.Column("counterparty", sa.Text),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("flagged", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("reviewer", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("status_at", TZ),
        sa.Column("document_id", sa.Integer),
        sa.Column("start", sa.Integer),
        sa.Column("end", sa.Integer),
        sa.Column("evidence", sa.JSON),
        sa.Column("related_id", sa.Integer),
        sa.Column("relation", sa.String(16)),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("speech_id", "key", name="uq_commitments_speech_key"),
    )
    op.create_table(
        "commitment_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("commitment_id", sa.Integer, nullable=False, index=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("reviewer", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("details", sa.JSON),
    )
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("commitments_hash", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("commitments_hash")
    op.drop_table("commitment_events")
    op.drop_table("commitments")
