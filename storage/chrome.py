"""Chrome line statistics per host, kept as documents are stored (one write path: ``store_documents``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT, INTEGER
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.database import Database
from storage.models import ChromeHost, ChromeLine

_add = sqlite_insert(ChromeLine.__table__)
ADD_LINES_SQLITE = _add.on_conflict_do_update(
    index_elements=["host", "line_key"], set_={"pages": ChromeLine.__table__.c.pages + _add.excluded.pages}
)
ADD_LINES_PG = text(
    "INSERT INTO chrome_lines (host, line_key, pages) SELECT :host, k, p FROM unnest(:keys, :deltas) AS u(k, p) "
    "ON CONFLICT (host, line_key) DO UPDATE SET pages = chrome_lines.pages + excluded.pages"
).bindparams(bindparam("keys", type_=ARRAY(BIGINT)), bindparam("deltas", type_=ARRAY(INTEGER)))


def apply_chrome_counts(session: Session, dialect: str, host: str, pages: int, keys: Counter) -> None:
    """Add ``pages`` to the host's page count and each key's delta to its line count, in the caller's unit."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    if pages:
        statement = insert(ChromeHost).values(host=host, pages=pages)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["host"], set_={"pages": ChromeHost.pages + statement.excluded.pages}
            )
        )
    changed = sorted((key, delta) for key, delta in keys.items() if delta)  # sorted: writers lock rows in one order
    if not changed:
        return
    if dialect == "postgresql":  # one statement for all the rows (as many statements cost 0.3 ms/doc of waiting)
        session.connection().execute(ADD_LINES_PG, {"host": host, "keys": [k for k, _ in changed],
                                                    "deltas": [d for _, d in changed]})  # fmt: skip
        return
    rows = [{"host": host, "line_key": key, "pages": delta} for key, delta in changed]
    session.connection().execute(ADD_LINES_SQLITE, rows)  # Core: one cached statement, many rows (no ORM bulk path)


def load_chrome_counts(
    db: Database, host: str, min_pages: int | Callable[[int], int] = 2
) -> tuple[int, dict[int, int]]:
    """The host's page count and the lines seen on at least ``min_pages`` of its pages (a number, or a function
    of the host's page count)."""
    with db.read() as session:
        pages = session.scalar(select(ChromeHost.pages).where(ChromeHost.host == host)) or 0
        if callable(min_pages):
            min_pages = min_pages(pages)
        rows = session.execute(
            select(ChromeLine.line_key, ChromeLine.pages).where(ChromeLine.host == host, ChromeLine.pages >= min_pages)
        ).all()
    return pages, {key: count for key, count in rows}
