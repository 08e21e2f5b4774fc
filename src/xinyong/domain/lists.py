"""Lists: serious untrustworthy, key supervision and good credit; the listing procedure as states.

A platform-run listing moves proposed → noticed → decided → published → exited, each step a
checked transition: no decision before the notice was served and the defence window (working
days, official calendar) has passed, never for a minor, never without a legal basis. Lists a
court or another authority decides are recorded as decided; the platform does not re-run them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from xinyong.domain.calendar import Deadline, add_months, add_working_days
from xinyong.domain.departments import Department
from xinyong.domain.errors import Conflict, NotAllowed, OutsideMandate
from xinyong.domain.list_periods import Ground, Period, PeriodRule, Publication
from xinyong.domain.list_types import (
    REFUSAL,
    Decider,
    ListKind,
    ListType,
    SeriousField,
    read_list_types,
)

__all__ = [
    "REFUSAL",
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


#: The states of a listing still in its procedure (proposed, noticed, decided): a department's
#: console lists them with their next step.
IN_PROCEDURE = ("proposed", "noticed", "decided")

#: The exit ground of a listing whose record was revoked or varied away (see `lose_basis`).
BASIS_REVOKED = "revocation"
#: The exit ground of a listing whose record is withheld for an identity review: it grounds
#: nothing while the review is open, and the listing stands again if the review finds the
#: record is the person's (see `regain_basis`).
BASIS_WITHHELD = "identity_review"


class IllegalTransition(Conflict):
    """A listing step asked for in a state that does not allow it."""


class MinorNeverListed(NotAllowed):
    def __init__(self) -> None:
        super().__init__("minors are never listed")


def is_minor(age: int | None, age_of_majority: int) -> bool:
    """The one test of "minors are never listed" (docs/domain.md §3): under the policy's age of
    majority; an unknown age (an organisation, a number without a birth date) refuses nothing."""
    return age is not None and age < age_of_majority


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
    #: The last day of the public notice its publication opened (lists with one): the listing
    #: binds the day after, once that day is official (`binds_from`).
    notice_ends: Deadline | None = None
    exited_on: date | None = None
    exit_ground: str | None = None
    under_objection: bool = False
    ground: str | None = None  # the list ground it rests on, when the list names grounds
    #: A deletion ground the deciding authority was told of (performance, settlement, …), and the
    #: working day by which the listing must be deleted on it (counted from the day it arose).
    deletion_ground: str | None = None
    deletion_due: Deadline | None = None
    #: A copy of a peer's listing: the mark its origin's last event gave it, which only the
    #: origin lifts (`under_objection` holds that mark and those set here besides).
    marked_at_origin: bool = False

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

    def refuse(self, *, on: date) -> None:
        """The person refuses to have this good-credit entry (an honour, volunteering, a
        donation) recorded: it ends today (docs/domain.md §7). Other entries are not theirs to
        refuse."""
        if not self.list_type.refusable:
            raise NotAllowed(f"{self.list_type.code} is not an entry its subject may refuse")
        self.exit(ground=REFUSAL, on=on)

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

    def publication_refused(self, *, on: date) -> str | None:
        """Why this listing may not be published on `on`, or None: only a decided listing of a
        published list, while its period runs (a listing no longer in force is never shown)."""
        if self.state is not EntryState.DECIDED:
            return f"cannot publish a listing that is {self.state.value}; it must be decided"
        if not self.list_type.published:
            return f"{self.list_type.code} is not a published list"
        if self.ends_on is not None and on >= self.ends_on:
            return f"this listing's period ended on {self.ends_on}; it is no longer published"
        return None

    def publish(self, *, on: date) -> None:
        if (refused := self.publication_refused(on=on)) is not None:
            raise IllegalTransition(refused)
        self.published_on = on
        self.state = EntryState.PUBLISHED
        self.notice_ends = self.list_type.public_notice(on)
        if self.notice_ends and self.ends_on and self.decided_on:
            # The period runs from the day the listing binds, after its notice: a fixed one
            # counted again from that day, a length the decision chose moved along with it (from
            # a day counted Monday to Friday for now: `notice_periods.recount_notice`).
            self.ends_on = self.list_type.period_of(self.ground).moved_to(
                self.notice_ends.day + timedelta(days=1),
                ends_on=self.ends_on,
                counted_from=self.decided_on,
            )

    def exit(self, *, ground: str, on: date) -> None:
        self._require(EntryState.DECIDED, EntryState.PUBLISHED, action="end")
        if ground == "expiry":
            if self.ends_on is None or on < self.ends_on:
                raise IllegalTransition(f"this listing's period does not end by {on}")
        elif ground not in self.list_type.exit_grounds_for(self.ground):
            allowed = ", ".join(self.list_type.exit_grounds_for(self.ground))
            raise IllegalTransition(
                f"ground: not an exit ground of {self.list_type.code}: {allowed}"
            )
        self.exited_on = on
        self.exit_ground = ground
        self.state = EntryState.EXITED

    def lose_basis(self, *, on: date, ground: str = BASIS_REVOKED) -> None:
        """End a listing in force because the record it rests on was revoked or varied away
        (`BASIS_REVOKED`), or is withheld for an identity review (`BASIS_WITHHELD`).

        A listing rests on its records (docs/domain.md §7): whatever the list's own exit grounds,
        it ends the day its basis goes.
        """
        self._require(EntryState.DECIDED, EntryState.PUBLISHED, action="end")
        self.exited_on = on
        self.exit_ground = ground
        self.state = EntryState.EXITED

    def follow_ground(self, ground: str, *, on: date) -> None:
        """The record this court's or authority's listing rests on was varied to another
        `ground` of its list: the listing follows the decision it records. A ground with
        another period counts it again from the day the listing binds (an extension decided
        under the old ground does not carry over); one that has run out by `on` ends it on
        `expiry`, on its last day (docs/lists-and-measures.md)."""
        if not self.list_type.follows_its_records:
            raise IllegalTransition("a platform listing rests on its own ground; propose again")
        if not (self.is_in_force_on(on) or self.awaits_force_on(on)):
            raise IllegalTransition("only a listing in force follows its record's ground")
        period = self.list_type.period_of(ground)
        if self.decided_on is not None and period != self.list_type.period_of(self.ground):
            self.ends_on = self.list_type.ends_on(self.binds_from or self.decided_on, ground=ground)
        self.ground = ground
        if self.ends_on is not None and self.ends_on <= on:
            self.exit(ground="expiry", on=self.ends_on)

    def regain_basis(self, *, on: date) -> bool:
        """The identity review that withheld this listing's record found the record is the
        person's: the listing stands again for what is left of its period. Returns whether it
        did (a listing whose period ran out meanwhile stays ended)."""
        if self.state is not EntryState.EXITED or self.exit_ground != BASIS_WITHHELD:
            raise IllegalTransition("only a listing ended by an identity hold stands again")
        if self.ends_on is not None and self.ends_on <= on:
            return False
        self.state = EntryState.PUBLISHED if self.published_on else EntryState.DECIDED
        self.exited_on = None
        self.exit_ground = None
        return True

    def extend(self, *, months: int, decided_on: date) -> None:
        """Record an extension the deciding authority decided on `decided_on`: the listing lasts
        `months` from its decision in all. It may be recorded after the fact, even after the
        period it extends has run out and the sweep ended it, so long as it was decided while the
        listing was in force."""
        window = self.force_window()
        if window is None or self.ends_on is None or self.decided_on is None:
            raise IllegalTransition("only a listing with a period that was in force is extended")
        if self.state is EntryState.EXITED and self.exit_ground != "expiry":
            raise IllegalTransition(
                f"this listing ended on {self.exit_ground}; an extension cannot revive it"
            )
        if not self.decided_on <= decided_on < self.ends_on:
            raise IllegalTransition(
                f"an extension is decided while the listing is in force, before {self.ends_on}"
            )
        ends = self.list_type.ends_on(window[0], months=months, ground=self.ground)
        if ends is None or ends <= self.ends_on:
            raise IllegalTransition(f"an extension must end after {self.ends_on}")
        self.ends_on = ends
        if self.state is EntryState.EXITED:  # ended by the sweep on the period it extends
            self.state = EntryState.PUBLISHED if self.published_on else EntryState.DECIDED
            self.exited_on = None
            self.exit_ground = None

    def note_deletion_ground(self, ground: str, *, due: Deadline) -> None:
        """The deciding authority learnt of a deletion ground: it must delete by `due` (counted
        from the day the ground arose)."""
        self._require(EntryState.DECIDED, EntryState.PUBLISHED, action="note a deletion ground on")
        if ground not in self.list_type.exit_grounds_for(self.ground) or ground == "expiry":
            allowed = ", ".join(g for g in self.list_type.exit_grounds_for(self.ground))
            raise IllegalTransition(f"ground: not a deletion ground of this list: {allowed}")
        self.deletion_ground = ground
        self.deletion_due = due

    @property
    def deletion_arose_on(self) -> date | None:
        return self.deletion_due.start if self.deletion_due else None

    def is_deletion_overdue_on(self, day: date) -> bool:
        """A deletion ground arose and the listing is still in force after the deadline."""
        return (
            self.deletion_due is not None
            and self.state in (EntryState.DECIDED, EntryState.PUBLISHED)
            and day > self.deletion_due.day
        )

    def withdraw(self, *, on: date) -> None:
        self._require(EntryState.PROPOSED, EntryState.NOTICED, action="withdraw")
        self.exited_on = on
        self.state = EntryState.WITHDRAWN

    @property
    def binds_from(self) -> date | None:
        """The first day this decided listing binds: its decision day, or on a list with a public
        notice (the railway's), the day after the notice that its publication opens; None while
        such a listing is not yet published, or its notice's end is counted Monday to Friday
        (docs/lists-and-measures.md, "Lists with a public notice")."""
        if self.decided_on is None or not self.list_type.public_notice_working_days:
            return self.decided_on
        notice = self.notice_ends
        if notice is None and self.published_on is not None:  # published before it was kept
            notice = self.list_type.public_notice(self.published_on)
        return notice.day + timedelta(days=1) if notice and notice.official else None

    def awaits_force_on(self, day: date) -> bool:
        """Decided on a list with a public notice, its period not over, and not binding yet on
        `day`: unpublished, or its notice still running."""
        if self.state not in (EntryState.DECIDED, EntryState.PUBLISHED) or (
            self.ends_on is not None and day >= self.ends_on
        ):
            return False
        start = self.binds_from
        return self.list_type.public_notice_working_days > 0 and (start is None or day < start)

    def force_window(self) -> tuple[date, date | None] | None:
        """The days this listing is in force: [start, until), until None when open-ended.

        None when it never was in force (proposed, noticed or withdrawn; decided on a list with a
        public notice but not published, or ended before its notice did). An exit ends it on the
        exit day, a period on its last day; whichever comes first.
        """
        start = self.binds_from
        if start is None or self.state not in (
            EntryState.DECIDED,
            EntryState.PUBLISHED,
            EntryState.EXITED,
        ):
            return None
        ends = [d for d in (self.ends_on, self.exited_on) if d is not None]
        if self.state is EntryState.EXITED and self.exited_on is None:
            return None
        until = min(ends) if ends else None
        return None if until is not None and until <= start else (start, until)

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
            f"{list_type.code} is decided by {list_type.decided_by.in_words}; record its decision"
        )
    if is_minor(subject_age, age_of_majority):
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
    if is_minor(subject_age, age_of_majority):
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


def require_decider(list_type: ListType, department: Department | None) -> None:
    """Refuse a decided listing recorded by anyone but its deciding authority (docs/domain.md §7):
    court lists only by courts, an authority's list only by that kind of authority; the credit
    centre records none, a derived status is recorded by nobody, and a department the policy no
    longer registers records nothing."""
    action = f"listing:record:{list_type.code}"
    if department is not None:
        department.require_active(action)
    if list_type.derived:
        raise OutsideMandate(
            f"{list_type.code} is derived from the records by the platform; nobody records it",
            action=action,
        )
    if list_type.decided_by is Decider.PLATFORM:
        raise OutsideMandate(
            f"{list_type.code} is run by the platform's procedure; propose it instead",
            action=action,
        )
    if department is None or department.kind not in list_type.decider_kinds:
        who = "the credit centre" if department is None else department.code
        deciders = ", ".join(sorted(list_type.decider_kinds)) or "no department here"
        raise OutsideMandate(
            f"{who} does not decide {list_type.code}; only its deciding authority records it"
            f" ({deciders}), on a record of its own",
            action=action,
        )


#: Why a derived status ends (exit grounds the derived list names): a new negative record, a
#: serious or key-supervision listing in force, or a derivation found wrong on review.
NEW_NEGATIVE_RECORD = "new_negative_record"
SERIOUS_LISTING = "serious_listing"
DERIVATION_CORRECTED = "revocation"
#: The kinds of list whose listing in force ends a derived clean status.
CLEAN_STATUS_ENDERS = frozenset({ListKind.SERIOUS_UNTRUSTWORTHY, ListKind.KEY_SUPERVISION})


def clean_since(day: date, years: int) -> date:
    """The first day of the window a clean status looks back over (`years` before `day`)."""
    return add_months(day, -12 * years)


def shown_between(shown: tuple[date, date | None] | None, start: date, day: date) -> bool:
    """Whether a record with this display window (`domain.records.shown_window`: [decision,
    end), end None while open; None for a revoked record) was in display on some day of
    [start, day]. In SQL: `db/records.py shown_between`, proven equal on the boundaries."""
    if shown is None:
        return False
    shown_from, shown_until = shown
    return shown_from <= day and (shown_until is None or shown_until > start)


def is_clean(
    *,
    day: date,
    years: int,
    known_since: date | None,
    negative_shown: bool,
    serious_or_key_in_force: bool,
    subject_age: int | None,
    age_of_majority: int,
) -> bool:
    """The derived good-credit status "no negative record for `years` consecutive years"
    (docs/domain.md §7): the person is of age on `day` (minors are never listed, on a good list
    neither; an unknown age refuses nothing, as in `record_decided_listing`), the platform has
    known them that long (a record decided on or before the window's first day), no negative,
    unrevoked record was in display on any day of the window (`negative_shown`:
    `shown_between` any of them, from `clean_since(day, years)` to `day`), and no serious or
    key-supervision listing is in force today."""
    if is_minor(subject_age, age_of_majority):
        return False
    start = clean_since(day, years)
    if known_since is None or known_since > start or serious_or_key_in_force:
        return False
    return not negative_shown


def derive_clean_status(
    list_type: ListType,
    *,
    subject_id: int,
    subject_age: int | None,
    on: date,
    at: datetime,
    age_of_majority: int,
) -> ListEntry:
    """The derived status, in force from `on` (recorded by the platform, never by a department;
    never for a minor: `subject_age` is their age on `on`)."""
    if not list_type.derived:
        raise NotAllowed(f"{list_type.code} is not a derived status")
    if is_minor(subject_age, age_of_majority):
        raise MinorNeverListed
    return ListEntry(
        id=None,
        list_type=list_type,
        subject_id=subject_id,
        state=EntryState.DECIDED,
        proposed_by="platform:derived",
        grounds="derived from the records",
        proposed_at=at,
        decided_on=on,
        ends_on=None,
    )
