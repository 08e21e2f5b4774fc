"""People's accounts: a real-name account bound to the subject the platform knows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from xinyong.domain.figures import whole_number


@dataclass(frozen=True, slots=True)
class AccountRules:
    """The `[accounts]` figures: session and token lifetimes, passwords, lockout."""

    session_hours: int
    api_token_days: int
    min_password_chars: int
    max_failed_logins: int
    lockout_minutes: int

    @classmethod
    def from_policy(cls, data: Mapping[str, Any], file: str = "rights.toml") -> AccountRules:
        def figure(key: str) -> int:
            return whole_number(data, file, "accounts", key)

        return cls(
            session_hours=figure("session_hours"),
            api_token_days=figure("api_token_days"),
            min_password_chars=figure("min_password_chars"),
            max_failed_logins=figure("max_failed_logins"),
            lockout_minutes=figure("lockout_minutes"),
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
