"""Expiry: what is past its display period moves to the archive, listings whose period ended
end, and what is past retention is deleted (records, and query-log entries); every recipient is
told; deadlines counted on the fallback calendar are counted again once the official calendar
covers them; derived statuses follow the records. `xinyong sweep` runs it.

Nothing waits for the sweep to stop being shown or used: `CreditRecord.is_displayable_on` and
each entry's in-force window decide that at read time. The sweep moves the stored state to match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.calendar import business_date, business_day_starts
from xinyong.domain.exchange import EventKind
from xinyong.domain.feed import FeedKind
from xinyong.domain.periods import archive_years, left_display_by
from xinyong.domain.policy import Policy
from xinyong.services.agencies import flag_overdue_agencies
from xinyong.services.deadlines import recount_deadlines
from xinyong.services.derived_lists import derive_clean_statuses
from xinyong.services.feed import Notice, notify, notify_many
from xinyong.services.lists import changed
from xinyong.services.outbound import queue_records
from xinyong.services.querylog import delete_past_retention

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork
    from xinyong.services.records import Expired


@dataclass(slots=True)
class SweepSummary:
    expired: int = 0
    listings_ended: int = 0
    deleted: int = 0
    queries_deleted: int = 0  # query-log entries past the log's retention period
    deadlines_recounted: int = 0  # counted again on the official calendar
    clean_granted: int = 0  # derived "no negative record" statuses granted
    clean_ended: int = 0  # and ended
    agencies_flagged: int = 0  # agencies with acknowledgements newly past their deadline


def sweep(uow: UnitOfWork, policy: Policy, *, actor: str, chunk: int = 1000) -> SweepSummary:
    """Move what is past its display period to the archive, end listings whose period is over,
    delete records and query-log entries past retention, and count again the deadlines the
    official calendar now covers; tell every recipient. Safe to run again at any time."""
    summary = SweepSummary()
    after = 0  # each chunk starts past the last one: the table is read once, not per chunk
    while True:
        with uow:
            now = uow.now()
            due = uow.records.expire_past_display(
                business_date(now), at=now, limit=chunk, after=after
            )
            _told_expired(uow, policy, due, actor=actor, at=now)
            uow.commit()
        summary.expired += len(due)
        if len(due) < chunk:
            break
        after = due[-1].id
    with uow:
        now = uow.now()
        today = business_date(now)
        for entry in uow.entries.past_period(today, policy.list_types):
            entry.exit(ground="expiry", on=entry.ends_on or today)
            uow.entries.save(entry, at=now)
            changed(uow, entry, policy)
            notify(
                uow,
                uow.subjects.get(entry.subject_id),
                FeedKind.EXPIRED,
                "list_entry",
                entry.id or 0,
                f"listing period ended {entry.ends_on}",
            )
            summary.listings_ended += 1
        deleted = uow.records.delete_past_retention(
            today, stopped_before=_stopped_before(policy, today)
        )
        for record_id, subject_id in deleted:
            uow.audit.add(
                AuditEvent(
                    EventTag.RECORD_DELETED,
                    actor,
                    "record",
                    str(record_id),
                    now,
                    subject_id=subject_id,
                )
            )
        summary.deleted = len(deleted)
        uow.commit()
    summary.queries_deleted = delete_past_retention(uow, policy.querylog, actor=actor)
    summary.deadlines_recounted = recount_deadlines(uow, policy, actor=actor).recounted
    summary.clean_granted, summary.clean_ended = derive_clean_statuses(uow, policy, actor=actor)
    summary.agencies_flagged = flag_overdue_agencies(uow, actor=actor)
    return summary


def _stopped_before(policy: Policy, today: date) -> dict[datetime, list[str]]:
    """The catalog item codes by the moment before which a record of them that left display for
    good (repaired, stopped by an objection, revoked: the day it stopped is the day of its last
    change) has been in the archive its archive years by `today` (the longest of the item's
    catalog versions: never a day early).

    Each such record's retention end is set when it stops (`CreditRecord.repair` and the others);
    this deletes, on the same day, the records stopped before their stop set it, which still carry
    the end counted from the display end they never reached, and any whose stored end is later."""
    years: dict[str, int] = {}
    for catalog in policy.catalogs.values():
        for item in catalog:
            years[item.code] = max(years.get(item.code, 0), archive_years(item, policy.periods))
    items: dict[datetime, list[str]] = {}
    for code, kept in sorted(years.items()):
        cut = business_day_starts(left_display_by(today, kept) + timedelta(days=1))
        items.setdefault(cut, []).append(code)
    return items


def _told_expired(
    uow: UnitOfWork, policy: Policy, due: Sequence[Expired], *, actor: str, at: datetime
) -> None:
    """What a chunk of records moved to the archive leaves behind, set by set: the exchange's
    events, the notices to every party that received one, an audit event each."""
    queue_records(uow, policy, [r.id for r in due], EventKind.RECORD_EXPIRED)
    keys = uow.subjects.keys_of({r.subject_id for r in due})
    notify_many(
        uow,
        [
            Notice(
                keys[r.subject_id],
                FeedKind.EXPIRED,
                "record",
                r.id,
                f"display ended {r.display_ends}",
            )
            for r in due
        ],
    )
    uow.audit.add_many(
        [
            AuditEvent(
                EventTag.RECORD_EXPIRED, actor, "record", str(r.id), at, subject_id=r.subject_id
            )
            for r in due
        ]
    )
