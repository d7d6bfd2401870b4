"""PostgreSQL: the grams hold a character alone only where no pair of the text starts with it.

A search for one character asks for it as a prefix (``'营':*``, ``storage.search.fold.gram_match``), which finds
the pairs it starts as well as the character alone, so the answers are the same with a third fewer GIN entries
per text (the index's upkeep per speech row 1.5 -> 0.9 ms, ``bench/README.md``). Rows written before keep the
characters they hold until they are next written (a prefix finds those too), so the upgrade writes nothing. The
downgrade writes every row's grams with every character again, for the exact lookups of the code before.
SQLite is unchanged (its prefix queries were slower, and fewer tokens no cheaper to write).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29
"""

from alembic import op

from storage.search.index import rewrite_grams

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to write: see the module docstring."""


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        rewrite_grams(conn, chars=True)
