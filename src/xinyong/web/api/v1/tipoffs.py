"""Tip-offs from the public, in the queue of the department each was routed to."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from xinyong.domain.access import Scope
from xinyong.domain.identifiers import mask_number
from xinyong.domain.keys import ApiKey
from xinyong.domain.policy import Policy
from xinyong.domain.tipoffs import TipOff
from xinyong.services import tipoffs
from xinyong.web.deps import DbId, PolicyDep, UowDep, caller

router = APIRouter(tags=["tip-offs"])


class TipOffPublic(BaseModel):
    """A tip-off as the queue shows it: the number it names masked, ID numbers in the account
    withheld, no contact (GET /tipoffs/{id} shows them, and the reading is audited)."""

    id: int
    topic: str
    topic_name_zh: str
    department: str
    subject_name: str
    subject_number: str | None
    account: str
    received_at: datetime
    status: str

    @classmethod
    def from_domain(cls, t: TipOff, policy: Policy) -> TipOffPublic:
        topic = policy.tipoffs.topics.get(t.topic)
        return cls(
            id=t.id or 0,
            topic=t.topic,
            topic_name_zh=topic.name_zh if topic else t.topic,
            department=t.department,
            subject_name=t.subject_name,
            subject_number=mask_number(t.subject_number) if t.subject_number else None,
            account=t.redacted_account,
            received_at=t.received_at,
            status=t.status.value,
        )


class TipOffFull(TipOffPublic):
    """One tip-off in full, for the department that investigates it."""

    contact: str | None

    @classmethod
    def full(cls, t: TipOff, policy: Policy) -> TipOffFull:
        shown = TipOffPublic.from_domain(t, policy).model_dump()
        shown.update(subject_number=t.subject_number, account=t.account)
        return cls(**shown, contact=t.contact)


Reader = Annotated[ApiKey, caller(Scope.TIPOFFS_READ)]


@router.get("/tipoffs")
def tipoff_queue(
    uow: UowDep,
    policy: PolicyDep,
    key: Reader,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[TipOffPublic]:
    """Tip-offs from the public routed to your department (the credit centre: all), newest
    first. A tip-off is a lead to look into, never a record."""
    found = tipoffs.tipoff_queue(uow, key.department, limit=limit, offset=offset)
    return [TipOffPublic.from_domain(t, policy) for t in found]


@router.get("/tipoffs/{tipoff_id}")
def show_tipoff(tipoff_id: DbId, uow: UowDep, policy: PolicyDep, key: Reader) -> TipOffFull:
    """One tip-off in full (the number it names, the sender's contact if given); the reading
    is audited. Another department's tip-off is not found."""
    found = tipoffs.read_tipoff(uow, tipoff_id, department=key.department, actor=key.actor)
    return TipOffFull.full(found, policy)
