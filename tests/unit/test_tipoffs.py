"""Tip-offs over the fakes: routed by topic to one department, validated field by field without
repeating a value, limited per sender and day, read only by the department it went to."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.factories import citizen_id, credit_code
from tests.fakes import FakeUnitOfWork
from xinyong.domain.audit import EventTag
from xinyong.domain.errors import CatalogError, Invalid, NotAllowed, NotFound, TooManyAttempts
from xinyong.domain.policy import Policy
from xinyong.domain.tipoffs import TipOffRules
from xinyong.policy import PACKAGED, read_toml
from xinyong.services.tipoffs import file_tipoff, read_tipoff, sender_of, tipoff_queue

SENDER = sender_of("test secret", "203.0.113.7")


def _file(uow: FakeUnitOfWork, policy: Policy, **changes: str | None) -> int:
    args: dict[str, str | None] = {
        "topic": "tax",
        "subject_name": "某某商贸有限公司",
        "subject_number": None,
        "account": "该公司长期虚开增值税发票。",
        "contact": None,
        "source": SENDER,
    }
    args.update(changes)
    return file_tipoff(uow, policy, **args).id or 0  # type: ignore[arg-type]


def test_a_tipoff_is_routed_by_its_topic_and_audited_and_never_a_record(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    tax = _file(uow, policy)
    food = _file(uow, policy, topic="food_drug_safety", subject_name="某超市")
    assert [t.id for t in tipoff_queue(uow, "BJ-TAX", limit=10, offset=0)] == [tax]
    assert [t.id for t in tipoff_queue(uow, "BJ-AMR", limit=10, offset=0)] == [food]
    assert [t.id for t in tipoff_queue(uow, None, limit=10, offset=0)] == [food, tax]
    received = [e for e in uow.committed.audit if e.tag is EventTag.TIPOFF_RECEIVED]
    assert [(e.actor, e.data["department"]) for e in received] == [
        ("public", "BJ-TAX"),
        ("public", "BJ-AMR"),
    ]
    assert uow.committed.records == {}
    assert uow.committed.subjects == {}


def test_the_number_a_tipoff_names_is_checked_and_kept_normalised_never_repeated(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    number = citizen_id()
    kept = _file(uow, policy, subject_number=number.lower()[:6] + " " + number[6:].lower())
    assert uow.committed.tipoffs[kept].subject_number == number
    code = credit_code()
    by_code = _file(uow, policy, subject_number=code)
    assert uow.committed.tipoffs[by_code].subject_number == code
    wrong = number[:-1] + ("1" if number[-1] != "1" else "2")
    with pytest.raises(Invalid, match=r"^subject_number:") as refused:
        _file(uow, policy, subject_number=wrong)
    assert wrong[:14] not in refused.value.detail
    told = _file(uow, policy, account=f"号码是 {number}")
    assert number not in uow.committed.tipoffs[told].redacted_account


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"topic": "gossip"}, "topic"),
        ({"subject_name": "  "}, "subject_name"),
        ({"subject_name": "名" * 101}, "subject_name"),
        ({"account": " "}, "account"),
        ({"account": "字" * 2001}, "account"),
        ({"contact": "c" * 101}, "contact"),
    ],
)
def test_each_wrong_field_is_named(
    uow: FakeUnitOfWork, policy: Policy, changes: dict[str, str], field: str
) -> None:
    before = uow.snapshot()
    with pytest.raises(Invalid, match=f"^{field}:"):
        _file(uow, policy, **changes)
    assert uow.committed == before


def test_one_sender_files_at_most_the_days_limit(uow: FakeUnitOfWork, policy: Policy) -> None:
    limit = policy.tipoffs.max_per_source_per_day
    for _ in range(limit):
        _file(uow, policy)
    with pytest.raises(TooManyAttempts):
        _file(uow, policy)
    _file(uow, policy, source=sender_of("test secret", "198.51.100.1"))  # another sender
    uow.at += timedelta(days=1, seconds=1)
    _file(uow, policy)  # a day later
    assert len(uow.committed.tipoffs) == limit + 2
    assert sender_of("test secret", "203.0.113.7") == SENDER
    assert "203.0.113.7" not in SENDER


def test_a_tipoff_is_read_in_full_by_its_department_only_and_the_reading_is_audited(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    tipoff = _file(uow, policy)
    with pytest.raises(NotFound):
        read_tipoff(uow, tipoff, department="BJ-AMR", actor="amr-1")
    assert read_tipoff(uow, tipoff, department="BJ-TAX", actor="tax-1").id == tipoff
    assert read_tipoff(uow, tipoff, department=None, actor="centre-1").id == tipoff
    read = [e.actor for e in uow.committed.audit if e.tag is EventTag.TIPOFF_READ]
    assert read == ["tax-1", "centre-1"]


def test_a_policy_without_topics_takes_no_tipoffs(uow: FakeUnitOfWork, policy: Policy) -> None:
    closed = replace(policy, tipoffs=TipOffRules.closed())
    with pytest.raises(NotAllowed):
        _file(uow, closed)


def test_a_topic_routed_to_an_unregistered_department_stops_the_policy() -> None:
    data = read_toml(PACKAGED / "tipoffs.toml")
    data["topics"][0]["department"] = "NOWHERE"
    with pytest.raises(CatalogError, match="department"):
        TipOffRules.from_policy(data, "tipoffs.toml", {"BJ-AMR"})
