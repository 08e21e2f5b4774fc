"""Credit reporting agencies as supervised bodies: a licence, and the agency blacklist.

An agency (a registered party of kind `credit_agency`, docs/domain.md §2) queries a person's
non-public information only while its licence is valid and it is not on the agency blacklist
(seed IV(1)), and then only under the person's live authorisation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from xinyong.domain.errors import CatalogError, Conflict, Invalid, NotAllowed

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


@dataclass(slots=True)
class Blacklisting:
    """An agency put on the agency blacklist by the credit centre, with its ground and the day;
    lifted (with a reason) when the centre takes it off."""

    id: int | None
    agency: str
    ground: str
    listed_on: date
    listed_by: str
    listed_at: datetime
    lifted_at: datetime | None = None
    lifted_by: str | None = None
    lift_reason: str | None = None

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None

    def lift(self, *, reason: str, by: str, at: datetime) -> None:
        if not self.is_active:
            raise Conflict(f"blacklisting {self.id} is lifted already")
        if not reason.strip():
            raise Invalid("reason: say why the agency comes off the blacklist")
        self.lifted_at = at
        self.lifted_by = by
        self.lift_reason = reason.strip()


class AgencySuspended(NotAllowed):
    """An agency that may not query (or read its feed) today: on the blacklist, or without a valid
    licence. The refusal is audited (a query's also in the person's query log)."""

    title = "Agency suspended"

    def __init__(self, agency: str, why: str, *, what: str = "query") -> None:
        done = "the query was refused and logged" if what == "query" else "refused and audited"
        super().__init__(f"agency {agency} may not {what}: {why}; {done}")
        self.agency = agency
        self.why = why


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
