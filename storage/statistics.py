"""Planner statistics that follow the store's growth (PostgreSQL).

PostgreSQL plans a query from the statistics ``ANALYZE`` gathers, which autovacuum refreshes once a table has
changed by a tenth. Where autovacuum is off or behind (seen on this project's own test server), the statistics
of a table that grew from nothing stay those of an empty table: a lookup of 25 speeches' commitments was planned
as a parallel scan of ~10,000 rows and took 18 ms instead of 0.2 (``bench/README.md``, ninth round). So the
post-run work (:mod:`monitor.postrun`) analyzes, before it starts, each table whose changes since it was last
analyzed (by anyone) pass ``ROWS`` plus its size then: a table is analyzed as it doubles. Between two analyses
the planner still counts a table's rows right (it scales the analyzed rows per page by the table's current
pages), distinct counts that grow with the table are kept as a share of its rows, and a value beyond an indexed
column's histogram (the newest ids and times) is looked up in the index; what doubling can change is the shape
of the data, which a tenth of growth rarely does. Autovacuum's tenth made the refresh cost 0.4–0.6 ms per
document at 10k–100k documents (``bench/README.md``, sixteenth round), the server's CPU taken from the rest of the
post-run. Where autovacuum is on and keeping up, this finds nothing to do. SQLite plans without gathered
statistics here, and its ``ANALYZE`` would fix plans that are fine.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, text

log = logging.getLogger(__name__)

#: A table is analyzed once more than ``ROWS + SHARE × its rows`` changed since it last was (autovacuum's ``ROWS``;
#: its share is 0.1).
ROWS = 50
SHARE = 1.0

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
