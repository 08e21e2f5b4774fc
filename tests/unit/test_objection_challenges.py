"""An objection's decision taken to administrative reconsideration or to court, over the fakes: the
item is marked "under objection" again, in every output, until the final decision is recorded
(domain rule: the mark stays during reconsideration or litigation)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import authorised_query, court_listing, objected, on
from xinyong.domain.audit import EventTag
from xinyong.domain.checks import ChangeKind
from xinyong.domain.errors import Conflict, Invalid, OutsideMandate
from xinyong.domain.feed import FeedKind
from xinyong.domain.objections import Objection, ObjectionStatus
from xinyong.domain.policy import Policy
from xinyong.services.objections import (
    challenge_objection,
    decide_objection,
    forward_objection,
    objection_queue,
)
from xinyong.services.records import Stored


def _rejected(uow: FakeUnitOfWork, policy: Policy, stored: Stored) -> Objection:
    """An objection to the court's record, forwarded and rejected by the court."""
    objection = objected(uow, policy, stored, "该案已执行完毕")
    forward_objection(uow, policy, objection.id or 0, department=None, actor="centre")
    return decide_objection(
        uow,
        policy,
        objection.id or 0,
        outcome="reject",
        reasons="经核查，执行尚未完毕",
        department="BJ-HCOURT",
        actor="court-officer",
    )


def _challenge(
    uow: FakeUnitOfWork, policy: Policy, objection: Objection, **overrides: str | None
) -> Objection:
    values: dict[str, str | None] = {
        "kind": "litigation",
        "reference": "（2026）京0105行初123号",
        "department": None,
    }
    values.update(overrides)
    return challenge_objection(
        uow,
        policy,
        objection.id or 0,
        kind=values["kind"] or "",
        reference=values["reference"] or "",
        department=values["department"],
        actor="centre-staff",
    )


def _marks(uow: FakeUnitOfWork, policy: Policy, stored: Stored, entry_id: int) -> tuple[bool, bool]:
    with uow:
        record = uow.records.get(stored.record.id)
        entry = uow.entries.get(entry_id, policy.list_types)
    return record.under_objection, entry.under_objection


def test_a_challenged_decision_marks_the_item_again_until_the_final_decision(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored, entry = court_listing(uow, policy)
    authorised_query(uow, policy, stored)  # the agency received the record
    rejected = _rejected(uow, policy, stored)
    first_decided_at = rejected.decided_at
    assert _marks(uow, policy, stored, entry.id or 0) == (False, False)

    uow.at = on(date(2026, 12, 21))
    challenged = _challenge(uow, policy, rejected)

    assert challenged.status is ObjectionStatus.CHALLENGED
    assert challenged.challenge is not None
    assert (challenged.challenge.kind, challenged.challenge.challenged_outcome) == (
        "litigation",
        "reject",
    )
    # Every output follows: the record and the listing resting on it, the check path's change
    # log, and the parties that received the record.
    assert _marks(uow, policy, stored, entry.id or 0) == (True, True)
    assert (uow.committed.changes[-1].kind, uow.committed.changes[-1].entity_id) == (
        ChangeKind.OBJECTION,
        entry.id,
    )
    told = [(i.recipient, i.kind) for i in uow.committed.feed]
    assert told[-1] == ("AGENCY-BAIHANG", FeedKind.UNDER_OBJECTION)
    event = uow.committed.audit[-1]
    assert (event.tag, event.actor, event.data) == (
        EventTag.OBJECTION_CHALLENGED,
        "centre-staff",
        {"kind": "litigation", "reference": "（2026）京0105行初123号"},
    )
    # It waits for the court, on the court's time: never overdue on the platform's clock, and
    # behind the cases whose deadlines run.
    assert challenged.is_overdue_on(date(2027, 6, 1)) is False
    assert [o.id for o in objection_queue(uow, department=None)] == [challenged.id]
    assert [step.code for step in challenged.steps()][-2:] == ["challenged", "challenge_concluded"]

    uow.at = on(date(2027, 3, 1))
    final = decide_objection(
        uow,
        policy,
        challenged.id or 0,
        outcome="correct",
        reasons="依判决予以更正",
        department=None,
        actor="centre-staff",
    )

    assert final.status is ObjectionStatus.DECIDED
    assert final.outcome == "correct"
    assert final.challenge is not None
    assert final.challenge.concluded_at == on(date(2027, 3, 1))
    # The first decision's time stays what its deadlines are measured against.
    assert final.decided_at == first_decided_at
    assert _marks(uow, policy, stored, entry.id or 0) == (False, False)
    assert objection_queue(uow, department=None) == []


def test_only_a_decided_objection_is_challenged_and_with_a_case_number(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored, _ = court_listing(uow, policy)
    open_one = objected(uow, policy, stored)
    before = uow.snapshot()
    with pytest.raises(Conflict, match="only a decided one is challenged"):
        _challenge(uow, policy, open_one)
    rejected = _rejected(uow, policy, stored)
    before = uow.snapshot()
    for overrides, reason in [
        ({"kind": "appeal"}, "kind: must be one of reconsideration, litigation"),
        ({"reference": "  "}, "reference: give the case number"),
        ({"reference": "号 11010519491231002X"}, "reference: a case number, not an ID number"),
        ({"reference": "号" * 101}, "reference: at most 100 characters"),
    ]:
        with pytest.raises(Invalid, match=reason):
            _challenge(uow, policy, rejected, **overrides)
    assert uow.committed == before


def test_a_department_may_not_record_a_challenge_and_the_refusal_is_audited(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored, _ = court_listing(uow, policy)
    rejected = _rejected(uow, policy, stored)
    before = uow.snapshot()
    with pytest.raises(OutsideMandate, match="credit centre records"):
        _challenge(uow, policy, rejected, department="BJ-HCOURT")
    [refused] = uow.committed.audit[len(before.audit) :]
    assert (refused.tag, refused.entity_id) == (EventTag.MANDATE_REFUSED, "objection:challenge")
    assert uow.committed.objections == before.objections
