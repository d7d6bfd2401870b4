"""PostgreSQL: ``ANALYZE`` skips the free-text columns no query filters on.

The post-run work analyzes each table that grew by a tenth (``storage.statistics``), and most of that time went
into sampling long texts (a page's HTML and text, a commitment's sentence and evidence) to build statistics no
plan reads: these columns are only ever selected, never compared in a ``WHERE`` or join. At 10,000 documents
``ANALYZE commitments`` took 460 ms instead of 320 and ``ANALYZE documents`` 296 instead of 198
(``bench/README.md``, sixteenth round). Columns a filter compares (speaker, organization, region, status,
deadline, topic, hashes, ids) keep their statistics; the search tables' texts too (their ``LIKE`` checks are
estimated from them). SQLite gathers no statistics here and has nothing to change. The downgrade returns the
columns to the server's ``default_statistics_target``.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

#: table -> its columns that are read but never filtered on
FREE_TEXT = {
    "documents": ("raw_html", "text", "match_text", "title", "page_title", "chrome_keys", "speech_link",
                  "truncation_marker"),
    "commitments": ("text", "sentence", "action", "deadline_text", "quantities", "evidence", "note", "reviewer",
                    "counterparty"),
    "commitment_events": ("details", "note", "reviewer"),
    "speeches": ("provenance", "canonical_reason"),
}  # fmt: skip


def _set(statistics: int) -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    for table, columns in FREE_TEXT.items():
        changes = ", ".join(f"ALTER COLUMN {column} SET STATISTICS {statistics}" for column in columns)
        conn.exec_driver_sql(f"ALTER TABLE {table} {changes}")


def upgrade() -> None:
    _set(0)


def downgrade() -> None:
    _set(-1)  # -1: the server's default_statistics_target
