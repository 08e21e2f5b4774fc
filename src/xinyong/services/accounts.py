"""People's accounts: real-name registration, login, sessions and tokens, agents.

An account is opened by a verified registration (services/registrations.py). Passwords are kept
only as argon2 hashes; sessions and API tokens only as SHA-256 hashes of random secrets.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from xinyong.domain.access import Scope
from xinyong.domain.accounts import (
    Account,
    Registration,
    RegistrationStatus,
    TokenInfo,
    TokenKind,
)
from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.calendar import business_date
from xinyong.domain.errors import (
    Invalid,
    NotAllowed,
    NotFound,
    Unauthenticated,
)
from xinyong.domain.identifiers import InvalidIdentifier, parse_citizen_id, redact_id_numbers
from xinyong.domain.keys import ApiKey
from xinyong.domain.policy import Policy
from xinyong.domain.rates import Action, RateLimited, Who
from xinyong.services.passwords import check_password

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


class AccountRepository(Protocol):
    def add(self, account: Account) -> int: ...
    def get(self, account_id: int) -> Account: ...
    def by_subject(self, subject_id: int) -> Account | None: ...
    def add_token(
        self,
        account_id: int,
        token_hash: str,
        *,
        at: datetime,
        expires_at: datetime,
        kind: TokenKind = TokenKind.SESSION,
        family: str | None = None,
    ) -> None: ...
    def token_info(self, token_hash: str) -> TokenInfo | None: ...
    def use_token(self, token_hash: str, *, at: datetime) -> bool:
        """Mark a refresh token used, once: False if it was used or revoked already."""
        ...

    def revoke_family(self, family: str, *, at: datetime) -> int: ...
    def by_token(self, token_hash: str, *, at: datetime) -> Account | None:
        """The account a live (unexpired, unrevoked) token belongs to."""
        ...

    def revoke_token(self, token_hash: str, *, at: datetime) -> bool: ...
    def set_password(self, account_id: int, password_hash: str) -> None: ...
    def revoke_tokens_of(self, account_id: int, *, at: datetime) -> int:
        """End every live session and token of the account; return how many."""
        ...

    def add_agency(
        self,
        *,
        agent_account_id: int,
        principal_subject_id: int,
        power_of_attorney: str,
        valid_until: date,
        by: str,
        at: datetime,
    ) -> int: ...
    def principals_of(self, agent_account_id: int, *, on: date) -> list[int]:
        """The subjects an agent may act for on `on` (live powers of attorney)."""
        ...


SESSION_PREFIX = "xs_"
#: A refresh token's prefix: it renews an API login and authenticates nothing itself.
REFRESH_PREFIX = "xr_"
_hasher = PasswordHasher()


#: Verified against when there is no account, so that a login takes as long either way.
_DUMMY_HASH = _hasher.hash("not a password anyone has")


class PasswordWork:
    """Bounds the argon2 work running at once (each verification costs tens of milliseconds of
    a core): logins queue for a slot instead of taking every core from the checks. When the
    queue is full too, a login is refused at once (429, retry in a second)."""

    def __init__(self, workers: int, waiting: int) -> None:
        self.workers = max(1, workers)
        self._slots = threading.BoundedSemaphore(self.workers)
        self._queue = threading.BoundedSemaphore(self.workers + max(0, waiting))

    def verify(self, password_hash: str, password: str) -> bool:
        if not self._queue.acquire(blocking=False):
            raise RateLimited(Action.LOGIN, Who.SERVER, 1)
        try:
            with self._slots:
                return _password_matches(password_hash, password)
        finally:
            self._queue.release()


#: The process's password work; `bootstrap.build` sizes it from the settings.
password_work = PasswordWork(workers=2, waiting=16)


def limit_password_work(workers: int, waiting: int) -> None:
    """Size the process's password work (XINYONG_PASSWORD_WORKERS, XINYONG_PASSWORD_QUEUE)."""
    global password_work
    password_work = PasswordWork(workers, waiting)


