"""Repair over the fakes: refused before its date, everything missing listed at once, routed to
the department that made the finding; success ends publication, listings and measures at once."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date

import pytest

from tests.factories import debtor_row, penalty_row
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import authorised_query, on, submitted
from xinyong.domain.audit import EventTag
from xinyong.domain.errors import Conflict, Invalid, NotFound
from xinyong.domain.feed import FeedKind
from xinyong.domain.lists import EntryState
from xinyong.domain.policy import Policy
from xinyong.domain.records import RecordStatus
from xinyong.domain.repairs import Repair, RepairedByTheCourt, RepairStatus, Unrepairable
from xinyong.services import list_proposals, lists
from xinyong.services.evidence import CaseType
from xinyong.services.publication import published
from xinyong.services.records import Stored
from xinyong.services.repairs import (
    RepairTooEarly,
    accept_repair,
    apply_for_repair,
    decide_repair,
    repair_queue,
    repair_refusals,
    supply_materials,
)

#: A fine of 5,000 yuan by ordinary procedure (decided 1 September) is general: repair after
#: three months.
REPAIR_FROM = date(2026, 12, 1)
COMMITMENT = "本人承诺已缴清罚款并停止违法行为，今后诚信守法经营，如有违反愿承担相应责任。"


def _apply(
    uow: FakeUnitOfWork,
    policy: Policy,
    stored: Stored,
    *,
    performed: bool = True,
    commitment: str = COMMITMENT,
    evidence: Sequence[tuple[str, str, bytes]] = (),
) -> Repair:
    return apply_for_repair(
        uow,
        policy,
        subject_id=stored.record.subject_id,
        record_id=stored.record.id,
        obligations_performed=performed,
        commitment=commitment,
        evidence=evidence,
        actor="account:1",
    )


def _supply(
    uow: FakeUnitOfWork,
    policy: Policy,
    stored: Stored,
    application: Repair,
    *,
    performed: bool = True,
    commitment: str = COMMITMENT,
) -> Repair:
    """The applicant supplies what `application` lacks."""
    return supply_materials(
        uow,
        policy,
        application.id or 0,
        subject_id=stored.record.subject_id,
        obligations_performed=performed,
        commitment=commitment,
        actor="account:1",
    )


def _decided_listing(uow: FakeUnitOfWork, policy: Policy, stored: Stored) -> int:
    """A serious food-safety listing on the record, through its whole procedure."""
    view = list_proposals.propose(
        uow,
        policy,
        list_code="FOOD-DRUG-SERIOUS",
        subject_number=stored.subject_number,
        grounds="多次销售超过保质期的食品",
        basis_records=[stored.record.id],
        department="BJ-AMR",
        actor="amr-officer",
    )
    entry_id = view.entry.id or 0
    lists.serve_notice(uow, policy, entry_id, department="BJ-AMR", actor="amr-clerk")
    uow.at = on(date(2026, 11, 30))  # after the defence window (to Friday 27 November)
    lists.decide(
        uow, policy, entry_id, reasons="查证属实", months=None, department="BJ-AMR", actor="amr"
    )
    return entry_id


def test_a_repair_before_its_date_is_refused_and_nothing_is_committed(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    assert stored.record.repair_from == REPAIR_FROM
    before = uow.snapshot()
    with pytest.raises(RepairTooEarly) as early:
        _apply(uow, policy, stored)
    assert early.value.allowed_from == REPAIR_FROM
    assert "2026-12-01" in early.value.detail
    assert uow.committed == before


def test_an_application_lacking_materials_lists_everything_missing_and_cannot_be_decided(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    uow.at = on(REPAIR_FROM)
    lacking = _apply(uow, policy, stored, performed=False, commitment="我保证")
    assert lacking.status is RepairStatus.MISSING_MATERIALS
    assert len(lacking.missing) == 2
    assert [(s.code, s.done) for s in lacking.steps()] == [
        ("applied", True),
        ("acceptance", False),
        ("feedback", False),
    ]
    assert [s.due for s in lacking.steps()] == [None, None, None]  # nothing runs until complete
    assert repair_queue(uow, department="BJ-AMR") == []
    before = uow.snapshot()
    with pytest.raises(Conflict, match="still lacks"):
        decide_repair(
            uow, policy, lacking.id or 0, repaired=True, reasons="准予", department=None, actor="c"
        )
    assert uow.committed == before


def test_an_application_lacking_materials_is_completed_in_place_and_counted_from_then(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    uow.at = on(REPAIR_FROM)  # Tuesday 1 December
    lacking = _apply(uow, policy, stored, performed=False, commitment="我保证")
    with pytest.raises(Conflict, match=f"repair application {lacking.id} .* lacks materials"):
        _apply(uow, policy, stored)  # not a second application beside it

    def supply(performed: bool, commitment: str) -> Repair:
        return _supply(uow, policy, stored, lacking, performed=performed, commitment=commitment)

    uow.at = on(date(2026, 12, 3))  # Thursday
    still = supply(True, "我保证")
    assert still.status is RepairStatus.MISSING_MATERIALS
    assert [m for m in still.missing if "commitment" in m] == list(still.missing) != []
    assert repair_queue(uow, department="BJ-AMR") == []
    complete = supply(True, COMMITMENT)
    assert (complete.id, complete.status, complete.missing) == (
        lacking.id,
        RepairStatus.APPLIED,
        (),
    )
    assert complete.accept_due.day == date(2026, 12, 8)  # 3 working days from Thursday
    assert complete.feedback_due.day == date(2026, 12, 17)  # 10 working days
    assert [r.id for r in repair_queue(uow, department="BJ-AMR")] == [lacking.id]
    supplied = [e for e in uow.committed.audit if e.tag is EventTag.REPAIR_SUPPLIED]
    assert [e.data["missing"] == [] for e in supplied] == [False, True]
    before = uow.snapshot()
    with pytest.raises(Conflict, match="only an application that lacks materials"):
        supply(True, COMMITMENT)
    assert uow.committed == before


def test_supplying_materials_is_refused_what_applying_is_refused(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    """Supplied, an application is judged as a new one would be: not beside another open
    application for the record (one left from before applications were completed in place),
    and not for a record an identity review has moved to another person."""
    stored = submitted(uow, policy)
    uow.at = on(REPAIR_FROM)
    lacking = _apply(uow, policy, stored, performed=False, commitment="我保证")
    later = dataclasses.replace(lacking, id=None, status=RepairStatus.APPLIED, missing=())
    with uow:
        uow.repairs.add(later)  # applied for again, as the platform once allowed
        uow.commit()

    def supply() -> Repair:
        return _supply(uow, policy, stored, lacking)

    before = uow.snapshot()
    with pytest.raises(Conflict, match="already open"):
        supply()
    assert uow.committed == before
    assert [r.id for r in repair_queue(uow, department="BJ-AMR")] == [later.id]

    uow.committed.repairs[later.id or 0].status = RepairStatus.REFUSED
    uow.committed.records[stored.record.id].subject_id = stored.record.subject_id + 1000  # moved
    with pytest.raises(NotFound):
        supply()
    assert uow.committed.repairs[lacking.id or 0].status is RepairStatus.MISSING_MATERIALS
    refused = [e for e in uow.committed.audit if e.tag is EventTag.MANDATE_REFUSED]
    assert [e.entity_id for e in refused][-1:] == ["repair:supply"]


def test_a_repair_goes_to_the_finding_department_and_success_ends_publication_and_listing(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    # A fine of 80,000 yuan is serious, as the listing needs, and a serious record is repaired
    # a year after its decision: decided in November 2025, it may be repaired by REPAIR_FROM.
    row = penalty_row(fine_amount="80000", decision_date="2025-11-03")
    stored = submitted(uow, policy, row)
    authorised_query(uow, policy, stored)  # the agency received the record
    entry_id = _decided_listing(uow, policy, stored)
    uow.at = on(REPAIR_FROM)
    repair = _apply(uow, policy, stored, evidence=[("缴款凭证.pdf", "application/pdf", b"%PDF")])
    assert (repair.status, repair.missing, repair.department) == (
        RepairStatus.APPLIED,
        (),
        "BJ-AMR",
    )
    assert (repair.accept_due.day, repair.feedback_due.day) == (
        date(2026, 12, 4),
        date(2026, 12, 15),
    )
    assert [r.id for r in repair_queue(uow, department="BJ-AMR")] == [repair.id]
    assert repair_queue(uow, department="BJ-HCOURT") == []
    with pytest.raises(Conflict, match="already open"):
        _apply(uow, policy, stored)
    with pytest.raises(NotFound):
        accept_repair(uow, repair.id or 0, department="BJ-HCOURT", actor="court")
    assert accept_repair(uow, repair.id or 0, department="BJ-AMR", actor="amr").status is (
        RepairStatus.ACCEPTED
    )

    decided = decide_repair(
        uow,
        policy,
        repair.id or 0,
        repaired=True,
        reasons="罚款已缴清，准予修复",
        department="BJ-AMR",
        actor="amr-head",
    )
    assert decided.status is RepairStatus.REPAIRED
    with uow:
        assert uow.records.get(stored.record.id).status is RecordStatus.REPAIRED  # kept, archived
        listing = uow.entries.get(entry_id, policy.list_types)
        assert len(uow.evidence.of_case(CaseType.REPAIR, repair.id or 0)) == 1
    assert (listing.state, listing.exit_ground) == (EntryState.EXITED, "repair")
    assert published(uow, policy, REPAIR_FROM, item=None, limit=10, offset=0) == []
    told = [(i.recipient, i.kind, i.entity_id) for i in uow.committed.feed]
    assert told == [("AGENCY-BAIHANG", FeedKind.REPAIRED, stored.record.id)]
    tags = [e.tag for e in uow.committed.audit if e.entity_type == "repair"]
    assert tags == [EventTag.REPAIR_APPLIED, EventTag.REPAIR_ACCEPTED, EventTag.REPAIR_DECIDED]
    with pytest.raises(Conflict, match="repaired"):  # nothing left to repair
        _apply(uow, policy, stored)


def test_only_negative_information_of_ones_own_is_repaired(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    licence = {
        **{k: v for k, v in penalty_row().items() if k in {"subject_id", "subject_name"}},
        "item": "ADM-LIC-01",
        "document_number": "京市监许〔2026〕00042号",
        "decision_date": "2026-09-01",
        "authority_name": "北京市市场监督管理局",
        "authority_uscc": "11110000000021135M",
        "licence_name": "食品经营许可证",
        "licence_number": "JY11101050000042",
        "licence_kind": "general",
        "licence_content": "预包装食品销售",
    }
    neutral = submitted(uow, policy, licence)
    someone_else = submitted(uow, policy)
    uow.at = on(REPAIR_FROM)
    before = uow.snapshot()
    with pytest.raises(Invalid, match="not negative"):
        _apply(uow, policy, neutral)
    with pytest.raises(NotFound, match=f"record {someone_else.record.id} does not exist"):
        apply_for_repair(
            uow,
            policy,
            subject_id=neutral.record.subject_id,
            record_id=someone_else.record.id,
            obligations_performed=True,
            commitment=COMMITMENT,
            actor="account:1",
        )
    # Another person's record does not exist for them; the reach for it is audited, and that
    # is all that changed.
    [reach] = uow.committed.audit[len(before.audit) :]
    assert (reach.tag, reach.entity_id, reach.actor) == (
        EventTag.MANDATE_REFUSED,
        "repair:apply",
        "account:1",
    )
    assert reach.subject_id == someone_else.record.subject_id
    assert uow.committed.repairs == before.repairs
    assert uow.committed.records == before.records


def test_what_an_application_would_be_refused_for_today_is_known_before_it_is_made(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    fine = submitted(uow, policy)
    person = fine.record.subject_id
    row = debtor_row(subject_id=fine.subject_number, subject_name="王秀英")
    debt = submitted(uow, policy, row, department="BJ-HCOURT")
    assert debt.record.subject_id == person
    early = repair_refusals(uow, policy, person)
    assert set(early) == {fine.record.id, debt.record.id}
    assert isinstance(early[fine.record.id], RepairTooEarly)
    assert isinstance(early[debt.record.id], RepairedByTheCourt)
    uow.at = on(REPAIR_FROM)
    now = repair_refusals(uow, policy, person)
    assert now[fine.record.id] is None
    assert isinstance(now[debt.record.id], RepairedByTheCourt)  # on any day: the court's
    _apply(uow, policy, fine)
    assert isinstance(repair_refusals(uow, policy, person)[fine.record.id], Conflict)  # open
    with pytest.raises(RepairedByTheCourt):  # the same rule as the application's
        _apply(uow, policy, debt)


def test_conduct_a_law_declares_unrepairable_is_refused_naming_that_law(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    law = "《中华人民共和国食品安全法》第一百三十五条"
    excluded = dataclasses.replace(
        policy,
        repairs=dataclasses.replace(policy.repairs, unrepairable={stored.record.item_code: law}),
    )
    uow.at = on(REPAIR_FROM)
    subject_id = stored.record.subject_id
    assert repair_refusals(uow, policy, subject_id) == {stored.record.id: None}
    refused = repair_refusals(uow, excluded, subject_id)[stored.record.id]
    assert isinstance(refused, Unrepairable)
    assert law in refused.detail
    before = uow.snapshot()
    with pytest.raises(Unrepairable, match=law):
        _apply(uow, excluded, stored)
    assert uow.committed == before
    assert _apply(uow, policy, stored).status is RepairStatus.APPLIED  # under the packaged rules
