"""Who may propose which list, on what basis (docs/domain.md §7): the policy's `proposed_by_kinds`
and `min_basis_severity`, and the proposal use case over the fakes: an incompetent department is
refused and audited, a basis too light or named twice is refused, and a person has one open entry
on a list at a time."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import pytest

from tests.factories import TAX_USCC, penalty_row
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import submitted
from tests.unit.test_lists import VALID as LIST_FILE_VALID
from xinyong.domain.audit import EventTag
from xinyong.domain.catalog import Severity
from xinyong.domain.errors import CatalogError, Invalid, NotAllowed, OutsideMandate
from xinyong.domain.list_proposals import AlreadyOnList, open_entry_of
from xinyong.domain.lists import Decider, EntryState, ListEntry, ListType, read_list_types
from xinyong.domain.policy import Policy
from xinyong.policy import PACKAGED, read_toml
from xinyong.services import list_proposals
from xinyong.services import lists as listing
from xinyong.services.records import Stored

FOOD = "FOOD-DRUG-SERIOUS"
GROUNDS = "多次销售超过保质期的食品"


def serious_penalty(**overrides: object) -> dict[str, object]:
    """A fine of 80,000 yuan: of the catalog's serious class (ADM-PEN-01: 50,000 and more)."""
    return penalty_row(fine_amount="80000", **overrides)


def propose(
    uow: FakeUnitOfWork,
    policy: Policy,
    stored: Stored,
    *,
    department: str | None = "BJ-AMR",
    records: list[int] | None = None,
    code: str = FOOD,
) -> listing.EntryView:
    return list_proposals.propose(
        uow,
        policy,
        list_code=code,
        subject_number=stored.subject_number,
        grounds=GROUNDS,
        basis_records=[stored.record.id] if records is None else records,
        department=department,
        actor=f"{department or 'centre'}-officer",
    )


# -- the policy ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped(policy: Policy) -> dict[str, ListType]:
    return dict(policy.list_types)


def test_every_platform_run_list_names_the_departments_competent_to_propose_it(
    shipped: dict[str, ListType], policy: Policy
) -> None:
    kinds = {d.kind for d in policy.departments}
    for list_type in shipped.values():
        if list_type.decided_by is Decider.PLATFORM:
            assert list_type.proposer_kinds, list_type.code
            assert list_type.proposer_kinds <= kinds, list_type.code
        else:
            assert not list_type.proposer_kinds, list_type.code
    assert shipped[FOOD].proposer_kinds == {"market_regulation", "health"}
    assert shipped["RAIL-SERIOUS"].proposer_kinds == {"railway", "public_security"}
    assert "railway" not in shipped["AIR-SERIOUS"].proposer_kinds


def test_the_serious_lists_set_the_floor_of_their_basis(shipped: dict[str, ListType]) -> None:
    assert shipped[FOOD].min_basis_severity is Severity.SERIOUS
    for code in ("RAIL-SERIOUS", "AIR-SERIOUS", "KEY-COMMITMENT-BROKEN"):
        assert shipped[code].min_basis_severity is Severity.GENERAL, code
    assert shipped[FOOD].basis_too_light("general")
    assert shipped[FOOD].basis_too_light(None)
    assert not shipped[FOOD].basis_too_light("serious")
    assert shipped["RAIL-SERIOUS"].basis_too_light("minor")
    assert not shipped["RAIL-SERIOUS"].basis_too_light("general")


#: test_lists.py's valid list, with the floor this file tests.
VALID: dict[str, Any] = {**LIST_FILE_VALID, "min_basis_severity": "serious"}


def refusal(policy: Policy, **changes: Any) -> CatalogError:
    raw = copy.deepcopy(VALID)
    for key, value in changes.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    with pytest.raises(CatalogError) as caught:
        read_list_types(
            {"lists": [raw]},
            "broken.toml",
            frozenset(policy.catalog.items),
            policy.catalog.items,
        )
    return caught.value


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"proposed_by_kinds": None}, "proposed_by_kinds", "competent"),
        ({"proposed_by_kinds": []}, "proposed_by_kinds", "non-empty"),
        ({"proposed_by_kinds": ["railway"]}, "proposed_by_kinds", "railway"),
        ({"min_basis_severity": "grave"}, "min_basis_severity", "minor, general, serious"),
        (
            {"decided_by": "authority", "defence_working_days": None},
            "proposed_by_kinds",
            "platform",
        ),
    ],
)
def test_a_list_file_with_a_wrong_proposer_or_floor_is_refused(
    policy: Policy, changes: dict[str, Any], field: str, reason: str
) -> None:
    error = refusal(policy, **changes)
    assert (error.item, error.field) == ("TEST-LIST", field)
    assert reason in error.reason


def test_the_shipped_list_file_reads_with_its_proposers(policy: Policy) -> None:
    file = PACKAGED / "lists.toml"
    read = read_list_types(
        read_toml(file), str(file), frozenset(policy.catalog.items), policy.catalog.items
    )
    assert {t.code for t in read if t.proposer_kinds} == {
        t.code for t in read if t.decided_by is Decider.PLATFORM
    }


