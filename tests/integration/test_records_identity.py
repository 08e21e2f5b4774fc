"""A record changes person only by review, and one document is one record whatever its brackets."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from tests.factories import citizen_id, penalty_row

from xinyong.db.records import CreditRecordRow, RecordRevisionRow
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.policy import Policy
from xinyong.domain.records import Outcome, RecordStatus, document_key
from xinyong.services.records import submit_record
from xinyong.services.subjects import list_identity_reviews, resolve_identity_review

UowFactory = Callable[[], SqlUnitOfWork]


def _count(make_uow: UowFactory, row: type) -> int:
    with make_uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(row)) or 0)


def test_one_document_is_one_record_whatever_its_brackets_widths_and_spaces(
    seeded: UowFactory, policy: Policy
) -> None:
    forms = [
        "京市监罚〔2025〕11号",
        "京市监罚[2025]11号",
        "京市监罚 （2025） 11号",
        "京市监罚【２０２５】１１号",
    ]
    assert len({document_key(f) for f in forms}) == 1
    row = penalty_row(document_number=forms[0])
    first = submit_record(seeded(), policy, row, department="BJ-AMR", actor="t")
    assert first.outcome is Outcome.ACCEPTED
    for form in forms[1:]:
        again = submit_record(
            seeded(), policy, {**row, "document_number": form}, department="BJ-AMR", actor="t"
        )
        assert again.record.id == first.record.id
    assert _count(seeded, CreditRecordRow) == 1


def test_a_resubmission_naming_another_person_is_held_for_review_never_moved(
    seeded: UowFactory, policy: Policy
) -> None:
    row = penalty_row(subject_name="王秀英")
    first = submit_record(seeded(), policy, row, department="BJ-AMR", actor="t")
    other = citizen_id()
    moved = {**row, "subject_id": other, "subject_name": "张伟"}
    held = submit_record(seeded(), policy, moved, department="BJ-AMR", actor="t")
    assert held.held_for_review
    assert held.record.id == first.record.id
    assert held.record.subject_id == first.record.subject_id  # not moved
    assert held.record.status is RecordStatus.IDENTITY_HOLD  # grounds nothing while in doubt
    [review] = list_identity_reviews(seeded())
    assert review.kind == "subject"
    assert review.subject_id == first.record.subject_id
    assert review.other_subject_id is not None
    assert other not in f"{review.known_value} {review.submitted_value}"  # masked

    # The review finds the document is about the other person: it moves, the old version kept.
    resolve_identity_review(seeded(), review.id, same_person=False, note="核对原件", actor="c")
    with seeded() as uow:
        record = uow.records.get(first.record.id)
        assert record.subject_id == review.other_subject_id
        assert record.status is RecordStatus.ACTIVE
        assert uow.subjects.get(record.subject_id).number == other
    assert _count(seeded, RecordRevisionRow) == 1


def test_a_review_may_keep_the_record_with_the_person_it_was_about(
    seeded: UowFactory, policy: Policy
) -> None:
    row = penalty_row(subject_name="王秀英")
    first = submit_record(seeded(), policy, row, department="BJ-AMR", actor="t")
    moved = {**row, "subject_id": citizen_id(), "subject_name": "张伟"}
    submit_record(seeded(), policy, moved, department="BJ-AMR", actor="t")
    [review] = list_identity_reviews(seeded())
    resolve_identity_review(seeded(), review.id, same_person=True, note="误填号码", actor="c")
    with seeded() as uow:
        record = uow.records.get(first.record.id)
        assert (record.subject_id, record.status) == (first.record.subject_id, RecordStatus.ACTIVE)
        assert record.content_hash == first.record.content_hash  # the resubmission was dropped
