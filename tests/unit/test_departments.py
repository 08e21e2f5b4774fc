"""Departments over the fakes: registered from the policy once, each change audited."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from tests.factories import debtor_row, penalty_row
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import on, submitted
from xinyong.domain.access import Scope
from xinyong.domain.audit import EventTag
from xinyong.domain.batches import BatchSource
from xinyong.domain.departments import Authority
from xinyong.domain.errors import Invalid, NotFound, OutsideMandate
from xinyong.domain.policy import Policy
from xinyong.services import decided_lists, list_proposals
from xinyong.services.batches import ingest_batch
from xinyong.services.departments import list_departments, require_department, sync_departments
from xinyong.services.keys import create_api_key


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


def test_a_department_the_policy_drops_is_kept_but_submits_proposes_and_gets_keys_no_more(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    heavy = submitted(uow, policy, penalty_row(fine_amount="80000"))
    debt = submitted(uow, policy, debtor_row(), department="BJ-HCOURT")
    dropped = {"BJ-AMR", "BJ-HCOURT"}
    narrowed = [d for d in policy.departments if d.code not in dropped]
    assert sync_departments(uow, narrowed, actor="admin") == 2
    deactivated = [e for e in uow.committed.audit if e.tag is EventTag.DEPARTMENT_DEACTIVATED]
    assert [(e.actor, e.entity_id) for e in deactivated] == [
        ("admin", "BJ-AMR"),
        ("admin", "BJ-HCOURT"),
    ]
    # Kept, never deleted: its records, cases and keys name it.
    kept = {d.code: d for d in list_departments(uow)}
    assert (kept["BJ-AMR"].active, kept["BJ-HCOURT"].active, kept["BJ-TAX"].active) == (
        False,
        False,
        True,
    )
    assert heavy.record.id in uow.committed.records

    audited = len(uow.committed.audit)
    with pytest.raises(OutsideMandate, match="BJ-AMR is no longer among the policy's departments"):
        submitted(uow, policy, penalty_row())
    with pytest.raises(OutsideMandate, match="no longer among"):
        ingest_batch(
            uow,
            policy,
            [(1, penalty_row())],
            department="BJ-AMR",
            actor="amr-feed",
            source=BatchSource.API,
        )
    with pytest.raises(OutsideMandate, match="no longer among"):
        list_proposals.propose(
            uow,
            policy,
            list_code="FOOD-DRUG-SERIOUS",
            subject_number=heavy.subject_number,
            grounds="多次销售超过保质期的食品",
            basis_records=[heavy.record.id],
            department="BJ-AMR",
            actor="amr-officer",
        )
    with pytest.raises(OutsideMandate, match="BJ-HCOURT is no longer among"):
        decided_lists.record_decided(
            uow,
            policy,
            list_code="COURT-DEBTORS",
            subject_number=debt.subject_number,
            grounds="有履行能力而拒不履行",
            decided_on=date(2026, 11, 2),
            months=None,
            department="BJ-HCOURT",
            actor="court-officer",
        )
    refused = [(e.tag, e.entity_id, e.data["department"]) for e in uow.committed.audit[audited:]]
    assert refused == [
        (EventTag.MANDATE_REFUSED, action, department)
        for action, department in (
            ("record:submit", "BJ-AMR"),
            ("record:submit", "BJ-AMR"),
            ("listing:propose:FOOD-DRUG-SERIOUS", "BJ-AMR"),
            ("listing:record:COURT-DEBTORS", "BJ-HCOURT"),
        )
    ]
    assert len(uow.committed.records) == 2
    assert uow.committed.batches == {}
    assert not uow.committed.entries
    before = uow.snapshot()
    with pytest.raises(Invalid, match="BJ-AMR is no longer among the policy's departments"):
        create_api_key(
            uow, label="amr", scopes=[Scope.RECORDS_WRITE], department="BJ-AMR", actor="admin"
        )
    assert uow.committed == before

    # Back in the policy: registered again (audited as a change), and it submits again.
    assert sync_departments(uow, policy.departments, actor="admin") == 2
    with uow:
        assert require_department(uow, "BJ-AMR").active
    assert submitted(uow, policy, penalty_row()).record.department == "BJ-AMR"
