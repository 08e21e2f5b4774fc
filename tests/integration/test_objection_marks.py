"""What may keep an objection mark on a subject's listings here, read in one query on both
databases (`ObjectionRepository.may_hold_marks`): an objection of theirs not decided, or a record
of theirs under objection; anybody else's counts for nothing."""

from __future__ import annotations

from collections.abc import Callable

from tests.factories import penalty_row
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.policy import Policy
from xinyong.services import objections
from xinyong.services.records import submit_record

UowFactory = Callable[[], SqlUnitOfWork]


def test_an_open_objection_or_a_marked_record_of_the_subjects_may_hold_their_marks(
    seeded: UowFactory, policy: Policy
) -> None:
    mine = submit_record(seeded(), policy, penalty_row(), department="BJ-AMR", actor="t")
    other = submit_record(seeded(), policy, penalty_row(), department="BJ-AMR", actor="t")
    a, b = mine.record.subject_id, other.record.subject_id

    def holds() -> tuple[bool, bool]:
        with seeded() as uow:
            return uow.objections.may_hold_marks(a), uow.objections.may_hold_marks(b)

    assert holds() == (False, False)
    objection = objections.file_objection(
        seeded(), policy, subject_id=a, record_id=mine.record.id, entry_id=None,
        ground="error_or_omission", reasons="不是我", actor="account:1",
    )  # fmt: skip
    assert holds() == (True, False)
    # The open objection holds on its own, its record unmarked.
    with seeded() as uow:
        record = uow.records.get(mine.record.id)
        record.mark_objection(False)
        uow.records.save_status(record)
        assert uow.objections.may_hold_marks(a)
    # Decided: nothing holds any more.
    objection_id = objection.id or 0
    objections.forward_objection(seeded(), policy, objection_id, department=None, actor="c")
    objections.decide_objection(
        seeded(), policy, objection_id, outcome="reject", reasons="记载无误",
        department="BJ-AMR", actor="amr",
    )  # fmt: skip
    assert holds() == (False, False)
    # A record marked without an objection here (a peer's copy, marked at its origin).
    with seeded() as uow:
        record = uow.records.get(other.record.id)
        record.mark_objection(True)
        uow.records.save_status(record)
        uow.commit()
    assert holds() == (False, True)
