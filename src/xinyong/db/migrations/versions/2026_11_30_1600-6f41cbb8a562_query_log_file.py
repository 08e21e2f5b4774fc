"""On SQLite, the query log (`queries`, `check_feedback`) in a database file of its own

The engine attaches that file to every connection as `querylog` (db/engine.py): a batch holds
the main file's write lock and a check's query-log line takes only the log's (docs/scale.md,
"SQLite and the write lock"). The tables are created in the attached file as they were in main
(the same statements: columns, keys, indexes, the reference from `check_feedback` to `queries`,
which stays inside that file), their rows copied with their ids and chain links, and main's
dropped; no table of main refers to them. Downgrade moves them back. PostgreSQL: nothing
changes.

Both files change in one transaction. Under WAL, SQLite commits such a transaction file by file,
main first: a process killed between the two commits would leave main without the log and the
log's file without it too. So migrations run with rollback journals when their connection is the
only one open (db/migrate.py: `xinyong db upgrade` with the server stopped), which commit both
files or neither; back up both files before upgrading all the same (docs/configuration.md).

Revision ID: 6f41cbb8a562
Revises: 84897315ef4f
Create Date: 2026-11-30 16:00:00.000000
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "6f41cbb8a562"
down_revision = "84897315ef4f"
branch_labels = None
depends_on = None

#: As db/engine.py QUERY_LOG_SCHEMA and QUERY_LOG_TABLES (a migration keeps its own copy).
SCHEMA = "querylog"
TABLES = ("queries", "check_feedback")  # referred to before referring

_CREATE = re.compile(r'^CREATE (TABLE|UNIQUE INDEX|INDEX) ("?)(\w+)\2', re.IGNORECASE)


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    _move(conn, "main", SCHEMA)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    _move(conn, SCHEMA, "main")


def _move(conn: sa.Connection, source: str, target: str) -> None:
    """Create the log's tables in `target` by the statements that made them in `source`, copy
    their rows (ids and links as they are), and drop them from `source`."""
    attached = {row[1] for row in conn.exec_driver_sql("PRAGMA database_list")}
    if SCHEMA not in attached:
        raise RuntimeError(f"the query log's file is not attached as {SCHEMA} (db/engine.py)")
    for table in reversed(TABLES):  # what an interrupted run may have left in the target
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {target}.{table}")
    for table in TABLES:
        statements = conn.exec_driver_sql(
            f"SELECT sql FROM {source}.sqlite_master"  # noqa: S608 - constant names
            " WHERE tbl_name = ? AND sql IS NOT NULL ORDER BY type DESC, name",
            (table,),
        ).fetchall()
        if not statements:
            raise RuntimeError(f"{source} has no table {table} to move")
        for (sql,) in statements:  # the table first ("table" > "index"), then its indexes
            conn.exec_driver_sql(_CREATE.sub(rf"CREATE \1 {target}.\3", sql, count=1))
        conn.exec_driver_sql(
            f"INSERT INTO {target}.{table} SELECT * FROM {source}.{table}"  # noqa: S608
        )
    for table in reversed(TABLES):
        conn.exec_driver_sql(f"DROP TABLE {source}.{table}")
