"""The feed: what became of the items a department or agency received, in order."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from xinyong.domain.access import Scope
from xinyong.domain.feed import FeedItem
from xinyong.domain.keys import ApiKey
from xinyong.services import feed
from xinyong.web.deps import UowDep, caller, department_of

router = APIRouter(tags=["feed"])


class FeedItemPublic(BaseModel):
    seq: int
    kind: str
    entity_type: str
    entity_id: int
    detail: str
    at: datetime

    @classmethod
    def from_domain(cls, i: FeedItem) -> FeedItemPublic:
        return cls(
            seq=i.seq or 0,
            kind=i.kind.value,
            entity_type=i.entity_type,
            entity_id=i.entity_id,
            detail=i.detail,
            at=i.at,
        )


@router.get("/feed")
def read_feed(
    uow: UowDep,
    key: Annotated[ApiKey, caller(Scope.FEED_READ)],
    after: Annotated[int, Query(ge=0, le=2**63 - 1, description="The last seq you have")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[FeedItemPublic]:
    """What became of items you received (checks, queries): under objection, corrected,
    revoked, repaired, expired — in order. Keep the last `seq` and ask again after it."""
    items = feed.read_feed(uow, recipient=department_of(key), after=after, limit=limit)
    return [FeedItemPublic.from_domain(i) for i in items]
