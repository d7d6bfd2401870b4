"""Commitment events name the copy they came from in a column of their own, indexed; commitments by update time
and chrome lines by host and count are indexed too.

Mining asks, for each copy, whether it already gave fulfilment evidence; with the copy only inside the ``details``
JSON that question read every fulfilment event of the pledges concerned, which grows with every report of a place.
The column is filled from ``details`` for the events already stored.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("commitment_events", sa.Column("document_id", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE commitment_events SET document_id = (details::jsonb ->> 'document_id')::integer "
            "WHERE details IS NOT NULL AND (details::jsonb ->> 'document_id') ~ '^[0-9]+$'"
        )
    else:
        op.execute(
            "UPDATE commitment_events SET document_id = CAST(json_extract(details, '$.document_id') AS INTEGER) "
            "WHERE details IS NOT NULL AND json_type(details, '$.document_id') = 'integer'"
        )
    op.create_index("ix_commitment_events_document_id", "commitment_events", ["document_id"])
    op.create_index("ix_commitments_updated_at", "commitments", ["updated_at"])  # the pledge index's refresh
    op.create_index("ix_chrome_lines_host_pages", "chrome_lines", ["host", "pages"])  # a site profile's load


def downgrade() -> None:
    op.drop_index("ix_chrome_lines_host_pages", "chrome_lines")
    op.drop_index("ix_commitments_updated_at", "commitments")
    op.drop_index("ix_commitment_events_document_id", "commitment_events")
    op.drop_column("commitment_events", "document_id")
