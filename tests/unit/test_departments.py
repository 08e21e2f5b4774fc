"""Departments over the fakes: registered from the policy once, each change audited."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import on
from xinyong.domain.audit import EventTag
from xinyong.domain.errors import NotFound
from xinyong.domain.policy import Policy
from xinyong.services.departments import list_departments, require_department, sync_departments


def test_departments_are_registered_once_and_each_change_is_audited(policy: Policy) -> None:
    uow = FakeUnitOfWork(at=on(date(2026, 11, 20)))
    everyone = policy.departments
    assert sync_departments(uow, everyone, actor="admin") == len(everyone)
    assert sync_departments(uow, everyone, actor="admin") == 0
    renamed = replace(everyone[0], name="改名后的部门")
    assert sync_departments(uow, [renamed, *everyone[1:]], actor="admin") == 1
    listed = list_departments(uow)
    assert [d.code for d in listed] == sorted(d.code for d in everyone)
    assert renamed in listed
    synced = [e for e in uow.committed.audit if e.tag is EventTag.DEPARTMENTS_SYNCED]
    assert len(synced) == len(everyone) + 1
    assert synced[-1].entity_id == renamed.code


def test_an_unregistered_department_is_not_found(uow: FakeUnitOfWork) -> None:
    with uow:
        assert require_department(uow, "BJ-AMR").name == "北京市市场监督管理局"
        with pytest.raises(NotFound, match="NOPE"):
            require_department(uow, "NOPE")
