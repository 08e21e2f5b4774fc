"""The display rule has one meaning: its SQL form (`db.records.displayable_on`, used by the public
listing and the sweep) agrees with `CreditRecord.is_displayable_on` on every boundary day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import select, update
from tests.factories import penalty_row

from xinyong.db.records import CreditRecordRow, displayable_on
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.policy import Policy
from xinyong.domain.records import RecordStatus
from xinyong.services.records import submit_record

UowFactory = Callable[[], SqlUnitOfWork]
END = date(2027, 3, 1)
#: Each status with a display end the day before, on and after each day asked, and none at all.
DISPLAY_ENDS = (END - timedelta(days=1), END, END + timedelta(days=1), None)
DAYS = (END - timedelta(days=2), END - timedelta(days=1), END, END + timedelta(days=1))


def _records(seeded: UowFactory, policy: Policy) -> list[int]:
    ids: list[int] = []
    for status in RecordStatus:
        for display_ends in DISPLAY_ENDS:
            stored = submit_record(
                seeded(), policy, penalty_row(), department="BJ-AMR", actor="test"
            )
            with seeded() as uow:
                uow.session.execute(
                    update(CreditRecordRow)
                    .where(CreditRecordRow.id == stored.record.id)
                    .values(status=status.value, display_ends=display_ends)
                )
                uow.commit()
            ids.append(stored.record.id)
    return ids


def test_the_sql_display_rule_agrees_with_the_domain_on_every_boundary_day(
    seeded: UowFactory, policy: Policy
) -> None:
    ids = _records(seeded, policy)
    with seeded() as uow:
        records = [uow.records.get(i) for i in ids]
        assert {(r.status, r.display_ends) for r in records} == {
            (s, e) for s in RecordStatus for e in DISPLAY_ENDS
        }
        for day in DAYS:
            in_sql = set(
                uow.session.scalars(
                    select(CreditRecordRow.id).where(
                        CreditRecordRow.id.in_(ids), displayable_on(day)
                    )
                )
            )
            in_domain = {r.id for r in records if r.is_displayable_on(day)}
            assert in_sql == in_domain, day
            assert in_domain  # each day has displayable records and others, so both can differ
            assert in_domain != set(ids)


def test_the_sweep_finds_exactly_the_active_records_the_domain_no_longer_displays(
    seeded: UowFactory, policy: Policy
) -> None:
    ids = _records(seeded, policy)
    with seeded() as uow:
        records = [uow.records.get(i) for i in ids]
        for day in DAYS:
            due = {r.id for r in uow.records.past_display(day, limit=1000)}
            expected = {
                r.id
                for r in records
                if r.status is RecordStatus.ACTIVE and not r.is_displayable_on(day)
            }
            assert due == expected, day