class LoginFailed(Unauthenticated):
    """Wrong number or password, a disabled account, or too many wrong passwords from this
    client: one message for all, so that none of them tells whether an account exists."""

    def __init__(self, minutes: int = 15) -> None:
        super().__init__(
            "the number or password is wrong, or the account is disabled, or too many wrong"
            f" passwords were tried from here: check them, or try again in {minutes} minutes"
        )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mobile_number(raw: str) -> str:
    """A mainland mobile number, digits only, or Invalid."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    if len(digits) != 11 or not digits.startswith("1"):
        raise Invalid("phone: a mainland mobile number has 11 digits and starts with 1")
    return digits


def hash_password(password: str) -> str:
    """The argon2 hash a password is kept as (the password itself never is)."""
    return _hasher.hash(password)


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


class NotVerifiedYet(NotAllowed):
    """The right password, but the account is not open: the registration waits for real-name
    verification, or was refused."""

    title = "Registration not verified"

    def __init__(self, registration: Registration, *, days: int) -> None:
        if registration.status is RegistrationStatus.REFUSED:
            detail = f"registration {registration.id} was refused: {registration.reasons}"
        else:
            detail = (
                f"registration {registration.id} waits for real-name verification: bring your"
                f" ID card to a credit-centre counter by {registration.lapses_on(days)}"
            )
        super().__init__(redact_id_numbers(detail))
        self.registration = registration


@dataclass(frozen=True, slots=True)
class Session:
    token: str  # shown once; only its hash is stored
    expires_at: datetime
    account: Account
    #: An API login's refresh token (shown once) and when it lapses; None for a browser's.
    refresh_token: str | None = None
    refresh_expires_at: datetime | None = None


class RefreshRefused(Unauthenticated):
    """A refresh token that renews nothing: unknown, expired, or used already (then every
    token of its login has just been ended)."""

    def __init__(self) -> None:
        super().__init__("the refresh token is unknown, expired or used: log in again")


def _open(
    uow: UnitOfWork,
    policy: Policy,
    account: Account,
    *,
    api: bool,
    at: datetime,
    family: str | None = None,
) -> Session:
    """Store a new browser session, or a new API access token and refresh token (of `family`,
    or a new one), and return them; the caller commits."""
    if account.id is None:
        raise NotFound("the account is not stored")
    rules = policy.accounts
    if not api:
        token = SESSION_PREFIX + secrets.token_urlsafe(32)
        expires = at + timedelta(hours=rules.session_hours)
        uow.accounts.add_token(account.id, _token_hash(token), at=at, expires_at=expires)
        return Session(token, expires, account)
    family = family or secrets.token_hex(16)
    access = SESSION_PREFIX + secrets.token_urlsafe(32)
    refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
    access_until = at + timedelta(minutes=rules.api_access_minutes)
    refresh_until = at + timedelta(days=rules.api_refresh_days)
    uow.accounts.add_token(
        account.id,
        _token_hash(access),
        at=at,
        expires_at=access_until,
        kind=TokenKind.ACCESS,
        family=family,
    )
    uow.accounts.add_token(
        account.id,
        _token_hash(refresh),
        at=at,
        expires_at=refresh_until,
        kind=TokenKind.REFRESH,
        family=family,
    )
    return Session(access, access_until, account, refresh, refresh_until)


def refresh_session(uow: UnitOfWork, policy: Policy, refresh_token: str) -> Session:
    """Exchange a refresh token (good once) for a new access token and refresh token.

    A refresh token presented a second time means two parties hold it: every token of that
    login (its family) ends at once, the reuse is audited, and the caller logs in again.
    """
    with uow:
        now = uow.now()
        digest = _token_hash(refresh_token)
        info = uow.accounts.token_info(digest)
        if info is None or info.kind is not TokenKind.REFRESH or info.family is None:
            raise RefreshRefused
        account = uow.accounts.get(info.account_id)
        if info.used_at is not None or info.revoked_at is not None:
            if info.used_at is not None:
                ended = uow.accounts.revoke_family(info.family, at=now)
                uow.audit.add(
                    AuditEvent(
                        EventTag.ACCOUNT_REFRESH_REUSED,
                        "anonymous",
                        "account",
                        str(info.account_id),
                        now,
                        subject_id=account.subject_id,
                        reason="a used refresh token was presented again",
                        data={"tokens_ended": ended},
                    )
                )
                uow.commit()
            raise RefreshRefused
        if info.expires_at <= now or account.disabled_at is not None:
            raise RefreshRefused
        if not uow.accounts.use_token(digest, at=now):  # a concurrent exchange won the race
            raise RefreshRefused
        session = _open(uow, policy, account, api=True, at=now, family=info.family)
        uow.audit.add(
            AuditEvent(
                EventTag.ACCOUNT_TOKEN_REFRESHED,
                f"account:{info.account_id}",
                "account",
                str(info.account_id),
                now,
                subject_id=account.subject_id,
            )
        )
        uow.commit()
    return session


def login(
    uow: UnitOfWork,
    policy: Policy,
    *,
    number: str,
    password: str,
    api: bool = False,
    client: str = "-",
) -> Session:
    """Check the password and open a session (web, hours) or an API token (minutes, with a
    refresh token).

    Every failure answers alike (LoginFailed) after one argon2 verification, whether or not an
    account exists for the number. Wrong passwords are counted per (account, client): `client`
    is a keyed digest of the caller's address. After `max_failed_logins` within
    `lockout_minutes` from one client, that client's logins for the account fail unverified
    until the window has passed; the person's other clients are unaffected, and the lock lasts
    at most the window after the last wrong password (docs/security.md).
    """
    rules = policy.accounts
    try:
        normalised = parse_citizen_id(number).number
    except InvalidIdentifier:
        password_work.verify(_DUMMY_HASH, password)  # as long as any other failure
        raise LoginFailed(rules.lockout_minutes) from None
    actor = f"client:{client}"
    with uow:
        subject = uow.subjects.get_by_number(normalised)
        account = uow.accounts.by_subject(subject.id) if subject and subject.id else None
        now = uow.now()
        if account is None or account.id is None:
            # No account: a registration that waits, or was refused, is told as such to the
            # person who knows its password; anyone else hears what every failed login hears.
            waiting = uow.registrations.latest_for(normalised)
            matched = password_work.verify(
                waiting.password_hash if waiting else _DUMMY_HASH, password
            )
            if waiting is not None and matched:
                raise NotVerifiedYet(waiting, days=rules.registration_days)
            raise LoginFailed(rules.lockout_minutes)
        failures = uow.audit.count_since(
            EventTag.ACCOUNT_LOGIN_FAILED.value,
            subject_id=account.subject_id,
            since=now - timedelta(minutes=rules.lockout_minutes),
            actor=actor,
        )
        if failures >= rules.max_failed_logins:
            password_work.verify(_DUMMY_HASH, password)  # the same work, and no answer
            raise LoginFailed(rules.lockout_minutes)
        if not password_work.verify(account.password_hash, password):
            uow.audit.add(
                AuditEvent(
                    EventTag.ACCOUNT_LOGIN_FAILED,
                    actor,
                    "account",
                    str(account.id),
                    now,
                    subject_id=account.subject_id,
                )
            )
            uow.commit()
            raise LoginFailed(rules.lockout_minutes)
        if account.disabled_at is not None:
            raise LoginFailed(rules.lockout_minutes)
        session = _open(uow, policy, account, api=api, at=now)
        uow.audit.add(
            AuditEvent(
                EventTag.ACCOUNT_LOGGED_IN,
                f"account:{account.id}",
                "account",
                str(account.id),
                now,
                subject_id=account.subject_id,
                data={"kind": "api" if api else "web"},
            )
        )
        uow.commit()
    return session


def change_password(
    uow: UnitOfWork, policy: Policy, *, account_id: int, current: str, new: str
) -> int:
    """Change a person's password: the current one must be right (a wrong one is audited) and
    the new one must pass the password rules (services/passwords.py). Every session and token
    of the account ends, this one too; return how many ended."""
    with uow:
        account = uow.accounts.get(account_id)
        subject = uow.subjects.get(account.subject_id)
        if not password_work.verify(account.password_hash, current):
            uow.audit.add(
                AuditEvent(
                    EventTag.ACCOUNT_PASSWORD_REFUSED,
                    f"account:{account_id}",
                    "account",
                    str(account_id),
                    uow.now(),
                    subject_id=account.subject_id,
                    reason="current_password",
                )
            )
            uow.commit()
            raise Invalid("current_password: is not the account's password")
        check_password(
            policy.accounts, new, number=subject.number, name=subject.name, field="new_password"
        )
        now = uow.now()
        uow.accounts.set_password(account_id, hash_password(new))
        ended = uow.accounts.revoke_tokens_of(account_id, at=now)
        uow.audit.add(
            AuditEvent(
                EventTag.ACCOUNT_PASSWORD_CHANGED,
                f"account:{account_id}",
                "account",
                str(account_id),
                now,
                subject_id=account.subject_id,
                data={"sessions_ended": ended},
            )
        )
        uow.commit()
    return ended


def logout(uow: UnitOfWork, token: str) -> None:
    with uow:
        uow.accounts.revoke_token(_token_hash(token), at=uow.now())
        uow.commit()


def authenticate_session(uow: UnitOfWork, token: str) -> ApiKey | None:
    """The caller a live session token stands for: scope `me`, acting for its own subject."""
    if not token.startswith(SESSION_PREFIX):
        return None
    with uow:
        now = uow.now()
        account = uow.accounts.by_token(_token_hash(token), at=now)
    if account is None or account.id is None:
        return None
    return ApiKey(
        id=None,
        prefix=f"account-{account.id}",
        secret_hash="",
        label="person",
        department=None,
        scopes=frozenset({Scope.ME}),
        created_at=account.created_at,
        account_id=account.id,
        subject_id=account.subject_id,
    )


def record_agent(
    uow: UnitOfWork,
    *,
    agent_number: str,
    principal_number: str,
    power_of_attorney: str,
    valid_until: date,
    actor: str,
) -> int:
    """Record (staff) that a person with an account may act for another, by power of attorney."""
    if not power_of_attorney.strip():
        raise Invalid("power_of_attorney: the document's reference is required")
    try:
        agent = parse_citizen_id(agent_number).number
        principal = parse_citizen_id(principal_number).number
    except InvalidIdentifier as exc:
        raise Invalid(f"number: not a valid citizen ID number: {exc.reason}") from None
    with uow:
        found = uow.subjects.find_by_numbers({agent, principal})
        agent_subject, principal_subject = found.get(agent), found.get(principal)
        if agent_subject is None or agent_subject.id is None:
            raise NotFound("agent: no account for that number")
        agent_account = uow.accounts.by_subject(agent_subject.id)
        if agent_account is None or agent_account.id is None:
            raise NotFound("agent: no account for that number")
        if principal_subject is None or principal_subject.id is None:
            raise NotFound("principal: the platform holds no information about this person")
        now = uow.now()
        if valid_until < business_date(now):
            raise Invalid("valid_until: is in the past")
        agency_id = uow.accounts.add_agency(
            agent_account_id=agent_account.id,
            principal_subject_id=principal_subject.id,
            power_of_attorney=power_of_attorney.strip(),
            valid_until=valid_until,
            by=actor,
            at=now,
        )
        uow.audit.add(
            AuditEvent(
                EventTag.AGENT_RECORDED,
                actor,
                "agency",
                str(agency_id),
                now,
                subject_id=principal_subject.id,
                data={"agent_account": agent_account.id, "until": valid_until.isoformat()},
            )
        )
        uow.commit()
    return agency_id


def acting_for(uow: UnitOfWork, caller: ApiKey, on_behalf_of: int | None) -> int:
    """The subject a person's request is about: their own, or a principal's under an agency."""
    if caller.subject_id is None or caller.account_id is None:
        raise NotAllowed("only a person's session acts for a person")
    if on_behalf_of is None or on_behalf_of == caller.subject_id:
        return caller.subject_id
    with uow:
        principals = uow.accounts.principals_of(caller.account_id, on=business_date(uow.now()))
    if on_behalf_of not in principals:
        raise NotAllowed("no live power of attorney lets this account act for that person")
    return on_behalf_of
