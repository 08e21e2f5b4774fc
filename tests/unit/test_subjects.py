"""Subjects over the fakes: who answers for an organisation, and the identity-review queue."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import citizen_id, credit_code, debtor_row, penalty_row
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import authorised_query, court_listing, submitted
from xinyong.domain.audit import EventTag
from xinyong.domain.catalog import SubjectType
from xinyong.domain.checks import ChangeKind
from xinyong.domain.errors import Conflict, Invalid, NotFound
from xinyong.domain.feed import FeedKind
from xinyong.domain.lists import EntryState
from xinyong.domain.policy import Policy
from xinyong.domain.querylog import Delivered, ItemKind, QueryEntry, QueryKind, encode_returned
from xinyong.domain.records import RecordStatus
from xinyong.domain.subjects import ReviewResolution, Role, RoleKind, Subject
from xinyong.services import list_proposals
from xinyong.services.feed import key_of
from xinyong.services.records import resolve_identity_review
from xinyong.services.subjects import (
    find_subject,
    list_identity_reviews,
    record_role,
    roles_of,
)


def _known(uow: FakeUnitOfWork) -> tuple[Subject, Subject]:
    """A person and an organisation the platform knows."""
    person = Subject(None, SubjectType.PERSON, citizen_id(), "张三", date(1980, 5, 17))
    organisation = Subject(None, SubjectType.ORGANISATION, credit_code(), "北京某某科技有限公司")
    with uow:
        uow.subjects.add_many([person, organisation], at=uow.now())
        uow.commit()
    return person, organisation


def _role(
    uow: FakeUnitOfWork, organisation: str, person: str, *, until: date | None = None
) -> Role:
    return record_role(
        uow,
        organisation=organisation,
        person=person,
        kind=RoleKind.LEGAL_REPRESENTATIVE,
        since=date(2020, 1, 1),
        until=until,
        actor="amr-clerk",
    )


def test_a_role_is_recorded_for_both_sides_and_the_checks_are_told(uow: FakeUnitOfWork) -> None:
    person, organisation = _known(uow)
    assert person.id is not None
    assert organisation.id is not None
    role = _role(uow, organisation.number, person.number)
    assert roles_of(uow, person.id) == [role]
    assert roles_of(uow, organisation.id) == [role]
    [change] = uow.committed.changes
    assert (change.kind, change.subject_id, change.entity_id) == (
        ChangeKind.ROLE,
        person.id,
        organisation.id,
    )
    [event] = [e for e in uow.committed.audit if e.tag is EventTag.ROLE_RECORDED]
    assert (event.actor, event.subject_id) == ("amr-clerk", person.id)


def test_the_same_role_from_the_same_day_is_a_conflict_and_nothing_is_committed(
    uow: FakeUnitOfWork,
) -> None:
    person, organisation = _known(uow)
    _role(uow, organisation.number, person.number)
    before = uow.snapshot()
    with pytest.raises(Conflict):
        _role(uow, organisation.number, person.number)
    assert uow.committed == before


def test_an_unknown_person_or_organisation_is_not_found_and_never_named(
    uow: FakeUnitOfWork,
) -> None:
    person, organisation = _known(uow)
    stranger, unknown_organisation = citizen_id(), credit_code()
    for org, who in ((organisation.number, stranger), (unknown_organisation, person.number)):
        with pytest.raises(NotFound) as caught:
            _role(uow, org, who)
        assert stranger not in caught.value.detail
        assert unknown_organisation not in caught.value.detail
    assert uow.committed.roles == []


def test_a_malformed_number_or_backwards_dates_are_refused(uow: FakeUnitOfWork) -> None:
    person, organisation = _known(uow)
    with pytest.raises(Invalid, match="person"):
        _role(uow, organisation.number, "11010519491231002Y")
    with pytest.raises(Invalid, match="organisation"):
        _role(uow, person.number, person.number)
    with pytest.raises(Invalid, match="until"):
        _role(uow, organisation.number, person.number, until=date(2019, 12, 31))
    assert uow.committed.roles == []


def test_a_subject_is_found_by_its_number_and_of_its_kind_only(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    with uow:
        found = find_subject(uow, stored.subject_number, SubjectType.PERSON)
        assert found.id == stored.record.subject_id
        with pytest.raises(NotFound) as caught:
            find_subject(uow, citizen_id(), SubjectType.PERSON)
        assert "no person with that number" in caught.value.detail
        with pytest.raises(Invalid, match="credit code"):
            find_subject(uow, stored.subject_number, SubjectType.ORGANISATION)


def _held(uow: FakeUnitOfWork, policy: Policy) -> int:
    """A record held for review (a name that disagrees with the known one); its review's id."""
    number = citizen_id()
    submitted(uow, policy, penalty_row(subject_id=number, subject_name="李建国"))
    submitted(uow, policy, penalty_row(subject_id=number, subject_name="李建围"))
    [review] = list_identity_reviews(uow)
    return review.id


