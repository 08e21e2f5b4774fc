"""A record an identity review moves to another person, on both databases: the versions it had
while it was the first person's stay theirs (on PostgreSQL, in their partition)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select, text

from tests.conftest import Clock
from tests.factories import citizen_id, penalty_row
from xinyong.db.records import RecordRevisionRow
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.policy import Policy
from xinyong.services import objections, repairs
from xinyong.services.records import Stored, resolve_identity_review, submit_record
from xinyong.services.subjects import list_identity_reviews

UowFactory = Callable[[], SqlUnitOfWork]
COMMITMENT = "本人承诺已缴清罚款并停止违法行为，今后诚信守法经营，如有违反愿承担相应责任。"
#: The default fine (decided 1 September) may be repaired from 1 December.
REPAIR_DAY = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _record_of_a_with_cases(
    seeded: UowFactory, policy: Policy, row: dict[str, object]
) -> tuple[Stored, int, int]:
    """A's record, changed once (a revision of A's), with A's objection and repair application."""
    submit_record(seeded(), policy, row, department="BJ-AMR", actor="t")
    stored = submit_record(
        seeded(), policy, {**row, "fine_amount": "5500"}, department="BJ-AMR", actor="t"
    )
    a, record_id = stored.record.subject_id, stored.record.id
    objection = objections.file_objection(
        seeded(), policy, subject_id=a, record_id=record_id, entry_id=None,
        ground="error_or_omission", reasons="不是我", actor="account:1",
    )  # fmt: skip
    repair = repairs.apply_for_repair(
        seeded(), policy, subject_id=a, record_id=record_id, obligations_performed=True,
        commitment=COMMITMENT, actor="account:1",
    )  # fmt: skip
    assert objection.id is not None
    assert repair.id is not None
    return stored, objection.id, repair.id


def _move_to_b(
    seeded: UowFactory, policy: Policy, row: dict[str, object]
) -> tuple[int, dict[str, object]]:
    """The document resubmitted naming B, found by an identity review to be B's: B's id, and
    the row as B's."""
    moved = {**row, "subject_id": citizen_id(), "subject_name": "张伟", "fine_amount": "6000"}
    submit_record(seeded(), policy, moved, department="BJ-AMR", actor="t")
    [review] = list_identity_reviews(seeded())
    resolve_identity_review(
        seeded(), policy, review.id, same_person=False, note="核对原件", actor="centre"
    )
    assert review.other_subject_id is not None
    return review.other_subject_id, moved


def test_revisions_written_before_the_move_stay_the_first_persons(
    seeded: UowFactory, policy: Policy, clock: Clock
) -> None:
    clock.at = REPAIR_DAY
    row = penalty_row(subject_name="王秀英")
    stored, _, _ = _record_of_a_with_cases(seeded, policy, row)
    a, record_id = stored.record.subject_id, stored.record.id
    b, as_bs = _move_to_b(seeded, policy, row)
    # B's version changed again under B (the set write keeps it as a revision of B's).
    again = {**as_bs, "fine_amount": "6500"}
    submit_record(seeded(), policy, again, department="BJ-AMR", actor="t")

    revision = RecordRevisionRow
    with seeded() as uow:
        rows = uow.session.execute(
            select(revision.subject_id, revision.record_subject_id, revision.record_id).order_by(
                revision.id
            )
        ).all()
        # The two versions the record had while it was A's stay A's history; B's own later one is
        # B's; every revision still refers to the record where it is now.
        assert [tuple(r) for r in rows] == [(a, b, record_id), (a, b, record_id), (b, b, record_id)]
        of_b = uow.session.scalars(select(revision.id).where(revision.subject_id == b)).all()
        assert len(of_b) == 1
        if uow.session.get_bind().dialect.name == "postgresql":
            # Each person's revisions are in their own partition: A's where A's rows are.
            where = text(
                "SELECT DISTINCT subject_id, tableoid::regclass::text FROM record_revisions"
            )
            partitions = {int(s): str(p) for s, p in uow.session.execute(where).all()}
            assert set(partitions) == {a, b}
            assert all(p.startswith("record_revisions_h") for p in partitions.values())
