"""The partitions of the big tables on PostgreSQL (SQLite keeps one table each; docs/scale.md).

Records, their revisions and list entries are hashed by subject (`HASHED`): a fixed number of
partitions chosen when the node is set up, nothing to maintain.

The query log, the audit log, the feed and the exchange outbox are partitioned by ranges of
their sequence number (`id` or `seq`), which numbers rows in the order they were written: a
range is a span of time, the newest row is in the newest range, and each table's primary key
stays the one column it is (so the foreign key from `check_feedback` to `queries` stands). A
default partition takes any row no range holds, so a write never fails for want of one; the
sweep (`maintain`) keeps empty ranges ahead of the newest row. A range keeps the width of the
range before it: the migration chose it. Retention drops the query log's oldest ranges whole
(`drop_ranges_before`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, ForeignKeyConstraint, func, select, text
from sqlalchemy.exc import OperationalError

#: Partitioned tables and the column their ranges are of.
PARTITIONED = {
    "queries": "id",
    "audit_events": "id",
    "feed_items": "seq",
    "exchange_outbox": "seq",
}
#: Tables hashed by subject (`HASH (subject_id)`, partitions `<table>_h<n>`): everything about a
#: person in one partition of each, as it is read; their keys hold the subject.
HASHED = ("credit_records", "record_revisions", "list_entries")
#: Empty ranges kept after the range of the newest row.
AHEAD = 2
#: How long retention waits for the query log's lock before it deletes row by row instead.
LOCK_WAIT = "500ms"
#: Only one maintenance at a time (a transaction-level advisory lock).
_LOCK = 0x78_79_70_61

_BOUND = re.compile(r"FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)")
_NAME = re.compile(
    r"^(?:(?:" + "|".join(PARTITIONED) + r")_(?:p\d+|default)|(?:" + "|".join(HASHED) + r")_h\d+)$"
)


@dataclass(frozen=True, slots=True)
class Range:
    name: str
    start: int
    end: int  # exclusive


def is_partition(name: str) -> bool:
    """Whether a table name is one of a partitioned table's partitions (storage of that table,
    not a table the rows describe)."""
    return _NAME.match(name) is not None


def ranges(conn: Connection, table: str) -> list[Range]:
    """The table's range partitions, lowest first (none on SQLite or before the migration)."""
    if conn.dialect.name != "postgresql":
        return []
    rows = conn.execute(
        text(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = CAST(:t AS regclass)"
        ),
        {"t": table},
    )
    found = []
    for name, bound in rows:
        match = _BOUND.search(str(bound))
        if match:  # the default partition has no bounds
            found.append(Range(str(name), int(match[1]), int(match[2])))
    return sorted(found, key=lambda r: r.start)


def maintain(engine: Engine) -> int:
    """Create the ranges each partitioned table needs ahead of its newest row; return how many
    were created. Nothing to do on SQLite."""
    if engine.dialect.name != "postgresql":
        return 0
    created = 0
    for table, column in PARTITIONED.items():
        with engine.begin() as conn:
            conn.execute(select(func.pg_advisory_xact_lock(_LOCK)))
            created += extend(conn, table, column)
    return created


def extend(conn: Connection, table: str, column: str, *, ahead: int = AHEAD) -> int:
    """Add ranges to `table` until `ahead` empty ones follow the range of the newest row (the
    sequence's last value, or a row the default partition took).

    Rows the default partition took past the last range stay there; the new ranges start at the
    next range boundary after them and the sequence moves on to it (numbers only have to grow,
    not to be dense), so that no later row lands in the default partition.
    """
    found = ranges(conn, table)
    if not found:
        return 0
    last = found[-1]
    width = last.end - last.start
    sequence = conn.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table, "c": column})
    newest = int(conn.scalar(text(f"SELECT last_value FROM {sequence}")) or 0)  # noqa: S608 - catalog name
    stray = conn.scalar(text(f"SELECT max({column}) FROM {table}_default"))  # noqa: S608 - constant names
    if stray is not None:
        newest = max(newest, int(stray))
    start = last.end
    if newest >= start:
        start = newest = (newest // width + 1) * width
        conn.execute(
            text(f"SELECT setval(:s, GREATEST(:n, (SELECT last_value FROM {sequence})))"),  # noqa: S608
            {"s": sequence, "n": start - 1},
        )
    wanted = (newest // width + 1 + ahead) * width
    created = 0
    while start < wanted:
        conn.execute(
            text(
                f"CREATE TABLE {table}_p{start // width} PARTITION OF {table}"
                f" FOR VALUES FROM ({start}) TO ({start + width})"
            )
        )
        start += width
        created += 1
    return created


def drop_ranges_before(conn: Connection, moment: datetime) -> tuple[int, int]:
    """Drop the query log's oldest ranges whose every entry is older than `moment`, with the
    feedback given on them (a partition still referred to cannot be detached); return (entries,
    feedback) dropped. Oldest first, stopping at the first range that keeps an entry or that the
    sequence has not yet gone past (the range being filled, the ranges ahead), so the log loses a
    prefix, as the chain's `start` checkpoint expects.

    Detaching takes the table's strongest lock until the transaction ends: if a writer holds it
    longer than `LOCK_WAIT`, nothing more is dropped now and the caller's deletes take over.
    """
    if conn.dialect.name != "postgresql":
        return 0, 0
    entries = feedback = 0
    sequence = conn.scalar(text("SELECT pg_get_serial_sequence('queries', 'id')"))
    issued = int(conn.scalar(text(f"SELECT last_value FROM {sequence}")) or 0)  # noqa: S608
    for part in ranges(conn, "queries"):
        if part.end - 1 > issued:
            break  # still being filled: dropped, its next entries would fall to the default
        # The newest entry through the range's index on `at`; counted only when it goes.
        newest = conn.scalar(text(f"SELECT max(at) FROM {part.name}"))  # noqa: S608 - catalog name
        if newest is None or newest >= moment:
            break
        count = conn.scalar(text(f"SELECT count(*) FROM {part.name}"))  # noqa: S608 - catalog name
        try:
            with conn.begin_nested():
                conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
                given = conn.execute(
                    text("DELETE FROM check_feedback WHERE query_id >= :a AND query_id < :b"),
                    {"a": part.start, "b": part.end},
                )
                conn.execute(text(f"ALTER TABLE queries DETACH PARTITION {part.name}"))
                conn.execute(text(f"DROP TABLE {part.name}"))
                conn.execute(text("SET LOCAL lock_timeout = 0"))
        except OperationalError:
            break
        entries += int(count)
        feedback += int(given.rowcount or 0)
    return entries, feedback


def include_name(name: str | None, type_: str, parent_names: Mapping[Any, str | None]) -> bool:
    """Alembic's `include_name`: a partition is storage of its table, not a table of its own."""
    return not (type_ == "table" and name is not None and is_partition(name))


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's `include_object`: PostgreSQL gives a foreign key to a partitioned table one
    more constraint per partition; only the one to the table is declared."""
    if type_ == "foreign_key_constraint" and isinstance(obj, ForeignKeyConstraint):
        return not is_partition(obj.referred_table.name)
    return True
