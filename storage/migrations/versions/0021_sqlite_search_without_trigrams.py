"""SQLite: searches of 3+ characters find their candidates in the grams, and the FTS5 trigram tables go.

Every pair of a word's characters is among the grams of a text holding the word, so the gram table
(``speech_fts_grams``, ``commitment_fts_grams``) finds the candidates, whose folded text ``instr`` then checks
(``storage.search.query``), as PostgreSQL does since 0016. Writing the trigram tables (every three characters of
every speech's text, with their positions) was a tenth of the post-run's CPU, with their share of each commit's
segment merges (``bench/README.md``, thirteenth round). PostgreSQL has nothing to change. The downgrade builds
them again from the folded text the body tables keep (one pass over the stored rows).

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-29
"""

from alembic import op

from storage.search.index import KINDS, trigram_ddl

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    for kind in KINDS:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {kind}_fts")


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    for kind, (_, a, b) in KINDS.items():
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {kind}_fts")
        conn.exec_driver_sql(trigram_ddl(kind))
        conn.exec_driver_sql(f"INSERT INTO {kind}_fts({kind}_fts, rank) VALUES ('automerge', 8)")  # as 0015 set
        conn.exec_driver_sql(f"INSERT INTO {kind}_fts(rowid, {a}, {b}) SELECT {kind}_id, {a}, {b} FROM {kind}_fts_body")
