"""Many new rows of one table in one statement: PostgreSQL's ``COPY``, elsewhere an executemany ``INSERT``.

The miner writes a unit's new commitments and their audit-log rows at the unit's end (a few hundred rows). As an
``INSERT`` per row, even pipelined, PostgreSQL parsed, bound and started an executor for each, and SQLAlchemy and
psycopg prepared each row's parameters: a tenth of the post-run's time on PostgreSQL (``bench/README.md``,
thirteenth round). ``COPY … FROM STDIN`` on the same connection, in the same transaction, checks the same
constraints and fires the same triggers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (column name → value, the same names in every row, as for ``conn.execute(insert(table),
    rows)``). A column left out takes its scalar Python default (``default=``), as an ``INSERT`` would, else NULL;
    a column with a callable default must be given. Each value goes through its column type's bind processing
    (aware datetimes, JSON), as in an ``INSERT``."""
    if not rows:
        return
    if conn.dialect.name != "postgresql" or conn.dialect.driver != "psycopg":
        conn.execute(insert(table), list(rows))
        return
    given = set(rows[0])
    defaults: dict[str, Any] = {}
    for column in table.columns:
        if column.name in given or column.default is None:
            continue
        if not column.default.is_scalar:
            raise ValueError(f"{table.name}.{column.name} has a computed default: give it in every row")
        defaults[column.name] = column.default.arg
    columns = [column for column in table.columns if column.name in given or column.name in defaults]
    plan = [(c.name, c.name in given, c.type._cached_bind_processor(conn.dialect)) for c in columns]
    quote = conn.dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(column.name) for column in columns)}) FROM STDIN"
    driver = conn.connection.driver_connection  # psycopg's own connection: the same transaction
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            values = []
            for name, in_row, process in plan:
                value = row[name] if in_row else defaults[name]
                values.append(value if process is None else process(value))
            copy.write_row(values)
