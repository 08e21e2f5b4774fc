"""Deadlines as use cases: count again what was counted on the fallback calendar once the
official calendar covers it (telling whom it concerns), and watch every running deadline.

A revocation's withdrawal day is stored with the record and with each recipient's withdrawal:
all are counted again; the person is told once, through the record, and each recipient of its
own. The view lists a recipient's withdrawal while an acknowledgement of it is owed: a party
that gives none (a department) cannot be seen to be late.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.calendar import Deadline, business_date
from xinyong.domain.deadlines import (
    WATCHED,
    Counted,
    DeadlineKind,
    Notice,
    NoticeKind,
    Watched,
    recount,
    recounted_data,
    tells_person,
)
from xinyong.domain.errors import Invalid
from xinyong.domain.feed import FeedItem, FeedKind
from xinyong.services.feed import key_of
from xinyong.services.notice_periods import notice_recounted
from xinyong.services.notice_words import detail_of

if TYPE_CHECKING:
    from xinyong.domain.policy import Policy
    from xinyong.services.ports import UnitOfWork


class DeadlineRepository(Protocol):
    def on_fallback(self) -> list[Counted]:
        """Every stored deadline counted on the fallback calendar."""
        ...

    def store(
        self, kind: DeadlineKind, entity_type: str, entity_id: int, deadline: Deadline
    ) -> None: ...
    def watched(
        self,
        kinds: Sequence[DeadlineKind],
        *,
        department: str | None,
        due_before: date | None,
        limit: int,
    ) -> list[Watched]: ...
    def add_notice(self, notice: Notice) -> None: ...
    def notices_of(self, subject_id: int) -> list[Notice]: ...


@dataclass(slots=True)
class RecountSummary:
    """What one recount did."""

    recounted: int = 0  # counted again on the official calendar (stored, audited)
    moved: int = 0  # ... of which the day changed
    waiting: int = 0  # still beyond the official calendar: counted Monday to Friday for now
    unknown: int = 0  # counted Monday to Friday, but what from is not known: cannot be recounted
    people_told: int = 0
    departments_told: int = 0


def recount_deadlines(uow: UnitOfWork, policy: Policy, *, actor: str) -> RecountSummary:
    """Count again every deadline counted on the fallback calendar whose days the official
    calendar now covers; store and audit each; tell the person it protects and the department
    it binds when a running deadline moved. A running listing's public notice counted again
    lets the listing bind, and moves its period (`services/notice_periods.py
    notice_recounted`); an ended listing's is only stored. Safe to run again at any time."""
    summary = RecountSummary()
    with uow:
        now = uow.now()
        for counted in uow.deadlines.on_fallback():
            old = counted.deadline
            if not old.recountable:
                summary.unknown += 1
                continue
            new = recount(counted)
            if new is None:
                summary.waiting += 1
                continue
            if counted.kind is DeadlineKind.PUBLIC_NOTICE and counted.running:
                notice_recounted(uow, policy, counted.entity_id, new, actor=actor)
            else:
                uow.deadlines.store(counted.kind, counted.entity_type, counted.entity_id, new)
            summary.recounted += 1
            moved = new.day != old.day
            summary.moved += moved
            uow.audit.add(
                AuditEvent(
                    EventTag.DEADLINE_RECOUNTED,
                    actor,
                    counted.entity_type,
                    str(counted.entity_id),
                    now,
                    subject_id=counted.subject_id,
                    data={
                        "kind": counted.kind.value,
                        "from": old.day.isoformat(),
                        "to": new.day.isoformat(),
                        "counted_from": (new.start or old.day).isoformat(),
                        "working_days": new.working_days,
                    },
                )
            )
            if not (moved and counted.running):
                continue
            told = recounted_data(counted.kind, old, new)
            detail = detail_of(told)
            if tells_person(counted.kind, counted.entity_type):
                uow.deadlines.add_notice(
                    Notice(
                        counted.subject_id,
                        NoticeKind.DEADLINE_MOVED,
                        counted.entity_type,
                        counted.entity_id,
                        detail,
                        now,
                        data=told,
                    )
                )
                summary.people_told += 1
            if counted.department is not None:
                subject = uow.subjects.get(counted.subject_id)
                uow.feed.add(
                    [
                        FeedItem(
                            counted.department,
                            FeedKind.DEADLINE_MOVED,
                            counted.entity_type,
                            counted.entity_id,
                            key_of(subject),
                            detail,
                            now,
                        )
                    ]
                )
                summary.departments_told += 1
        uow.commit()
    return summary


def watched_deadlines(
    uow: UnitOfWork,
    *,
    kinds: Sequence[DeadlineKind] = (),
    department: str | None,
    overdue: bool,
    limit: int = 100,
    offset: int = 0,
) -> list[Watched]:
    """Running deadlines (only those past their day when `overdue`), the earliest first; one
    department's cases when `department` is given. `kinds` empty: every watched kind."""
    for kind in kinds:
        if kind not in WATCHED:
            raise Invalid(
                f"kind: {kind.value} binds nobody to act; watched kinds are"
                f" {', '.join(k.value for k in WATCHED)}"
            )
    wanted = list(kinds or WATCHED)
    with uow:
        today = business_date(uow.now())
        found = uow.deadlines.watched(
            wanted,
            department=department,
            due_before=today if overdue else None,
            limit=offset + limit,
        )
    found.sort(key=lambda w: (w.due.day, w.kind.value, w.entity_id))
    return found[offset : offset + limit]


def notices_of(uow: UnitOfWork, subject_id: int) -> list[Notice]:
    """What the platform told the person about their file, oldest first."""
    with uow:
        return uow.deadlines.notices_of(subject_id)
