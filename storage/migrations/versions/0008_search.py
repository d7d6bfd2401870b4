"""Full-text search indexes over speeches and commitments, backfilled from the rows already stored.

SQLite: FTS5 trigram tables plus character-gram tables; PostgreSQL: pg_trgm and a gram-array GIN index.
See ``storage.search.index`` for the shapes and why.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from alembic import op

from storage.search import index

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    index.create_schema(conn)
    index.rebuild(conn)


def downgrade() -> None:
    index.drop_schema(op.get_bind())
