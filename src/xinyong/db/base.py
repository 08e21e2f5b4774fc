"""The declarative base, with one constraint naming convention for SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    ForeignKeyConstraint,
    MetaData,
    ScalarSelect,
    Table,
    TableClause,
    any_,
    bindparam,
    column,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, QueryableAttribute, Session

from xinyong.domain.calendar import Deadline

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def record_reference(subject: str, record: str) -> ForeignKeyConstraint:
    """A reference to a record by its subject and id, the record's key where `credit_records`
    is hashed by subject (PostgreSQL, docs/scale.md). When an identity review finds a record is
    another person's, its subject changes and every reference follows it (`ON UPDATE CASCADE`);
    the referring row's own subject (who objected, who applied) stays."""
    return ForeignKeyConstraint(
        [subject, record],
        ["credit_records.subject_id", "credit_records.id"],
        onupdate="CASCADE",
    )


def entry_reference(subject: str, entry: str) -> ForeignKeyConstraint:
    """A reference to a list entry by its subject and id (`list_entries` is hashed by subject on
    PostgreSQL; an entry never changes subject)."""
    return ForeignKeyConstraint([subject, entry], ["list_entries.subject_id", "list_entries.id"])


_RECORDS = table("credit_records", column("id"), column("subject_id"))


def subject_of_record(record_id: int | None) -> ScalarSelect[Any] | None:
    """The subject of record `record_id`, read in the statement that stores a reference to it."""
    if record_id is None:
        return None
    return select(_RECORDS.c.subject_id).where(_RECORDS.c.id == record_id).scalar_subquery()


#: SQLite allows 32 766 bound parameters per statement; `IN` lists stay well below that.
IN_CHUNK = 5000


def among(
    session: Session, column: QueryableAttribute[T], values: Sequence[T]
) -> list[ColumnElement[bool]]:
    """`column` among `values`, as the conditions of the statements to run (their rows together
    are the answer): on PostgreSQL one `= ANY(array)`, the same statement text whatever the
    count (an `IN` list of thousands is rendered by SQLAlchemy and parsed by the driver anew
    for each new length); elsewhere `IN` lists of at most `IN_CHUNK` values."""
    if not values:
        return []
    if session.get_bind().dialect.name == "postgresql":
        array = bindparam("among", list(values), type_=ARRAY(column.type))
        return [column == any_(array)]
    return [column.in_(part) for part in in_chunks(values)]


def table_of(row: type[Base]) -> Table:
    """The Core table of a row class (for executemany inserts and explicit column selects)."""
    return cast(Table, row.__table__)


def copy_rows(conn: Connection, table: TableClause, rows: Sequence[dict[str, Any]]) -> None:
    """Append rows (each with the same keys, columns of `table`) through COPY, in the
    connection's transaction (PostgreSQL): under half the time of an executemany of inserts
    for the sweep's chunks. Values pass through their columns' bind processing first, as an
    insert's would (a naive time is refused the same way, a document serialised the same way)."""
    if not rows:
        return
    names = list(rows[0])
    processors = [
        table.c[n].type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for n in names
    ]
    copy_in(
        conn,
        table.name,
        names,
        (
            [row[n] if p is None else p(row[n]) for n, p in zip(names, processors, strict=True)]
            for row in rows
        ),
    )


def copy_in(
    conn: Connection, table: str, names: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """COPY `rows` (values as the driver takes them, in the order of `names`) into `table`, in
    the connection's transaction (PostgreSQL)."""
    raw: Any = conn.connection.dbapi_connection
    columns = ", ".join(names)
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def in_chunks(values: Sequence[T]) -> list[Sequence[T]]:
    """`values` in slices small enough for one `IN (...)` each."""
    return [values[i : i + IN_CHUNK] for i in range(0, len(values), IN_CHUNK)]


def stored_deadline(
    day: date, official: bool, start: date | None, working_days: int | None
) -> Deadline:
    """A deadline as stored: its day, whether it was counted on the official calendar, and what
    it was counted from. A deadline counted on the fallback calendar stays marked as such until
    `xinyong deadlines recount` counts it again (reading the calendar now would call its
    Monday-to-Friday day official the moment a new release covers the year)."""
    return Deadline(day, official, start, working_days)


def deadline_values(
    column: str, deadline: Deadline | None, *, official_column: str | None = None
) -> dict[str, object]:
    """The columns a deadline is stored in: `<column>`, `<column>_from`, `<column>_days` and
    `<column>_official` (or `official_column`)."""
    return {
        column: deadline.day if deadline else None,
        f"{column}_from": deadline.start if deadline else None,
        f"{column}_days": deadline.working_days if deadline else None,
        official_column or f"{column}_official": deadline.official if deadline else True,
    }


def deadline_of(row: Any, column: str) -> Deadline | None:
    """The deadline a row keeps in `column` and its companions (`deadline_values`), or None."""
    day: date | None = getattr(row, column)
    if day is None:
        return None
    return stored_deadline(
        day,
        getattr(row, f"{column}_official"),
        getattr(row, f"{column}_from"),
        getattr(row, f"{column}_days"),
    )
