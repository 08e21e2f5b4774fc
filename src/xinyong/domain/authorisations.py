"""Authorisations: a person lets a party query their non-public information, for a purpose,
in a scope, until a day, revocable at any time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from xinyong.domain.calendar import add_months
from xinyong.domain.errors import Invalid
from xinyong.domain.figures import whole_number, words


@dataclass(frozen=True, slots=True)
class AuthorisationRules:
    """The `[authorisations]` figures: the longest authorisation and the scopes one may name."""

    max_months: int
    scopes: tuple[str, ...]

    @classmethod
    def from_policy(cls, data: Mapping[str, Any], file: str = "rights.toml") -> AuthorisationRules:
        return cls(
            max_months=whole_number(data, file, "authorisations", "max_months"),
            scopes=words(data, file, "authorisations", "scopes"),
        )


@dataclass(slots=True)
class Authorisation:
    id: int | None
    subject_id: int
    grantee: str
    purpose: str
    scope: str
    expires_on: date
    granted_by: str
    granted_at: datetime
    revoked_at: datetime | None = None

    def is_live_on(self, day: date) -> bool:
        """Granted, not revoked, and not past its last day."""
        return self.revoked_at is None and day <= self.expires_on


def grant(
    *,
    subject_id: int,
    grantee: str,
    purpose: str,
    scope: str,
    expires_on: date,
    granted_by: str,
    at: datetime,
    on: date,
    rules: AuthorisationRules,
) -> Authorisation:
    if scope not in rules.scopes:
        raise Invalid(f"scope: must be one of {', '.join(rules.scopes)}")
    if not purpose.strip():
        raise Invalid("purpose: say what the query is for")
    if expires_on < on:
        raise Invalid("expires_on: is in the past")
    longest = add_months(on, rules.max_months)
    if expires_on > longest:
        raise Invalid(f"expires_on: at most {rules.max_months} months ahead ({longest})")
    return Authorisation(
        None, subject_id, grantee, purpose.strip(), scope, expires_on, granted_by, at
    )
