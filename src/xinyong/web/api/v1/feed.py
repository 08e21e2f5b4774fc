"""The feed: what became of the items a department or agency received, in order; and an agency's
acknowledgement of each correction, repair and revocation it was told of."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from xinyong.domain.access import Scope
from xinyong.domain.feed import Acknowledgement, FeedItem, FeedKind
from xinyong.domain.keys import ApiKey
from xinyong.services import feed
from xinyong.web.deps import DbId, UowDep, caller, department_of

router = APIRouter(tags=["feed"])


#: What each kind says (docs/rights.md, "The feed").
KIND_WORDS = (
    "What became of the item: under_objection (marked; asks nothing back), corrected,"
    " supplemented, display_stopped, removed_from_list, objection_rejected, revoked, repaired,"
    " expired; identity_hold (held while an identity review decides whom the record is about:"
    " not shown or used meanwhile; asks nothing back), withheld (an identity review found the"
    " record is not about the person it was given about: it no longer stands), released (an"
    " identity review found a held record is the person's: it stands again); deadline_moved (a"
    " deadline of yours was counted again on the official calendar)."
)


class FeedItemPublic(BaseModel):
    seq: int
    kind: FeedKind = Field(description=KIND_WORDS)
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
            kind=i.kind,
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
    revoked, repaired, expired, held, withheld or released by an identity review — in order.
    Keep the last `seq` and ask again after it. An item with `acknowledge_by` asks an agency
    to acknowledge it by that working day. An agency on the blacklist or without a valid
    licence, or a key whose staff member is on the staff blacklist, is refused (403), and the
    refusal audited."""
    items = feed.read_feed(
        uow,
        recipient=department_of(key),
        after=after,
        limit=limit,
        actor=key.actor,
        staff=key.agency_staff_id,
    )
    return [FeedItemPublic.from_domain(i) for i in items]


@router.post("/feed/{seq}/acknowledgement")
def acknowledge(
    seq: DbId, uow: UowDep, key: Annotated[ApiKey, caller(Scope.FEED_ACKNOWLEDGE)]
) -> AcknowledgementPublic:
    """Acknowledge a correction, repair, revocation or withheld record in your feed: you have
    put your copy right. Due within the policy's working days of the item; acknowledging again
    answers the same acknowledgement and changes nothing. Another party's item: 404; an item
    that asks for no acknowledgement: 409."""
    owed = feed.acknowledge(uow, agency=department_of(key), seq=seq, actor=key.actor)
    return AcknowledgementPublic.from_domain(owed)
