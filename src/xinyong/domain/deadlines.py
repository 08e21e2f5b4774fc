"""Deadlines: every working-day clock the platform keeps, who must act by it, who it protects,
and how a deadline counted on the fallback calendar is counted again when the official
calendar covers its year (docs/rights.md, "Deadlines"; docs/domain.md §9, §10, §13).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from xinyong.domain.calendar import Deadline, add_working_days, working_days_between

#: Who must act when it is the credit centre's own step (the centre has no department code).
CREDIT_CENTRE = "credit_centre"


class DeadlineKind(StrEnum):
    """One kind of working-day deadline."""

    #: A public licence or penalty decision goes online (double publicity, §13).
    DOUBLE_PUBLICITY = "double_publicity"
    #: A party that received a revoked record, or a listing that lost its basis, withdraws its
    #: copy (§5, §7): watched while an agency's acknowledgement of it is owed.
    WITHDRAWAL = "withdrawal"
    #: A court deletes a listing within its working days of a deletion ground (§6).
    DELETION = "deletion"
    #: The credit centre checks an objection (§9).
    OBJECTION_CHECK = "objection_check"
    #: The source department decides a forwarded objection (§9).
    OBJECTION_DECISION = "objection_decision"
    #: The department decides whether to accept a repair application (§10).
    REPAIR_ACCEPTANCE = "repair_acceptance"
    #: The applicant hears back on a repair application (§10).
    REPAIR_FEEDBACK = "repair_feedback"
    #: A credit reporting agency acknowledges a correction, repair or revocation it was told of
    #: in its feed (`rights.toml [agencies]`): it has put its copy right.
    ACKNOWLEDGEMENT = "acknowledgement"
    #: The person may state a defence until this day (§7). It binds nobody to act by it, so it is
    #: never "overdue"; it is counted again like the others.
    DEFENCE = "defence"
    #: The public notice a listing's publication opens, during which the person may object
    #: (§7); the listing binds the day after it. Like the defence window it binds nobody to act.
    PUBLIC_NOTICE = "public_notice"


#: What each kind asks of whom, in a line.
DESCRIPTIONS: dict[DeadlineKind, str] = {
    DeadlineKind.DOUBLE_PUBLICITY: "publish the public decision (held for identity review)",
    DeadlineKind.WITHDRAWAL: "the recipient withdraws its copy of what no longer stands",
    DeadlineKind.DELETION: "delete the court listing after its deletion ground",
    DeadlineKind.OBJECTION_CHECK: "the credit centre checks the objection",
    DeadlineKind.OBJECTION_DECISION: "the source department decides the objection",
    DeadlineKind.REPAIR_ACCEPTANCE: "decide whether to accept the repair application",
    DeadlineKind.REPAIR_FEEDBACK: "answer the repair application",
    DeadlineKind.ACKNOWLEDGEMENT: "the agency acknowledges it put its copy right",
    DeadlineKind.DEFENCE: "the person may state a defence",
    DeadlineKind.PUBLIC_NOTICE: "the person may object to the published listing",
}

#: The windows that protect the person: nobody must act by them, and a recount never shortens them.
WINDOWS = frozenset({DeadlineKind.DEFENCE, DeadlineKind.PUBLIC_NOTICE})

#: The kinds the overdue view watches: each is a step someone must take by its day.
WATCHED = tuple(k for k in DeadlineKind if k not in WINDOWS)

#: The kinds that protect the person, who is told when one moves. Double publicity is a duty
#: towards the public: only the department is told.
TELLS_PERSON = frozenset(DeadlineKind) - {DeadlineKind.DOUBLE_PUBLICITY}


def tells_person(kind: DeadlineKind, entity_type: str) -> bool:
    """Whether the person is told when a deadline of `kind`, kept with an `entity_type`, moves:
    one of `TELLS_PERSON`, except a recipient's withdrawal (a `feed_item`): a revocation's
    withdrawal day tells them once, through the record's own, not once for every recipient."""
    return kind in TELLS_PERSON and (kind, entity_type) != (DeadlineKind.WITHDRAWAL, "feed_item")


