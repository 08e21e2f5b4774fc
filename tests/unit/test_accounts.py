"""People's accounts over the fakes: registration by number and name, sessions and their
lifetimes, the lockout after wrong passwords, and acting for another person by power of attorney.

Argon2 runs with its smallest costs here: the same checks, in microseconds rather than 150 ms."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from argon2 import PasswordHasher

from tests.factories import citizen_id, penalty_row
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import on, submitted
from xinyong.domain.access import Scope
from xinyong.domain.accounts import Account
from xinyong.domain.audit import EventTag
from xinyong.domain.errors import Invalid, NotAllowed, NotFound, TooManyAttempts
from xinyong.domain.policy import Policy
from xinyong.services import accounts
from xinyong.services.accounts import (
    LoginFailed,
    RegistrationRefused,
    acting_for,
    authenticate_session,
    login,
    logout,
    record_agent,
    register,
)
from xinyong.services.records import Stored

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", cheap)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", cheap.hash("not a password anyone has"))


def _known(uow: FakeUnitOfWork, policy: Policy, name: str = "王秀英") -> Stored:
    return submitted(uow, policy, penalty_row(subject_id=citizen_id(), subject_name=name))


def _register(uow: FakeUnitOfWork, policy: Policy, stored: Stored, name: str = "王秀英") -> Account:
    return register(
        uow,
        policy,
        number=stored.subject_number,
        name=name,
        phone="138 0013 8000",
        password=PASSWORD,
    )


def test_a_person_the_platform_knows_registers_logs_in_and_out(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = _known(uow, policy)
    account = _register(uow, policy, stored)
    assert (account.subject_id, account.phone) == (stored.record.subject_id, "13800138000")
    assert PASSWORD not in account.password_hash

    session = login(uow, policy, number=stored.subject_number, password=PASSWORD)
    assert session.token.startswith("xs_")
    assert session.expires_at == uow.now() + timedelta(hours=policy.accounts.session_hours)
    caller = authenticate_session(uow, session.token)
    assert caller is not None
    assert (caller.scopes, caller.subject_id, caller.account_id) == (
        frozenset({Scope.ME}),
        account.subject_id,
        account.id,
    )
    api = login(uow, policy, number=stored.subject_number, password=PASSWORD, api=True)
    assert api.expires_at == uow.now() + timedelta(days=policy.accounts.api_token_days)
    assert session.token not in repr(uow.committed)  # only its hash is kept

    logout(uow, session.token)
    assert authenticate_session(uow, session.token) is None
    assert authenticate_session(uow, api.token) is not None
    tags = [e.tag for e in uow.committed.audit if e.entity_type == "account"]
    assert tags == [
        EventTag.ACCOUNT_REGISTERED,
        EventTag.ACCOUNT_LOGGED_IN,
        EventTag.ACCOUNT_LOGGED_IN,
    ]


def test_a_session_ends_with_its_lifetime(uow: FakeUnitOfWork, policy: Policy) -> None:
    stored = _known(uow, policy)
    _register(uow, policy, stored)
    session = login(uow, policy, number=stored.subject_number, password=PASSWORD)
    uow.at = session.expires_at - timedelta(seconds=1)
    assert authenticate_session(uow, session.token) is not None
    uow.at = session.expires_at
    assert authenticate_session(uow, session.token) is None


def test_registration_is_refused_alike_for_a_wrong_name_a_stranger_and_a_second_account(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = _known(uow, policy)
    before = uow.snapshot()
    refusals = []
    for number, name in ((stored.subject_number, "王秀"), (citizen_id(), "王秀英")):
        with pytest.raises(RegistrationRefused) as refused:
            register(uow, policy, number=number, name=name, phone="13800138000", password=PASSWORD)
        refusals.append(refused.value.detail)
    assert uow.committed == before
    _register(uow, policy, stored)
    with pytest.raises(RegistrationRefused) as again:
        _register(uow, policy, stored)
    assert {again.value.detail, *refusals} == {
        refusals[0]
    }  # one answer: no one learns who is on file


def test_a_bad_number_phone_or_password_is_refused_naming_the_field(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = _known(uow, policy)
    number = stored.subject_number
    malformed = number[:-1] + ("1" if number[-1] != "1" else "2")
    cases = [
        ({"number": malformed}, "number:"),
        ({"phone": "12345"}, "phone:"),
        ({"password": "short"}, "password:"),
    ]
    for change, field in cases:
        args = {"number": number, "name": "王秀英", "phone": "13800138000", "password": PASSWORD}
        args.update(change)
        with pytest.raises(Invalid) as refused:
            register(uow, policy, **args)
        assert refused.value.detail.startswith(field)
        assert malformed[:14] not in refused.value.detail
    assert uow.committed.accounts == {}


def test_wrong_passwords_are_logged_and_too_many_lock_the_account_for_a_while(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = _known(uow, policy)
    _register(uow, policy, stored)
    rules = policy.accounts
    for _ in range(rules.max_failed_logins):
        with pytest.raises(LoginFailed):
            login(uow, policy, number=stored.subject_number, password="not the password")
    assert uow.committed.audit[-1].tag is EventTag.ACCOUNT_LOGIN_FAILED
    failed = [e for e in uow.committed.audit if e.tag is EventTag.ACCOUNT_LOGIN_FAILED]
    assert len(failed) == rules.max_failed_logins  # each refusal is committed
    with pytest.raises(TooManyAttempts, match=f"{rules.lockout_minutes} minutes"):
        login(uow, policy, number=stored.subject_number, password=PASSWORD)
    uow.at += timedelta(minutes=rules.lockout_minutes + 1)
    assert login(uow, policy, number=stored.subject_number, password=PASSWORD).token


def test_an_agent_acts_for_a_principal_only_under_a_live_power_of_attorney(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    agent, principal, other = (_known(uow, policy, name) for name in ("王秀英", "张伟", "李娜"))
    _register(uow, policy, agent)
    with pytest.raises(NotFound, match="agent"):
        record_agent(
            uow,
            agent_number=principal.subject_number,
            principal_number=agent.subject_number,
            power_of_attorney="委托书（2026）第1号",
            valid_until=date(2027, 1, 31),
            actor="centre-1",
        )
    with pytest.raises(Invalid, match="power_of_attorney"):
        record_agent(
            uow,
            agent_number=agent.subject_number,
            principal_number=principal.subject_number,
            power_of_attorney=" ",
            valid_until=date(2027, 1, 31),
            actor="centre-1",
        )
    record_agent(
        uow,
        agent_number=agent.subject_number,
        principal_number=principal.subject_number,
        power_of_attorney="委托书（2026）第1号",
        valid_until=date(2027, 1, 31),
        actor="centre-1",
    )
    session = login(uow, policy, number=agent.subject_number, password=PASSWORD)
    caller = authenticate_session(uow, session.token)
    assert caller is not None
    own, theirs = agent.record.subject_id, principal.record.subject_id
    assert acting_for(uow, caller, None) == own
    assert acting_for(uow, caller, theirs) == theirs
    with pytest.raises(NotAllowed):
        acting_for(uow, caller, other.record.subject_id)
    uow.at = on(date(2027, 2, 1))  # the power of attorney has lapsed
    with pytest.raises(NotAllowed):
        acting_for(uow, caller, theirs)
