"""The feed: what became of the items a department or agency received, in order; and an agency's
acknowledgement of each correction, repair and revocation it was told of."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from xinyong.domain.access import Scope
from xinyong.domain.feed import Acknowledgement, FeedItem
from xinyong.domain.keys import ApiKey
from xinyong.services import feed
from xinyong.web.deps import DbId, UowDep, caller, department_of

router = APIRouter(tags=["feed"])


class FeedItemPublic(BaseModel):
    seq: int
    kind: str
    entity_type: str
    entity_id: int
    detail: str
    at: datetime
    #: An agency acknowledges this item by that working day (null: it asks for nothing back).
    acknowledge_by: date | None = None
    acknowledged_at: datetime | None = None

    @classmethod
    def from_domain(cls, i: FeedItem) -> FeedItemPublic:
        return cls(
            seq=i.seq or 0,
            kind=i.kind.value,
            entity_type=i.entity_type,
            entity_id=i.entity_id,
            detail=i.detail,
            at=i.at,
            acknowledge_by=i.acknowledge_by,
            acknowledged_at=i.acknowledged_at,
        )


class AcknowledgementPublic(BaseModel):
    seq: int
    kind: str
    entity_type: str
    entity_id: int
    due: date
    due_official: bool  # false: counted Monday to Friday until the official calendar is out
    acknowledged_at: datetime | None
    late: bool

    @classmethod
    def from_domain(cls, a: Acknowledgement) -> AcknowledgementPublic:
        return cls(
            seq=a.seq,
            kind=a.kind.value,
            entity_type=a.entity_type,
            entity_id=a.entity_id,
            due=a.due.day,
            due_official=a.due.official,
            acknowledged_at=a.acknowledged_at,
            late=a.was_late,
        )


@router.get("/feed")
def read_feed(
    uow: UowDep,
    key: Annotated[ApiKey, caller(Scope.FEED_READ)],
    after: Annotated[int, Query(ge=0, le=2**63 - 1, description="The last seq you have")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[FeedItemPublic]:
    """What became of items you received (checks, queries): under objection, corrected,
    revoked, repaired, expired — in order. Keep the last `seq` and ask again after it. An item
    with `acknowledge_by` asks an agency to acknowledge it by that working day. An agency on
    the blacklist or without a valid licence is refused (403), and the refusal audited."""
    items = feed.read_feed(
        uow, recipient=department_of(key), after=after, limit=limit, actor=key.actor
    )
    return [FeedItemPublic.from_domain(i) for i in items]


@router.post("/feed/{seq}/acknowledgement")
def acknowledge(
    seq: DbId, uow: UowDep, key: Annotated[ApiKey, caller(Scope.FEED_ACKNOWLEDGE)]
) -> AcknowledgementPublic:
    """Acknowledge a correction, repair or revocation in your feed: you have put your copy
    right. Due within the policy's working days of the item; acknowledging again answers the
    same acknowledgement and changes nothing. Another party's item: 404; an item that asks for
    no acknowledgement: 409."""
    owed = feed.acknowledge(uow, agency=department_of(key), seq=seq, actor=key.actor)
    return AcknowledgementPublic.from_domain(owed)
