"""Lists: serious untrustworthy, key supervision and good credit; the listing procedure as states.

A platform-run listing moves proposed → noticed → decided → published → exited, each step a
checked transition: no decision before the notice was served and the defence window (working
days, official calendar) has passed, never for a minor, never without a legal basis. Lists a
court or another authority decides are recorded as decided; the platform does not re-run them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from xinyong.domain.calendar import Deadline, add_working_days
from xinyong.domain.errors import Conflict, NotAllowed
from xinyong.domain.list_periods import Ground, Period, PeriodRule, Publication
from xinyong.domain.list_types import (
    Decider,
    ListKind,
    ListType,
    SeriousField,
    read_list_types,
)

__all__ = [
    "Decider",
    "Ground",
    "ListKind",
    "ListType",
    "Period",
    "PeriodRule",
    "Publication",
    "SeriousField",
    "read_list_types",
]


class EntryState(StrEnum):
    PROPOSED = "proposed"
    NOTICED = "noticed"
    DECIDED = "decided"
    PUBLISHED = "published"
    EXITED = "exited"
    WITHDRAWN = "withdrawn"


class IllegalTransition(Conflict):
    """A listing step asked for in a state that does not allow it."""


class MinorNeverListed(NotAllowed):
    def __init__(self) -> None:
        super().__init__("minors are never listed")


@dataclass(slots=True)
class ListEntry:
    """One subject on one list, and where its procedure stands."""

    id: int | None
    list_type: ListType
    subject_id: int
    state: EntryState
    proposed_by: str
    grounds: str
    basis_records: tuple[int, ...] = ()
    proposed_at: datetime | None = None
    noticed_on: date | None = None
    defence_deadline: Deadline | None = None
    defence: str | None = None
    decided_on: date | None = None
    decision_reasons: str | None = None
    ends_on: date | None = None
    published_on: date | None = None
    exited_on: date | None = None
    exit_ground: str | None = None
    under_objection: bool = False
    ground: str | None = None  # the list ground it rests on, when the list names grounds

    def _require(self, *states: EntryState, action: str) -> None:
        if self.state not in states:
            allowed = " or ".join(s.value for s in states)
            raise IllegalTransition(
                f"cannot {action} a listing that is {self.state.value}; it must be {allowed}"
            )

    def serve_notice(self, *, on: date) -> Deadline:
        """Serve the prior notice (with the repair notice); the defence window starts."""
        self._require(EntryState.PROPOSED, action="serve notice on")
        self.noticed_on = on
        self.defence_deadline = add_working_days(on, self.list_type.defence_working_days)
        self.state = EntryState.NOTICED
        return self.defence_deadline

    def state_defence(self, text: str, *, on: date) -> None:
        self._require(EntryState.NOTICED, action="record a defence for")
        if self.defence_deadline and on > self.defence_deadline.day:
            raise IllegalTransition(f"the defence window closed on {self.defence_deadline.day}")
        self.defence = text

    def decide(self, *, reasons: str, on: date, months: int | None = None) -> None:
        """Decide the listing: only after the notice and once the defence window has passed."""
        self._require(EntryState.NOTICED, action="decide")
        if self.defence_deadline is None or on <= self.defence_deadline.day:
            deadline = self.defence_deadline.day if self.defence_deadline else "?"
            raise IllegalTransition(f"the defence window runs to {deadline}; decide after it")
        self.decided_on = on
        self.decision_reasons = reasons
        self.ends_on = self.list_type.ends_on(on, months=months, ground=self.ground)
        self.state = EntryState.DECIDED

    def publish(self, *, on: date) -> None:
        self._require(EntryState.DECIDED, action="publish")
        if not self.list_type.published:
            raise IllegalTransition(f"{self.list_type.code} is not a published list")
        self.published_on = on
        self.state = EntryState.PUBLISHED

    def exit(self, *, ground: str, on: date) -> None:
        self._require(EntryState.DECIDED, EntryState.PUBLISHED, action="end")
        if ground == "expiry":
            if self.ends_on is None or on < self.ends_on:
                raise IllegalTransition(f"this listing's period does not end by {on}")
        elif ground not in self.list_type.exit_grounds_for(self.ground):
            allowed = ", ".join(self.list_type.exit_grounds_for(self.ground))
            raise IllegalTransition(
                f"{ground!r} is not an exit ground of {self.list_type.code}: {allowed}"
            )
        self.exited_on = on
        self.exit_ground = ground
        self.state = EntryState.EXITED

    def withdraw(self, *, on: date) -> None:
        self._require(EntryState.PROPOSED, EntryState.NOTICED, action="withdraw")
        self.exited_on = on
        self.state = EntryState.WITHDRAWN

    def force_window(self) -> tuple[date, date | None] | None:
        """The days this listing is in force: [start, until), until None when open-ended.

        None when it never was in force (proposed, noticed or withdrawn). An exit ends it on the
        exit day, a period on its last day; whichever comes first.
        """
        if self.decided_on is None or self.state not in (
            EntryState.DECIDED,
            EntryState.PUBLISHED,
            EntryState.EXITED,
        ):
            return None
        ends = [d for d in (self.ends_on, self.exited_on) if d is not None]
        if self.state is EntryState.EXITED and self.exited_on is None:
            return None
        return self.decided_on, min(ends) if ends else None

    def is_in_force_on(self, day: date) -> bool:
        """The one rule for lists: decided by `day`, not exited by then, and its period not over."""
        window = self.force_window()
        if window is None:
            return False
        start, until = window
        return start <= day and (until is None or day < until)


def propose_listing(
    list_type: ListType,
    *,
    subject_id: int,
    subject_age: int | None,
    grounds: str,
    basis_records: tuple[int, ...],
    proposed_by: str,
    at: datetime,
    age_of_majority: int,
    ground: str | None = None,
) -> ListEntry:
    """Open a platform-run listing procedure, refusing what the law never allows.

    `ground` is one of the list's `grounds` (it sets the period the decision gives); None keeps
    the list's own period.
    """
    if list_type.decided_by is not Decider.PLATFORM:
        raise NotAllowed(
            f"{list_type.code} is decided by a {list_type.decided_by.value}; record its decision"
        )
    if subject_age is not None and subject_age < age_of_majority:
        raise MinorNeverListed
    if not list_type.legal_basis:
        raise NotAllowed(f"{list_type.code} has no legal basis")
    if not basis_records:
        raise NotAllowed("a proposal must rest on at least one record")
    if ground is not None:
        list_type.ground(ground)
    return ListEntry(
        id=None,
        list_type=list_type,
        subject_id=subject_id,
        state=EntryState.PROPOSED,
        proposed_by=proposed_by,
        grounds=grounds,
        basis_records=basis_records,
        proposed_at=at,
        ground=ground,
    )


def record_decided_listing(
    list_type: ListType,
    *,
    subject_id: int,
    subject_age: int | None,
    grounds: str,
    decided_on: date,
    recorded_by: str,
    at: datetime,
    months: int | None = None,
    age_of_majority: int,
    ground: str | None = None,
) -> ListEntry:
    """Record a listing a court or authority decided; the platform does not re-run its procedure.

    The period follows `ground` when the list gives its grounds different periods: the court's
    "able to perform but refuses" has no end of its own.
    """
    if list_type.decided_by is Decider.PLATFORM:
        raise NotAllowed(f"{list_type.code} is run by the platform's procedure; propose it instead")
    if subject_age is not None and subject_age < age_of_majority:
        raise MinorNeverListed
    entry = ListEntry(
        id=None,
        list_type=list_type,
        subject_id=subject_id,
        state=EntryState.DECIDED,
        proposed_by=recorded_by,
        grounds=grounds,
        proposed_at=at,
        decided_on=decided_on,
        ends_on=list_type.ends_on(decided_on, months=months, ground=ground),
        ground=ground,
    )
    return entry
