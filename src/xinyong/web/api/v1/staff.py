"""Staff users of the consoles: created, listed and disabled by the credit centre."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from xinyong.domain.access import Role, Scope
from xinyong.domain.keys import ApiKey
from xinyong.domain.staff import StaffUser
from xinyong.services import staff
from xinyong.web.deps import PolicyDep, UowDep, caller

router = APIRouter(prefix="/staff", tags=["staff"])


class StaffCreate(BaseModel):
    """A new console user: a role of the key matrix, bound to a department (none for the
    centre's own staff), and a first password."""

    username: str = Field(max_length=40)
    name: str = Field(max_length=100)
    role: Role
    #: The department's other role, where its mandate covers both (submitting and checking).
    also: list[Role] = Field(default_factory=list, max_length=1)
    department: str | None = Field(default=None, max_length=32)
    password: str = Field(min_length=1, max_length=200)


class StaffPublic(BaseModel):
    """A user, without their password or secret."""

    id: int
    username: str
    name: str
    role: str
    also: list[str]
    department: str | None
    scopes: list[str]
    enrolled: bool
    disabled_at: datetime | None

    @classmethod
    def from_domain(cls, s: StaffUser) -> StaffPublic:
        return cls(
            id=s.id or 0,
            username=s.username,
            name=s.name,
            role=s.role.value,
            also=[r.value for r in s.also],
            department=s.department,
            scopes=sorted(x.value for x in s.scopes),
            enrolled=s.is_enrolled,
            disabled_at=s.disabled_at,
        )


class StaffCreated(StaffPublic):
    """The created user and their authenticator's enrolment, shown once (also at their first
    login)."""

    totp_secret: str
    otpauth_uri: str


@router.post("", status_code=201)
def add_staff(
    body: StaffCreate,
    uow: UowDep,
    policy: PolicyDep,
    key: Annotated[ApiKey, caller(Scope.STAFF_MANAGE)],
) -> StaffCreated:
    """Create a console user."""
    new = staff.add_staff(
        uow,
        policy,
        username=body.username,
        name=body.name,
        role=body.role,
        department=body.department,
        password=body.password,
        actor=key.actor,
        also=tuple(body.also),
    )
    public = StaffPublic.from_domain(new.staff)
    return StaffCreated(**public.model_dump(), totp_secret=new.secret, otpauth_uri=new.uri)


@router.get("")
def list_staff(
    uow: UowDep, key: Annotated[ApiKey, caller(Scope.STAFF_MANAGE)]
) -> list[StaffPublic]:
    """Every console user."""
    return [StaffPublic.from_domain(s) for s in staff.list_staff(uow)]


@router.post("/{username}/disable")
def disable_staff(
    username: Annotated[str, Path(max_length=40)],
    uow: UowDep,
    key: Annotated[ApiKey, caller(Scope.STAFF_MANAGE)],
) -> StaffPublic:
    """Disable a user: their sessions end at once."""
    return StaffPublic.from_domain(staff.disable_staff(uow, username, actor=key.actor))