@dataclass(frozen=True, slots=True)
class Watched:
    """A step someone must take by a deadline, and whose case it is."""

    kind: DeadlineKind
    entity_type: str  # record, objection, repair, list_entry, feed_item
    entity_id: int
    subject_id: int
    department: str | None  # the department the case belongs to (a key sees its own)
    must_act: str  # a department code, or CREDIT_CENTRE
    due: Deadline

    @property
    def what(self) -> str:
        return f"{self.entity_type.replace('_', ' ')} {self.entity_id}: {DESCRIPTIONS[self.kind]}"

    def is_overdue_on(self, day: date) -> bool:
        return day > self.due.day

    def working_days_overdue(self, day: date) -> int:
        """Working days after the due day up to `day` (0 when not overdue, or only over a
        rest day)."""
        return working_days_between(self.due.day, day) if self.is_overdue_on(day) else 0


@dataclass(frozen=True, slots=True)
class Counted:
    """A stored deadline, where it is stored, and whom it binds."""

    kind: DeadlineKind
    entity_type: str
    entity_id: int
    subject_id: int
    department: str | None  # the department it binds (None: the credit centre, or nobody)
    deadline: Deadline
    running: bool  # the step it times is not done yet: it still binds someone


def recount(counted: Counted) -> Deadline | None:
    """The deadline counted again, if it was counted on the fallback calendar and the official
    calendar now covers every day the count passes; None when it cannot be counted again yet.

    A window that protects the person (the defence window, a listing's public notice) never
    becomes shorter than the notice said: when the official count ends earlier, the served day
    stands, now final.
    """
    old = counted.deadline
    if not old.recountable or old.start is None or old.working_days is None:
        return None
    again = add_working_days(old.start, old.working_days)
    if not again.official:
        return None
    if counted.kind in WINDOWS and again.day < old.day:
        return Deadline(old.day, True, old.start, old.working_days)
    return again


class NoticeKind(StrEnum):
    """What a notice in a person's file tells them."""

    DEADLINE_MOVED = "deadline_moved"
    #: A deadline stands still (an objection's, for testing or expert review).
    DEADLINE_STOPPED = "deadline_stopped"
    #: A case closed undecided: its record was found to be another person's.
    CASE_CLOSED = "case_closed"


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the platform told a person about their file, kept for their report."""

    subject_id: int
    kind: NoticeKind
    entity_type: str
    entity_id: int
    detail: str
    at: datetime
    id: int | None = None
    #: What happened, as data (`stopped_data`, ...), which the person reads in their language;
    #: None for a notice kept before notices kept data (its `detail` is all there is).
    data: Mapping[str, object] | None = None


def stopped_data(kind: DeadlineKind, day: date, why: str) -> dict[str, str]:
    """What a notice records of a deadline stopped on `day` for `why` (testing, expert review);
    services/notice_words.py says it in words."""
    return {"change": "stopped", "deadline": kind.value, "on": day.isoformat(), "why": why}


def resumed_data(
    kind: DeadlineKind, old: Deadline, new: Deadline, why: str, days: int
) -> dict[str, str | int]:
    """What a notice records of a deadline that stood still for `why` `days` working days and
    runs again, from `old` to `new`."""
    return {
        "change": "resumed",
        "deadline": kind.value,
        "from": old.day.isoformat(),
        "to": new.day.isoformat(),
        "why": why,
        "days": days,
    }


def recounted_data(kind: DeadlineKind, old: Deadline, new: Deadline) -> dict[str, str]:
    """What a notice records of a deadline counted again on the official calendar (no names,
    no numbers)."""
    return {
        "change": "recounted",
        "deadline": kind.value,
        "from": old.day.isoformat(),
        "to": new.day.isoformat(),
    }
