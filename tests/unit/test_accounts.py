"""People's accounts over the fakes: registration and its real-name verification at the counter,
sessions and their lifetimes, the lockout after wrong passwords, and acting for another person
by power of attorney.

Argon2 runs with its smallest costs here: the same checks, in microseconds rather than 150 ms."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from argon2 import PasswordHasher

from tests.factories import citizen_id, open_account, penalty_row
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import on, submitted
from xinyong.domain.access import Scope
from xinyong.domain.accounts import Account, RegistrationStatus
from xinyong.domain.audit import EventTag
from xinyong.domain.catalog import SubjectType
from xinyong.domain.errors import Conflict, Invalid, NotAllowed, NotFound
from xinyong.domain.policy import Policy
from xinyong.domain.rates import RateLimited
from xinyong.services import accounts
from xinyong.services.accounts import (
    LoginFailed,
    NotVerifiedYet,
    PasswordWork,
    RefreshRefused,
    acting_for,
    authenticate_session,
    hash_password,
    login,
    logout,
    record_agent,
    refresh_session,
)
from xinyong.services.identity_reviews import resolve_identity_review
from xinyong.services.records import Stored
from xinyong.services.registrations import (
    CounterVerification,
    Verdict,
    VerifierAnswer,
    decide_registration,
    pending_registrations,
    refuse_registration,
    register,
    verify_registration,
)

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", cheap)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", cheap.hash("not a password anyone has"))


def _known(uow: FakeUnitOfWork, policy: Policy, name: str = "王秀英") -> Stored:
    return submitted(uow, policy, penalty_row(subject_id=citizen_id(), subject_name=name))


def _register(uow: FakeUnitOfWork, policy: Policy, stored: Stored, name: str = "王秀英") -> Account:
    """Registered and verified at the counter: the account is open."""
    return open_account(
        lambda: uow,
        policy,
        number=stored.subject_number,
        name=name,
        phone="138 0013 8000",
        password=PASSWORD,
    )


def _apply(uow: FakeUnitOfWork, policy: Policy, number: str, name: str = "王秀英") -> int:
    """A registration waiting at the counter; its id."""
    registration = register(
        uow,
        policy,
        CounterVerification(),
        number=number,
        name=name,
        phone="13800138000",
        password=PASSWORD,
    )
    assert registration.status is RegistrationStatus.PENDING
    return registration.id or 0


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
    assert api.expires_at == uow.now() + timedelta(minutes=policy.accounts.api_access_minutes)
    assert api.refresh_token is not None
    assert api.refresh_expires_at == uow.now() + timedelta(days=policy.accounts.api_refresh_days)
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


def test_a_registration_opens_no_account_until_staff_verify_the_id_card(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = _known(uow, policy)
    waiting = _apply(uow, policy, stored.subject_number)
    assert uow.committed.accounts == {}
    with pytest.raises(NotVerifiedYet) as told:
        login(uow, policy, number=stored.subject_number, password=PASSWORD)
    assert "waits for real-name verification" in told.value.detail
    assert stored.subject_number not in told.value.detail
    with pytest.raises(LoginFailed):  # a stranger with the number learns nothing
        login(uow, policy, number=stored.subject_number, password="another password")
    assert [r.id for r in pending_registrations(uow)] == [waiting]

    for number, name, field in (
        (citizen_id(), "王秀英", "number"),  # another card
        (stored.subject_number, "王秀", "name"),
    ):
        with pytest.raises(Invalid, match=f"^{field}:"):
            verify_registration(
                uow, policy, waiting, number_seen=number, name_seen=name, actor="counter-1"
            )
    assert uow.committed.accounts == {}

    verify_registration(
        uow,
        policy,
        waiting,
        number_seen=stored.subject_number.lower(),
        name_seen=" 王秀英 ",
        actor="counter-1",
    )
    (account,) = uow.committed.accounts.values()
    assert account.subject_id == stored.record.subject_id  # bound to the file the platform holds
    assert login(uow, policy, number=stored.subject_number, password=PASSWORD).token
    assert pending_registrations(uow) == []
    tags = [e.tag for e in uow.committed.audit if e.entity_type == "registration"]
    assert tags == [EventTag.REGISTRATION_RECEIVED, EventTag.REGISTRATION_VERIFIED]
    with pytest.raises(Conflict):  # verified once
        verify_registration(
            uow,
            policy,
            waiting,
            number_seen=stored.subject_number,
            name_seen="王秀英",
            actor="counter-1",
        )


def test_the_answer_to_a_registration_does_not_tell_who_is_on_file(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = _known(uow, policy)
    known = register(
        uow,
        policy,
        CounterVerification(),
        number=stored.subject_number,
        name="王秀英",
        phone="13800138000",
        password=PASSWORD,
    )
    stranger = register(
        uow,
        policy,
        CounterVerification(),
        number=citizen_id(born=date(1990, 3, 3)),
        name="李娜",
        phone="13800138000",
        password=PASSWORD,
    )
    assert (known.status, known.account_id) == (stranger.status, stranger.account_id)
    assert known.lapses_on(30) == stranger.lapses_on(30)


def test_a_verified_person_the_platform_holds_nothing_on_gets_an_empty_file(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    number = citizen_id(born=date(1991, 4, 4), male=False)
    waiting = _apply(uow, policy, number, "李娜")
    verify_registration(
        uow, policy, waiting, number_seen=number, name_seen="李娜", actor="counter-1"
    )
    with uow:
        subject = uow.subjects.get_by_number(number)
    assert subject is not None
    assert (subject.kind, subject.name, subject.sex) == (SubjectType.PERSON, "李娜", "female")
    assert subject.birth_date == date(1991, 4, 4)
    assert uow.committed.records == {}


def _verify(uow: FakeUnitOfWork, policy: Policy, registration: int, number: str, name: str) -> None:
    verify_registration(
        uow, policy, registration, number_seen=number, name_seen=name, actor="counter-1"
    )


def test_a_name_the_platform_holds_otherwise_opens_no_account(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = _known(uow, policy, "王秀英")
    waiting = _apply(uow, policy, stored.subject_number, "王秀华")
    for _ in range(2):  # asked again, it waits on the same review
        with pytest.raises(Conflict, match="until identity review 1 settles"):
            _verify(uow, policy, waiting, stored.subject_number, "王秀华")
    assert uow.committed.accounts == {}
    [review] = uow.committed.reviews.values()
    assert (review.id, review.subject_id, review.record_id, review.registration_id) == (
        1,
        stored.record.subject_id,
        None,
        waiting,
    )
    assert (review.kind, review.known_value, review.submitted_value, review.is_open) == (
        "name",
        "王秀英",
        "王秀华",
        True,
    )
    [held] = [e for e in uow.committed.audit if e.tag is EventTag.REGISTRATION_HELD]
    assert (held.entity_id, held.subject_id, held.data) == (
        str(waiting),
        stored.record.subject_id,
        {"review_id": 1},
    )
    assert stored.subject_number not in str(held)
    assert uow.committed.registrations[waiting].status is RegistrationStatus.PENDING
    assert [s.name for s in uow.committed.subjects.values()] == ["王秀英"]  # never overwritten
    with pytest.raises(NotVerifiedYet):
        login(uow, policy, number=stored.subject_number, password=PASSWORD)


def test_a_name_written_with_a_middle_dot_or_without_is_the_same_name(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    """Names compare as records compare them (spaces and middle dots aside): 买买提·艾力 on file
    is 买买提艾力 on the registration and on the ID card as staff type it."""
    stored = _known(uow, policy, "买买提·艾力")
    waiting = _apply(uow, policy, stored.subject_number, "买买提艾力")
    _verify(uow, policy, waiting, stored.subject_number, "买买提 · 艾力")
    (account,) = uow.committed.accounts.values()
    assert account.subject_id == stored.record.subject_id
    assert uow.committed.reviews == {}


def test_an_identity_review_opens_the_waiting_account_or_refuses_the_registration(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    same, other = _known(uow, policy, "王秀英"), _known(uow, policy, "张伟")
    opens = _apply(uow, policy, same.subject_number, "王秀华")
    refused = _apply(uow, policy, other.subject_number, "张玮")
    for registration, stored, name in ((opens, same, "王秀华"), (refused, other, "张玮")):
        with pytest.raises(Conflict, match="identity review"):
            _verify(uow, policy, registration, stored.subject_number, name)
    first, second = uow.committed.reviews.values()
    # The review takes longer than a registration waits: it lapses for the person, not here.
    uow.at += timedelta(days=policy.accounts.registration_days + 5)
    resolve_identity_review(
        uow, policy, first.id, same_person=True, note="户籍登记显示曾用名王秀英", actor="centre-1"
    )
    (account,) = uow.committed.accounts.values()
    assert account.subject_id == same.record.subject_id
    assert uow.committed.registrations[opens].status is RegistrationStatus.VERIFIED
    assert login(uow, policy, number=same.subject_number, password=PASSWORD).token
    resolve_identity_review(
        uow, policy, second.id, same_person=False, note="证件与平台所载不是同一人", actor="centre-1"
    )
    assert uow.committed.registrations[refused].status is RegistrationStatus.REFUSED
    with pytest.raises(NotVerifiedYet, match="was refused: 身份核查认定"):
        login(uow, policy, number=other.subject_number, password=PASSWORD)
    assert len(uow.committed.accounts) == 1
    registration_events = [
        (e.tag, e.entity_id) for e in uow.committed.audit if e.entity_type == "registration"
    ]
    assert registration_events[-2:] == [
        (EventTag.REGISTRATION_VERIFIED, str(opens)),
        (EventTag.REGISTRATION_REFUSED, str(refused)),
    ]
    resolved = [e for e in uow.committed.audit if e.tag is EventTag.IDENTITY_REVIEW_RESOLVED]
    assert [e.data for e in resolved] == [
        {"resolution": "same_person", "registration_id": opens},
        {"resolution": "different_person", "registration_id": refused},
    ]
    assert [s.name for s in uow.committed.subjects.values()] == ["王秀英", "张伟"]


def test_a_review_found_the_same_person_opens_the_account_whether_or_not_stored_resolved(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    """The decision opens the account by itself: it does not hang on the review being stored
    as resolved first, and opens no other review for the name it settled."""
    stored = _known(uow, policy, "王秀英")
    waiting = _apply(uow, policy, stored.subject_number, "王秀华")
    with pytest.raises(Conflict, match="identity review"):
        _verify(uow, policy, waiting, stored.subject_number, "王秀华")
    [review] = uow.committed.reviews.values()
    assert review.is_open

    with uow:
        decide_registration(uow, policy, review, same_person=True, actor="centre-1", at=uow.now())
        uow.commit()

    (account,) = uow.committed.accounts.values()
    assert account.subject_id == stored.record.subject_id
    assert uow.committed.registrations[waiting].status is RegistrationStatus.VERIFIED
    assert list(uow.committed.reviews) == [review.id]


def test_a_name_a_review_found_the_persons_opens_a_later_registration_at_once(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = _known(uow, policy, "王秀英")
    lapsed = _apply(uow, policy, stored.subject_number, "王秀华")
    with pytest.raises(Conflict):
        _verify(uow, policy, lapsed, stored.subject_number, "王秀华")
    refuse_registration(uow, policy, lapsed, reasons="申请人要求撤回", actor="counter-1")
    [review] = uow.committed.reviews.values()
    resolve_identity_review(
        uow, policy, review.id, same_person=True, note="户籍登记显示曾用名", actor="centre-1"
    )
    assert uow.committed.accounts == {}  # refused meanwhile: nothing waits on the review
    again = _apply(uow, policy, stored.subject_number, "王秀华")
    _verify(uow, policy, again, stored.subject_number, "王秀华")
    (account,) = uow.committed.accounts.values()
    assert account.subject_id == stored.record.subject_id
    assert len(uow.committed.reviews) == 1


def test_an_online_verifier_leaves_a_name_held_otherwise_waiting_for_a_review(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = _known(uow, policy, "王秀英")
    waiting = register(
        uow,
        policy,
        _OnlineVerifier(Verdict.VERIFIED),
        number=stored.subject_number,
        name="王秀华",
        phone="13800138000",
        password=PASSWORD,
    )
    assert waiting.status is RegistrationStatus.PENDING
    assert uow.committed.accounts == {}
    [review] = uow.committed.reviews.values()
    assert (review.registration_id, review.submitted_value) == (waiting.id, "王秀华")


def test_a_refused_registration_is_told_with_its_reasons_and_a_lapsed_one_is_not_verified(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = _known(uow, policy)
    refused = _apply(uow, policy, stored.subject_number)
    with pytest.raises(Invalid, match="reasons"):
        refuse_registration(uow, policy, refused, reasons=" ", actor="counter-1")
    refuse_registration(uow, policy, refused, reasons="证件照片与本人不符", actor="counter-1")
    with pytest.raises(NotVerifiedYet, match="was refused: 证件照片与本人不符"):
        login(uow, policy, number=stored.subject_number, password=PASSWORD)

    lapsing = _apply(uow, policy, stored.subject_number)
    uow.at += timedelta(days=policy.accounts.registration_days + 1)
    with pytest.raises(Conflict, match="lapsed"):
        verify_registration(
            uow,
            policy,
            lapsing,
            number_seen=stored.subject_number,
            name_seen="王秀英",
            actor="counter-1",
        )
    assert uow.committed.accounts == {}


class _OnlineVerifier:
    """An online verifier answering at once, as a government identity service would."""

    name = "online"

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict

    def check(self, *, number: str, name: str) -> VerifierAnswer:
        return VerifierAnswer(
            self.verdict, "姓名与号码不一致" if self.verdict is Verdict.REFUSED else None
        )


def test_an_online_verifier_opens_or_refuses_at_once(uow: FakeUnitOfWork, policy: Policy) -> None:
    opened, refused = _known(uow, policy), _known(uow, policy, "张伟")
    done = register(
        uow,
        policy,
        _OnlineVerifier(Verdict.VERIFIED),
        number=opened.subject_number,
        name="王秀英",
        phone="13800138000",
        password=PASSWORD,
    )
    assert done.status is RegistrationStatus.VERIFIED
    assert done.decided_by == "verifier:online"
    assert login(uow, policy, number=opened.subject_number, password=PASSWORD).token
    no = register(
        uow,
        policy,
        _OnlineVerifier(Verdict.REFUSED),
        number=refused.subject_number,
        name="张伟",
        phone="13800138000",
        password=PASSWORD,
    )
    assert (no.status, no.reasons) == (RegistrationStatus.REFUSED, "姓名与号码不一致")
    assert len(uow.committed.accounts) == 1


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
            register(uow, policy, CounterVerification(), **args)
        assert refused.value.detail.startswith(field)
        assert malformed[:14] not in refused.value.detail
    assert uow.committed.accounts == {}
    assert uow.committed.registrations == {}


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
    with pytest.raises(LoginFailed, match=f"{rules.lockout_minutes} minutes"):
        login(uow, policy, number=stored.subject_number, password=PASSWORD)
    uow.at += timedelta(minutes=rules.lockout_minutes + 1)
    assert login(uow, policy, number=stored.subject_number, password=PASSWORD).token


def test_a_lock_holds_only_for_the_client_that_tried_and_decays_with_the_window(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    """Anyone can type a person's number; nobody can lock the person out of their own
    devices, and no lock outlives the window after the last wrong password."""
    stored = _known(uow, policy)
    _register(uow, policy, stored)
    rules = policy.accounts
    for _ in range(rules.max_failed_logins):
        with pytest.raises(LoginFailed):
            login(uow, policy, number=stored.subject_number, password="nope", client="attacker")
    with pytest.raises(LoginFailed):
        login(uow, policy, number=stored.subject_number, password=PASSWORD, client="attacker")
    assert login(uow, policy, number=stored.subject_number, password=PASSWORD, client="own")
    # The attacker keeps trying: refused unverified, and counted no further.
    for _ in range(20):
        with pytest.raises(LoginFailed):
            login(uow, policy, number=stored.subject_number, password="nope", client="attacker")
    uow.at += timedelta(minutes=rules.lockout_minutes, seconds=1)
    assert login(uow, policy, number=stored.subject_number, password=PASSWORD, client="attacker")


class CountingWork(PasswordWork):
    """Counts the argon2 verifications a login does."""

    def __init__(self) -> None:
        super().__init__(workers=1, waiting=0)
        self.done = 0

    def verify(self, password_hash: str, password: str) -> bool:
        self.done += 1
        return super().verify(password_hash, password)


def test_every_failed_login_does_one_verification_whether_or_not_an_account_exists(
    uow: FakeUnitOfWork, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same answer after the same work: neither the words nor the time tell whether a
    number has an account."""
    stored = _known(uow, policy)
    _register(uow, policy, stored)
    work = CountingWork()
    monkeypatch.setattr(accounts, "password_work", work)
    answers = []
    for number, client in [
        (stored.subject_number, "a"),  # an account, wrong password
        (citizen_id(born=date(1991, 2, 3)), "a"),  # no account
        ("not a number", "a"),  # not even a number
    ]:
        before = work.done
        with pytest.raises(LoginFailed) as failed:
            login(uow, policy, number=number, password="wrong", client=client)
        answers.append(failed.value.detail)
        assert work.done == before + 1
    for _ in range(policy.accounts.max_failed_logins):
        with pytest.raises(LoginFailed):
            login(uow, policy, number=stored.subject_number, password="wrong", client="b")
    before = work.done
    with pytest.raises(LoginFailed) as locked:
        login(uow, policy, number=stored.subject_number, password=PASSWORD, client="b")
    assert work.done == before + 1  # locked: a verification against nothing, all the same
    assert {*answers, locked.value.detail} == {answers[0]}


