"""PostgreSQL: the search GIN indexes keep up to 64 MB of new entries pending (merged after each post-run), and
``ANALYZE`` skips the grams columns.

A GIN index first appends new entries to a pending list and merges the list into the index once it passes
``gin_pending_list_limit`` (4 MB by default), in the writer that fills it: at the default a speech search row
cost ~4 ms to write at 90k speeches, mostly in those merges (``bench/README.md``, ninth round). A longer list is
merged less often, many rows' entries for one key at once. Searches read the pending list too, so the post-run
work merges it when it ends (``storage.search.index.merge_pending``): between runs it is empty. SQLite has nothing
to change. ``ANALYZE`` of a grams column counted the lexemes of 30,000 sampled rows (4 s for the speeches' at 90k)
for statistics no query uses: a search's plan is the GIN index either way. The downgrade returns the indexes and
columns to the server's defaults.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29
"""

from alembic import op

from storage.search.index import GIN_INDEXES, PENDING_LIST_KB

GRAMS_TABLES = ("speech_fts_text", "commitment_fts_text", "speech_fts_title")

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def _alter(change: str, statistics: int) -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    for name in GIN_INDEXES:
        conn.exec_driver_sql(f"ALTER INDEX IF EXISTS {name} {change}")
    for table in GRAMS_TABLES:
        conn.exec_driver_sql(f"ALTER TABLE {table} ALTER COLUMN grams SET STATISTICS {statistics}")


def upgrade() -> None:
    _alter(f"SET (gin_pending_list_limit = {PENDING_LIST_KB})", 0)


def downgrade() -> None:
    _alter("RESET (gin_pending_list_limit)", -1)  # -1: the server's default_statistics_target
