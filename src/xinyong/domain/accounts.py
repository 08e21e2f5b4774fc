"""People's accounts: a real-name account bound to the subject the platform knows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from xinyong.domain.calendar import business_date
from xinyong.domain.errors import Conflict, Invalid
from xinyong.domain.figures import whole_number


@dataclass(frozen=True, slots=True)
class AccountRules:
    """The `[accounts]` figures: session and token lifetimes, passwords, lockout."""

    session_hours: int
    #: An API login's access token lives minutes; its refresh token (used once, rotated) days.
    api_access_minutes: int
    api_refresh_days: int
    min_password_chars: int
    #: The least zxcvbn score (0 to 4) a password must reach (services/passwords.py).
    min_password_score: int
    max_failed_logins: int
    lockout_minutes: int
    #: How long a registration waits for its identity to be verified before it lapses (days).
    registration_days: int

    @classmethod
    def from_policy(cls, data: Mapping[str, Any], file: str = "rights.toml") -> AccountRules:
        def figure(key: str) -> int:
            return whole_number(data, file, "accounts", key)

        return cls(
            session_hours=figure("session_hours"),
            api_access_minutes=figure("api_access_minutes"),
            api_refresh_days=figure("api_refresh_days"),
            min_password_chars=figure("min_password_chars"),
            min_password_score=figure("min_password_score"),
            max_failed_logins=figure("max_failed_logins"),
            lockout_minutes=figure("lockout_minutes"),
            registration_days=figure("registration_days"),
        )


@dataclass(slots=True)
class Account:
    """A person's real-name account (the password only as an argon2 hash)."""

    id: int | None
    subject_id: int
    phone: str
    password_hash: str
    created_at: datetime
    disabled_at: datetime | None = None


class TokenKind(StrEnum):
    """What a stored login token is: a browser's session, an API access token, or the refresh
    token that renews an access token (once)."""

    SESSION = "session"
    ACCESS = "access"
    REFRESH = "refresh"


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A stored token as the refresh rule reads it (never the token itself: only its hash)."""

    account_id: int
    kind: TokenKind
    family: str | None
    expires_at: datetime
    revoked_at: datetime | None
    used_at: datetime | None


class RegistrationStatus(StrEnum):
    """Where a registration stands: its real name waits to be verified, or was."""

    PENDING = "pending"  # waiting for the person's identity to be verified
    VERIFIED = "verified"  # verified: the account is open
    REFUSED = "refused"  # verification refused, with reasons


@dataclass(slots=True)
class Registration:
    """A request to open a real-name account. Nothing is opened until the person's identity is
    verified (at a credit-centre counter, or by an online verifier): knowing someone's number and
    name is not proof of being them."""

    id: int | None
    number: str  # the normalised citizen ID number (personal data: never logged or shown whole)
    name: str
    phone: str
    password_hash: str
    created_at: datetime
    status: RegistrationStatus = RegistrationStatus.PENDING
    decided_at: datetime | None = None
    decided_by: str | None = None
    reasons: str | None = None
    account_id: int | None = None

    def __repr__(self) -> str:
        return f"Registration(id={self.id}, number=…{self.number[-4:]}, {self.status.value})"

    def lapses_on(self, days: int) -> date:
        """The last day staff may verify it: after that the person registers again."""
        return business_date(self.created_at) + timedelta(days=days)

    def require_pending(self, *, on: date, days: int) -> None:
        if self.status is not RegistrationStatus.PENDING:
            raise Conflict(f"registration {self.id} is {self.status.value} already")
        if on > self.lapses_on(days):
            raise Conflict(
                f"registration {self.id} lapsed on {self.lapses_on(days)}: register again"
            )

    def verify(
        self, *, account_id: int, by: str, at: datetime, days: int, seen_on: date | None = None
    ) -> None:
        """The person's identity is verified: the account `account_id` is open. `seen_on`: the
        day staff saw the identity, when an identity review decides later (the registration
        waited on the platform then, not on the person, and does not lapse meanwhile)."""
        self.require_pending(on=seen_on or business_date(at), days=days)
        self.status = RegistrationStatus.VERIFIED
        self.account_id = account_id
        self.decided_at = at
        self.decided_by = by

    def refuse(
        self, *, reasons: str, by: str, at: datetime, days: int, seen_on: date | None = None
    ) -> None:
        """Verification failed (the document did not match, say); the reasons are told.
        `seen_on` as for `verify`."""
        self.require_pending(on=seen_on or business_date(at), days=days)
        if not reasons.strip():
            raise Invalid("reasons: say why the identity was not verified")
        self.status = RegistrationStatus.REFUSED
        self.reasons = reasons.strip()
        self.decided_at = at
        self.decided_by = by
