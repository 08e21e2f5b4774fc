"""One record at a time on a real database: accepted once, refused whole, revoked for good."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from tests.factories import citizen_id, penalty_row
from xinyong.db.records import (
    CreditRecordRow,
    RecordRevisionRow,
    displayable_on,
    shown_between,
)
from xinyong.db.subjects import SubjectRow
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.calendar import business_day_starts
from xinyong.domain.errors import RowRejected
from xinyong.domain.lists import shown_between as domain_shown_between
from xinyong.domain.policy import Policy
from xinyong.domain.records import Outcome, RecordStatus, document_key
from xinyong.services.records import resolve_identity_review, revoke_record, submit_record
from xinyong.services.subjects import list_identity_reviews

UowFactory = Callable[[], SqlUnitOfWork]


def _count(make_uow: UowFactory, table: type) -> int:
    uow = make_uow()
    with uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_single_submission_is_accepted_then_unchanged(seeded: UowFactory, policy: Policy) -> None:
    row = penalty_row()
    first = submit_record(seeded(), policy, row, department="BJ-AMR", actor="t")
    second = submit_record(seeded(), policy, row, department="BJ-AMR", actor="t")
    assert first.outcome is Outcome.ACCEPTED
    assert second.outcome is Outcome.UNCHANGED
    assert first.record.id == second.record.id
    assert first.record.display_ends is not None


def test_a_refused_single_submission_writes_nothing(seeded: UowFactory, policy: Policy) -> None:
    with pytest.raises(RowRejected) as caught:
        submit_record(
            seeded(), policy, penalty_row(religion="佛教"), department="BJ-AMR", actor="t"
        )
    assert caught.value.problems[0].field == "religion"
    assert _count(seeded, CreditRecordRow) == 0
    assert _count(seeded, SubjectRow) == 0


def test_a_revoked_record_stays_revoked_when_resent(seeded: UowFactory, policy: Policy) -> None:
    row = penalty_row(fine_amount="300")
    stored = submit_record(seeded(), policy, row, department="BJ-AMR", actor="t")
    revoke_record(
        seeded(),
        policy,
        stored.record.id,
        department="BJ-AMR",
        reason="复议撤销原处罚决定",
        actor="t",
    )
    again = submit_record(
        seeded(), policy, {**row, "fine_amount": "400"}, department="BJ-AMR", actor="t"
    )
    assert again.outcome is Outcome.UPDATED
    assert again.record.status is RecordStatus.REVOKED


END = date(2027, 3, 1)
#: Each status with a display end the day before, on and after each day asked, and none at all.
DISPLAY_ENDS = (END - timedelta(days=1), END, END + timedelta(days=1), None)
DAYS = (END - timedelta(days=2), END - timedelta(days=1), END, END + timedelta(days=1))


def _stored_with(seeded: UowFactory, policy: Policy, **columns: object) -> int:
    """A record submitted, then its stored columns set to `columns` (states and moments no
    submission on today's clock makes); return its id."""
    stored = submit_record(seeded(), policy, penalty_row(), department="BJ-AMR", actor="test")
    with seeded() as uow:
        uow.session.execute(
            update(CreditRecordRow).where(CreditRecordRow.id == stored.record.id).values(**columns)
        )
        uow.commit()
    return stored.record.id


def _records(seeded: UowFactory, policy: Policy) -> list[int]:
    return [
        _stored_with(seeded, policy, status=status.value, display_ends=display_ends)
        for status in RecordStatus
        for display_ends in DISPLAY_ENDS
    ]


def test_the_sql_display_rule_agrees_with_the_domain_on_every_boundary_day(
    seeded: UowFactory, policy: Policy
) -> None:
    ids = _records(seeded, policy)
    with seeded() as uow:
        records = [uow.records.get(i) for i in ids]
        assert {(r.status, r.display_ends) for r in records} == {
            (s, e) for s in RecordStatus for e in DISPLAY_ENDS
        }
        for day in DAYS:
            in_sql = set(
                uow.session.scalars(
                    select(CreditRecordRow.id).where(
                        CreditRecordRow.id.in_(ids), displayable_on(day)
                    )
                )
            )
            in_domain = {r.id for r in records if r.is_displayable_on(day)}
            assert in_sql == in_domain, day
            assert in_domain  # each day has displayable records and others, so both can differ
            assert in_domain != set(ids)


def test_the_sweep_finds_exactly_the_active_records_the_domain_no_longer_displays(
    seeded: UowFactory, policy: Policy
) -> None:
    ids = _records(seeded, policy)
    with seeded() as uow:
        records = [uow.records.get(i) for i in ids]
        for day in DAYS:
            due = {r.id for r in uow.records.past_display(day, limit=1000)}
            expected = {
                r.id
                for r in records
                if r.status is RecordStatus.ACTIVE and not r.is_displayable_on(day)
            }
            assert due == expected, day


#: A clean window's first day; decisions before, on and after it and after `day`; a record's
#: last change the moment before and at the start of the day after `START` in China.
START = date(2026, 3, 1)
DAY = date(2029, 3, 1)
DECIDED = (START - timedelta(days=30), START, START + timedelta(days=1), DAY + timedelta(days=1))
CHANGED = (
    business_day_starts(START + timedelta(days=1)) - timedelta(microseconds=1),
    business_day_starts(START + timedelta(days=1)),
)


def test_the_sql_clean_window_rule_agrees_with_the_domain_on_every_boundary(
    seeded: UowFactory, policy: Policy
) -> None:
    """The derived clean status finds persons shown in its window in SQL, without opening a
    record: the same rule as the domain's window (`shown_window`, `shown_between`)."""
    ends = (START - timedelta(days=1), START, START + timedelta(days=1), None)
    ids = [
        _stored_with(
            seeded,
            policy,
            status=status.value,
            display_ends=display_ends,
            decision_date=decided,
            updated_at=changed,
        )
        for status in RecordStatus
        for display_ends in ends
        for decided in DECIDED
        for changed in CHANGED
    ]
    with seeded() as uow:
        records = [uow.records.get(i) for i in ids]
        in_sql = set(
            uow.session.scalars(
                select(CreditRecordRow.id).where(
                    CreditRecordRow.id.in_(ids), shown_between(START, DAY)
                )
            )
        )
    in_domain = {r.id for r in records if domain_shown_between(r.shown_window(), START, DAY)}
    assert in_sql == in_domain
    assert 0 < len(in_domain) < len(ids) // 2  # both kinds, and the boundaries decide


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
    resolve_identity_review(
        seeded(), policy, review.id, same_person=False, note="核对原件", actor="c"
    )
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
    resolve_identity_review(
        seeded(), policy, review.id, same_person=True, note="误填号码", actor="c"
    )
    with seeded() as uow:
        record = uow.records.get(first.record.id)
        assert (record.subject_id, record.status) == (first.record.subject_id, RecordStatus.ACTIVE)
        assert record.content_hash == first.record.content_hash  # the resubmission was dropped
