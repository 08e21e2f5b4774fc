"""Staff accounts: created by the credit centre, a password and a time-based code to log in.

A login has two steps. The password opens a *pending* session that lasts a few minutes and can do
nothing but take the code; the code (RFC 6238, from the authenticator the user enrolled at their
first login) turns it into a console session. Every refusal is audited: a wrong password or code,
a locked or disabled account, an expired step, and a page a user's role may not open.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import pyotp

from xinyong.domain.access import Role, Scope
from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.errors import Conflict, Invalid, NotFound, TooManyAttempts, Unauthenticated
from xinyong.domain.keys import ApiKey
from xinyong.domain.policy import Policy
from xinyong.domain.staff import StaffUser, binding_problem, username_of
from xinyong.services.accounts import _password_matches, hash_password

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork

#: The start of every staff session token (a person's starts `xs_`, a key's `xy_`).
STAFF_PREFIX = "xt_"
#: The name the authenticator app shows beside the code.
ISSUER = "xinyong"
#: Verified against when there is no such user, so that a login takes as long either way.
_DUMMY_HASH = hash_password("not a password any staff user has")


class StaffRepository(Protocol):
    def add(self, staff: StaffUser) -> int: ...
    def get(self, staff_id: int) -> StaffUser: ...
    def by_username(self, username: str) -> StaffUser | None: ...
    def list(self) -> list[StaffUser]: ...
    def save(self, staff: StaffUser) -> None:
        """Store what a login or the centre changed: enrolment, last step, failures, lock,
        disabling."""
        ...

    def add_session(
        self, staff_id: int, token_hash: str, *, at: datetime, expires_at: datetime
    ) -> None:
        """A pending session: it waits for the second factor."""
        ...

    def live_session(self, token_hash: str, *, at: datetime) -> tuple[StaffUser, bool] | None:
        """The user a live session belongs to (unexpired, unrevoked, user not disabled) and
        whether its second factor was given."""
        ...

    def confirm_session(self, token_hash: str, *, at: datetime, expires_at: datetime) -> None: ...
    def revoke_sessions(self, staff_id: int, *, at: datetime) -> None: ...
    def revoke_session(self, token_hash: str, *, at: datetime) -> None: ...


class StaffLoginFailed(Unauthenticated):
    """One message for a wrong username, password or code, or a disabled account."""

    def __init__(self) -> None:
        super().__init__("the username, password or code is wrong, or the account is disabled")


@dataclass(frozen=True, slots=True)
class NewStaff:
    """A created user and what their authenticator needs (shown once, at enrolment)."""

    staff: StaffUser
    secret: str

    @property
    def uri(self) -> str:
        return enrolment_uri(self.staff)


@dataclass(frozen=True, slots=True)
class StaffSession:
    token: str  # shown once, in the cookie; only its hash is stored
    expires_at: datetime
    staff: StaffUser
    confirmed: bool  # the second factor was given


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def enrolment_uri(staff: StaffUser) -> str:
    """The otpauth:// URI an authenticator app reads (as text or as a QR code)."""
    return pyotp.TOTP(staff.totp_secret).provisioning_uri(name=staff.username, issuer_name=ISSUER)


def check_password(policy: Policy, password: str) -> None:
    """The password rules people's accounts follow (rights.toml `[accounts]`)."""
    if len(password) < policy.accounts.min_password_chars:
        raise Invalid(f"password: at least {policy.accounts.min_password_chars} characters")


def _audit(
    uow: UnitOfWork, tag: EventTag, actor: str, entity: str, at: datetime, **data: object
) -> None:
    uow.audit.add(AuditEvent(tag, actor, "staff", entity, at, data=dict(data)))


def add_staff(
    uow: UnitOfWork,
    policy: Policy,
    *,
    username: str,
    name: str,
    role: Role,
    department: str | None,
    password: str,
    actor: str,
    also: tuple[Role, ...] = (),
) -> NewStaff:
    """Create a user bound to a department (or the centre) with a role of the key matrix, and
    the department's other role (`also`) where its mandate covers both."""
    login = username_of(username)
    if not name.strip():
        raise Invalid("name: the user's name is required")
    mandate = policy.department(department) if department is not None else None
    problem = binding_problem(role, department, also, mandate)
    if problem:
        raise Invalid(problem)
    check_password(policy, password)
    with uow:
        if department is not None and uow.departments.get(department) is None:
            raise NotFound(f"department {department} is not registered")
        if uow.staff.by_username(login) is not None:
            raise Conflict(f"username {login} is taken")
        at = uow.now()
        secret = pyotp.random_base32()
        staff = StaffUser(
            None,
            login,
            name.strip(),
            role,
            department,
            hash_password(password),
            secret,
            at,
            actor,
            also=also,
        )
        uow.staff.add(staff)
        _audit(uow, EventTag.STAFF_ADDED, actor, str(staff.id), at, role=role.value,
               also=[r.value for r in also], department=department)  # fmt: skip
        uow.commit()
    return NewStaff(staff, secret)


def list_staff(uow: UnitOfWork) -> list[StaffUser]:
    with uow:
        return uow.staff.list()


def disable_staff(uow: UnitOfWork, username: str, *, actor: str) -> StaffUser:
    """Disable a user: every session of theirs ends now."""
    with uow:
        staff = uow.staff.by_username(username_of(username))
        if staff is None or staff.id is None:
            raise NotFound(f"no staff user {username_of(username)}")
        at = uow.now()
        staff.disable(at)
        uow.staff.save(staff)
        uow.staff.revoke_sessions(staff.id, at=at)
        _audit(uow, EventTag.STAFF_DISABLED, actor, str(staff.id), at)
        uow.commit()
    return staff


