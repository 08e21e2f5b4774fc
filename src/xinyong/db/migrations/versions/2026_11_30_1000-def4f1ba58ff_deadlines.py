"""Deadlines keep what they were counted from; notices in a person's file; the query log by time

Every stored working-day deadline (objections: centre_due, source_due; repairs: accept_due,
feedback_due; list entries: defence_deadline; records: publish_by) gains `<deadline>_from` (the
day counting started), `<deadline>_days` (how many working days were counted) and
`<deadline>_official` (False: counted Monday to Friday because the official calendar did not
cover a day it passed). List entries had `deadline_official` already.

Backfill, from what the rows hold:
- the start day: an objection's filing day and a repair's application day (in China), the day
  an objection was forwarded (its `objection:forwarded` audit event), a listing's notice day, a
  record's decision date;
- the count and the calendar: when every day after the start up to the deadline lies in a year
  the installed chinese-calendar covers and the deadline is an official working day, it was
  counted on the official calendar, and the count is the official working days in between;
  otherwise it was counted Monday to Friday, and the count is the weekdays in between. (If
  chinese-calendar was upgraded between counting and this migration, a Monday-to-Friday day that
  happens to be an official working day is taken as official; its day does not change.)
A deadline whose start cannot be found keeps NULL start and count and cannot be recounted.

Revision ID: def4f1ba58ff
Revises: 7c4e2a9b1f30
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache
from typing import Any

import chinese_calendar
import sqlalchemy as sa
from alembic import op

import xinyong.db.types

revision = "def4f1ba58ff"
down_revision = "7c4e2a9b1f30"
branch_labels = None
depends_on = None

CHINA = timezone(timedelta(hours=8))
_DEADLINES = {
    "objections": ("centre_due", "source_due"),
    "repairs": ("accept_due", "feedback_due"),
    "credit_records": ("publish_by",),
}


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "subject_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("at", xinyong.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_notices_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notices_subject_id"), ["subject_id"], unique=False)

    # On SQLite every column is added in place (ALTER TABLE ADD COLUMN): copying a table that
    # other tables point at would trip their foreign keys.
    for table, columns in _DEADLINES.items():
        with op.batch_alter_table(table, schema=None, recreate="never") as batch_op:
            for column in columns:
                batch_op.add_column(sa.Column(f"{column}_from", sa.Date(), nullable=True))
                batch_op.add_column(sa.Column(f"{column}_days", sa.Integer(), nullable=True))
                batch_op.add_column(
                    sa.Column(
                        f"{column}_official",
                        sa.Boolean(),
                        server_default=sa.true(),
                        nullable=False,
                    )
                )
    with op.batch_alter_table("list_entries", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("defence_deadline_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("defence_deadline_days", sa.Integer(), nullable=True))

    with op.batch_alter_table("queries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_queries_at"), ["at"], unique=False)

    _backfill(op.get_bind())


def downgrade() -> None:
    # SQLite drops a plain column in place (3.35+), for the same reason.
    with op.batch_alter_table("queries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_queries_at"))
    with op.batch_alter_table("list_entries", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("defence_deadline_days")
        batch_op.drop_column("defence_deadline_from")
    for table, columns in _DEADLINES.items():
        with op.batch_alter_table(table, schema=None, recreate="never") as batch_op:
            for column in reversed(columns):
                batch_op.drop_column(f"{column}_official")
                batch_op.drop_column(f"{column}_days")
                batch_op.drop_column(f"{column}_from")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notices_subject_id"))
    op.drop_table("notices")


# The backfill: the calendar as this migration reads it, on its own (the application's code may
# change; a migration must keep meaning what it meant).


@cache
def _covered(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def _days_after(start: date, end: date) -> Iterator[date]:
    day = start
    while day < end:
        day += timedelta(days=1)
        yield day


def _count(start: date, end: date, working: Callable[[date], bool]) -> int:
    return sum(1 for day in _days_after(start, end) if working(day))


def _official(day: date) -> bool:
    return bool(chinese_calendar.is_workday(day))


def _weekday(day: date) -> bool:
    return day.weekday() < 5


def _infer(start: date | None, day: date | None) -> dict[str, Any] | None:
    """(start, working days, official) of a deadline counted from `start` to `day`."""
    if start is None or day is None or day < start:
        return None
    if day == start:
        return {"from": start, "days": 0, "official": True}
    years = range((start + timedelta(days=1)).year, day.year + 1)
    if all(_covered(y) for y in years) and _official(day):
        return {"from": start, "days": _count(start, day, _official), "official": True}
    return {"from": start, "days": _count(start, day, _weekday), "official": False}


def _china_day(moment: Any) -> date | None:
    if moment is None:
        return None
    if isinstance(moment, str):  # SQLite's text form: naive UTC
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    day: date = moment.astimezone(CHINA).date()
    return day


def _table(name: str, *columns: tuple[str, Any]) -> sa.TableClause:
    return sa.table(name, *(sa.column(c, t) for c, t in columns))


def _deadline_columns(name: str) -> list[tuple[str, Any]]:
    return [
        (name, sa.Date()),
        (f"{name}_from", sa.Date()),
        (f"{name}_days", sa.Integer()),
        (f"{name}_official", sa.Boolean()),
    ]


def _values(column: str, found: dict[str, Any] | None) -> dict[str, Any]:
    if found is None:
        return {}
    return {
        f"{column}_from": found["from"],
        f"{column}_days": found["days"],
        f"{column}_official": found["official"],
    }


def _backfill(conn: sa.Connection) -> None:
    audit = _table(
        "audit_events",
        ("tag", sa.String()),
        ("entity_type", sa.String()),
        ("entity_id", sa.String()),
        ("at", sa.String()),
    )
    forwarded: dict[str, date | None] = {}
    for entity_id, at in conn.execute(
        sa.select(audit.c.entity_id, audit.c.at).where(
            audit.c.tag == "objection:forwarded", audit.c.entity_type == "objection"
        )
    ):
        forwarded[str(entity_id)] = _china_day(at)

    objections = _table(
        "objections",
        ("id", sa.Integer()),
        ("filed_at", sa.String()),
        *_deadline_columns("centre_due"),
        *_deadline_columns("source_due"),
    )
    for row in conn.execute(
        sa.select(
            objections.c.id, objections.c.filed_at, objections.c.centre_due, objections.c.source_due
        )
    ).all():
        values = _values("centre_due", _infer(_china_day(row.filed_at), row.centre_due))
        values |= _values("source_due", _infer(forwarded.get(str(row.id)), row.source_due))
        if values:
            conn.execute(sa.update(objections).where(objections.c.id == row.id).values(**values))

    repairs = _table(
        "repairs",
        ("id", sa.Integer()),
        ("applied_at", sa.String()),
        *_deadline_columns("accept_due"),
        *_deadline_columns("feedback_due"),
    )
    for row in conn.execute(
        sa.select(repairs.c.id, repairs.c.applied_at, repairs.c.accept_due, repairs.c.feedback_due)
    ).all():
        applied = _china_day(row.applied_at)
        values = _values("accept_due", _infer(applied, row.accept_due))
        values |= _values("feedback_due", _infer(applied, row.feedback_due))
        if values:
            conn.execute(sa.update(repairs).where(repairs.c.id == row.id).values(**values))

    # A listing's defence deadline already says whether it was official; only the count is new.
    entries = _table(
        "list_entries",
        ("id", sa.Integer()),
        ("noticed_on", sa.Date()),
        ("defence_deadline", sa.Date()),
        ("defence_deadline_from", sa.Date()),
        ("defence_deadline_days", sa.Integer()),
        ("deadline_official", sa.Boolean()),
    )
    for row in conn.execute(
        sa.select(
            entries.c.id,
            entries.c.noticed_on,
            entries.c.defence_deadline,
            entries.c.deadline_official,
        ).where(entries.c.defence_deadline.is_not(None), entries.c.noticed_on.is_not(None))
    ).all():
        if row.defence_deadline < row.noticed_on:
            continue
        working = _official if row.deadline_official else _weekday
        conn.execute(
            sa.update(entries)
            .where(entries.c.id == row.id)
            .values(
                defence_deadline_from=row.noticed_on,
                defence_deadline_days=_count(row.noticed_on, row.defence_deadline, working),
            )
        )

    # Records: many rows, few distinct (decision date, deadline) pairs.
    records = _table(
        "credit_records", ("decision_date", sa.Date()), *_deadline_columns("publish_by")
    )
    pairs = conn.execute(
        sa.select(records.c.decision_date, records.c.publish_by)
        .where(records.c.publish_by.is_not(None))
        .distinct()
    ).all()
    for decided, publish_by in pairs:
        values = _values("publish_by", _infer(decided, publish_by))
        if values:
            conn.execute(
                sa.update(records)
                .where(records.c.decision_date == decided, records.c.publish_by == publish_by)
                .values(**values)
            )