def test_the_same_person_releases_the_held_record_and_a_review_is_resolved_once(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    review_id = _held(uow, policy)
    resolved = resolve_identity_review(
        uow, policy, review_id, same_person=True, note="户籍核实为同一人，曾用名", actor="centre-1"
    )
    assert (resolved.is_open, resolved.resolution) == (False, ReviewResolution.SAME_PERSON)
    with uow:
        assert uow.records.get(resolved.record_id).status is RecordStatus.ACTIVE
    assert list_identity_reviews(uow) == []
    assert [r.id for r in list_identity_reviews(uow, status="resolved")] == [review_id]
    before = uow.snapshot()
    with pytest.raises(Conflict):
        resolve_identity_review(
            uow, policy, review_id, same_person=False, note="改判", actor="centre-2"
        )
    assert uow.committed == before


def test_another_person_keeps_the_record_withheld(uow: FakeUnitOfWork, policy: Policy) -> None:
    review_id = _held(uow, policy)
    resolved = resolve_identity_review(
        uow, policy, review_id, same_person=False, note="号码被冒用", actor="centre-1"
    )
    assert resolved.resolution is ReviewResolution.DIFFERENT_PERSON
    with uow:
        assert uow.records.get(resolved.record_id).status is RecordStatus.IDENTITY_HOLD
    [event] = [e for e in uow.committed.audit if e.tag is EventTag.IDENTITY_REVIEW_RESOLVED]
    assert event.data == {"resolution": "different_person", "record_id": resolved.record_id}


# A number whose region code no table knows: accepted, in force, and flagged for review


def test_an_unknown_region_code_is_accepted_in_force_and_flagged_once_for_review(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    number = citizen_id(region="990101")
    first = submitted(uow, policy, penalty_row(subject_id=number))
    submitted(uow, policy, penalty_row(subject_id=number))  # a second record: no second review
    assert (first.record.status, first.held_for_review) == (RecordStatus.ACTIVE, False)
    [review] = list_identity_reviews(uow)
    assert (review.kind, review.submitted_value, review.holds_record) == ("region", "990101", False)
    assert (review.subject_id, review.record_id) == (first.record.subject_id, first.record.id)
    [event] = [e for e in uow.committed.audit if e.tag is EventTag.IDENTITY_FLAGGED]
    assert event.data["review_id"] == review.id
    assert number not in repr(event)
    submitted(uow, policy, penalty_row(subject_id=citizen_id(region="110105")))  # a known code
    assert len(list_identity_reviews(uow)) == 1

    confirmed = resolve_identity_review(
        uow, policy, review.id, same_person=True, note="公安户籍核实号码无误", actor="centre-1"
    )
    assert confirmed.resolution is ReviewResolution.SAME_PERSON
    with uow:
        assert uow.records.get(first.record.id).status is RecordStatus.ACTIVE


def test_a_flagged_number_found_not_the_persons_withholds_the_record_and_its_listings(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    number = citizen_id(region="990101")
    # A fine of 80,000 yuan: serious, as the food-safety list needs.
    stored = submitted(uow, policy, penalty_row(subject_id=number, fine_amount="80000"))
    view = list_proposals.propose(
        uow,
        policy,
        list_code="FOOD-DRUG-SERIOUS",
        subject_number=number,
        grounds="多次销售超过保质期的食品",
        basis_records=[stored.record.id],
        department="BJ-AMR",
        actor="amr-1",
    )
    [review] = list_identity_reviews(uow)
    resolve_identity_review(
        uow, policy, review.id, same_person=False, note="号码系伪造", actor="centre-1"
    )
    with uow:
        assert uow.records.get(stored.record.id).status is RecordStatus.IDENTITY_HOLD
        entry = uow.entries.get(view.entry.id or 0, policy.list_types)
    assert entry.state is EntryState.WITHDRAWN  # the proposal rested on that record alone


def test_a_withheld_record_and_the_listing_it_ended_are_told_to_whoever_received_them(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored, entry = court_listing(uow, policy, debtor_row(subject_id=citizen_id(region="990101")))
    authorised_query(uow, policy, stored, "AGENCY-BAIHANG")  # the agency receives the record
    with uow:  # a check that returned the listing
        key = key_of(uow.subjects.get(stored.record.subject_id))
        returned = encode_returned([Delivered(ItemKind.ENTRY, entry.id or 0, "M-COURT-FLIGHT")])
        uow.queries.add_many(
            [
                QueryEntry(
                    uow.now(),
                    key,
                    QueryKind.CHECK,
                    "BJ-CAAC-NC",
                    "counter-7",
                    "flight",
                    "measure registry check: flight",
                    returned,
                )
            ]
        )
        uow.commit()
    [review] = list_identity_reviews(uow)
    resolve_identity_review(
        uow, policy, review.id, same_person=False, note="号码系伪造", actor="centre-1"
    )
    told = [(i.recipient, i.kind, i.entity_type, i.entity_id) for i in uow.committed.feed]
    assert told == [
        ("AGENCY-BAIHANG", FeedKind.WITHHELD, "record", stored.record.id),
        ("BJ-CAAC-NC", FeedKind.WITHHELD, "list_entry", entry.id),
    ]
    assert all(stored.subject_number not in i.detail for i in uow.committed.feed)
    # The agency acknowledges the withheld record; the department is asked nothing back.
    assert [(a.agency, a.kind) for a in uow.committed.acknowledgements.values()] == [
        ("AGENCY-BAIHANG", FeedKind.WITHHELD)
    ]


def test_a_held_record_found_not_the_persons_is_told_withheld_once_the_review_decides(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    row = penalty_row(subject_name="李建国")
    stored = submitted(uow, policy, row)
    authorised_query(uow, policy, stored, "AGENCY-BAIHANG")
    held = submitted(uow, policy, {**row, "subject_name": "李建围", "fine_amount": "6000"})
    assert held.held_for_review
    [review] = list_identity_reviews(uow)
    resolve_identity_review(
        uow, policy, review.id, same_person=False, note="姓名不符", actor="centre-1"
    )
    told = [(i.kind, i.entity_id) for i in uow.committed.feed]
    assert told == [
        (FeedKind.CORRECTED, stored.record.id),  # its content changed
        (FeedKind.IDENTITY_HOLD, stored.record.id),  # held at once
        (FeedKind.WITHHELD, stored.record.id),  # and now withheld for good
    ]
    with uow:
        assert uow.records.get(stored.record.id).status is RecordStatus.IDENTITY_HOLD
