"""Alembic environment: run against the connection handed over by ``storage.migrate``."""

from alembic import context

from storage.models import Base

target_metadata = Base.metadata


def include_object(obj, name, type_, reflected, compare_to):
    """Keep autogenerate away from FTS5 virtual tables and their shadow tables."""
    return not (type_ == "table" and name and "_fts" in name)


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        from storage.engine import make_engine

        engine = make_engine(context.config.get_main_option("sqlalchemy.url"))
        with engine.begin() as conn:
            _configure_and_run(conn)
        engine.dispose()
    else:
        _configure_and_run(connection)


def _configure_and_run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
