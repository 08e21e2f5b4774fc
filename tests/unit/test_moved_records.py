"""A record an identity review moves to another person, over the fakes: the cases the person it
named before filed about it close undecided (`not_about_subject`), told and audited; its mark
stays only for the new person's own objection; its earlier versions stay the first person's."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import citizen_id, penalty_row
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import on, submitted
from xinyong.domain.audit import EventTag
from xinyong.domain.calendar import business_date
from xinyong.domain.deadlines import NoticeKind
from xinyong.domain.errors import Conflict
from xinyong.domain.objections import (
    NOT_ABOUT_SUBJECT,
    Objection,
    ObjectionStatus,
    file_objection,
)
from xinyong.domain.policy import Policy
from xinyong.domain.repairs import RepairStatus
from xinyong.services import objections, repairs
from xinyong.services.records import Stored, resolve_identity_review, submit_record
from xinyong.services.subjects import list_identity_reviews

#: The default fine (decided 1 September) may be repaired from this day.
REPAIR_FROM = date(2026, 12, 1)
COMMITMENT = "本人承诺已缴清罚款并停止违法行为，今后诚信守法经营，如有违反愿承担相应责任。"
AT = on(REPAIR_FROM)


def _objection(policy: Policy, *, subject_id: int = 1, record_id: int | None = 7) -> Objection:
    return file_objection(
        subject_id=subject_id, record_id=record_id, entry_id=None if record_id else 3,
        department="BJ-AMR", ground="error_or_omission", reasons="不是我", filed_by="account:1",
        at=AT, on=REPAIR_FROM, rules=policy.objections,
    )  # fmt: skip


def test_an_open_objection_closes_undecided_and_no_longer_keeps_the_mark(policy: Policy) -> None:
    filed = _objection(policy)
    assert filed.keeps_mark
    filed.pause("testing", on=REPAIR_FROM)
    filed.close_not_about_subject(reasons="另一人的记录", by="centre", at=AT)
    assert filed.status is ObjectionStatus.DECIDED
    assert (filed.outcome, filed.outcome_reasons) == (NOT_ABOUT_SUBJECT, "另一人的记录")
    assert (filed.decided_at, filed.decided_by) == (AT, "centre")
    assert filed.paused_since is None  # the stopped clock stops with the case
    assert not filed.keeps_mark
    assert not filed.has_clock


def test_a_decided_objection_challenged_or_not_is_not_the_platforms_to_close(
    policy: Policy,
) -> None:
    case = _objection(policy)
    case.decide("reject", reasons="无误", by="BJ-AMR", at=AT, rules=policy.objections)
    with pytest.raises(Conflict, match="decided already"):
        case.close_not_about_subject(reasons="另一人的记录", by="centre", at=AT)
    case.challenge_decision("litigation", reference="(2026)京01行初1号", by="centre", at=AT)
    with pytest.raises(Conflict, match="decided already"):
        case.close_not_about_subject(reasons="另一人的记录", by="centre", at=AT)
    # The department's decision, and the court's case about it, stay as they were.
    assert case.status is ObjectionStatus.CHALLENGED
    assert (case.outcome, case.outcome_reasons, case.decided_by) == ("reject", "无误", "BJ-AMR")
    assert case.challenge is not None
    assert case.challenge.concluded_at is None
    assert case.keeps_mark


def test_a_closed_case_shows_no_step_that_nobody_took(policy: Policy) -> None:
    filed = _objection(policy)
    filed.close_not_about_subject(reasons="另一人的记录", by="centre", at=AT)
    assert [(s.code, s.done) for s in filed.steps()] == [("filed", True), ("closed", True)]


def test_an_objection_to_a_list_entry_is_not_closed_as_about_a_record(policy: Policy) -> None:
    with pytest.raises(Conflict, match="list entry"):
        _objection(policy, record_id=None).close_not_about_subject(reasons="x", by="c", at=AT)


def _moved(uow: FakeUnitOfWork, policy: Policy) -> tuple[Stored, int, int, int]:
    """A's record, A's objection and repair application about it, then the record resubmitted
    naming B and held for review (left open): (stored, B, objection, repair)."""
    uow.at = AT
    row = penalty_row(subject_name="王秀英")
    stored = submitted(uow, policy, row)
    objection_id, repair_id = _cases_of_a(uow, policy, stored)
    edited = {**row, "subject_id": citizen_id(), "subject_name": "张伟", "fine_amount": "6000"}
    submit_record(uow, policy, edited, department="BJ-AMR", actor="clerk")
    [review] = list_identity_reviews(uow)
    assert review.moves_subject
    assert review.other_subject_id is not None
    return stored, review.other_subject_id, objection_id, repair_id


def _resolve(uow: FakeUnitOfWork, policy: Policy, *, same_person: bool = False) -> None:
    [review] = list_identity_reviews(uow)
    resolve_identity_review(
        uow, policy, review.id, same_person=same_person, note="核对原件", actor="centre"
    )


def _cases_of_a(uow: FakeUnitOfWork, policy: Policy, stored: Stored) -> tuple[int, int]:
    a, record_id = stored.record.subject_id, stored.record.id
    objection = objections.file_objection(
        uow, policy, subject_id=a, record_id=record_id, entry_id=None,
        ground="error_or_omission", reasons="不是我", actor="account:1",
    )  # fmt: skip
    repair = repairs.apply_for_repair(
        uow, policy, subject_id=a, record_id=record_id, obligations_performed=False,
        commitment=COMMITMENT, actor="account:1",
    )  # fmt: skip
    assert repair.status is RepairStatus.MISSING_MATERIALS  # open: it waits for the applicant
    assert objection.id is not None
    assert repair.id is not None
    return objection.id, repair.id


def test_moving_a_record_closes_what_the_person_it_named_filed_about_it(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored, b, objection_id, repair_id = _moved(uow, policy)
    a = stored.record.subject_id
    assert uow.committed.records[stored.record.id].under_objection

    _resolve(uow, policy)

    store = uow.committed
    record = store.records[stored.record.id]
    assert record.subject_id == b
    assert not record.under_objection  # A's objection no longer marks B's record
    closed = store.objections[objection_id]
    assert (closed.status, closed.outcome) == (ObjectionStatus.DECIDED, NOT_ABOUT_SUBJECT)
    assert closed.subject_id == a
    assert store.repairs[repair_id].status is RepairStatus.NOT_ABOUT_SUBJECT
    told = [(n.subject_id, n.kind, n.entity_type, n.entity_id) for n in store.notices]
    assert told == [
        (a, NoticeKind.CASE_CLOSED, "objection", objection_id),
        (a, NoticeKind.CASE_CLOSED, "repair", repair_id),
    ]
    assert all("another person's" in n.detail for n in store.notices)
    # The cases' reasons are in Chinese, as a department writes them; the steps say "closed".
    assert closed.outcome_reasons == (
        f"经第 {next(iter(uow.committed.reviews))} 号身份核查，第 {stored.record.id} 号信用记录"
        "不属于您本人，已不在您的档案中，本异议终止办理。"
    )
    assert [s.code for s in store.repairs[repair_id].steps()] == ["applied", "closed"]
    audited = [
        (e.tag, e.entity_id, e.subject_id, e.reason)
        for e in store.audit
        if e.tag in (EventTag.OBJECTION_CLOSED, EventTag.REPAIR_CLOSED)
    ]
    assert audited == [
        (EventTag.OBJECTION_CLOSED, str(objection_id), a, NOT_ABOUT_SUBJECT),
        (EventTag.REPAIR_CLOSED, str(repair_id), a, NOT_ABOUT_SUBJECT),
    ]
    # The version A's resubmission replaced is A's history, not B's.
    assert [r.subject_id for r in store.revisions] == [a]
    # Nothing of A's stays open on the record: no deadline is watched for it any more.
    assert objections.objection_queue(uow, department=None) == []
    assert repairs.repairs_of(uow, a)[0].steps()[-1].done


def test_the_mark_stays_for_an_open_objection_of_the_person_the_record_is_about_now(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored, b, objection_id, _ = _moved(uow, policy)
    with uow:  # B's own objection to the record (as one filed before an earlier move back)
        own = _objection(policy, subject_id=b, record_id=stored.record.id)
        own.filed_at = uow.now()
        uow.objections.add(own)
        uow.commit()

    _resolve(uow, policy)

    store = uow.committed
    assert store.objections[objection_id].outcome == NOT_ABOUT_SUBJECT
    assert own.id is not None
    assert store.objections[own.id].status is ObjectionStatus.FILED
    assert store.records[stored.record.id].under_objection


def test_the_same_person_leaves_the_cases_open(uow: FakeUnitOfWork, policy: Policy) -> None:
    stored, _, objection_id, repair_id = _moved(uow, policy)
    a = stored.record.subject_id

    _resolve(uow, policy, same_person=True)

    store = uow.committed
    assert store.records[stored.record.id].subject_id == a
    assert store.records[stored.record.id].under_objection
    assert store.objections[objection_id].status is ObjectionStatus.FILED
    assert store.repairs[repair_id].status is RepairStatus.MISSING_MATERIALS
    assert store.notices == []
    assert business_date(uow.now()) == REPAIR_FROM


def test_a_challenged_decision_of_the_person_it_named_stays_and_keeps_the_mark(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored, _, objection_id, _ = _moved(uow, policy)
    objections.forward_objection(uow, policy, objection_id, department=None, actor="centre")
    objections.decide_objection(
        uow, policy, objection_id, outcome="reject", reasons="无误", department="BJ-AMR",
        actor="BJ-AMR",
    )  # fmt: skip
    objections.challenge_objection(
        uow, policy, objection_id, kind="litigation", reference="(2026)京01行初1号",
        department=None, actor="centre",
    )  # fmt: skip

    _resolve(uow, policy)

    store = uow.committed
    kept = store.objections[objection_id]
    assert (kept.status, kept.outcome) == (ObjectionStatus.CHALLENGED, "reject")
    assert store.records[stored.record.id].under_objection  # in court: still marked
    assert [n.entity_type for n in store.notices] == ["repair"]  # only the repair closed
