"""An objection's clock stopped for testing or expert review, over the fakes: the working days
they take are not counted toward the deadline that runs (domain rule, docs/domain.md §9)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import penalty_row
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import objected, on, submitted
from xinyong.domain.audit import EventTag
from xinyong.domain.calendar import add_working_days
from xinyong.domain.errors import Conflict, Invalid, OutsideMandate
from xinyong.domain.objections import Objection
from xinyong.domain.policy import Policy
from xinyong.services.objections import (
    decide_objection,
    forward_objection,
    pause_objection,
    resume_objection,
)

MONDAY = date(2026, 11, 23)


def _filed(uow: FakeUnitOfWork, policy: Policy) -> Objection:
    uow.at = on(MONDAY)
    return objected(uow, policy, submitted(uow, policy, penalty_row()), "罚款金额有误")


def test_the_days_of_testing_are_not_counted_toward_the_centres_deadline(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    objection = _filed(uow, policy)
    assert objection.centre_due.day == date(2026, 11, 24)  # one working day
    uow.at = on(date(2026, 11, 24))
    paused = pause_objection(uow, policy, objection.id or 0, kind="testing", department=None,
                             actor="centre")  # fmt: skip
    assert (paused.paused_since, paused.pause_kind) == (date(2026, 11, 24), "testing")
    # The clock stands still: past the day, not overdue.
    assert paused.is_overdue_on(date(2026, 11, 27)) is False
    with pytest.raises(Conflict, match="paused; resume it"):
        forward_objection(uow, policy, objection.id or 0, department=None, actor="centre")

    uow.at = on(date(2026, 11, 30))  # the result came on Monday
    resumed = resume_objection(uow, policy, objection.id or 0, department=None, actor="centre")

    # Wednesday to Friday and Monday (four working days) were not counted.
    assert resumed.centre_due == add_working_days(MONDAY, 1 + 4)
    assert resumed.centre_due.day == date(2026, 11, 30)
    assert (resumed.paused_since, resumed.paused_working_days) == (None, 4)
    assert resumed.is_overdue_on(date(2026, 11, 30)) is False
    assert resumed.is_overdue_on(date(2026, 12, 1)) is True
    with uow:
        assert uow.objections.get(objection.id or 0).centre_due.day == date(2026, 11, 30)
    # The person is told the deadline stood still, and where it moved (their file, their report).
    with uow:
        told = [(n.kind.value, n.entity_type, n.detail) for n in uow.deadlines.notices_of(
            objection.subject_id)]  # fmt: skip
    assert told == [
        (
            "deadline_stopped",
            "objection",
            "objection check: stopped on 2026-11-24 for testing; the working days it takes are"
            " not counted",
        ),
        (
            "deadline_moved",
            "objection",
            "objection check: moved from 2026-11-24 to 2026-11-30; 4 working days of testing"
            " not counted",
        ),
    ]
    paused_event, resumed_event = uow.committed.audit[-2:]
    assert (paused_event.tag, paused_event.data) == (EventTag.OBJECTION_PAUSED, {"kind": "testing"})
    assert (resumed_event.tag, resumed_event.data) == (
        EventTag.OBJECTION_RESUMED,
        {"kind": "testing", "working_days": 4, "due": "2026-11-30"},
    )


def test_the_source_stops_its_own_clock_for_expert_review_and_decides_once_resumed(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    objection = _filed(uow, policy)
    before = uow.snapshot()
    # While the centre checks, the clock is the centre's: a department is refused, and audited.
    with pytest.raises(OutsideMandate, match="whose clock it is"):
        pause_objection(uow, policy, objection.id or 0, kind="testing", department="BJ-AMR",
                        actor="amr")  # fmt: skip
    assert [e.tag for e in uow.committed.audit[len(before.audit) :]] == [EventTag.MANDATE_REFUSED]
    forward_objection(uow, policy, objection.id or 0, department=None, actor="centre")
    with pytest.raises(Invalid, match="kind: must be one of testing, expert_review"):
        pause_objection(uow, policy, objection.id or 0, kind="holiday", department="BJ-AMR",
                        actor="amr")  # fmt: skip
    paused = pause_objection(uow, policy, objection.id or 0, kind="expert_review",
                             department="BJ-AMR", actor="amr")  # fmt: skip
    source_due = paused.source_due
    assert source_due is not None
    with pytest.raises(Conflict, match="paused already"):
        pause_objection(uow, policy, objection.id or 0, kind="testing", department="BJ-AMR",
                        actor="amr")  # fmt: skip
    with pytest.raises(Conflict, match="resume it with the result first"):
        decide_objection(uow, policy, objection.id or 0, outcome="reject", reasons="无误",
                         department="BJ-AMR", actor="amr")  # fmt: skip

    uow.at = on(date(2026, 11, 25))  # resumed two days later (Tuesday and Wednesday)
    resumed = resume_objection(uow, policy, objection.id or 0, department="BJ-AMR", actor="amr")
    assert resumed.source_due == source_due.extended(2)
    with uow:
        last = uow.deadlines.notices_of(objection.subject_id)[-1]
    assert last.detail.startswith("objection decision: moved from ")
    assert last.detail.endswith("; 2 working days of expert review not counted")
    with pytest.raises(Conflict, match="not paused"):
        resume_objection(uow, policy, objection.id or 0, department="BJ-AMR", actor="amr")
    decided = decide_objection(uow, policy, objection.id or 0, outcome="reject", reasons="无误",
                               department="BJ-AMR", actor="amr")  # fmt: skip
    assert decided.paused_working_days == 2
    with pytest.raises(Conflict, match="no deadline runs"):
        pause_objection(uow, policy, objection.id or 0, kind="testing", department=None,
                        actor="centre")  # fmt: skip
