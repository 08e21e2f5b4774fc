"""Deadlines: the credit centre's view of every running working-day deadline (a department's
key sees its own cases), and the notices in a person's file."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from xinyong.domain.access import Scope
from xinyong.domain.deadlines import DeadlineKind, Notice, Watched
from xinyong.domain.keys import ApiKey
from xinyong.services import accounts, deadlines, notice_words
from xinyong.web.deps import TodayDep, UowDep, caller

router = APIRouter(tags=["deadlines"])


class DeadlinePublic(BaseModel):
    kind: str
    what: str
    entity_type: str
    entity_id: int
    subject_id: int
    department: str | None  # whose case it is
    must_act: str  # a department code, or credit_centre
    due: date
    due_official: bool  # false: counted Monday to Friday; counted again when the calendar is out
    overdue: bool
    working_days_overdue: int

    @classmethod
    def from_domain(cls, w: Watched, today: date) -> DeadlinePublic:
        return cls(
            kind=w.kind.value,
            what=w.what,
            entity_type=w.entity_type,
            entity_id=w.entity_id,
            subject_id=w.subject_id,
            department=w.department,
            must_act=w.must_act,
            due=w.due.day,
            due_official=w.due.official,
            overdue=w.is_overdue_on(today),
            working_days_overdue=w.working_days_overdue(today),
        )


class NoticePublic(BaseModel):
    id: int
    kind: str
    entity_type: str
    entity_id: int
    #: The English sentence kept with the notice.
    detail: str
    #: The notice in the language asked for (`lang`); the detail when it keeps no data.
    text: str
    #: What happened, as data: `change` (stopped, resumed, recounted) with `deadline`, the days and
    #: why; or `closed` with the `case`, `case_id`, `record` and `review`; null for notices kept
    #: before notices kept data.
    data: dict[str, Any] | None
    at: datetime

    @classmethod
    def from_domain(cls, n: Notice, lang: str) -> NoticePublic:
        return cls(
            id=n.id or 0,
            kind=n.kind.value,
            entity_type=n.entity_type,
            entity_id=n.entity_id,
            detail=n.detail,
            text=notice_words.say(n.data, lang) or n.detail,
            data=dict(n.data) if n.data is not None else None,
            at=n.at,
        )


Person = Annotated[ApiKey, caller(Scope.ME)]
OnBehalfOf = Annotated[
    int | None,
    Query(ge=1, le=2**63 - 1, description="A principal's subject id, for an agent"),
]


@router.get("/deadlines")
def watched_deadlines(
    uow: UowDep,
    today: TodayDep,
    key: Annotated[ApiKey, caller(Scope.DEADLINES_READ)],
    overdue: Annotated[bool, Query(description="Only those past their day")] = False,
    kind: Annotated[
        list[DeadlineKind] | None, Query(description="Only these kinds (repeat the parameter)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[DeadlinePublic]:
    """Every running deadline the platform watches, the earliest due first: double publicity,
    objection steps, repair steps, court-list deletions, agencies' acknowledgements and their
    withdrawals of what a revocation ended. Each names who must act, the due day, whether it is
    counted on the official calendar, and how many working days it is overdue. A key bound to a
    department sees that department's cases only."""
    found = deadlines.watched_deadlines(
        uow,
        kinds=kind or (),
        department=key.department,
        overdue=overdue,
        limit=limit,
        offset=offset,
    )
    return [DeadlinePublic.from_domain(w, today) for w in found]


@router.get("/me/notices")
def my_notices(
    uow: UowDep,
    key: Person,
    on_behalf_of: OnBehalfOf = None,
    lang: Annotated[Literal["zh", "en"], Query(description="zh (default) or en")] = "zh",
) -> list[NoticePublic]:
    """What the platform told you about your file: a deadline of yours counted again on the
    official calendar, and the day it moved to; an objection's deadline stopped for testing or
    expert review, and where it moved once it ran again; a case of yours closed because an
    identity review found its record another person's. `text` says each in `lang`."""
    subject_id = accounts.acting_for(uow, key, on_behalf_of)
    return [NoticePublic.from_domain(n, lang) for n in deadlines.notices_of(uow, subject_id)]
