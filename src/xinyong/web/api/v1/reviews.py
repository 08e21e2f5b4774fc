"""The identity-review queue: submissions held because they conflict with a known subject."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from xinyong.domain.access import ApiKey, Scope
from xinyong.services import admin
from xinyong.web.deps import DbId, UowDep, caller
from xinyong.web.schemas import IdentityReviewPublic, ReviewDecision

router = APIRouter(prefix="/identity-reviews", tags=["identity reviews"])

Staff = Annotated[ApiKey, caller(Scope.REVIEWS_MANAGE)]


@router.get("")
def list_reviews(
    uow: UowDep,
    key: Staff,
    status: Annotated[str | None, Query(pattern="^(open|resolved)$")] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[IdentityReviewPublic]:
    """Held submissions, oldest first."""
    reviews = admin.list_identity_reviews(uow, status=status, limit=limit, offset=offset)
    return [IdentityReviewPublic.from_domain(r) for r in reviews]


@router.post("/{review_id}/resolve")
def resolve_review(
    review_id: DbId, body: ReviewDecision, uow: UowDep, key: Staff
) -> IdentityReviewPublic:
    """Decide whether a held submission is about the known subject; if so, release the record."""
    review = admin.resolve_identity_review(
        uow, review_id, same_person=body.same_person, note=body.note, actor=key.actor
    )
    return IdentityReviewPublic.from_domain(review)
