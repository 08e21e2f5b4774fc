"""The fake unit of work keeps the contract of the SQL one: one transaction per `with`, kept only
when committed; copies handed out; the clock fixed. And it is a `UnitOfWork` to the type checker."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import citizen_id
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import on, submitted
from xinyong.domain.catalog import SubjectType
from xinyong.domain.policy import Policy
from xinyong.domain.records import RecordStatus
from xinyong.domain.subjects import Subject
from xinyong.services.ports import UnitOfWork


def test_a_fake_unit_of_work_is_a_unit_of_work() -> None:
    fake = FakeUnitOfWork(at=on(date(2026, 11, 20)))
    # mypy checks this assignment against the Protocol (`mypy tests/fakes.py tests/unit`).
    port: UnitOfWork = fake
    assert port.now() == on(date(2026, 11, 20))


def _person(number: str) -> Subject:
    return Subject(None, SubjectType.PERSON, number, "王秀英", date(1980, 5, 17))


def test_what_is_not_committed_is_gone_when_the_block_ends(uow: FakeUnitOfWork) -> None:
    kept, dropped = citizen_id(), citizen_id()
    with uow:
        uow.subjects.add_many([_person(kept)], at=uow.now())
        uow.commit()
        uow.subjects.add_many([_person(dropped)], at=uow.now())
    with uow:
        assert uow.subjects.get_by_number(kept) is not None
        assert uow.subjects.get_by_number(dropped) is None


def test_an_exception_rolls_back_and_rollback_drops_what_was_not_committed(
    uow: FakeUnitOfWork,
) -> None:
    before = uow.snapshot()

    def failing() -> None:
        with uow:
            uow.subjects.add_many([_person(citizen_id())], at=uow.now())
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        failing()
    assert uow.committed == before
    with uow:
        uow.subjects.add_many([_person(citizen_id())], at=uow.now())
        uow.rollback()
        assert uow.subjects.find_by_numbers([]) == {}
        assert uow.working.subjects == {}
    assert uow.committed == before


def test_a_returned_object_changes_nothing_until_it_is_saved(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    record_id = submitted(uow, policy).record.id
    with uow:
        record = uow.records.get(record_id)
        record.status = RecordStatus.REVOKED
        assert uow.records.get(record_id).status is RecordStatus.ACTIVE
        uow.records.save_status(record)
        assert uow.records.get(record_id).status is RecordStatus.REVOKED


def test_the_repositories_are_used_only_inside_the_block(uow: FakeUnitOfWork) -> None:
    with pytest.raises(RuntimeError, match="outside"):
        uow.records.count()
    with uow, pytest.raises(RuntimeError, match="twice"), uow:
        pass
