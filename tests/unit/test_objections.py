"""Objections over the fakes: the item is marked at once and routed to its source, the deadlines
run in working days, a decision lifts the mark and applies its outcome, recipients are told."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pytest

from tests.factories import debtor_row, penalty_row
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import authorised_query, court_listing, objected, on, submitted
from xinyong.domain.audit import EventTag
from xinyong.domain.calendar import add_working_days
from xinyong.domain.checks import ChangeKind
from xinyong.domain.errors import Conflict, Invalid, NotFound, OutsideMandate
from xinyong.domain.feed import FeedKind
from xinyong.domain.lists import EntryState
from xinyong.domain.objections import Extension, Objection, ObjectionStatus
from xinyong.domain.policy import Policy
from xinyong.domain.records import Outcome, RecordStatus
from xinyong.services import decided_lists
from xinyong.services.evidence import CaseType
from xinyong.services.objections import (
    decide_objection,
    extend_objection,
    file_objection,
    forward_objection,
    objection_queue,
    objections_of,
)
from xinyong.services.records import Stored

TODAY = date(2026, 11, 20)  # a Friday


def _object(
    uow: FakeUnitOfWork,
    policy: Policy,
    stored: Stored,
    evidence: Sequence[tuple[str, str, bytes]] = (),
) -> Objection:
    return objected(uow, policy, stored, "该案已执行完毕，记载有误", evidence)


def _forward(uow: FakeUnitOfWork, policy: Policy, *objections: Objection) -> None:
    """The credit centre's check is done: the source department may decide."""
    for objection in objections:
        forward_objection(uow, policy, objection.id or 0, department=None, actor="centre")


APPROVAL = {
    "reasons": "需调取原始执法案卷核对",
    "approved_by": "北京市市场监督管理局法制处",
    "approval_reference": "京市监法〔2026〕15号",
}


def _extend(
    uow: FakeUnitOfWork, policy: Policy, objection: Objection, **approval: str
) -> Objection:
    """The source department extends its deadline, with `APPROVAL` unless told otherwise."""
    given = APPROVAL | approval
    return extend_objection(
        uow,
        policy,
        objection.id or 0,
        reasons=given["reasons"],
        approved_by=given["approved_by"],
        approval_reference=given["approval_reference"],
        department="BJ-AMR",
        actor="amr",
    )


def _decide(
    uow: FakeUnitOfWork, policy: Policy, objection: Objection, outcome: str, department: str
) -> Objection:
    return decide_objection(
        uow,
        policy,
        objection.id or 0,
        outcome=outcome,
        reasons="经核查作出决定",
        department=department,
        actor=f"{department}-officer",
    )