# -- proposing -----------------------------------------------------------------------------------


def test_a_department_outside_the_lists_mandate_is_refused_and_the_refusal_audited(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    # The tax bureau's own penalty, heavy enough: only the mandate is wanting.
    row = serious_penalty(authority_name="国家税务总局北京市税务局", authority_uscc=TAX_USCC)
    stored = submitted(uow, policy, row, department="BJ-TAX")
    before = len(uow.committed.audit)
    with pytest.raises(OutsideMandate) as caught:
        propose(uow, policy, stored, department="BJ-TAX")
    assert "BJ-TAX" in caught.value.detail
    assert "market_regulation" in caught.value.detail
    [refused] = uow.committed.audit[before:]
    assert refused.tag is EventTag.MANDATE_REFUSED
    assert refused.entity_id == f"listing:propose:{FOOD}"
    assert refused.data["department"] == "BJ-TAX"
    with uow:
        assert uow.entries.of_subject(stored.record.subject_id, policy.list_types) == []


def test_a_competent_department_proposes_on_a_heavy_enough_record(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy, serious_penalty())
    view = propose(uow, policy, stored)
    assert view.entry.basis_records == (stored.record.id,)
    assert view.department == "BJ-AMR"


def test_a_basis_record_too_light_for_the_list_is_refused_naming_the_field(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)  # a fine of 5,000 yuan: general
    before = uow.snapshot()
    with pytest.raises(Invalid) as caught:
        propose(uow, policy, stored)
    assert caught.value.detail.startswith("basis_records:")
    assert "general" in caught.value.detail
    assert "serious" in caught.value.detail
    assert uow.committed == before


def test_a_basis_record_named_twice_is_refused(uow: FakeUnitOfWork, policy: Policy) -> None:
    stored = submitted(uow, policy, serious_penalty())
    before = uow.snapshot()
    with pytest.raises(Invalid, match=r"^basis_records: .*twice"):
        propose(uow, policy, stored, records=[stored.record.id, stored.record.id])
    assert uow.committed == before


def test_a_person_has_one_open_entry_on_a_list_at_a_time(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy, serious_penalty(decision_date="2026-09-01"))
    second = submitted(
        uow,
        policy,
        serious_penalty(subject_id=stored.subject_number, decision_date="2026-10-01"),
    )
    first = propose(uow, policy, stored)
    before = uow.snapshot()
    with pytest.raises(AlreadyOnList) as caught:
        propose(uow, policy, second)
    assert caught.value.open_entry == first.entry.id
    assert f"entry {first.entry.id}" in caught.value.detail
    assert uow.committed == before
    # Once the first is withdrawn, a new proposal may open.
    listing.withdraw(uow, policy, first.entry.id or 0, department="BJ-AMR", actor="amr")
    again = propose(uow, policy, second)
    assert again.entry.id != first.entry.id


def test_the_credit_centre_runs_the_procedure_and_may_propose_on_a_heavy_enough_record(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    light = submitted(uow, policy)
    with pytest.raises(Invalid, match="basis_records"):
        propose(uow, policy, light, department=None)
    heavy = submitted(uow, policy, serious_penalty())
    assert propose(uow, policy, heavy, department=None).department is None


def test_a_list_another_body_decides_is_not_proposed_at_all(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy, serious_penalty())
    with pytest.raises(NotAllowed, match="record its decision"):
        propose(uow, policy, stored, code="FOOD-LICENCE-REVOKED")


def test_an_entry_is_open_while_in_its_procedure_or_in_force_and_not_after(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    food = policy.list_types[FOOD]
    today = date(2026, 11, 20)

    def entry(state: EntryState, **kw: Any) -> ListEntry:
        return ListEntry(1, food, 7, state, "staff", "grounds", (101,), **kw)

    decided = {"decided_on": today - timedelta(days=10), "ends_on": today + timedelta(days=1)}
    assert open_entry_of([entry(EntryState.PROPOSED)], FOOD, today) is not None
    assert open_entry_of([entry(EntryState.NOTICED)], FOOD, today) is not None
    assert open_entry_of([entry(EntryState.DECIDED, **decided)], FOOD, today) is not None
    assert open_entry_of([entry(EntryState.PUBLISHED, **decided)], FOOD, today) is not None
    assert open_entry_of([entry(EntryState.PROPOSED)], "RAIL-SERIOUS", today) is None
    assert open_entry_of([entry(EntryState.WITHDRAWN)], FOOD, today) is None
    ended = {**decided, "exited_on": today - timedelta(days=1), "exit_ground": "repair"}
    assert open_entry_of([entry(EntryState.EXITED, **ended)], FOOD, today) is None
    # Its period over, not yet swept: in force no more, so no longer open.
    lapsed = {"decided_on": today - timedelta(days=100), "ends_on": today}
    assert open_entry_of([entry(EntryState.DECIDED, **lapsed)], FOOD, today) is None
