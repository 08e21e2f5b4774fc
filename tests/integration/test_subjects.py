"""Roles tie a known person to a known organisation; numbers never leak into the errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from tests.factories import citizen_id, credit_code
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.catalog import SubjectType
from xinyong.domain.errors import Conflict, Invalid, NotFound
from xinyong.domain.subjects import RoleKind, Subject
from xinyong.services.subjects import record_role, roles_of

UowFactory = Callable[[], SqlUnitOfWork]


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
