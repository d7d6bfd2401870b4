"""A version row for the pledge indexes mining keeps between runs, bumped by triggers.

``pledge_index_version(id, generation, stamp)``: one row. Triggers add one to ``generation`` whenever a stored
pledge leaves its place's index other than by an update its ``updated_at`` shows: a commitment deleted, moved to
another speech or made cited or not, a speech with commitments deleted, a speech's region code changed.
``monitor.commitments.pledges`` keeps each place's index between runs and reads only the rows added or updated
since; while the version is the one it loaded at, that is the whole difference, and it need not count every
pledge of the place again (which grew with the store). ``stamp`` is random per database, so a recreated database
at the same address never matches an index of the old one.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BUMP = "UPDATE pledge_index_version SET generation = generation + 1 WHERE id = 1"
HAS_PLEDGES = "EXISTS (SELECT 1 FROM commitments WHERE speech_id = old.id)"
SQLITE = [
    f"CREATE TRIGGER commitments_pledge_version_delete AFTER DELETE ON commitments BEGIN {BUMP}; END",
    "CREATE TRIGGER commitments_pledge_version_move AFTER UPDATE OF speech_id, cited ON commitments "
    f"WHEN old.speech_id IS NOT new.speech_id OR old.cited IS NOT new.cited BEGIN {BUMP}; END",
    f"CREATE TRIGGER speeches_pledge_version_delete AFTER DELETE ON speeches WHEN {HAS_PLEDGES} BEGIN {BUMP}; END",
    "CREATE TRIGGER speeches_pledge_version_region AFTER UPDATE OF region_code ON speeches "
    f"WHEN old.region_code IS NOT new.region_code AND {HAS_PLEDGES} BEGIN {BUMP}; END",
]
POSTGRES = [
    f"CREATE FUNCTION pledge_index_bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {BUMP}; RETURN NULL; END $$",
    f"""CREATE FUNCTION pledge_index_bump_speech() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF {HAS_PLEDGES} THEN {BUMP}; END IF;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER commitments_pledge_version_delete AFTER DELETE ON commitments "
    "FOR EACH STATEMENT EXECUTE FUNCTION pledge_index_bump()",
    "CREATE TRIGGER commitments_pledge_version_move AFTER UPDATE OF speech_id, cited ON commitments FOR EACH ROW "
    "WHEN (old.speech_id IS DISTINCT FROM new.speech_id OR old.cited IS DISTINCT FROM new.cited) "
    "EXECUTE FUNCTION pledge_index_bump()",
    "CREATE TRIGGER speeches_pledge_version_delete AFTER DELETE ON speeches "
    "FOR EACH ROW EXECUTE FUNCTION pledge_index_bump_speech()",
    "CREATE TRIGGER speeches_pledge_version_region AFTER UPDATE OF region_code ON speeches FOR EACH ROW "
    "WHEN (old.region_code IS DISTINCT FROM new.region_code) EXECUTE FUNCTION pledge_index_bump_speech()",
]
TRIGGERS = {
    "commitments_pledge_version_delete": "commitments",
    "commitments_pledge_version_move": "commitments",
    "speeches_pledge_version_delete": "speeches",
    "speeches_pledge_version_region": "speeches",
}


def upgrade() -> None:
    table = op.create_table(
        "pledge_index_version",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("generation", sa.BigInteger, nullable=False),
        sa.Column("stamp", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(table, [{"id": 1, "generation": 0, "stamp": secrets.randbits(63)}])
    for statement in POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table in TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}" if postgres else f"DROP TRIGGER IF EXISTS {name}")
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS pledge_index_bump()")
        op.execute("DROP FUNCTION IF EXISTS pledge_index_bump_speech()")
    op.drop_table("pledge_index_version")
