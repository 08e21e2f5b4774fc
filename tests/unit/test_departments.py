"""Departments over the fakes: registered from the policy once, each change audited."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import on
from xinyong.domain.audit import EventTag
from xinyong.domain.departments import Authority
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


def test_a_department_decides_for_itself_and_its_registered_authorities_only(
    policy: Policy,
) -> None:
    amr = policy.department("BJ-AMR")
    assert amr is not None
    court = Authority("北京市朝阳区人民法院", "1111010500001105X2")
    registered = replace(amr, submits_for=(court,))
    cases = [  # name, code, its own, registered for the court
        (amr.name, amr.uscc, True, True),
        (f" {amr.name[:3]}　{amr.name[3:]}", f" {amr.uscc.lower()} ", True, True),
        (amr.name, court.uscc, False, False),  # the court's code under another name
        (court.name, court.uscc, False, True),
        ("北京市朝阳区 人民法院", court.uscc, False, True),
        ("北京市税务局", amr.uscc, False, False),
    ]
    # Asked twice (the answers are kept by name and code): the same answers each time.
    for _ in range(2):
        for name, uscc, own, either in cases:
            assert amr.decides_for(name, uscc) is own
            assert registered.decides_for(name, uscc) is either
