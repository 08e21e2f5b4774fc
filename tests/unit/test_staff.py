"""Staff accounts over the fakes: created by the centre with a role of the key matrix, a password
then a time-based code, no code used twice, a lockout, disabling, and every refusal audited."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from argon2 import PasswordHasher

from tests.fakes import FakeUnitOfWork
from xinyong.domain.access import CENTRE_SCOPES, ROLE_SCOPES, Role, Scope
from xinyong.domain.audit import EventTag
from xinyong.domain.errors import Conflict, Invalid, NotFound, TooManyAttempts
from xinyong.domain.policy import Policy
from xinyong.services import accounts, staff
from xinyong.services.staff import StaffLoginFailed

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def _add(uow: FakeUnitOfWork, policy: Policy, **over: object) -> staff.NewStaff:
    values: dict[str, object] = {
        "username": "wang.amr",
        "name": "王科员",
        "role": Role.SOURCE_DEPARTMENT,
        "department": "BJ-AMR",
        "password": PASSWORD,
        "actor": "cli",
    } | over
    return staff.add_staff(uow, policy, **values)  # type: ignore[arg-type]


def _code(new: staff.NewStaff, uow: FakeUnitOfWork, shift: int = 0) -> str:
    return pyotp.TOTP(new.secret).at(uow.now() + timedelta(seconds=shift))


def _refusals(uow: FakeUnitOfWork) -> list[str]:
    return [
        str(e.data.get("reason"))
        for e in uow.committed.audit
        if e.tag is EventTag.STAFF_LOGIN_REFUSED
    ]


def _login(uow: FakeUnitOfWork, policy: Policy, new: staff.NewStaff) -> staff.StaffSession:
    pending = staff.start_login(uow, policy, username=new.staff.username, password=PASSWORD)
    return staff.finish_login(uow, policy, token=pending.token, code=_code(new, uow))


def test_a_user_of_a_department_that_submits_and_checks_may_hold_both_its_roles(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    new = _add(uow, policy, also=(Role.IMPLEMENTING_DEPARTMENT,))
    found = staff.authenticate_staff(uow, _login(uow, policy, new).token)
    assert found is not None
    user, caller = found
    assert user.roles == (Role.SOURCE_DEPARTMENT, Role.IMPLEMENTING_DEPARTMENT)
    assert caller.scopes == (
        ROLE_SCOPES[Role.SOURCE_DEPARTMENT] | ROLE_SCOPES[Role.IMPLEMENTING_DEPARTMENT]
    )
    added = [e for e in uow.committed.audit if e.tag is EventTag.STAFF_ADDED]
    assert added[-1].data["also"] == ["implementing_department"]


@pytest.mark.parametrize(
    ("role", "also", "department", "refusal"),
    [
        # BJ-SOCSEC provides items but checks for no matter: its mandate covers one role.
        (Role.SOURCE_DEPARTMENT, (Role.IMPLEMENTING_DEPARTMENT,), "BJ-SOCSEC", "no matter"),
        (Role.CREDIT_CENTRE, (Role.SOURCE_DEPARTMENT,), None, "two roles"),
        (Role.SOURCE_DEPARTMENT, (Role.SOURCE_DEPARTMENT,), "BJ-AMR", "each role once"),
        (Role.SOURCE_DEPARTMENT, (Role.CREDIT_AGENCY,), "BJ-AMR", "not a staff role"),
    ],
)
def test_two_roles_only_where_the_departments_mandate_covers_both(
    uow: FakeUnitOfWork,
    policy: Policy,
    role: Role,
    also: tuple[Role, ...],
    department: str | None,
    refusal: str,
) -> None:
    with pytest.raises(Invalid, match=refusal):
        _add(uow, policy, role=role, also=also, department=department)


def test_a_department_user_gets_the_scopes_a_key_of_their_role_gets(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    new = _add(uow, policy)
    session = _login(uow, policy, new)
    found = staff.authenticate_staff(uow, session.token)
    assert found is not None
    user, caller = found
    assert caller.department == "BJ-AMR"
    assert caller.scopes == ROLE_SCOPES[Role.SOURCE_DEPARTMENT]
    assert caller.actor == f"staff:{user.id}"
    assert user.is_enrolled
    assert "otpauth://totp/" in new.uri
    assert "issuer=xinyong" in new.uri


def test_centre_staff_hold_the_centres_own_steps_and_department_staff_never_do(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    centre = _add(uow, policy, username="li.centre", role=Role.CREDIT_CENTRE, department=None)
    assert centre.staff.scopes >= CENTRE_SCOPES
    assert Scope.RECORDS_WRITE not in centre.staff.scopes
    with pytest.raises(Invalid, match="department"):
        _add(uow, policy, username="x.centre", role=Role.CREDIT_CENTRE, department="BJ-AMR")
    with pytest.raises(Invalid, match="department"):
        _add(uow, policy, username="x.dept", department=None)
    with pytest.raises(Invalid, match="not a staff role"):
        _add(uow, policy, username="x.agency", role=Role.CREDIT_AGENCY, department=None)


def test_bad_usernames_passwords_departments_and_duplicates_are_refused(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    with pytest.raises(Invalid, match="username"):
        _add(uow, policy, username="王")
    with pytest.raises(Invalid, match="password"):
        _add(uow, policy, password="short")
    with pytest.raises(NotFound, match="department"):
        _add(uow, policy, department="NOWHERE")
    _add(uow, policy)
    with pytest.raises(Conflict, match="taken"):
        _add(uow, policy, username="Wang.AMR")


def test_the_password_alone_opens_nothing(uow: FakeUnitOfWork, policy: Policy) -> None:
    new = _add(uow, policy)
    pending = staff.start_login(uow, policy, username="wang.amr", password=PASSWORD)
    assert staff.authenticate_staff(uow, pending.token) is None
    assert staff.pending_staff(uow, pending.token) is not None
    uow.at += timedelta(minutes=policy.staff.second_factor_minutes, seconds=1)
    with pytest.raises(StaffLoginFailed):
        staff.finish_login(uow, policy, token=pending.token, code=_code(new, uow))
    assert _refusals(uow) == ["no_pending_login"]


def test_wrong_password_unknown_user_and_wrong_code_are_refused_and_audited(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    new = _add(uow, policy)
    with pytest.raises(StaffLoginFailed):
        staff.start_login(uow, policy, username="wang.amr", password="not the password")
    with pytest.raises(StaffLoginFailed):
        staff.start_login(uow, policy, username="nobody", password=PASSWORD)
    pending = staff.start_login(uow, policy, username="wang.amr", password=PASSWORD)
    wrong = f"{(int(_code(new, uow)) + 1) % 1_000_000:06d}"
    with pytest.raises(StaffLoginFailed):
        staff.finish_login(uow, policy, token=pending.token, code=wrong)
    assert _refusals(uow) == ["password", "unknown_user", "code"]
    assert staff.authenticate_staff(uow, pending.token) is None


def test_a_code_is_never_accepted_twice(uow: FakeUnitOfWork, policy: Policy) -> None:
    new = _add(uow, policy)
    code = _code(new, uow)
    _login(uow, policy, new)
    again = staff.start_login(uow, policy, username="wang.amr", password=PASSWORD)
    with pytest.raises(StaffLoginFailed):
        staff.finish_login(uow, policy, token=again.token, code=code)
    assert _refusals(uow) == ["code_reused"]
    uow.at += timedelta(seconds=30)
    assert staff.finish_login(uow, policy, token=again.token, code=_code(new, uow)).confirmed


def test_a_code_of_the_step_before_still_counts_for_clock_drift(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    new = _add(uow, policy)
    pending = staff.start_login(uow, policy, username="wang.amr", password=PASSWORD)
    earlier = _code(new, uow, shift=-30)
    assert staff.finish_login(uow, policy, token=pending.token, code=earlier).confirmed


def test_wrong_passwords_and_codes_lock_the_user_for_a_while(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    new = _add(uow, policy)
    for _ in range(policy.staff.max_failed_logins):
        with pytest.raises(StaffLoginFailed):
            staff.start_login(uow, policy, username="wang.amr", password="wrong password!")
    with pytest.raises(TooManyAttempts):
        staff.start_login(uow, policy, username="wang.amr", password=PASSWORD)
    assert _refusals(uow)[-1] == "locked"
    uow.at += timedelta(minutes=policy.staff.lockout_minutes)
    assert _login(uow, policy, new).confirmed


def test_disabling_a_user_ends_their_sessions_and_their_logins(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    new = _add(uow, policy)
    session = _login(uow, policy, new)
    staff.disable_staff(uow, "wang.amr", actor="centre")
    assert staff.authenticate_staff(uow, session.token) is None
    with pytest.raises(StaffLoginFailed):
        staff.start_login(uow, policy, username="wang.amr", password=PASSWORD)
    assert _refusals(uow) == ["disabled"]
    with pytest.raises(NotFound):
        staff.disable_staff(uow, "nobody", actor="centre")


def test_a_refused_page_is_audited(uow: FakeUnitOfWork, policy: Policy) -> None:
    new = _add(uow, policy, role=Role.IMPLEMENTING_DEPARTMENT, department="BJ-CAAC-NC")
    session = _login(uow, policy, new)
    found = staff.authenticate_staff(uow, session.token)
    assert found is not None
    staff.refuse_page(uow, found[1], Scope.RECORDS_WRITE, "/console/batches")
    (event,) = [e for e in uow.committed.audit if e.tag is EventTag.STAFF_REFUSED]
    assert event.data == {"scope": "records:write", "page": "/console/batches"}
    assert event.actor == f"staff:{new.staff.id}"
