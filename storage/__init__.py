"""Storage: SQLAlchemy models, the engine factory, migrations and the single write path."""
