"""PostgreSQL: the long text columns are compressed with LZ4 instead of pglz when the server has it.

Writing a speech's search row took 1.00 ms with pglz and 0.88 with LZ4 (3,000 synthetic rows with their GIN
index, ``bench/README.md``), and the rows are a little smaller. Only rows written from now on change; old ones stay
readable as they are. A server built without LZ4 keeps pglz. SQLite has nothing to change. The downgrade returns
the columns to the server's default.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

#: table -> its long columns (texts kept whole, folded texts and their grams)
COLUMNS = {
    "documents": ("text",),
    "speech_fts_text": ("title", "body", "grams"),
    "commitment_fts_text": ("action", "text", "grams"),
}


def _has_lz4(conn) -> bool:
    query = "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
    return bool(conn.exec_driver_sql(query).scalar())


def _set(method: str) -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql" or not _has_lz4(conn):
        return
    for table, columns in COLUMNS.items():
        changes = ", ".join(f"ALTER COLUMN {column} SET COMPRESSION {method}" for column in columns)
        conn.exec_driver_sql(f"ALTER TABLE {table} {changes}")


def upgrade() -> None:
    _set("lz4")


def downgrade() -> None:
    _set("default")
