"""Subjects: the roles persons hold in organisations, and the identity-review queue."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from xinyong.domain.access import Scope
from xinyong.domain.keys import ApiKey
from xinyong.domain.subjects import IdentityReview, Role, RoleKind
from xinyong.services import records, subjects
from xinyong.web.deps import DbId, PolicyDep, UowDep, caller

router = APIRouter(tags=["subjects"])


class SubjectRef(BaseModel):
    id: int
    masked_number: str


class RoleCreate(BaseModel):
    """A person's role in an organisation. Numbers travel in the body, never in a URL."""

    organisation_uscc: str = Field(max_length=40)
    person_id_number: str = Field(max_length=40)
    kind: RoleKind
    since: date
    until: date | None = None


class RolePublic(BaseModel):
    organisation_id: int
    person_id: int
    kind: RoleKind
    since: date
    until: date | None

    @classmethod
    def from_domain(cls, r: Role) -> RolePublic:
        return cls(
            organisation_id=r.organisation_id,
            person_id=r.person_id,
            kind=r.kind,
            since=r.since,
            until=r.until,
        )


class IdentityReviewPublic(BaseModel):
    id: int
    subject_id: int
    #: The record the review is about, or None for a registration's (`registration_id`).
    record_id: int | None
    registration_id: int | None
    kind: str
    known_value: str
    submitted_value: str
    status: str
    created_at: datetime
    resolution: str | None
    note: str | None

    @classmethod
    def from_domain(cls, r: IdentityReview) -> IdentityReviewPublic:
        return cls(
            id=r.id,
            subject_id=r.subject_id,
            record_id=r.record_id,
            registration_id=r.registration_id,
            kind=r.kind,
            known_value=r.known_value,
            submitted_value=r.submitted_value,
            status=r.status.value,
            created_at=r.created_at,
            resolution=r.resolution.value if r.resolution else None,
            note=r.note,
        )


class ReviewDecision(BaseModel):
    same_person: bool = Field(description="True: the submission is about the known subject")
    note: str = Field(min_length=5, max_length=2000)


Writer = Annotated[ApiKey, caller(Scope.SUBJECTS_WRITE)]
Reader = Annotated[ApiKey, caller(Scope.SUBJECTS_READ)]
Reviewer = Annotated[ApiKey, caller(Scope.REVIEWS_MANAGE)]


@router.post("/subjects/roles", status_code=201)
def record_role(body: RoleCreate, uow: UowDep, key: Writer) -> RolePublic:
    """Record a person's role in an organisation (both must already be known subjects)."""
    role = subjects.record_role(
        uow,
        organisation=body.organisation_uscc,
        person=body.person_id_number,
        kind=body.kind,
        since=body.since,
        until=body.until,
        actor=key.actor,
    )
    return RolePublic.from_domain(role)


@router.get("/subjects/{subject_id}/roles")
def list_roles(subject_id: DbId, uow: UowDep, key: Reader) -> list[RolePublic]:
    """The roles a person holds, or that are held in an organisation."""
    return [RolePublic.from_domain(r) for r in subjects.roles_of(uow, subject_id)]


@router.get("/identity-reviews", tags=["identity reviews"])
def list_reviews(
    uow: UowDep,
    key: Reviewer,
    status: Annotated[str | None, Query(pattern="^(open|resolved)$")] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[IdentityReviewPublic]:
    """Held submissions, oldest first."""
    reviews = subjects.list_identity_reviews(uow, status=status, limit=limit, offset=offset)
    return [IdentityReviewPublic.from_domain(r) for r in reviews]


@router.post("/identity-reviews/{review_id}/resolution", tags=["identity reviews"])
def resolve_review(
    review_id: DbId, body: ReviewDecision, uow: UowDep, policy: PolicyDep, key: Reviewer
) -> IdentityReviewPublic:
    """Decide a review: is the record about the known subject (a held one is then released), is
    a number whose region code no table knows genuinely the person's (if not, the record is
    withheld and the listings resting on it end), or is a registration under another name the
    file's person (its account then opens; if not, the registration is refused)?"""
    review = records.resolve_identity_review(
        uow, policy, review_id, same_person=body.same_person, note=body.note, actor=key.actor
    )
    return IdentityReviewPublic.from_domain(review)
