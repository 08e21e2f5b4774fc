"""The query log: every look at a subject's file (who, when, for what, on what authority, and
what was given out). The person reads it in their report; the feed follows what was given out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from enum import StrEnum
from typing import Any

from xinyong.domain.calendar import CHINA_TIME, add_months, business_date
from xinyong.domain.figures import whole_number


@dataclass(frozen=True, slots=True)
class QueryLogRules:
    """The `[queries]` figures of `policy/rights.toml`: how long the log is kept."""

    retention_years: int

    @classmethod
    def from_policy(cls, data: Mapping[str, Any], file: str = "rights.toml") -> QueryLogRules:
        years = whole_number(
            data,
            file,
            "queries",
            "log_retention_years",
            at_least=5,
            at_most=10,
            why="query logs are kept at least 5 years, 5 to 10 by local rules (docs/domain.md §11)",
        )
        return cls(retention_years=years)

    def kept_since(self, now: datetime) -> datetime:
        """The earliest moment still within retention (UTC): an entry made on the day that is
        `retention_years` before today in China, or later, is kept; anything older is past it."""
        first = add_months(business_date(now), -12 * self.retention_years)
        return datetime.combine(first, time(0), CHINA_TIME).astimezone(UTC)


class QueryKind(StrEnum):
    """Why a file was looked at."""

    CHECK = "check"  # an implementing department's check for one matter
    SCREENING = "screening"  # one number of a batch screening
    AGENCY = "agency"  # an authorised party's query
    AGENCY_REFUSED = "agency_refused"  # a party's query without a live authorisation
    REPORT = "report"  # the person's own report


class ItemKind(StrEnum):
    """What kind of item a query gave out."""

    RECORD = "record"
    ENTRY = "entry"  # a list entry


@dataclass(frozen=True, slots=True)
class Delivered:
    """One item a query gave out; for a check, also the measure the item triggered."""

    kind: ItemKind
    id: int
    measure: str | None = None


#: How the log writes an answer that gave out nothing, and a refused query.
NOTHING = "none"
REFUSED = "refused"


def encode_returned(items: Iterable[Delivered]) -> str:
    """The stored form of what a query gave out: `record@7`, `entry@12`, or for a check's
    measure `M-COURT-FLIGHT@12` (the measure and the list entry that triggered it)."""
    parts = [f"{item.measure or item.kind.value}@{item.id}" for item in items]
    return ";".join(parts) or NOTHING


def decode_returned(text: str) -> tuple[Delivered, ...]:
    """What `encode_returned` wrote, read back (nothing for `none` and `refused`)."""
    items: list[Delivered] = []
    for part in text.split(";"):
        head, _, tail = part.partition("@")
        if not tail.isdigit():
            continue
        if head in (ItemKind.RECORD.value, ItemKind.ENTRY.value):
            items.append(Delivered(ItemKind(head), int(tail)))
        else:
            items.append(Delivered(ItemKind.ENTRY, int(tail), measure=head))
    return tuple(items)


@dataclass(frozen=True, slots=True)
class QueryEntry:
    """One look at a subject's file: who, when, for what, on what authority, what was returned.

    `returned` is the stored form of `encode_returned`, or `refused`.
    """

    at: datetime
    subject_key: int
    kind: str
    department: str | None
    actor: str
    purpose: str
    authority: str
    returned: str
    screening_id: int | None = None

    @property
    def delivered(self) -> tuple[Delivered, ...]:
        return decode_returned(self.returned)
