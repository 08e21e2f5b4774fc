"""Subjects over the fakes: who answers for an organisation, and the identity-review queue."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import citizen_id, credit_code, penalty_row
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import submitted
from xinyong.domain.audit import EventTag
from xinyong.domain.catalog import SubjectType
from xinyong.domain.checks import ChangeKind
from xinyong.domain.errors import Conflict, Invalid, NotFound
from xinyong.domain.policy import Policy
from xinyong.domain.records import RecordStatus
from xinyong.domain.subjects import ReviewResolution, Role, RoleKind, Subject
from xinyong.services.subjects import (
    find_subject,
    list_identity_reviews,
    record_role,
    resolve_identity_review,
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
        uow, review_id, same_person=True, note="户籍核实为同一人，曾用名", actor="centre-1"
    )
    assert (resolved.is_open, resolved.resolution) == (False, ReviewResolution.SAME_PERSON)
    with uow:
        assert uow.records.get(resolved.record_id).status is RecordStatus.ACTIVE
    assert list_identity_reviews(uow) == []
    assert [r.id for r in list_identity_reviews(uow, status="resolved")] == [review_id]
    before = uow.snapshot()
    with pytest.raises(Conflict):
        resolve_identity_review(uow, review_id, same_person=False, note="改判", actor="centre-2")
    assert uow.committed == before


def test_another_person_keeps_the_record_withheld(uow: FakeUnitOfWork, policy: Policy) -> None:
    review_id = _held(uow, policy)
    resolved = resolve_identity_review(
        uow, review_id, same_person=False, note="号码被冒用", actor="centre-1"
    )
    assert resolved.resolution is ReviewResolution.DIFFERENT_PERSON
    with uow:
        assert uow.records.get(resolved.record_id).status is RecordStatus.IDENTITY_HOLD
    [event] = [e for e in uow.committed.audit if e.tag is EventTag.IDENTITY_REVIEW_RESOLVED]
    assert event.data == {"resolution": "different_person", "record_id": resolved.record_id}
