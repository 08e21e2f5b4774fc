"""Staff: the accounts of department and credit-centre users, with a second factor.

A staff user is created by the credit centre, bound to one department (or to the centre) and given
one role of the permission matrix that keys use (`domain/access.py`), or both of a department's
roles where its mandate covers both (it provides catalog items and checks for matters): what a
user may do in the consoles is exactly what keys of those roles for that department may do
through the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from xinyong.domain.access import CENTRE_SCOPES, ROLE_SCOPES, Role, Scope
from xinyong.domain.errors import Invalid
from xinyong.domain.figures import whole_number

if TYPE_CHECKING:
    from xinyong.domain.departments import Department

#: The roles a staff user may hold: department and centre users (an agency has keys, not staff).
STAFF_ROLES = (Role.SOURCE_DEPARTMENT, Role.IMPLEMENTING_DEPARTMENT, Role.CREDIT_CENTRE)

#: The roles a department's user may hold, together or alone.
DEPARTMENT_ROLES = (Role.SOURCE_DEPARTMENT, Role.IMPLEMENTING_DEPARTMENT)

#: The shape of a username: lower-case letters, digits, dots, dashes and underscores.
_USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


@dataclass(frozen=True, slots=True)
class StaffRules:
    """The `[staff]` figures: how long a console session lasts, how long the second step of a
    login may wait, and the lockout after wrong passwords or codes."""

    session_hours: int
    second_factor_minutes: int
    max_failed_logins: int
    lockout_minutes: int

    @classmethod
    def from_policy(cls, data: Mapping[str, Any], file: str = "rights.toml") -> StaffRules:
        def figure(key: str) -> int:
            return whole_number(data, file, "staff", key)

        return cls(
            session_hours=figure("session_hours"),
            second_factor_minutes=figure("second_factor_minutes"),
            max_failed_logins=figure("max_failed_logins"),
            lockout_minutes=figure("lockout_minutes"),
        )


def username_of(raw: str) -> str:
    """A username, stripped and lower-cased, or Invalid."""
    name = raw.strip().lower()
    if not 3 <= len(name) <= 40 or not set(name) <= _USERNAME_CHARS:
        raise Invalid("username: 3 to 40 characters, letters, digits, dots, dashes or underscores")
    return name


def binding_problem(
    role: Role,
    department: str | None,
    also: tuple[Role, ...] = (),
    mandate: Department | None = None,
) -> str | None:
    """Why a role (and the roles `also` held) cannot be bound so, or None: centre staff belong
    to no department, and a department's staff to exactly one; a user holds both of a
    department's roles only where the department's mandate (`mandate`) covers both: it provides
    catalog items and it checks for matters."""
    roles = (role, *also)
    for each in roles:
        if each not in STAFF_ROLES:
            return f"role: {each.value} is not a staff role (agencies use keys)"
    if len(set(roles)) != len(roles):
        return "role: each role once"
    if also and not set(roles) <= set(DEPARTMENT_ROLES):
        return "role: only a department's two roles are held together"
    if role is Role.CREDIT_CENTRE and department is not None:
        return "department: credit-centre staff belong to no department"
    if role is not Role.CREDIT_CENTRE and department is None:
        return f"department: a {role.value} user belongs to one department"
    if also and mandate is not None:
        if not mandate.items:
            return f"role: department {mandate.code} provides no catalog item to submit"
        if not mandate.matters:
            return f"role: department {mandate.code} checks for no matter"
    return None


@dataclass(slots=True)
class StaffUser:
    """A department's or the credit centre's user: a role from the permission matrix (and the
    department's other role, `also`, where its mandate covers both), a password (kept only as an
    argon2 hash) and a TOTP secret for the second factor (RFC 6238; in clear here, stored sealed
    under the data key as identifiers are)."""

    id: int | None
    username: str
    name: str
    role: Role
    department: str | None
    password_hash: str
    totp_secret: str
    created_at: datetime
    created_by: str
    enrolled_at: datetime | None = None  # when the first code confirmed the authenticator
    last_step: int | None = None  # the time step of the last accepted code (no replay)
    failed_logins: int = 0
    locked_until: datetime | None = None
    disabled_at: datetime | None = None
    also: tuple[Role, ...] = ()  # the department's other role, where its mandate covers both

    def __repr__(self) -> str:
        roles = "+".join(r.value for r in self.roles)
        return f"StaffUser(id={self.id}, {self.username}, {roles}, {self.department})"

    @property
    def roles(self) -> tuple[Role, ...]:
        return (self.role, *self.also)

    @property
    def scopes(self) -> frozenset[Scope]:
        """What this user may do: their roles' scopes; the centre's own steps only at the
        centre."""
        scopes = frozenset().union(*(ROLE_SCOPES[r] for r in self.roles))
        return scopes if self.department is None else scopes - CENTRE_SCOPES

    @property
    def actor(self) -> str:
        return f"staff:{self.username}"

    @property
    def is_enrolled(self) -> bool:
        return self.enrolled_at is not None

    def is_locked(self, at: datetime) -> bool:
        return self.locked_until is not None and at < self.locked_until

    def failed(self, *, at: datetime, rules: StaffRules) -> None:
        """A wrong password or code: after `max_failed_logins` in a row, locked for a while."""
        self.failed_logins += 1
        if self.failed_logins >= rules.max_failed_logins:
            self.locked_until = at + timedelta(minutes=rules.lockout_minutes)
            self.failed_logins = 0

    def passed(self, *, step: int, at: datetime) -> None:
        """A right code of time step `step`: the count of failures starts again, and the first
        code confirms the enrolment."""
        self.failed_logins = 0
        self.locked_until = None
        self.last_step = step
        if self.enrolled_at is None:
            self.enrolled_at = at

    def disable(self, at: datetime) -> None:
        if self.disabled_at is None:
            self.disabled_at = at
