"""Scheduled runs: what started a run and what its post-run work found.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column("trigger", sa.String(20), nullable=False, server_default="manual"))
        batch.add_column(sa.Column("speeches_new", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("commitments_new", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_crawl_runs_started_at", "crawl_runs", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_crawl_runs_started_at", "crawl_runs")
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("commitments_new")
        batch.drop_column("speeches_new")
        batch.drop_column("trigger")
