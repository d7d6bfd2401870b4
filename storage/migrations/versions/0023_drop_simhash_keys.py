"""The ``simhash_keys`` table goes: a document's lookup keys are those of its ``documents.simhash``.

Since the key index moved into memory (``monitor.dedup.keyindex``, a file per database), the table was only read
to rebuild that index, and the keys are a function of the simhash the documents keep. Writing them cost 10 rows
per document at random places of the table's B-tree, every page a commit touched written again: at 90,000
documents on SQLite a fifth of clustering's time, and a share that grows with the store (``bench/README.md``,
sixteenth round). The index is now rebuilt from the documents' simhashes; the version row
(``simhash_keys_version``) stays and still moves with every clustering unit of work, so cache files made before
this migration stay valid (they hold the same keys). The downgrade makes the table again and fills it from the
documents' simhashes, as 0009 did.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30
"""

import importlib

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("simhash_keys")


def downgrade() -> None:
    importlib.import_module("storage.migrations.versions.0009_dedup_index").create_keys()
