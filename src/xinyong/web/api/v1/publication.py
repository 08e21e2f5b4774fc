"""Publication: what the law makes public, de-identified, for anyone."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from xinyong.services import publication
from xinyong.services.publication import PublishedRecord
from xinyong.web.deps import PUBLIC, PolicyDep, TodayDep, UowDep

router = APIRouter(tags=["public"])


class PublicRecord(BaseModel):
    """A published record, de-identified."""

    id: int
    item: str
    item_name_zh: str
    subject_name: str
    subject_number: str
    department: str
    document_number: str
    decision_date: date
    shown_until: date | None
    under_objection: bool

    @classmethod
    def from_domain(cls, r: PublishedRecord) -> PublicRecord:
        return cls(
            id=r.id,
            item=r.item,
            item_name_zh=r.item_name_zh,
            subject_name=r.subject_name,
            subject_number=r.subject_number,
            department=r.department,
            document_number=r.document_number,
            decision_date=r.decision_date,
            shown_until=r.shown_until,
            under_objection=r.under_objection,
        )


@router.get("/public/records", **PUBLIC)
def public_records(
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    item: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[PublicRecord]:
    """Published records shown today, de-identified (name and number masked), newest first.
    A record under objection says so."""
    found = publication.published(uow, policy, today, item=item, limit=limit, offset=offset)
    return [PublicRecord.from_domain(r) for r in found]
