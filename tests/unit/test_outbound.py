"""Outbound wiring over the fakes: every service that changes a record, a listing or an
objection mark queues exactly one event per entity it changed, in its own transaction."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from tests.factories import citizen_id, commitment_row, local_policy, penalty_row
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import court_listing, on, submitted
from tests.unit.test_moved_records import _moved, _resolve
from xinyong.domain.batches import BatchSource
from xinyong.domain.exchange import (
    Entity,
    EntityType,
    EventKind,
    Sharing,
    change_problems,
    subject_reference,
)
from xinyong.domain.lists import EntryState, ListEntry
from xinyong.domain.policy import Policy, load_policy
from xinyong.domain.records import RecordStatus
from xinyong.services import decided_lists, list_proposals, lists, objections, repairs
from xinyong.services.batches import ingest_batch
from xinyong.services.departments import sync_departments
from xinyong.services.expiry import sweep
from xinyong.services.outbound import LISTING_CONTESTED, OBJECTION_OUTCOME, queue_listing
from xinyong.services.records import revoke_record

K = EventKind


@pytest.fixture
def node(uow: FakeUnitOfWork) -> FakeUnitOfWork:
    """The platform as exchange node BJ."""
    uow.committed.node_code = "BJ"
    return uow


def queued(uow: FakeUnitOfWork, since: int = 0) -> list[tuple[EventKind, EntityType]]:
    return [(c.kind, c.entity.type) for c in uow.committed.outbox[since:]]


def mark(uow: FakeUnitOfWork) -> int:
    return len(uow.committed.outbox)


def test_a_platform_that_is_no_node_queues_nothing(uow: FakeUnitOfWork, policy: Policy) -> None:
    submitted(uow, policy)
    assert uow.committed.outbox == []


def test_accepting_updating_and_resending_a_record(node: FakeUnitOfWork, policy: Policy) -> None:
    row = penalty_row()
    stored = submitted(node, policy, row)
    assert queued(node) == [(K.RECORD_ACCEPTED, EntityType.RECORD)]
    (change,) = node.committed.outbox
    assert change_problems(change) == []
    assert change.entity.key == f"BJ-AMR:{stored.record.document_number}"
    assert change.subject_ref == subject_reference(change.subject.type, stored.subject_number)
    assert stored.subject_number not in change.subject_ref
    assert change.sharing is Sharing.PUBLIC
    state = change.state
    assert state["status"] == "active"
    row_sent = state["row"]
    assert isinstance(row_sent, dict)
    assert "subject_id" not in row_sent  # the number travels sealed, as the subject's identity
    assert row_sent["document_number"] == row["document_number"]

    before = mark(node)
    submitted(node, policy, row)  # the same content: nothing happened
    assert queued(node, before) == []
    submitted(node, policy, {**row, "fine_amount": "6000"})
    assert queued(node, before) == [(K.RECORD_UPDATED, EntityType.RECORD)]


def test_a_batch_queues_one_event_per_stored_row(node: FakeUnitOfWork, policy: Policy) -> None:
    rows = [penalty_row(), penalty_row(), penalty_row(subject_id="110105194912310021")]
    summary = ingest_batch(
        node,
        policy,
        enumerate(rows, start=1),
        department="BJ-AMR",
        actor="feed",
        source=BatchSource.API,
        chunk_rows=2,
    )
    assert summary.accepted == 2
    assert queued(node) == [(K.RECORD_ACCEPTED, EntityType.RECORD)] * 2


def test_a_revocation_queues_the_record_and_each_listing_that_ended(
    node: FakeUnitOfWork, policy: Policy
) -> None:
    stored, _ = court_listing(node, policy)
    assert queued(node) == [
        (K.RECORD_ACCEPTED, EntityType.RECORD),
        (K.LISTING_IN_FORCE, EntityType.LISTING),
    ]
    listing = node.committed.outbox[1]
    records = listing.state["records"]
    assert records == [node.committed.outbox[0].entity.key]
    before = mark(node)
    revoke_record(node, policy, stored.record.id, department=None, reason="判决撤销", actor="court")
    assert queued(node, before) == [
        (K.RECORD_REVOKED, EntityType.RECORD),
        (K.LISTING_ENDED, EntityType.LISTING),
    ]
    assert node.committed.outbox[-1].entity == listing.entity


def test_an_extension_queues_listing_extended(node: FakeUnitOfWork, policy: Policy) -> None:
    _, entry = court_listing(node, policy)
    before = mark(node)
    decided_lists.extend_listing(
        node,
        policy,
        entry.id or 0,
        months=36,
        decided_on=date(2026, 11, 20),
        department="BJ-HCOURT",
        actor="court",
    )
    assert queued(node, before) == [(K.LISTING_EXTENDED, EntityType.LISTING)]


def test_an_objection_sets_and_clears_marks_and_a_stopped_display_is_a_correction(
    node: FakeUnitOfWork, policy: Policy
) -> None:
    stored, _ = court_listing(node, policy)
    before = mark(node)
    objection = objections.file_objection(
        node,
        policy,
        subject_id=stored.record.subject_id,
        record_id=stored.record.id,
        entry_id=None,
        ground="error_or_omission",
        reasons="该案已执行完毕，记载有误",
        evidence=(),
        actor="account:1",
    )
    assert queued(node, before) == [
        (K.OBJECTION_MARK_SET, EntityType.RECORD),
        (K.OBJECTION_MARK_SET, EntityType.LISTING),
    ]
    # The listing's mark follows the record's objection: the record's event alone tells peers.
    assert LISTING_CONTESTED not in node.committed.outbox[-1].state
    objections.forward_objection(node, policy, objection.id or 0, department=None, actor="c")
    before = mark(node)
    objections.decide_objection(
        node,
        policy,
        objection.id or 0,
        outcome="stop_display",
        reasons="经核查作出决定",
        department="BJ-HCOURT",
        actor="court",
    )
    assert queued(node, before) == [
        (K.OBJECTION_MARK_CLEARED, EntityType.RECORD),
        (K.OBJECTION_MARK_CLEARED, EntityType.LISTING),
        (K.RECORD_CORRECTED, EntityType.RECORD),
        (K.LISTING_ENDED, EntityType.LISTING),
    ]
    # The lift carries the decision's outcome, which a peer tells its own recipients.
    assert node.committed.outbox[before].state[OBJECTION_OUTCOME] == "stop_display"
    assert OBJECTION_OUTCOME not in node.committed.outbox[before + 1].state


def test_an_objection_to_a_listing_says_so_on_its_mark_and_its_lift_carries_the_outcome(
    node: FakeUnitOfWork, policy: Policy
) -> None:
    stored, entry = court_listing(node, policy)
    before = mark(node)
    objection = objections.file_objection(
        node,
        policy,
        subject_id=stored.record.subject_id,
        record_id=None,
        entry_id=entry.id,
        ground="error_or_omission",
        reasons="名单记载有误",
        evidence=(),
        actor="account:1",
    )
    assert queued(node, before) == [(K.OBJECTION_MARK_SET, EntityType.LISTING)]
    set_ = node.committed.outbox[before]
    assert set_.state[LISTING_CONTESTED] is True
    assert change_problems(set_) == []
    objections.forward_objection(node, policy, objection.id or 0, department=None, actor="c")
    before = mark(node)
    objections.decide_objection(
        node,
        policy,
        objection.id or 0,
        outcome="remove_from_list",
        reasons="经核查移出名单",
        department="BJ-HCOURT",
        actor="court",
    )
    assert queued(node, before) == [
        (K.OBJECTION_MARK_CLEARED, EntityType.LISTING),
        (K.LISTING_ENDED, EntityType.LISTING),
    ]
    lifted, ended = node.committed.outbox[before:]
    assert lifted.state[OBJECTION_OUTCOME] == "remove_from_list"
    assert LISTING_CONTESTED not in lifted.state
    assert OBJECTION_OUTCOME not in ended.state
    assert LISTING_CONTESTED not in ended.state


def test_a_case_closed_by_a_move_lifts_the_mark_with_no_outcome(
    node: FakeUnitOfWork, policy: Policy
) -> None:
    """Closed because its record is another person's, an objection was decided by nobody: the
    lift carries no outcome (the event schema knows only the decisions' outcomes)."""
    _moved(node, policy)
    before = mark(node)
    _resolve(node, policy)
    lifted = [
        c
        for c in node.committed.outbox[before:]
        if c.kind is K.OBJECTION_MARK_CLEARED and c.entity.type is EntityType.RECORD
    ]
    assert len(lifted) == 1
    assert OBJECTION_OUTCOME not in lifted[0].state


def test_a_repair_queues_record_repaired(node: FakeUnitOfWork, policy: Policy) -> None:
    stored = submitted(node, policy)
    node.at = on(date(2026, 12, 1))
    repair = repairs.apply_for_repair(
        node,
        policy,
        subject_id=stored.record.subject_id,
        record_id=stored.record.id,
        obligations_performed=True,
        commitment="本人承诺已缴清罚款并停止违法行为，今后诚信守法经营，如有违反愿承担相应责任。",
        evidence=[("缴款凭证.pdf", "application/pdf", b"%PDF")],
        actor="account:1",
    )
    repairs.accept_repair(node, repair.id or 0, department="BJ-AMR", actor="amr")
    before = mark(node)
    repairs.decide_repair(
        node,
        policy,
        repair.id or 0,
        repaired=True,
        reasons="罚款已缴清，准予修复",
        department="BJ-AMR",
        actor="amr",
    )
    assert queued(node, before) == [(K.RECORD_REPAIRED, EntityType.RECORD)]
    assert node.committed.outbox[-1].state["status"] == RecordStatus.REPAIRED.value


def test_the_sweep_queues_record_expired(node: FakeUnitOfWork, policy: Policy) -> None:
    submitted(node, policy)
    before = mark(node)
    node.at = on(date(2027, 9, 1))
    sweep(node, policy, actor="sweep")
    assert queued(node, before) == [(K.RECORD_EXPIRED, EntityType.RECORD)]
    assert node.committed.outbox[-1].state["status"] == RecordStatus.EXPIRED.value


def test_a_listing_through_its_procedure_is_queued_only_once_decided(
    node: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(node, policy, penalty_row(fine_amount="80000"))  # serious, as FOOD needs
    before = mark(node)
    view = list_proposals.propose(
        node,
        policy,
        list_code="FOOD-DRUG-SERIOUS",
        subject_number=stored.subject_number,
        grounds="多次销售超过保质期的食品",
        basis_records=[stored.record.id],
        department="BJ-AMR",
        actor="amr-officer",
    )
    entry_id = view.entry.id or 0
    lists.serve_notice(node, policy, entry_id, department="BJ-AMR", actor="amr-clerk")
    assert queued(node, before) == []  # the procedure before a decision stays here
    node.at = on(date(2026, 11, 30))
    lists.decide(
        node, policy, entry_id, reasons="查证属实", months=None, department="BJ-AMR", actor="a"
    )
    assert queued(node, before) == [(K.LISTING_IN_FORCE, EntityType.LISTING)]


def test_an_entity_from_another_origin_and_a_paused_outbox_queue_nothing(
    node: FakeUnitOfWork, policy: Policy
) -> None:
    row = penalty_row(subject_id=citizen_id())
    key = f"BJ-AMR:{row['document_number']}"
    node.committed.owners[Entity(EntityType.RECORD, key)] = "SH"
    submitted(node, policy, row)
    assert node.committed.outbox == []
    with node:
        node.outbox.pause()
        assert node.outbox.origin() is None
    with node:
        assert node.outbox.origin() == "BJ"  # each transaction starts unpaused


@pytest.mark.parametrize("list_code", ["FOOD-DRUG-SERIOUS", "FOOD-LICENCE-REVOKED"])
def test_a_local_items_record_and_a_listing_on_it_are_queued_for_no_peer(
    tmp_path: Path, list_code: str
) -> None:
    """A local item rests on a local legal basis only: its record, and a listing resting on it
    (on a published list or not), never leave their origin, even when the item is public."""
    local = load_policy(local_policy(tmp_path / "policy", public=True))
    node = FakeUnitOfWork(at=on(date(2026, 11, 20)))
    sync_departments(node, local.departments, actor="test")
    node.committed.node_code = "BJ"
    stored = submitted(node, local, commitment_row(), department="BJ-AMR-CY")
    national = submitted(node, local)
    assert [c.sharing for c in node.committed.outbox] == [Sharing.NEVER, Sharing.PUBLIC]

    list_type = local.list_types[list_code]
    entry = ListEntry(
        None,
        list_type,
        stored.record.subject_id,
        EntryState.DECIDED,
        "staff",
        "grounds",
        (stored.record.id,),
        decided_on=date(2026, 11, 20),
    )
    on_national = dataclasses.replace(entry, basis_records=(national.record.id,))
    with node:
        for listing in (entry, on_national):
            node.entries.add(listing, department="BJ-AMR-CY", source_record=None, at=node.now())
            queue_listing(node, local, listing)
        node.commit()
    national_sharing = Sharing.PUBLIC if list_type.published else Sharing.SHARED
    assert [c.sharing for c in node.committed.outbox[2:]] == [Sharing.NEVER, national_sharing]
