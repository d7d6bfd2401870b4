"""Planner statistics that follow the store's growth (PostgreSQL).

PostgreSQL plans a query from the statistics ``ANALYZE`` gathers, which autovacuum refreshes once a table has
changed by a tenth. Where autovacuum is off or behind (seen on this project's own test server), the statistics
of a table that grew from nothing stay those of an empty table: a lookup of 25 speeches' commitments was planned
as a parallel scan of ~10,000 rows and took 18 ms instead of 0.2 (``bench/README.md``, ninth round). So the
post-run work (:mod:`monitor.postrun`) analyzes, before it starts, each table that changed by more than
autovacuum's own default share since it was last analyzed — by anyone: where autovacuum keeps up, this finds
nothing to do. SQLite plans without gathered statistics here, and its ``ANALYZE`` would fix plans that are fine.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, text

log = logging.getLogger(__name__)

#: A table is analyzed once more than ``ROWS + SHARE × its rows`` changed since it last was (autovacuum's defaults).
ROWS = 50
SHARE = 0.1

# the size is the planner's own (``reltuples``, -1 before a first ANALYZE), as autovacuum takes it: the live-row
# count of the statistics system starts again at 0 in a database copied from a template or after a crash
STALE = text(
    "SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid"
    " WHERE s.schemaname = current_schema()"
    " AND s.n_mod_since_analyze > :rows + :share * GREATEST(c.reltuples, 0) ORDER BY s.relname"
)


def stale_tables(conn: Connection) -> list[str]:
    """The tables whose statistics lag their contents (PostgreSQL; none elsewhere)."""
    if conn.dialect.name != "postgresql":
        return []
    return list(conn.execute(STALE, {"rows": ROWS, "share": SHARE}).scalars())


def refresh_statistics(conn: Connection) -> list[str]:
    """``ANALYZE`` the tables whose statistics lag their contents; return their names."""
    tables = stale_tables(conn)
    for table in tables:
        conn.execute(text(f'ANALYZE "{table}"'))
    if tables:
        log.info("planner statistics refreshed: %s", ", ".join(tables))
    return tables
