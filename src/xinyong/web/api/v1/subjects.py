"""Subjects: the roles that tie persons to organisations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from xinyong.domain.access import ApiKey, Scope
from xinyong.services import subjects
from xinyong.web.deps import DbId, UowDep, caller
from xinyong.web.schemas import RoleCreate, RolePublic

router = APIRouter(prefix="/subjects", tags=["subjects"])


@router.post("/roles", status_code=201)
def record_role(
    body: RoleCreate, uow: UowDep, key: Annotated[ApiKey, caller(Scope.SUBJECTS_WRITE)]
) -> RolePublic:
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


@router.get("/{subject_id}/roles")
def list_roles(
    subject_id: DbId, uow: UowDep, key: Annotated[ApiKey, caller(Scope.SUBJECTS_READ)]
) -> list[RolePublic]:
    """The roles a person holds, or that are held in an organisation."""
    return [RolePublic.from_domain(r) for r in subjects.roles_of(uow, subject_id)]
