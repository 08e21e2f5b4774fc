"""Run Alembic migrations from code: `xinyong db upgrade`, the demo and the tests use this."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from xinyong.db.engine import QUERY_LOG_SCHEMA

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option(
        "file_template",
        "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s",
    )
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database behind `engine` up to `revision`."""
    _run(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database behind `engine` down to `revision`."""
    _run(engine, command.downgrade, revision)


def _run(engine: Engine, step: Callable[[Config, str], None], revision: str) -> None:
    """Run a migration step in one transaction.

    On SQLite, a migration that changes a constraint rebuilds the table (copy, drop, rename);
    dropping a table that others refer to needs foreign keys off, which SQLite allows only
    outside a transaction. They are checked once the migration has committed, and back on.

    SQLite commits a transaction over two files in WAL mode file by file, so a process killed
    between them would keep one file's part only (the query log's move between its file and
    main's: db/engine.py). With rollback journals it commits both or neither (a super-journal
    names both), so the migration runs with them when its connection is the only one open (as
    with `xinyong db upgrade`, the server stopped), and WAL is set again after it.
    """
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        # The driver's own connection: SQLAlchemy would open a transaction around a statement.
        raw = connection.connection.dbapi_connection if sqlite else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")
            _journals(raw, "delete")
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                step(config, revision)
            if raw is not None:
                broken = raw.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left {len(broken)} dangling references")
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")
                _journals(raw, "wal")


def _journals(raw: Any, mode: str) -> bool:
    """Set the journal mode of main and of the query log's file; False when a file kept its own
    (another connection is open: leaving WAL needs none, and this never waits for one)."""
    timeout = raw.execute("PRAGMA busy_timeout").fetchone()[0]
    raw.execute("PRAGMA busy_timeout=0")
    try:
        for schema in ("main", QUERY_LOG_SCHEMA):
            try:
                found = raw.execute(f"PRAGMA {schema}.journal_mode={mode}").fetchone()[0]
            except sqlite3.OperationalError:  # locked: another connection has the file open
                return False
            if str(found).lower() != mode:
                return False
        return True
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(timeout)}")


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
