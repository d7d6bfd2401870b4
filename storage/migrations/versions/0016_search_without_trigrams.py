"""PostgreSQL: searches of 3+ characters find their candidates in the grams, and the pg_trgm indexes go.

Every pair of a word's characters is in the ``grams`` ``tsvector`` of a text holding the word, so its GIN index
finds the candidates that ``LIKE '%word%'`` then checks (``storage.search.query``). The four ``pg_trgm`` GIN
indexes of the folded columns were the larger part of writing a search row (measured in ``bench/README.md``).
SQLite has nothing to change. The downgrade builds them again (one pass over the stored rows).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29
"""

from alembic import op

from storage.search.index import TRIGRAM_INDEXES

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name in TRIGRAM_INDEXES:
        kind, column = name.removeprefix("ix_").removesuffix("_trgm").split("_fts_")
        conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {kind}_fts_text USING gin ({column} gin_trgm_ops)")
