"""SQLite: the FTS5 search tables merge their segments 8 at a time instead of 4 (``automerge``).

Each commit of new rows adds a segment, and FTS5 merges segments as they pile up; with the default of 4 the
same entries are merged again more often. Measured on the speech trigram table (100 rows of 3–6 KB per commit):
writing cost 0.75–0.77× of the default at 5,000 and 20,000 rows, with the same size and query time
(``bench/README.md``). PostgreSQL has nothing to change. The setting is stored in each table's config, so
:func:`storage.search.index.rebuild` ('delete-all') keeps it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TABLES = ("speech_fts", "speech_fts_grams", "speech_fts_title", "commitment_fts", "commitment_fts_grams")


def _set(pages: int) -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    present = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").scalars())
    for table in TABLES:
        if table in present:  # the trigram tables are gone since 0021 (a database made since never had them)
            conn.exec_driver_sql(f"INSERT INTO {table}({table}, rank) VALUES ('automerge', {pages})")


def upgrade() -> None:
    _set(8)


def downgrade() -> None:
    _set(4)
