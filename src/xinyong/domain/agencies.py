"""Credit reporting agencies as supervised bodies: a licence, the agency blacklist, and the
agency's staff with their own blacklist.

An agency (a registered party of kind `credit_agency`, docs/domain.md §2) queries a person's
non-public information only while its licence is valid and it is not on the agency blacklist
(seed IV(1)), through a key issued to one of its registered staff members who is not on the
staff blacklist, and then only under the person's live authorisation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from xinyong.domain.errors import CatalogError, Conflict, Invalid, NotAllowed
from xinyong.domain.identifiers import redact_id_numbers

#: The kind of registered party that is a credit reporting agency.
AGENCY_KIND = "credit_agency"


@dataclass(frozen=True, slots=True)
class Licence:
    """An agency's business licence for personal credit reporting: its number, the authority
    that issued it, and the days it is valid (both included)."""

    number: str
    authority: str
    valid_from: date
    valid_until: date

    def __post_init__(self) -> None:
        if not self.number.strip():
            raise Invalid("number: the licence's number is required")
        if not self.authority.strip():
            raise Invalid("authority: the issuing authority is required")
        if self.valid_until < self.valid_from:
            raise Invalid("valid_until: is before valid_from")

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until


#: An agency's own staff number: letters, digits, `.`, `_`, `-` (it appears in URLs and logs).
STAFF_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")


@dataclass(slots=True)
class AgencyStaffMember:
    """Someone who queries for a credit reporting agency: registered by the credit centre under
    the agency's own staff number (never an ID number), so that each of the agency's keys is
    issued to one of them and every query says who made it; put on the staff blacklist alone
    when they misuse it, while their colleagues keep working; and marked as gone when they leave
    the agency (their keys revoked, no new one issued to them)."""

    id: int | None
    agency: str
    number: str
    name: str
    registered_by: str
    registered_at: datetime
    #: The day they left the agency (recorded by the credit centre); None while they work there.
    left_on: date | None = None

    def __post_init__(self) -> None:
        self.number = self.number.strip()
        self.name = self.name.strip()
        if not STAFF_NUMBER.fullmatch(self.number):
            raise Invalid(
                "number: the agency's staff number, up to 32 letters, digits, '.', '_' or '-'"
            )
        if redact_id_numbers(self.number) != self.number:
            raise Invalid("number: reads as an ID number; use the agency's own staff number")
        if not self.name or len(self.name) > 100:
            raise Invalid("name: the staff member's name is required (up to 100 characters)")

    @property
    def actor(self) -> str:
        """How audit events and query-log lines name them (never by name: docs/security.md)."""
        return f"agency-staff:{self.id}"

    def leave(self, on: date, *, today: date) -> None:
        """Record that they left the agency on `on` (not a day to come: a departure is recorded
        once it happened, and takes effect at once)."""
        if self.left_on is not None:
            raise Conflict(f"staff member {self.number} of {self.agency} left on {self.left_on}")
        if on > today:
            raise Invalid(f"on: {on} is to come; record a departure once it happened")
        self.left_on = on


@dataclass(slots=True)
class Blacklisting:
    """An agency put on the agency blacklist by the credit centre, with its ground and the day;
    lifted (with a reason) when the centre takes it off. With `staff` set, one of the agency's
    staff members on the staff blacklist instead: the agency and its other staff keep working."""

    id: int | None
    agency: str
    ground: str
    listed_on: date
    listed_by: str
    listed_at: datetime
    lifted_at: datetime | None = None
    lifted_by: str | None = None
    lift_reason: str | None = None
    #: The staff member's id (AgencyStaffMember.id), on the staff blacklist; None: the agency.
    staff: int | None = None

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None

    def lift(self, *, reason: str, by: str, at: datetime) -> None:
        if not self.is_active:
            raise Conflict(f"blacklisting {self.id} is lifted already")
        if not reason.strip():
            whom = "the agency" if self.staff is None else "the staff member"
            raise Invalid(f"reason: say why {whom} comes off the blacklist")
        self.lifted_at = at
        self.lifted_by = by
        self.lift_reason = reason.strip()


class AgencySuspended(NotAllowed):
    """An agency that may not query (or read its feed) today: on the blacklist, or without a valid
    licence; or the staff member whose key it is (`staff`, their staff number): on the staff
    blacklist, or no staff member at all. The refusal is audited (a query's also in the person's
    query log)."""

    title = "Agency suspended"

    def __init__(
        self, agency: str, why: str, *, what: str = "query", staff: str | None = None
    ) -> None:
        done = "the query was refused and logged" if what == "query" else "refused and audited"
        who = f"agency {agency}" if staff is None else f"staff member {staff} of agency {agency}"
        super().__init__(f"{who} may not {what}: {why}; {done}")
        self.agency = agency
        self.why = why
        self.staff = staff


def standing(
    agency: str, licence: Licence | None, blacklisted: Blacklisting | None, on: date
) -> str | None:
    """Why `agency` may not query on `on` (None: it may, given an authorisation)."""
    if blacklisted is not None and blacklisted.is_active:
        return f"on the agency blacklist since {blacklisted.listed_on}"
    if licence is None:
        return "no licence is registered"
    if not licence.is_valid_on(on):
        if on < licence.valid_from:
            return f"its licence is valid only from {licence.valid_from}"
        return f"its licence expired on {licence.valid_until}"
    return None


#: Why a key of an agency that names no staff member of that agency may not query.
UNSTAFFED_KEY = "the key is issued to none of its staff members (issue each key to one)"


def staff_standing(member: AgencyStaffMember, blacklisted: Blacklisting | None) -> str | None:
    """Why a key's staff member may not query (None: they may, given the agency's standing)."""
    if member.left_on is not None:
        return f"left the agency on {member.left_on}"
    if blacklisted is not None and blacklisted.is_active:
        return f"on the agency staff blacklist since {blacklisted.listed_on}"
    return None


def read_licence(raw: Any, file: str, code: str) -> Licence:
    """An agency's `licence = { number, authority, valid_from, valid_until }` in the policy's
    departments file, or CatalogError naming the file, the agency and the field."""
    if not isinstance(raw, Mapping):
        raise CatalogError(file, code, "licence", "must be a table")
    for key in ("number", "authority"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise CatalogError(file, code, f"licence.{key}", "must be a non-empty string")
    for key in ("valid_from", "valid_until"):
        if not isinstance(raw.get(key), date) or isinstance(raw.get(key), datetime):
            raise CatalogError(file, code, f"licence.{key}", "must be a date (YYYY-MM-DD)")
    try:
        return Licence(raw["number"], raw["authority"], raw["valid_from"], raw["valid_until"])
    except Invalid as exc:
        raise CatalogError(file, code, "licence", exc.detail) from None
