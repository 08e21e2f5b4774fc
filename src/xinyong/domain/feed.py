"""The feed: what a party that once received an item (a check's measure, an agency's record)
must now know about it: under objection, corrected, revoked, repaired, expired, held or withheld
for an identity review; an agency's acknowledgement that it put its copy right, due within the
policy's working days; and the day by which a party must withdraw its copy of what no longer
stands."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from xinyong.domain.calendar import Deadline, business_date
from xinyong.domain.errors import CatalogError
from xinyong.domain.figures import whole_number, words


class FeedKind(StrEnum):
    """What became of an item a party received."""

    UNDER_OBJECTION = "under_objection"
    CORRECTED = "corrected"
    SUPPLEMENTED = "supplemented"
    DISPLAY_STOPPED = "display_stopped"
    REMOVED_FROM_LIST = "removed_from_list"
    OBJECTION_REJECTED = "objection_rejected"
    REVOKED = "revoked"
    REPAIRED = "repaired"
    EXPIRED = "expired"
    #: Held while an identity review decides whom the record is about: the platform neither shows
    #: nor uses it meanwhile (a mark, like `under_objection`; docs/rights.md, "The feed").
    IDENTITY_HOLD = "identity_hold"
    #: An identity review found the record is not about the person it was received about: it no
    #: longer stands for them (and the listings that rested on it alone ended).
    WITHHELD = "withheld"
    #: An identity review found a held record is the person's after all: it stands again.
    RELEASED = "released"
    #: A working-day deadline of the recipient's was counted again on the official calendar.
    DEADLINE_MOVED = "deadline_moved"


#: The feed kind each objection outcome (policy `[objections] outcomes`) announces.
OUTCOME_KINDS: dict[str, FeedKind] = {
    "correct": FeedKind.CORRECTED,
    "supplement": FeedKind.SUPPLEMENTED,
    "stop_display": FeedKind.DISPLAY_STOPPED,
    "remove_from_list": FeedKind.REMOVED_FROM_LIST,
    "reject": FeedKind.OBJECTION_REJECTED,
}


@dataclass(frozen=True, slots=True)
class FeedItem:
    """What a party that once received an item must now know about it."""

    recipient: str
    kind: FeedKind
    entity_type: str  # record or list_entry
    entity_id: int
    subject_key: int
    detail: str
    at: datetime
    seq: int | None = None
    #: The working day by which the recipient must act on it (withdraw a revoked record's copy).
    due_on: date | None = None
    #: The working day by which an agency must acknowledge it (None: it asks for nothing back).
    acknowledge_by: date | None = None
    #: When the agency acknowledged it.
    acknowledged_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AcknowledgementRules:
    """The `[agencies]` figures of `rights.toml`: which feed items an agency must acknowledge
    (it has put its copy right), and within how many working days of the notice."""

    working_days: int
    kinds: frozenset[FeedKind]

    @classmethod
    def from_policy(
        cls, data: Mapping[str, Any], file: str = "rights.toml"
    ) -> AcknowledgementRules:
        days = whole_number(data, file, "agencies", "acknowledge_working_days")
        kinds: set[FeedKind] = set()
        for word in words(data, file, "agencies", "acknowledge"):
            try:
                kinds.add(FeedKind(word))
            except ValueError:
                allowed = ", ".join(k.value for k in FeedKind if k is not FeedKind.DEADLINE_MOVED)
                raise CatalogError(
                    file, "agencies", "acknowledge", f"{word!r} is not one of {allowed}"
                ) from None
        if FeedKind.DEADLINE_MOVED in kinds:
            raise CatalogError(
                file, "agencies", "acknowledge", "deadline_moved tells, it asks nothing back"
            )
        return cls(days, frozenset(kinds))

    def asks(self, kind: FeedKind) -> bool:
        """Whether an agency told of `kind` must acknowledge it."""
        return kind in self.kinds


@dataclass(slots=True)
class Acknowledgement:
    """An agency's answer to a feed item that asks for one: it has put its copy right (corrected,
    withdrawn, marked repaired), due by a working-day deadline from the notice."""

    seq: int  # the feed item's
    agency: str
    subject_id: int
    kind: FeedKind
    entity_type: str
    entity_id: int
    due: Deadline
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    #: When the sweep first found it overdue and flagged the agency (audited once).
    flagged_at: datetime | None = None

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    def acknowledge(self, *, by: str, at: datetime) -> bool:
        """Record the acknowledgement; False (and nothing changes) if it was given already."""
        if self.acknowledged_at is not None:
            return False
        self.acknowledged_at = at
        self.acknowledged_by = by
        return True

    def is_overdue_on(self, day: date) -> bool:
        """Not acknowledged, and `day` is after its due day."""
        return self.acknowledged_at is None and day > self.due.day

    @property
    def was_late(self) -> bool:
        """Acknowledged after its due day (by the business date in China)."""
        return self.acknowledged_at is not None and business_date(self.acknowledged_at) > (
            self.due.day
        )


@dataclass(frozen=True, slots=True)
class Withdrawal:
    """A party told that an item it received no longer stands (a revoked record, a listing that
    lost its basis) must withdraw its copy by a working-day deadline (`[revocation]
    withdraw_working_days`), counted from the day it was told. An agency that owes an
    acknowledgement of the item gives it once it has withdrawn; a department gives none."""

    seq: int  # the feed item's that told it
    recipient: str
    subject_id: int
    entity_type: str
    entity_id: int
    due: Deadline