def test_an_objection_marks_the_record_and_its_listing_at_once_and_goes_to_the_source(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored, entry = court_listing(uow, policy)
    authorised_query(uow, policy, stored)  # the agency received the record
    objection = _object(
        uow, policy, stored, evidence=[("执行结案通知书.pdf", "application/pdf", b"%PDF")]
    )
    assert (objection.status, objection.department) == (ObjectionStatus.FILED, "BJ-HCOURT")
    assert objection.centre_due == add_working_days(
        TODAY, policy.objections.centre_check_working_days
    )
    with uow:
        assert uow.records.get(stored.record.id).under_objection is True
        assert uow.entries.get(entry.id or 0, policy.list_types).under_objection is True
        [(_, filename, _, _)] = uow.evidence.of_case(CaseType.OBJECTION, objection.id or 0)
    assert filename == "执行结案通知书.pdf"
    # The check path follows the mark: the listing's change is in the log.
    assert (uow.committed.changes[-1].kind, uow.committed.changes[-1].entity_id) == (
        ChangeKind.OBJECTION,
        entry.id,
    )
    told = [(i.recipient, i.kind, i.entity_id) for i in uow.committed.feed]
    assert told == [("AGENCY-BAIHANG", FeedKind.UNDER_OBJECTION, stored.record.id)]
    assert objections_of(uow, stored.record.subject_id) == [objection]


def test_a_forwarded_objection_gets_the_source_departments_deadline_and_one_extension(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    objection = _object(uow, policy, submitted(uow, policy))
    uow.at = on(date(2026, 11, 23))  # Monday
    forwarded = forward_objection(uow, policy, objection.id or 0, department=None, actor="centre")
    assert forwarded.status is ObjectionStatus.FORWARDED
    assert forwarded.source_due == add_working_days(
        date(2026, 11, 23), policy.objections.source_decide_working_days
    )
    assert forwarded.due().day == date(2026, 11, 25)
    before = uow.snapshot()
    with pytest.raises(Conflict):
        forward_objection(uow, policy, objection.id or 0, department=None, actor="centre")
    assert uow.committed == before

    extended = _extend(uow, policy, objection)
    assert (extended.extended, extended.due().day) == (True, date(2026, 11, 30))
    assert extended.extension == Extension(
        APPROVAL["reasons"], APPROVAL["approved_by"], APPROVAL["approval_reference"]
    )
    with uow:
        assert uow.objections.get(objection.id or 0).extension == extended.extension
    [event] = [e for e in uow.committed.audit if e.tag is EventTag.OBJECTION_EXTENDED]
    assert (event.actor, event.reason) == ("amr", APPROVAL["reasons"])
    assert event.data == {
        "approved_by": APPROVAL["approved_by"],
        "approval_reference": APPROVAL["approval_reference"],
        "due": "2026-11-30",
    }
    with pytest.raises(Conflict, match="once"):
        _extend(uow, policy, objection)


def test_an_id_number_in_an_extensions_reasons_is_withheld_from_its_audit_event(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    objection = _object(uow, policy, submitted(uow, policy))
    _forward(uow, policy, objection)
    _extend(uow, policy, objection, reasons="当事人 11010519491231002X 的案卷需调取核对")
    [event] = [e for e in uow.committed.audit if e.tag is EventTag.OBJECTION_EXTENDED]
    assert event.reason is not None
    assert "11010519491231002X" not in event.reason
    assert "案卷需调取核对" in event.reason


@pytest.mark.parametrize(
    ("field", "given"),
    [
        ("reasons", "  "),
        ("approved_by", ""),
        ("approved_by", "\u3000"),
        ("approval_reference", " "),
        ("approved_by", "x" * 101),
        ("approval_reference", "11010519491231002X"),
        ("approved_by", "王某 11010519491231002X"),
    ],
)
def test_an_extension_without_its_reasons_or_approval_is_refused_and_changes_nothing(
    uow: FakeUnitOfWork, policy: Policy, field: str, given: str
) -> None:
    objection = _object(uow, policy, submitted(uow, policy))
    uow.at = on(date(2026, 11, 23))
    _forward(uow, policy, objection)
    before = uow.snapshot()
    with pytest.raises(Invalid, match=f"^{field}:") as refused:
        _extend(uow, policy, objection, **{field: given})
    assert "11010519491231002X" not in str(refused.value)
    assert uow.committed == before
    with uow:
        kept = uow.objections.get(objection.id or 0)
    assert (kept.extended, kept.extension, kept.due().day) == (False, None, date(2026, 11, 25))


def test_an_objections_timeline_shows_each_step_done_or_due(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    objection = _object(uow, policy, submitted(uow, policy))
    filed = objection.steps()
    assert [(s.code, s.done) for s in filed] == [
        ("filed", True),
        ("centre_check", False),
        ("source_decision", False),
        ("decided", False),
    ]
    assert filed[0].at == objection.filed_at
    assert filed[1].due == objection.centre_due
    assert filed[1].due.day == date(2026, 11, 23)  # Friday + 1 working day
    assert filed[2].due is None  # not known before the centre forwards it
    uow.at = on(date(2026, 11, 23))
    forward_objection(uow, policy, objection.id or 0, department=None, actor="centre")
    extended = _extend(uow, policy, objection)
    steps = extended.steps()
    assert [s.done for s in steps] == [True, True, False, False]
    assert (steps[2].due, steps[2].extended) == (extended.source_due, True)
    uow.at = on(date(2026, 11, 24))
    decided = decide_objection(
        uow,
        policy,
        objection.id or 0,
        outcome="reject",
        reasons="记载无误",
        department="BJ-AMR",
        actor="amr",
    )
    done = decided.steps()
    assert all(s.done for s in done)
    assert done[-1].at == decided.decided_at


def test_deciding_a_decided_objection_is_a_conflict_and_nothing_is_committed(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    objection = _object(uow, policy, stored)
    _forward(uow, policy, objection)
    decided = _decide(uow, policy, objection, "reject", "BJ-AMR")
    assert (decided.status, decided.outcome) == (ObjectionStatus.DECIDED, "reject")
    with uow:
        assert uow.records.get(stored.record.id).under_objection is False  # the mark is lifted
    before = uow.snapshot()
    with pytest.raises(Conflict, match="decided already"):
        _decide(uow, policy, objection, "correct", "BJ-AMR")
    assert uow.committed == before
    assert [e.tag for e in uow.committed.audit].count(EventTag.OBJECTION_DECIDED) == 1


def test_stopping_a_records_display_ends_the_listing_resting_on_it_for_good(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    row = debtor_row()
    stored, entry = court_listing(uow, policy, row)
    objection = _object(uow, policy, stored)
    _forward(uow, policy, objection)
    _decide(uow, policy, objection, "stop_display", "BJ-HCOURT")
    with uow:
        assert uow.records.get(stored.record.id).status is RecordStatus.CORRECTED
        ended = uow.entries.get(entry.id or 0, policy.list_types)
    assert (ended.state, ended.exit_ground, ended.exited_on) == (
        EntryState.EXITED,
        "revocation",
        TODAY,
    )
    assert ended.under_objection is False

    # The court resubmits the document with a corrected obligation: the decision that stopped
    # its display stands (an expiry would not); the record is not shown again, and the court's
    # feed records no listing on it.
    again = submitted(uow, policy, {**row, "obligation": "支付货款（已更正）"}, "BJ-HCOURT")
    assert again.outcome is Outcome.UPDATED
    with uow:
        record = uow.records.get(stored.record.id)
    assert record.status is RecordStatus.CORRECTED
    assert not record.is_displayable_on(TODAY)
    assert decided_lists.record_court_listings(uow, policy, actor="court-feed") == 0


def test_the_mark_stays_while_another_objection_to_the_record_is_open(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy, penalty_row())
    first, second = _object(uow, policy, stored), _object(uow, policy, stored)
    _forward(uow, policy, first, second)
    _decide(uow, policy, first, "reject", "BJ-AMR")
    with uow:
        assert uow.records.get(stored.record.id).under_objection is True
    _decide(uow, policy, second, "reject", "BJ-AMR")
    with uow:
        assert uow.records.get(stored.record.id).under_objection is False


def test_a_department_sees_and_decides_only_the_objections_routed_to_it(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    objection = _object(uow, policy, submitted(uow, policy))
    assert objection_queue(uow, department="BJ-HCOURT") == []
    assert [o.id for o in objection_queue(uow, department="BJ-AMR")] == [objection.id]
    before = uow.snapshot()
    with pytest.raises(NotFound, match="does not exist"):
        _decide(uow, policy, objection, "reject", "BJ-HCOURT")
    # To another department the objection does not exist; the reach for it is audited.
    [misrouted] = uow.committed.audit[len(before.audit) :]
    assert (misrouted.tag, misrouted.entity_id) == (EventTag.MANDATE_REFUSED, "objection:decide")
    assert misrouted.subject_id == objection.subject_id
    assert uow.committed.objections == before.objections
    # Forwarding is the credit centre's step alone: a department is refused it, and that is audited.
    with pytest.raises(OutsideMandate):
        forward_objection(uow, policy, objection.id or 0, department="BJ-HCOURT", actor="c")
    assert [e.tag for e in uow.committed.audit[len(before.audit) :]] == [
        EventTag.MANDATE_REFUSED
    ] * 2
    assert uow.committed.objections == before.objections


def test_the_source_decides_only_once_the_centre_has_forwarded(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    objection = _object(uow, policy, submitted(uow, policy))
    with pytest.raises(OutsideMandate, match="still with the credit centre"):
        _decide(uow, policy, objection, "reject", "BJ-AMR")
    assert uow.committed.audit[-1].tag is EventTag.MANDATE_REFUSED
    with uow:
        assert uow.objections.get(objection.id or 0).status is ObjectionStatus.FILED
    _forward(uow, policy, objection)
    assert _decide(uow, policy, objection, "reject", "BJ-AMR").status is ObjectionStatus.DECIDED


def test_an_objection_to_someone_elses_record_is_not_found(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    mine, theirs = submitted(uow, policy), submitted(uow, policy)
    before = uow.snapshot()
    with pytest.raises(NotFound, match=f"record {theirs.record.id} does not exist"):
        file_objection(
            uow,
            policy,
            subject_id=mine.record.subject_id,
            record_id=theirs.record.id,
            entry_id=None,
            ground="error_or_omission",
            reasons="不是我的记录",
            actor="account:1",
        )
    # The reach for another person's record is audited, and that is all that changed.
    [reach] = uow.committed.audit[len(before.audit) :]
    assert (reach.tag, reach.entity_id, reach.actor) == (
        EventTag.MANDATE_REFUSED,
        "objection:file",
        "account:1",
    )
    assert reach.subject_id == theirs.record.subject_id
    assert uow.committed.objections == before.objections
    assert uow.committed.records == before.records
