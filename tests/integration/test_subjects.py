"""Roles tie a known person to a known organisation; numbers never leak into the errors. A
document an identity review moves to another person tells whoever received it before."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.factories import agency_key, citizen_id, credit_code, penalty_row
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.catalog import SubjectType
from xinyong.domain.errors import Conflict, Invalid, NotFound
from xinyong.domain.feed import FeedKind
from xinyong.domain.policy import Policy
from xinyong.domain.subjects import RoleKind, Subject
from xinyong.services import authorisations
from xinyong.services.records import resolve_identity_review, submit_record
from xinyong.services.subjects import list_identity_reviews, record_role, roles_of

UowFactory = Callable[[], SqlUnitOfWork]
AGENCY = "AGENCY-BAIHANG"


def _known(make_uow: UowFactory) -> tuple[str, str, int, int]:
    person, organisation = citizen_id(), credit_code()
    subjects = [
        Subject(None, SubjectType.PERSON, person, "张三", date(1980, 5, 17)),
        Subject(None, SubjectType.ORGANISATION, organisation, "北京某某科技有限公司"),
    ]
    uow = make_uow()
    with uow:
        uow.subjects.add_many(subjects, at=datetime(2026, 1, 1, tzinfo=UTC))
        uow.commit()
    return person, organisation, subjects[0].id or 0, subjects[1].id or 0


def test_a_legal_representative_is_recorded_and_listed_for_both_sides(make_uow: UowFactory) -> None:
    person, organisation, person_id, organisation_id = _known(make_uow)
    role = record_role(
        make_uow(),
        organisation=organisation,
        person=person,
        kind=RoleKind.LEGAL_REPRESENTATIVE,
        since=date(2020, 1, 1),
        until=None,
        actor="t",
    )
    assert (role.person_id, role.organisation_id) == (person_id, organisation_id)
    assert roles_of(make_uow(), person_id) == [role]
    assert roles_of(make_uow(), organisation_id) == [role]
    with pytest.raises(Conflict):
        record_role(
            make_uow(),
            organisation=organisation,
            person=person,
            kind=RoleKind.LEGAL_REPRESENTATIVE,
            since=date(2020, 1, 1),
            until=None,
            actor="t",
        )


def test_an_unknown_person_is_not_found_and_the_number_is_not_repeated(
    make_uow: UowFactory,
) -> None:
    _, organisation, _, _ = _known(make_uow)
    stranger = citizen_id()
    with pytest.raises(NotFound) as caught:
        record_role(
            make_uow(),
            organisation=organisation,
            person=stranger,
            kind=RoleKind.ACTUAL_CONTROLLER,
            since=date(2021, 3, 1),
            until=None,
            actor="t",
        )
    assert stranger not in caught.value.detail


def test_an_invalid_number_or_backwards_dates_are_refused(make_uow: UowFactory) -> None:
    person, organisation, _, _ = _known(make_uow)
    with pytest.raises(Invalid):
        record_role(
            make_uow(),
            organisation=organisation,
            person="11010519491231002Y",
            kind=RoleKind.PRINCIPAL_RESPONSIBLE,
            since=date(2021, 3, 1),
            until=None,
            actor="t",
        )
    with pytest.raises(Invalid):
        record_role(
            make_uow(),
            organisation=organisation,
            person=person,
            kind=RoleKind.PRINCIPAL_RESPONSIBLE,
            since=date(2021, 3, 1),
            until=date(2020, 1, 1),
            actor="t",
        )


def test_a_document_a_review_moves_to_another_person_tells_the_agency_that_received_it(
    seeded: UowFactory, policy: Policy
) -> None:
    row = penalty_row(subject_id=citizen_id(born=date(1986, 9, 9)), subject_name="王秀英")
    first = submit_record(seeded(), policy, row, department="BJ-AMR", actor="t")
    now = seeded().now()
    authorisations.grant_authorisation(
        seeded(),
        policy,
        subject_id=first.record.subject_id,
        grantee=AGENCY,
        purpose="loan_approval",
        scope="records",
        expires_on=now.date() + timedelta(days=30),
        actor="account:1",
    )
    caller = agency_key(seeded(), AGENCY, at=now)
    authorisations.agency_query(
        seeded(),
        policy,
        caller=caller,
        number=first.subject_number,
        purpose="loan_approval",
        scope="records",
    )
    other = citizen_id(born=date(1987, 10, 10))
    moved = {**row, "subject_id": other, "subject_name": "张伟"}
    submit_record(seeded(), policy, moved, department="BJ-AMR", actor="t")
    [review] = list_identity_reviews(seeded())
    resolve_identity_review(
        seeded(), policy, review.id, same_person=False, note="核对原件", actor="c"
    )
    with seeded() as uow:
        # Told of the hold at once (a mark, asking nothing back), then of the move.
        [hold, item] = uow.feed.after(AGENCY, 0, limit=10)
        owed = uow.feed.acknowledgement(item.seq or 0)
        assert uow.feed.acknowledgement(hold.seq or 0) is None
    assert (hold.kind, hold.entity_id) == (FeedKind.IDENTITY_HOLD, first.record.id)
    assert (item.kind, item.entity_type, item.entity_id) == (
        FeedKind.CORRECTED,
        "record",
        first.record.id,
    )
    assert item.detail == (
        f"ADM-PEN-01 {row['document_number']}: resubmitted by BJ-AMR about another person, as"
        " an identity review confirmed; the earlier version is kept"
    )
    assert first.subject_number not in item.detail
    assert other not in item.detail
    assert owed is not None
    assert (owed.agency, owed.subject_id) == (AGENCY, first.record.subject_id)
