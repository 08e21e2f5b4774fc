"""The credit centre's statistics over the fakes: records by month and category, double
publicity on time or late, objections decided on time or late or still open, feedback rate."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import penalty_row
from tests.fakes import FakeUnitOfWork
from tests.unit.conftest import TODAY
from tests.unit.helpers import on, submitted
from xinyong.domain.policy import Policy
from xinyong.domain.querylog import (
    NOTHING,
    REFUSED,
    Delivered,
    ItemKind,
    QueryEntry,
    QueryKind,
    encode_returned,
)
from xinyong.services import checks, objections, repairs, statistics

SINCE = on(TODAY - timedelta(days=366))
COMMITMENT = "本人承诺已缴清罚款并停止违法行为，今后诚信守法经营，如有违反愿承担相应责任。"


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


def test_an_objection_whose_clock_testing_stopped_is_open_not_overdue(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    paused = _object(uow, policy, stored.record.id, stored.record.subject_id)
    objections.pause_objection(uow, policy, paused, kind="testing", department=None, actor="c")
    today = (uow.at + timedelta(days=30, hours=8)).date()  # long past the centre's day
    table = statistics.cases_on_time(uow, since=SINCE, today=today)
    assert table.rows[0] == ("objection", 0, 0, 0, 1)


def _repair(uow: FakeUnitOfWork, policy: Policy) -> int:
    """A repair application for a general fine decided in June (repairable since September)."""
    stored = submitted(uow, policy, penalty_row(decision_date="2026-06-01"))
    applied = repairs.apply_for_repair(
        uow,
        policy,
        subject_id=stored.record.subject_id,
        record_id=stored.record.id,
        obligations_performed=True,
        commitment=COMMITMENT,
        actor="account:1",
    )
    return applied.id or 0


def test_repairs_decided_by_their_feedback_deadline_late_or_still_open(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    on_time, late, overdue = (_repair(uow, policy) for _ in range(3))
    repairs.decide_repair(
        uow, policy, on_time, repaired=True, reasons="已履行", department=None, actor="c"
    )
    uow.at += timedelta(days=30)  # every deadline of those three has passed
    repairs.decide_repair(
        uow, policy, late, repaired=False, reasons="未履行", department=None, actor="c"
    )
    fresh = _repair(uow, policy)  # applied today: not yet due
    today = (uow.at + timedelta(hours=8)).date()
    table = statistics.cases_on_time(uow, since=SINCE, today=today)
    assert table.rows == (("objection", 0, 0, 0, 0), ("repair", 1, 1, 1, 1))
    with uow:
        assert uow.repairs.get(overdue).decided_at is None
        assert uow.repairs.get(fresh).feedback_due.day > today


def _checked(uow: FakeUnitOfWork, department: str | None, returned: str) -> int:
    """The query-log entry a check leaves (what `run_check` stores before it answers)."""
    entry = QueryEntry(
        uow.now(), 42, QueryKind.CHECK, department, "counter-7", "flight", "registry check",
        returned,
    )  # fmt: skip
    with uow:
        (query_id,) = uow.queries.add_many([entry])
        uow.commit()
    return query_id


def test_the_feedback_rate_is_the_share_of_checks_returning_a_measure_that_were_answered(
    uow: FakeUnitOfWork,
) -> None:
    flight = encode_returned([Delivered(ItemKind.ENTRY, 7, "M-COURT-FLIGHT")])
    flights = [_checked(uow, "BJ-CAAC-NC", flight) for _ in range(3)]
    _checked(uow, "BJ-CAAC-NC", NOTHING)  # nothing applied: nothing to give feedback on
    _checked(uow, "BJ-CAAC-NC", REFUSED)  # outside the mandate: no answer at all
    _checked(uow, "BJ-RAIL", encode_returned([Delivered(ItemKind.ENTRY, 7, "M-COURT-G-TRAIN")]))
    _checked(uow, None, flight)  # the credit centre's own look: it applies no measure
    for query_id, applied in ((flights[0], True), (flights[1], False)):
        checks.give_feedback(
            uow,
            query_id,
            measure="M-COURT-FLIGHT",
            applied=applied,
            reason=None if applied else "旅客已出示解除限制决定书",
            department="BJ-CAAC-NC",
            actor="counter-7",
        )
    table = statistics.feedback_rate(uow, since=SINCE)
    assert table.columns == ("department", "checks_with_measures", "with_feedback", "rate")
    assert table.rows == (("BJ-CAAC-NC", 3, 2, 67), ("BJ-RAIL", 1, 0, 0))


def test_each_regions_work_sums_its_departments_for_the_evaluation(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    submitted(uow, policy, penalty_row(decision_date=(TODAY - timedelta(days=2)).isoformat()))
    submitted(uow, policy, penalty_row(decision_date="2026-06-01"))  # published months late
    first, second, third = submitted(uow, policy), submitted(uow, policy), submitted(uow, policy)
    decided = _object(uow, policy, first.record.id, first.record.subject_id)
    _object(uow, policy, second.record.id, second.record.subject_id)  # left past its day
    stopped = _object(uow, policy, third.record.id, third.record.subject_id)
    objections.decide_objection(
        uow, policy, decided, outcome="correct", reasons="已更正", department=None, actor="c"
    )
    objections.pause_objection(uow, policy, stopped, kind="testing", department=None, actor="c")
    later = (uow.at + timedelta(days=30, hours=8)).date()

    table = statistics.work_by_region(uow, policy, since=SINCE, today=later)

    assert table.columns[0] == "region"
    row = dict(zip(table.columns, table.rows[0], strict=True))
    assert row["region"] == "110000 北京市"  # BJ-AMR's region, by code and name
    # the one decided two days ago is on time; June's and the factory's default date are late
    assert (row["publicity_on_time"], row["publicity_late"]) == (1, 4)
    # decided on time; one open past its day; the stopped clock counts neither way
    assert (row["objections_on_time"], row["objections_late"], row["objections_open_overdue"]) == (
        1,
        0,
        1,
    )
