"""A revocation's withdrawal deadline is stored as every other, and each recipient's is watched

`credit_records.withdraw_by` (the working day by which every copy of a revoked record must be
withdrawn) gains `withdraw_by_from`, `withdraw_by_days` and `withdraw_by_official`, as
`publish_by` has them, so that a day counted Monday to Friday is counted again when the official
calendar covers its year. `feed_withdrawals` keeps, for each feed item that told its recipient to
withdraw its copy by a day (`feed_items.due_on`), that deadline the same way, the recipient
(who must act) and the person it concerns; the deadlines view lists an agency's while its
acknowledgement of the item is owed.

Backfill, from what the rows hold (as revision def4f1ba58ff did for the deadlines then stored):
- the start day: a record's revocation day, a feed item's day (in China): a withdrawal day was
  counted from it;
- the count and the calendar: when every day after the start up to the deadline lies in a year
  the installed chinese-calendar covers and the deadline is an official working day, it was
  counted on the official calendar, and the count is the official working days in between;
  otherwise it was counted Monday to Friday, and the count is the weekdays in between. (A day
  counted Monday to Friday that happens to be an official working day is taken as official; its
  day does not change.)
- the person: the record's or the listing's subject. A feed item whose record or listing no
  longer exists (deleted after its retention) gets no row: nobody is watched for it.

The feed table may be large: it is read once, in pages of its primary key, and only its items
with a withdrawal day are copied; no column of it changes. An item that told no withdrawal day
(a peer's revocation, before this revision) asks for none.

Revision ID: c7e2a94d5f18
Revises: c5e2a8f4d713
Create Date: 2026-12-03 19:30:00.000000
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache
from typing import Any

import chinese_calendar
import sqlalchemy as sa
from alembic import op

revision = "c7e2a94d5f18"
down_revision = "c5e2a8f4d713"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_PAGE = 5000
CHINA = timezone(timedelta(hours=8))


def upgrade() -> None:
    # A plain ADD COLUMN: SQLite adds it in place, and on PostgreSQL the hashed table's
    # partitions take it from their parent.
    op.add_column("credit_records", sa.Column("withdraw_by_from", sa.Date(), nullable=True))
    op.add_column("credit_records", sa.Column("withdraw_by_days", sa.Integer(), nullable=True))
    op.add_column(
        "credit_records",
        sa.Column("withdraw_by_official", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    op.create_table(
        "feed_withdrawals",
        sa.Column("id", _ID, autoincrement=False, nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("entity_type", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=False),
        sa.Column("withdraw_by", sa.Date(), nullable=False),
        sa.Column("withdraw_by_from", sa.Date(), nullable=True),
        sa.Column("withdraw_by_days", sa.Integer(), nullable=True),
        sa.Column("withdraw_by_official", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.ForeignKeyConstraint(
            ["id"], ["feed_items.seq"], name=op.f("fk_feed_withdrawals_id_feed_items")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_feed_withdrawals_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_withdrawals")),
    )
    with op.batch_alter_table("feed_withdrawals", schema=None) as batch_op:
        for column in ("department_code", "subject_id", "withdraw_by"):
            batch_op.create_index(batch_op.f(f"ix_feed_withdrawals_{column}"), [column])

    conn = op.get_bind()
    _backfill_records(conn)
    _backfill_withdrawals(conn)


def downgrade() -> None:
    with op.batch_alter_table("feed_withdrawals", schema=None) as batch_op:
        for column in ("withdraw_by", "subject_id", "department_code"):
            batch_op.drop_index(batch_op.f(f"ix_feed_withdrawals_{column}"))
    op.drop_table("feed_withdrawals")
    # SQLite drops a plain column in place (3.35+).
    with op.batch_alter_table("credit_records", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("withdraw_by_official")
        batch_op.drop_column("withdraw_by_days")
        batch_op.drop_column("withdraw_by_from")


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


@cache
def _infer(start: date, day: date) -> dict[str, Any]:
    """The columns of a deadline counted from `start` to `day`: what it was counted from, how
    many working days, and whether on the official calendar."""
    if day <= start:
        return {"withdraw_by_from": start, "withdraw_by_days": 0, "withdraw_by_official": True}
    years = range((start + timedelta(days=1)).year, day.year + 1)
    official = all(_covered(y) for y in years) and _official(day)
    working = _official if official else _weekday
    return {
        "withdraw_by_from": start,
        "withdraw_by_days": _count(start, day, working),
        "withdraw_by_official": official,
    }


def _china_day(moment: Any) -> date:
    if isinstance(moment, str):  # SQLite's text form: naive UTC
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    day: date = moment.astimezone(CHINA).date()
    return day


def _deadline() -> list[sa.ColumnClause[Any]]:
    return [
        sa.column("withdraw_by", sa.Date()),
        sa.column("withdraw_by_from", sa.Date()),
        sa.column("withdraw_by_days", sa.Integer()),
        sa.column("withdraw_by_official", sa.Boolean()),
    ]


def _backfill_records(conn: sa.Connection) -> None:
    """Revoked records: few, each updated by its key (its subject names its partition)."""
    records = sa.table(
        "credit_records",
        sa.column("id", sa.Integer()),
        sa.column("subject_id", sa.Integer()),
        sa.column("revoked_at", sa.String()),
        *_deadline(),
    )
    found = conn.execute(
        sa.select(
            records.c.id, records.c.subject_id, records.c.revoked_at, records.c.withdraw_by
        ).where(records.c.withdraw_by.is_not(None), records.c.revoked_at.is_not(None))
    ).all()
    for row in found:
        conn.execute(
            sa.update(records)
            .where(records.c.id == row.id, records.c.subject_id == row.subject_id)
            .values(**_infer(_china_day(row.revoked_at), row.withdraw_by))
        )


def _subjects(conn: sa.Connection, table: str, ids: Sequence[int]) -> dict[int, int]:
    """The subject of each of these records or list entries that still exists."""
    if not ids:
        return {}
    rows = sa.table(table, sa.column("id", sa.Integer()), sa.column("subject_id", sa.Integer()))
    found = conn.execute(sa.select(rows.c.id, rows.c.subject_id).where(rows.c.id.in_(ids)))
    return {int(i): int(s) for i, s in found}


def _backfill_withdrawals(conn: sa.Connection) -> None:
    """A row for every feed item that told its recipient a withdrawal day, a page at a time."""
    items = sa.table(
        "feed_items",
        sa.column("seq", sa.Integer()),
        sa.column("recipient", sa.String()),
        sa.column("entity_type", sa.String()),
        sa.column("entity_id", sa.Integer()),
        sa.column("at", sa.String()),
        sa.column("due_on", sa.Date()),
    )
    withdrawals = sa.table(
        "feed_withdrawals",
        sa.column("id", sa.Integer()),
        sa.column("department_code", sa.String()),
        sa.column("subject_id", sa.Integer()),
        sa.column("entity_type", sa.String()),
        sa.column("entity_id", sa.Integer()),
        *_deadline(),
    )
    after = 0
    while True:
        page = conn.execute(
            sa.select(
                items.c.seq,
                items.c.recipient,
                items.c.entity_type,
                items.c.entity_id,
                items.c.at,
                items.c.due_on,
            )
            .where(items.c.due_on.is_not(None), items.c.seq > after)
            .order_by(items.c.seq)
            .limit(_PAGE)
        ).all()
        if not page:
            return
        after = int(page[-1].seq)
        subjects = {
            kind: _subjects(
                conn, table, sorted({int(r.entity_id) for r in page if r.entity_type == kind})
            )
            for kind, table in (("record", "credit_records"), ("list_entry", "list_entries"))
        }
        values = [
            {
                "id": r.seq,
                "department_code": r.recipient,
                "subject_id": subjects[r.entity_type][int(r.entity_id)],
                "entity_type": r.entity_type,
                "entity_id": r.entity_id,
                "withdraw_by": r.due_on,
                **_infer(_china_day(r.at), r.due_on),
            }
            for r in page
            if int(r.entity_id) in subjects.get(r.entity_type, {})
        ]
        if values:
            conn.execute(sa.insert(withdrawals), values)
