"""Listings on a list with a public notice published while their period still ran from their
decision: each one still standing has its period counted again from the day it binds, as
publication counts it now, audited, its change logged for the checks and queued for the exchange;
each whose shorter period has already run out stays ended and is reported. `xinyong lists
mend-notice-periods` runs it, once, after upgrading (docs/lists-and-measures.md, "Periods counted
from the decision").

It reads the periods from the policy and the binding day from the working-day calendar as they are
when it runs, which a database migration could not do without copying both into itself.

A listing whose notice ended on a day counted Monday to Friday binds only once the deadline
recount counts that day officially: `notice_recounted` then moves its period with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING

from xinyong.domain.audit import EventTag
from xinyong.domain.calendar import Deadline, business_date
from xinyong.domain.lists import EntryState, ListEntry
from xinyong.domain.notice_periods import (
    Count,
    PeriodCount,
    count_of,
    recount_from_binding,
    recount_notice,
)
from xinyong.domain.policy import Policy
from xinyong.services.lists import audit_entry, changed
from xinyong.services.outbound import RECEIVED_BY

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


class Finding(StrEnum):
    """What became of a listing whose end was not counted from the day it binds."""

    #: In force or in its notice: its end is counted again from the day it binds.
    MENDED = "mended"
    #: Its end from the decision has passed: it stopped binding then and the sweep ended it (or
    #: will). It stays ended: a listing is not put back in force without a decision.
    RAN_OUT = "ran_out"
    #: Its end fits both counts, or neither (`domain/notice_periods.py Count`): left as it is.
    UNCLEAR = "unclear"


@dataclass(frozen=True, slots=True)
class Found:
    """One listing whose end was not counted from the day it binds, and what became of it."""

    entry_id: int
    list_code: str
    subject_id: int
    department: str | None
    finding: Finding
    #: The end it had when found (counted from its decision, unless `unclear`).
    ends_on: date
    binds_from: date
    #: The end counted from `binds_from`: its end now when `mended`; None when `unclear`.
    counted: date | None


#: How many listings one transaction reads and mends.
_CHUNK = 500


def find_notice_periods(uow: UnitOfWork, policy: Policy) -> list[Found]:
    """The listings `mend_notice_periods` would mend or report; changes nothing."""
    return _walk(uow, policy, actor=None)


def mend_notice_periods(uow: UnitOfWork, policy: Policy, *, actor: str) -> list[Found]:
    """Count again from the day it binds the period of every listing still standing whose end was
    counted from its decision (`Finding.MENDED`): audited (`listing:period_recounted`, with the
    end it had), the change log moved so every index sees the new end, the listing queued for
    the exchange. Report, unchanged, those whose end from the decision has passed and those
    whose end cannot be read either way. A chunk of listings commits at a time; run again, it
    mends nothing and reports the same listings left as they are."""
    return _walk(uow, policy, actor=actor)


def _walk(uow: UnitOfWork, policy: Policy, *, actor: str | None) -> list[Found]:
    codes = [c for c, t in policy.list_types.items() if t.public_notice_working_days]
    found: list[Found] = []
    after = 0
    while True:
        with uow:
            today = business_date(uow.now())
            page = uow.entries.published_with_end(
                codes, policy.list_types, after=after, limit=_CHUNK
            )
            for entry in page:
                count = count_of(entry)
                finding = _finding(entry, count, today)
                if finding is None or count is None or entry.id is None or entry.ends_on is None:
                    continue
                found.append(
                    Found(
                        entry.id,
                        entry.list_type.code,
                        entry.subject_id,
                        uow.entries.department_of(entry.id),
                        finding,
                        entry.ends_on,
                        count.binds_from,
                        count.counted,
                    )
                )
                if finding is Finding.MENDED and actor is not None:
                    _mend(uow, policy, entry, today, actor=actor)
            if actor is not None:
                uow.commit()
        if len(page) < _CHUNK:
            return found
        after = page[-1].id or after


def _finding(entry: ListEntry, count: PeriodCount | None, today: date) -> Finding | None:
    """What to do with this listing; None when nothing is to be done or said."""
    if entry.proposed_by.startswith(RECEIVED_BY):
        return None  # another platform's listing: its origin mends it and sends it again
    if entry.state is EntryState.EXITED and entry.exit_ground != "expiry":
        return None  # ended on a ground before its period, however counted, ran out
    if count is None or count.count is Count.FROM_BINDING:
        return None
    if count.count is not Count.FROM_DECISION:
        return Finding.UNCLEAR
    if entry.state is EntryState.EXITED or (entry.ends_on is not None and entry.ends_on <= today):
        return Finding.RAN_OUT
    return Finding.MENDED


def _mend(uow: UnitOfWork, policy: Policy, entry: ListEntry, today: date, *, actor: str) -> None:
    was = recount_from_binding(entry, on=today)
    uow.entries.save(entry, at=uow.now())
    audit_entry(
        uow,
        EventTag.LISTING_PERIOD_RECOUNTED,
        actor,
        entry,
        was=str(was),
        ends_on=str(entry.ends_on),
        binds_from=str(entry.binds_from),
    )
    changed(uow, entry, policy)


def notice_recounted(
    uow: UnitOfWork, policy: Policy, entry_id: int, notice: Deadline, *, actor: str
) -> None:
    """Store, inside the deadline recount's transaction, a listing's public notice counted again
    on the official calendar: the listing binds the day after it, its period moves with that
    day (audited `listing:period_recounted`), and checks, the exchange and the record it rests
    on follow."""
    entry = uow.entries.get(entry_id, policy.list_types)
    before, was = entry.force_window(), entry.ends_on
    recount_notice(entry, notice)
    uow.entries.save(entry, at=uow.now())
    if entry.ends_on != was:
        audit_entry(
            uow,
            EventTag.LISTING_PERIOD_RECOUNTED,
            actor,
            entry,
            was=str(was),
            ends_on=str(entry.ends_on),
            binds_from=str(entry.binds_from),
        )
    if entry.force_window() != before:
        changed(uow, entry, policy)
