"""The credit centre's statistics over the fakes: records by month and category, double
publicity on time or late, objections decided on time or late or still open, feedback rate."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import penalty_row
from tests.fakes import FakeUnitOfWork
from tests.unit.conftest import TODAY
from tests.unit.helpers import on, submitted
from xinyong.domain.policy import Policy
from xinyong.services import objections, statistics

SINCE = on(TODAY - timedelta(days=366))


def _object(uow: FakeUnitOfWork, policy: Policy, record_id: int, subject_id: int) -> int:
    filed = objections.file_objection(
        uow,
        policy,
        subject_id=subject_id,
        record_id=record_id,
        entry_id=None,
        ground="error_or_omission",
        reasons="记载有误",
        actor="account:1",
    )
    return filed.id or 0


def test_records_are_counted_per_month_department_and_category(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    submitted(uow, policy, penalty_row(decision_date="2026-09-01"))
    submitted(uow, policy, penalty_row(decision_date="2026-09-20"))
    submitted(uow, policy, penalty_row(decision_date="2026-10-02"))
    table = statistics.records_per_department_and_category(uow, policy, since=SINCE.date())
    assert table.rows == (
        ("2026-09", "BJ-AMR", "administrative", 2),
        ("2026-10", "BJ-AMR", "administrative", 1),
    )


def test_double_publicity_counts_a_decision_received_after_its_publish_by_day_as_late(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    submitted(uow, policy, penalty_row(decision_date=(TODAY - timedelta(days=2)).isoformat()))
    submitted(uow, policy, penalty_row(decision_date="2026-06-01"))  # months late
    table = statistics.publicity_timeliness(uow, since=SINCE.date())
    assert table.rows == (("BJ-AMR", 1, 1),)


def test_objections_decided_by_their_deadline_late_or_still_open(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    first = submitted(uow, policy)
    second = submitted(uow, policy)
    third = submitted(uow, policy)
    on_time = _object(uow, policy, first.record.id, first.record.subject_id)
    late = _object(uow, policy, second.record.id, second.record.subject_id)
    _object(uow, policy, third.record.id, third.record.subject_id)
    objections.decide_objection(
        uow, policy, on_time, outcome="correct", reasons="已更正", department=None, actor="c"
    )
    uow.at += timedelta(days=30)
    objections.decide_objection(
        uow, policy, late, outcome="reject", reasons="无误", department=None, actor="c"
    )
    today = (uow.at + timedelta(hours=8)).date()
    table = statistics.cases_on_time(uow, since=SINCE, today=today)
    assert table.columns == ("kind", "on_time", "late", "open_overdue", "open")
    assert table.rows == (("objection", 1, 1, 1, 0), ("repair", 0, 0, 0, 0))
