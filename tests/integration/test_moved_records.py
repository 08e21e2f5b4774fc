"""A record an identity review moves to another person, on both databases: the cases the person
it named before filed about it close undecided (`not_about_subject`), each told to them and
audited; the record's mark stays only for the new person's own objection; the versions it had
while it was the first person's stay theirs (on PostgreSQL, in their partition)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select, text

from tests.conftest import Clock
from tests.factories import citizen_id, penalty_row
from xinyong.db.audit import AuditEventRow
from xinyong.db.records import RecordRevisionRow
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.audit import EventTag
from xinyong.domain.deadlines import NoticeKind
from xinyong.domain.objections import NOT_ABOUT_SUBJECT, ObjectionStatus
from xinyong.domain.objections import file_objection as new_objection
from xinyong.domain.policy import Policy
from xinyong.domain.repairs import RepairStatus
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


def test_moving_a_record_closes_the_first_persons_cases_tells_them_and_audits_each(
    seeded: UowFactory, policy: Policy, clock: Clock
) -> None:
    clock.at = REPAIR_DAY
    row = penalty_row(subject_name="王秀英")
    stored, objection_id, repair_id = _record_of_a_with_cases(seeded, policy, row)
    a, record_id = stored.record.subject_id, stored.record.id
    with seeded() as uow:
        assert uow.records.get(record_id).under_objection

    b, _ = _move_to_b(seeded, policy, row)

    with seeded() as uow:
        record = uow.records.get(record_id)
        assert record.subject_id == b
        assert not record.under_objection
        closed = uow.objections.get(objection_id)
        assert (closed.subject_id, closed.status) == (a, ObjectionStatus.DECIDED)
        assert closed.outcome == NOT_ABOUT_SUBJECT
        assert uow.repairs.get(repair_id).status is RepairStatus.NOT_ABOUT_SUBJECT
        assert uow.objections.open(None) == []
        assert uow.repairs.open(None) == []
        told = [(n.kind, n.entity_type, n.entity_id) for n in uow.deadlines.notices_of(a)]
        assert told == [
            (NoticeKind.CASE_CLOSED, "objection", objection_id),
            (NoticeKind.CASE_CLOSED, "repair", repair_id),
        ]
        assert uow.deadlines.notices_of(b) == []
        assert closings_audited(uow) == [
            (EventTag.OBJECTION_CLOSED.value, str(objection_id), a),
            (EventTag.REPAIR_CLOSED.value, str(repair_id), a),
        ]


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


def test_the_mark_stays_for_the_new_persons_own_open_objection(
    seeded: UowFactory, policy: Policy, clock: Clock
) -> None:
    clock.at = REPAIR_DAY
    row = penalty_row(subject_name="王秀英")
    stored, objection_id, _ = _record_of_a_with_cases(seeded, policy, row)
    record_id = stored.record.id
    moved = {**row, "subject_id": citizen_id(), "subject_name": "张伟", "fine_amount": "6000"}
    submit_record(seeded(), policy, moved, department="BJ-AMR", actor="t")
    [review] = list_identity_reviews(seeded())
    assert review.other_subject_id is not None
    b = review.other_subject_id
    with seeded() as uow:
        # B's own objection to the record, stored as one filed before an earlier move would be.
        own = new_objection(
            subject_id=b, record_id=record_id, entry_id=None, department="BJ-AMR",
            ground="error_or_omission", reasons="有误", filed_by="account:2", at=uow.now(),
            on=REPAIR_DAY.date(), rules=policy.objections,
        )  # fmt: skip
        uow.objections.add(own)
        uow.commit()
    resolve_identity_review(
        seeded(), policy, review.id, same_person=False, note="核对原件", actor="centre"
    )

    with seeded() as uow:
        assert uow.objections.get(objection_id).outcome == NOT_ABOUT_SUBJECT
        assert own.id is not None
        assert uow.objections.get(own.id).status is ObjectionStatus.FILED
        assert uow.records.get(record_id).under_objection


def closings_audited(uow: SqlUnitOfWork) -> list[tuple[str, str, int | None]]:
    """Each case closed because its record is another person's, as audited, oldest first."""
    rows = uow.session.execute(
        select(AuditEventRow.tag, AuditEventRow.entity_id, AuditEventRow.subject_id)
        .where(AuditEventRow.tag.in_([EventTag.OBJECTION_CLOSED, EventTag.REPAIR_CLOSED]))
        .order_by(AuditEventRow.id)
    ).all()
    return [(str(tag), str(entity), subject) for tag, entity, subject in rows]
