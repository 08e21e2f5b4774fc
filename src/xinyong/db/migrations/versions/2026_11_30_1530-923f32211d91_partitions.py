"""The append-only logs partitioned on PostgreSQL: the query log, the audit log, the feed and
the exchange outbox, by ranges of their sequence number, with a default partition

Each table is rebuilt as a partitioned table of the same name, columns, primary key, indexes
and foreign keys (both ways: `check_feedback` keeps its reference to `queries`), its rows copied
over and its sequence kept. Ranges of 10 000 000 numbers cover the rows already there and two
more; `xinyong sweep` adds the next ones (db/partitions.py). Credit records, revisions and list
entries stay as they are: docs/scale.md says why, and what hashing them by subject would take.
SQLite: nothing changes.

Revision ID: 923f32211d91
Revises: d3b8f0a4c6e1
Create Date: 2026-11-30 15:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "923f32211d91"
down_revision = "d3b8f0a4c6e1"
branch_labels = None
depends_on = None

#: The tables and the column their ranges are of (as db/partitions.py PARTITIONED).
_TABLES = {
    "queries": "id",
    "audit_events": "id",
    "feed_items": "seq",
    "exchange_outbox": "seq",
}
WIDTH = 10_000_000
AHEAD = 2


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    for table, column in _TABLES.items():
        _rebuild(conn, table, column, partitioned=True)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    for table, column in _TABLES.items():
        _rebuild(conn, table, column, partitioned=False)


def _rebuild(conn: sa.Connection, table: str, column: str, *, partitioned: bool) -> None:
    """Rebuild `table` as a partitioned table (or back as a plain one) in place."""
    pk = f"pk_{table}"
    indexes = conn.execute(
        sa.text(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            " AND tablename = :t AND indexname <> :pk ORDER BY indexname"
        ),
        {"t": table, "pk": pk},
    ).scalars()
    # A partitioned table's index reads `ON ONLY`: made again, it covers every partition.
    index_defs = [d.replace(" ON ONLY ", " ON ") for d in indexes]
    # Foreign keys from the table and to it: dropped now, made again on the new table.
    keys = conn.execute(
        sa.text(
            "SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE contype = 'f'"
            " AND (conrelid = CAST(:t AS regclass) OR confrelid = CAST(:t AS regclass))"
            " AND conparentid = 0 ORDER BY conname"
        ),
        {"t": table},
    ).all()
    for name, owner, _ in keys:
        op.execute(f'ALTER TABLE {owner} DROP CONSTRAINT "{name}"')
    sequence = conn.scalar(
        sa.text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table, "c": column}
    )
    top = int(conn.scalar(sa.text(f"SELECT last_value FROM {sequence}")) or 0)  # noqa: S608
    newest = conn.scalar(sa.text(f"SELECT max({column}) FROM {table}"))  # noqa: S608
    top = max(top, int(newest or 0))

    new = f"{table}_rebuilt"
    spec = f" PARTITION BY RANGE ({column})" if partitioned else ""
    op.execute(f"CREATE TABLE {new} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS){spec}")
    if partitioned:
        for start in range(0, (top // WIDTH + 1 + AHEAD) * WIDTH, WIDTH):
            op.execute(
                f"CREATE TABLE {table}_p{start // WIDTH} PARTITION OF {new}"
                f" FOR VALUES FROM ({start}) TO ({start + WIDTH})"
            )
        op.execute(f"CREATE TABLE {table}_default PARTITION OF {new} DEFAULT")
    op.execute(f"INSERT INTO {new} SELECT * FROM {table}")  # noqa: S608
    op.execute(f"ALTER SEQUENCE {sequence} OWNED BY NONE")
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {new} RENAME TO {table}")
    op.execute(f"ALTER SEQUENCE {sequence} OWNED BY {table}.{column}")
    op.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{pk}" PRIMARY KEY ({column})')
    for definition in index_defs:
        op.execute(definition)
    for name, owner, definition in keys:
        op.execute(f'ALTER TABLE {owner} ADD CONSTRAINT "{name}" {definition}')
