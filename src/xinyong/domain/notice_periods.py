"""How a published listing's period on a list with a public notice was counted: from the day it
binds, as publication counts it now, or from its decision, as before publication moved it.

A listing on the railway's or the air list binds from the day after its public notice, and its
period runs from that day (`ListEntry.binds_from`, `ListEntry.publish`). Listings published before
publication moved the period kept the end their decision gave them, so they end too early. Nothing
stored says which way an end was counted; the end itself does, read against the list's period as
the policy gives it now: `count_of` says which, and the end counted from the binding day
(docs/lists-and-measures.md, "Periods counted from the decision").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from xinyong.domain.calendar import Deadline
from xinyong.domain.errors import NotAllowed
from xinyong.domain.lists import EntryState, IllegalTransition, ListEntry


class Count(StrEnum):
    """Which way a stored end was counted."""

    #: From the day the listing binds, as publication counts it now: nothing to mend.
    FROM_BINDING = "from_binding"
    #: From the decision, as before publication moved it: it ends too early.
    FROM_DECISION = "from_decision"
    #: A length a decision chose that fits both counts (only where a list's period may be
    #: extended): not guessed.
    EITHER = "either"
    #: Fits no length of the list's period as the policy gives it now (its figures changed since,
    #: or the end was set by hand): not guessed.
    NEITHER = "neither"


@dataclass(frozen=True, slots=True)
class PeriodCount:
    """How one listing's end was counted, and the end it has counted from its binding day."""

    count: Count
    binds_from: date
    #: The end counted from `binds_from`, as publication gives it now; None unless the end was
    #: counted from the decision.
    counted: date | None = None


def count_of(entry: ListEntry) -> PeriodCount | None:
    """How this listing's end was counted; None where the question does not arise: a list without
    a public notice, a listing not published, or one without an end of its own (it ends on an
    exit ground).

    An end counted from the decision is one of the ends the list's period gives from the decision
    day (its own length, or one a decision may extend it to); an end counted from the binding
    day is one publication gives now (such an end moved from the decision to the binding day, or
    an extension counted from the binding day). A fixed period's two counts differ (the binding
    day is after the decision) unless the ends of months make them meet, and then nothing is to
    be mended.
    """
    binds, decided, ends = entry.binds_from, entry.decided_on, entry.ends_on
    if not entry.list_type.public_notice_working_days or binds is None:
        return None
    if decided is None or ends is None:
        return None
    try:
        period = entry.list_type.period_of(entry.ground)
    except NotAllowed:  # a ground the policy no longer names
        return PeriodCount(Count.NEITHER, binds)
    from_decision = period.ends_from(decided)
    from_binding = period.ends_from(binds) | {
        period.moved_to(binds, ends_on=end, counted_from=decided) for end in from_decision
    }
    counted = period.moved_to(binds, ends_on=ends, counted_from=decided)
    if ends in from_binding:
        same = ends not in from_decision or counted == ends
        return PeriodCount(Count.FROM_BINDING if same else Count.EITHER, binds)
    if ends in from_decision:
        return PeriodCount(Count.FROM_DECISION, binds, counted)
    return PeriodCount(Count.NEITHER, binds)


def recount_from_binding(entry: ListEntry, *, on: date) -> date:
    """Give a published listing still standing on `on` whose end was counted from its decision
    the end counted from the day it binds; return the end it had. A listing whose end from the
    decision has passed stopped binding then and is not put back in force: refused, as is one
    whose end was not counted from its decision."""
    count = count_of(entry)
    if count is None or count.count is not Count.FROM_DECISION or count.counted is None:
        raise IllegalTransition("this listing's end was not counted from its decision")
    was = entry.ends_on
    if entry.state is not EntryState.PUBLISHED or was is None or was <= on:
        raise IllegalTransition(
            f"this listing's period ended on {was}; it is not put back in force without a decision"
        )
    entry.ends_on = count.counted
    return was


def recount_notice(entry: ListEntry, notice: Deadline) -> None:
    """Give a published listing its public notice counted again on the official calendar
    (`domain/deadlines.py recount`), which it binds the day after, and move its period along with
    that day: publication counted it from a binding day counted Monday to Friday."""
    old, entry.notice_ends = entry.notice_ends, notice
    if old is None or entry.ends_on is None or notice.day == old.day:
        return
    binds, counted_from = notice.day + timedelta(days=1), old.day + timedelta(days=1)
    try:
        period = entry.list_type.period_of(entry.ground)
    except NotAllowed:  # a ground the policy no longer names: its end moves by as many days
        entry.ends_on += binds - counted_from
        return
    entry.ends_on = period.moved_to(binds, ends_on=entry.ends_on, counted_from=counted_from)