def _refuse(uow: UnitOfWork, staff: StaffUser | None, reason: str, at: datetime) -> None:
    """Audit a refused login and keep what the refusal changed (failures, a lock)."""
    if staff is not None:
        uow.staff.save(staff)
    entity = str(staff.id) if staff is not None else "unknown"
    _audit(uow, EventTag.STAFF_LOGIN_REFUSED, "anonymous", entity, at, reason=reason)
    uow.commit()


def start_login(uow: UnitOfWork, policy: Policy, *, username: str, password: str) -> StaffSession:
    """Check the password and open a pending session that waits for the code."""
    rules = policy.staff
    try:
        login = username_of(username)
    except Invalid:
        login = ""
    with uow:
        at = uow.now()
        staff = uow.staff.by_username(login) if login else None
        if staff is not None and staff.is_locked(at):
            _refuse(uow, staff, "locked", at)
            raise TooManyAttempts(
                f"too many wrong passwords or codes; try again in {rules.lockout_minutes} minutes"
            )
        matches = _password_matches(staff.password_hash if staff else _DUMMY_HASH, password)
        if staff is None or staff.id is None or not matches:
            if staff is not None:
                staff.failed(at=at, rules=rules)
            _refuse(uow, staff, "password" if staff else "unknown_user", at)
            raise StaffLoginFailed
        if staff.disabled_at is not None:
            _refuse(uow, staff, "disabled", at)
            raise StaffLoginFailed
        token = STAFF_PREFIX + secrets.token_urlsafe(32)
        expires = at + timedelta(minutes=rules.second_factor_minutes)
        uow.staff.add_session(staff.id, _token_hash(token), at=at, expires_at=expires)
        uow.commit()
    return StaffSession(token, expires, staff, confirmed=False)


def _accepted_step(secret: str, code: str, at: datetime) -> int | None:
    """The time step whose code `code` is (this one, or one either side for clock drift)."""
    totp = pyotp.TOTP(secret)
    digits = "".join(ch for ch in code if not ch.isspace())
    for drift in (0, -1, 1):
        moment = at + timedelta(seconds=drift * totp.interval)
        if hmac.compare_digest(totp.at(moment).encode(), digits.encode()):
            return int(totp.timecode(moment))
    return None


def finish_login(uow: UnitOfWork, policy: Policy, *, token: str, code: str) -> StaffSession:
    """Take the code of a pending session: a right one (never used before) opens the console."""
    rules = policy.staff
    with uow:
        at = uow.now()
        found = uow.staff.live_session(_token_hash(token), at=at) if token else None
        if found is None:
            _refuse(uow, None, "no_pending_login", at)
            raise StaffLoginFailed
        staff, confirmed = found
        if confirmed:
            raise Conflict("this session has given its code already")
        if staff.is_locked(at):
            _refuse(uow, staff, "locked", at)
            raise TooManyAttempts(
                f"too many wrong passwords or codes; try again in {rules.lockout_minutes} minutes"
            )
        step = _accepted_step(staff.totp_secret, code, at)
        if step is None or (staff.last_step is not None and step <= staff.last_step):
            staff.failed(at=at, rules=rules)
            _refuse(uow, staff, "code" if step is None else "code_reused", at)
            raise StaffLoginFailed
        staff.passed(step=step, at=at)
        uow.staff.save(staff)
        expires = at + timedelta(hours=rules.session_hours)
        uow.staff.confirm_session(_token_hash(token), at=at, expires_at=expires)
        _audit(uow, EventTag.STAFF_LOGGED_IN, staff.actor, str(staff.id), at)
        uow.commit()
    return StaffSession(token, expires, staff, confirmed=True)


def pending_staff(uow: UnitOfWork, token: str) -> StaffUser | None:
    """The user of a pending session (the second step's page: enrolment or the code)."""
    if not token.startswith(STAFF_PREFIX):
        return None
    with uow:
        found = uow.staff.live_session(_token_hash(token), at=uow.now())
    return found[0] if found is not None and not found[1] else None


def caller_of(staff: StaffUser) -> ApiKey:
    """The caller a staff user is to the services: their department and their role's scopes."""
    return ApiKey(
        id=None,
        prefix=f"staff-{staff.id}",
        secret_hash="",
        label=staff.username,
        department=staff.department,
        scopes=staff.scopes,
        created_at=staff.created_at,
        staff_id=staff.id,
    )


def authenticate_staff(uow: UnitOfWork, token: str) -> tuple[StaffUser, ApiKey] | None:
    """The user and caller a console session stands for (second factor given), or None."""
    if not token.startswith(STAFF_PREFIX):
        return None
    with uow:
        found = uow.staff.live_session(_token_hash(token), at=uow.now())
    if found is None or not found[1]:
        return None
    return found[0], caller_of(found[0])


def logout_staff(uow: UnitOfWork, token: str) -> None:
    with uow:
        uow.staff.revoke_session(_token_hash(token), at=uow.now())
        uow.commit()


def refuse_page(uow: UnitOfWork, caller: ApiKey | None, scope: Scope, page: str) -> None:
    """Audit a console page refused to a user whose role lacks `scope` (or to nobody signed in)."""
    with uow:
        at = uow.now()
        actor = caller.actor if caller is not None else "anonymous"
        entity = str(caller.staff_id) if caller is not None else "unknown"
        _audit(uow, EventTag.STAFF_REFUSED, actor, entity, at, scope=scope.value, page=page)
        uow.commit()
