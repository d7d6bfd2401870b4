"""What a broad search reads instead of ranking every hit: speech rows newest first, and title grams.

See ``storage.search.index.broad_query_ddl`` and ``storage.search.broad``. A database whose index was built by
an older 0008 gets the title grams backfilled here (seconds per 100k speeches: titles are short).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28
"""

from alembic import op

from storage.search import index

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _has_title_grams(conn) -> bool:
    if conn.dialect.name == "sqlite":
        return conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'speech_fts_title'").first() is not None
    return conn.exec_driver_sql("SELECT to_regclass('speech_fts_title')").scalar() is not None


def upgrade() -> None:
    conn = op.get_bind()
    backfill = not _has_title_grams(conn)
    for statement in index.broad_query_ddl(conn.dialect.name):
        conn.exec_driver_sql(statement)
    if backfill:
        index.backfill_title_grams(conn)


def downgrade() -> None:
    conn = op.get_bind()
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_speech_fts_text_newest")
    conn.exec_driver_sql("DROP TABLE IF EXISTS speech_fts_title")
