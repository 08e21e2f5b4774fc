"""Authorisations: a person lets a party query their non-public information, for a purpose,
in a scope, until a day, revocable at any time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from xinyong.domain.calendar import add_months
from xinyong.domain.errors import CatalogError, Invalid
from xinyong.domain.figures import whole_number, words


@dataclass(frozen=True, slots=True)
class Purpose:
    """A purpose an authorisation may be given for, from the published vocabulary."""

    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True, slots=True)
class AuthorisationRules:
    """The `[authorisations]` figures: the longest authorisation, the scopes one may name, and
    the published purposes (by code, in the policy's order)."""

    max_months: int
    scopes: tuple[str, ...]
    purposes: Mapping[str, Purpose] = field(default_factory=dict)

    @classmethod
    def from_policy(cls, data: Mapping[str, Any], file: str = "rights.toml") -> AuthorisationRules:
        return cls(
            max_months=whole_number(data, file, "authorisations", "max_months"),
            scopes=words(data, file, "authorisations", "scopes"),
            purposes=_purposes(data, file),
        )

    def purpose(self, code: str) -> Purpose:
        """The published purpose `code` names, or Invalid listing the codes."""
        found = self.purposes.get(code.strip())
        if found is None:
            raise Invalid(f"purpose: must be one of {', '.join(self.purposes)}")
        return found


def _purposes(data: Mapping[str, Any], file: str) -> dict[str, Purpose]:
    table = data.get("authorisations", {}).get("purposes")
    if not isinstance(table, dict) or not table:
        raise CatalogError(file, "authorisations", "purposes", "must name at least one purpose")
    out: dict[str, Purpose] = {}
    for code, names in table.items():
        if not isinstance(names, dict) or not all(
            isinstance(names.get(k), str) and names[k].strip() for k in ("zh", "en")
        ):
            raise CatalogError(file, "authorisations.purposes", code, "needs a zh and an en name")
        out[code] = Purpose(code, names["zh"], names["en"])
    return out


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
    chosen = rules.purpose(purpose)
    if expires_on < on:
        raise Invalid("expires_on: is in the past")
    longest = add_months(on, rules.max_months)
    if expires_on > longest:
        raise Invalid(f"expires_on: at most {rules.max_months} months ahead ({longest})")
    return Authorisation(None, subject_id, grantee, chosen.code, scope, expires_on, granted_by, at)
