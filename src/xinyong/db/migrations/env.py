"""Alembic environment: runs migrations on the connection or URL the caller configured."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from xinyong.db.engine import make_engine
from xinyong.db.partitions import include_name, include_object
from xinyong.db.schema import metadata, stored_metadata

config = context.config
target_metadata = metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        # On SQLite the query log's tables are in an attached file (db/engine.py): compared there.
        target_metadata=stored_metadata(connection.dialect.name),
        include_schemas=connection.dialect.name == "sqlite",
        render_as_batch=True,  # SQLite needs ALTER TABLE emulated as copy-and-move
        compare_type=True,
        include_name=include_name,  # partitions are their tables' storage
        include_object=include_object,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
