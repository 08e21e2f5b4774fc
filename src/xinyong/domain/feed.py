"""The feed: what a party that once received an item (a check's measure, an agency's record)
must now know about it: under objection, corrected, revoked, repaired, expired."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


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
