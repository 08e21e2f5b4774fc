"""Storage: SQLAlchemy 2 rows, repositories and the unit of work, with Alembic migrations."""