def test_password_work_refuses_at_once_when_every_slot_and_place_in_line_is_taken() -> None:
    work = PasswordWork(workers=1, waiting=0)
    assert work.verify(hash_password(PASSWORD), PASSWORD)
    assert work._queue.acquire(blocking=False)  # someone holds the only place
    try:
        with pytest.raises(RateLimited) as busy:
            work.verify(hash_password(PASSWORD), PASSWORD)
        assert busy.value.retry_after == 1
    finally:
        work._queue.release()


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


def test_an_api_token_lives_minutes_and_its_refresh_token_renews_it_once(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = _known(uow, policy)
    _register(uow, policy, stored)
    rules = policy.accounts
    first = login(uow, policy, number=stored.subject_number, password=PASSWORD, api=True)
    assert first.refresh_token is not None
    assert authenticate_session(uow, first.refresh_token) is None  # renews; never authenticates
    uow.at += timedelta(minutes=rules.api_access_minutes)
    assert authenticate_session(uow, first.token) is None  # lapsed
    second = refresh_session(uow, policy, first.refresh_token)
    assert authenticate_session(uow, second.token) is not None
    assert second.refresh_token not in (None, first.refresh_token)
    assert second.refresh_token is not None
    third = refresh_session(uow, policy, second.refresh_token)
    assert third.refresh_token is not None
    # The first refresh token again: someone else holds a copy. The whole login ends.
    with pytest.raises(RefreshRefused):
        refresh_session(uow, policy, first.refresh_token)
    assert authenticate_session(uow, third.token) is None
    with pytest.raises(RefreshRefused):
        refresh_session(uow, policy, third.refresh_token)
    reused = [e for e in uow.committed.audit if e.tag is EventTag.ACCOUNT_REFRESH_REUSED]
    assert len(reused) == 1
    assert reused[0].data["tokens_ended"] == 6  # three pairs: every token of the login
    # Another login (another family) is untouched, and a refresh token lapses with its days.
    other = login(uow, policy, number=stored.subject_number, password=PASSWORD, api=True)
    assert other.refresh_token is not None
    uow.at += timedelta(days=rules.api_refresh_days)
    with pytest.raises(RefreshRefused):
        refresh_session(uow, policy, other.refresh_token)
    with pytest.raises(RefreshRefused):
        refresh_session(uow, policy, "xr_not-a-token")


def test_a_password_change_with_a_wrong_current_password_is_refused_and_audited(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = _known(uow, policy)
    account = _register(uow, policy, stored)
    session = login(uow, policy, number=stored.subject_number, password=PASSWORD)
    new = "lantern orchard quietly"

    with pytest.raises(Invalid, match=r"^current_password: "):
        accounts.change_password(
            uow, policy, account_id=account.id or 0, current="not it at all", new=new
        )

    assert authenticate_session(uow, session.token) is not None  # nothing changed, nothing ended
    refused = [e for e in uow.committed.audit if e.tag is EventTag.ACCOUNT_PASSWORD_REFUSED]
    assert [(e.actor, e.subject_id, e.reason) for e in refused] == [
        (f"account:{account.id}", account.subject_id, "current_password")
    ]
    assert "not it at all" not in repr(uow.committed)
    ended = accounts.change_password(
        uow, policy, account_id=account.id or 0, current=PASSWORD, new=new
    )
    assert ended == 1
    assert authenticate_session(uow, session.token) is None
