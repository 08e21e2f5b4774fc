"""Agencies as supervised bodies: the credit centre records their licences, keeps the agency
blacklist, registers each agency's staff and keeps the staff blacklist (docs/security.md,
"Agencies")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from xinyong.domain.access import Scope
from xinyong.domain.agencies import Blacklisting, Licence
from xinyong.domain.keys import ApiKey
from xinyong.services import agencies
from xinyong.services.agencies import AgencyStanding, StaffStanding
from xinyong.web.deps import UowDep, caller

router = APIRouter(prefix="/agencies", tags=["agencies"])

Supervisor = Annotated[ApiKey, caller(Scope.AGENCIES_MANAGE)]
AgencyCode = Annotated[str, Path(max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
StaffNumber = Annotated[
    str, Path(max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", description="Staff number")
]


class LicenceBody(BaseModel):
    """An agency's licence for personal credit reporting."""

    number: str = Field(min_length=1, max_length=100)
    authority: str = Field(min_length=1, max_length=200, description="The issuing authority")
    valid_from: date
    valid_until: date

    def to_domain(self) -> Licence:
        return Licence(self.number, self.authority, self.valid_from, self.valid_until)

    @classmethod
    def from_domain(cls, licence: Licence) -> LicenceBody:
        return cls(
            number=licence.number,
            authority=licence.authority,
            valid_from=licence.valid_from,
            valid_until=licence.valid_until,
        )


class BlacklistingCreate(BaseModel):
    ground: str = Field(min_length=1, max_length=2000, description="Why, with its basis")
    on: date | None = Field(default=None, description="The day of the decision (default today)")


class BlacklistingLift(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class BlacklistingPublic(BaseModel):
    id: int
    agency: str
    #: On the staff blacklist: the staff member's id (null: the agency itself is blacklisted).
    staff: int | None = None
    ground: str
    listed_on: date
    listed_by: str
    lifted_at: datetime | None
    lift_reason: str | None

    @classmethod
    def from_domain(cls, b: Blacklisting) -> BlacklistingPublic:
        return cls(
            id=b.id or 0,
            agency=b.agency,
            staff=b.staff,
            ground=b.ground,
            listed_on=b.listed_on,
            listed_by=b.listed_by,
            lifted_at=b.lifted_at,
            lift_reason=b.lift_reason,
        )


class AgencyPublic(BaseModel):
    code: str
    name: str
    licence: LicenceBody | None
    blacklisting: BlacklistingPublic | None
    may_query: bool
    refused_because: str | None
    #: Acknowledgements of corrections, repairs and revocations past their deadline.
    overdue_acknowledgements: int
    #: It has overdue acknowledgements (the sweep audits each one once).
    flagged: bool

    @classmethod
    def from_domain(cls, a: AgencyStanding) -> AgencyPublic:
        return cls(
            code=a.code,
            name=a.name,
            licence=LicenceBody.from_domain(a.licence) if a.licence else None,
            blacklisting=BlacklistingPublic.from_domain(a.blacklisting) if a.blacklisting else None,
            may_query=a.refused_because is None,
            refused_because=a.refused_because,
            overdue_acknowledgements=a.overdue_acknowledgements,
            flagged=a.flagged,
        )


@router.get("")
def list_agencies(uow: UowDep, key: Supervisor) -> list[AgencyPublic]:
    """Every registered credit reporting agency, its licence, whether it may query today, and
    whether it is flagged for acknowledgements past their deadline."""
    return [AgencyPublic.from_domain(a) for a in agencies.agency_standings(uow)]


@router.put("/{code}/licence")
def record_licence(
    code: AgencyCode, body: LicenceBody, uow: UowDep, key: Supervisor
) -> LicenceBody:
    """Record an agency's licence (a new one, or a renewal); audited."""
    agencies.record_licence(uow, code, body.to_domain(), actor=key.actor)
    return body


@router.post("/{code}/blacklisting", status_code=201)
def blacklist(
    code: AgencyCode, body: BlacklistingCreate, uow: UowDep, key: Supervisor
) -> BlacklistingPublic:
    """Put an agency on the agency blacklist: its queries are refused (403), logged in each
    person's query log and audited, until it is taken off."""
    entry = agencies.blacklist_agency(uow, code, ground=body.ground, on=body.on, actor=key.actor)
    return BlacklistingPublic.from_domain(entry)


@router.post("/{code}/blacklisting/lifting")
def lift(
    code: AgencyCode, body: BlacklistingLift, uow: UowDep, key: Supervisor
) -> BlacklistingPublic:
    """Take an agency off the agency blacklist, with the reason."""
    entry = agencies.lift_blacklisting(uow, code, reason=body.reason, actor=key.actor)
    return BlacklistingPublic.from_domain(entry)


# --- the agency's staff, and the staff blacklist ----------------------------------------------


class StaffCreate(BaseModel):
    """A staff member of an agency: the agency's own staff number (never an ID number)."""

    number: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    name: str = Field(min_length=1, max_length=100)


class StaffPublic(BaseModel):
    id: int
    agency: str
    number: str
    name: str
    registered_at: datetime
    left_on: date | None = Field(description="The day they left the agency; null while there")
    blacklisting: BlacklistingPublic | None
    may_query: bool

    @classmethod
    def from_domain(cls, s: StaffStanding) -> StaffPublic:
        m = s.member
        return cls(
            id=m.id or 0,
            agency=m.agency,
            number=m.number,
            name=m.name,
            registered_at=m.registered_at,
            left_on=m.left_on,
            blacklisting=BlacklistingPublic.from_domain(s.blacklisting) if s.blacklisting else None,
            may_query=s.may_query,
        )


@router.get("/{code}/staff")
def list_staff(code: AgencyCode, uow: UowDep, key: Supervisor) -> list[StaffPublic]:
    """An agency's registered staff members (keys are issued to them), and whether each may
    query (the agency's own standing aside)."""
    return [StaffPublic.from_domain(s) for s in agencies.staff_standings(uow, code)]


@router.post("/{code}/staff", status_code=201)
def register_staff(
    code: AgencyCode, body: StaffCreate, uow: UowDep, key: Supervisor
) -> StaffPublic:
    """Register a staff member of an agency, so that keys can be issued to them; audited."""
    member = agencies.register_staff(uow, code, number=body.number, name=body.name, actor=key.actor)
    return StaffPublic.from_domain(StaffStanding(member, None))


@router.post("/{code}/staff/{number}/blacklisting", status_code=201)
def blacklist_staff(
    code: AgencyCode, number: StaffNumber, body: BlacklistingCreate, uow: UowDep, key: Supervisor
) -> BlacklistingPublic:
    """Put a staff member of an agency on the staff blacklist: every query and feed read with
    their keys is refused (403), logged in each person's query log and audited, until they are
    taken off; the agency's other staff keep working."""
    entry = agencies.blacklist_staff(
        uow, code, number, ground=body.ground, on=body.on, actor=key.actor
    )
    return BlacklistingPublic.from_domain(entry)


@router.post("/{code}/staff/{number}/blacklisting/lifting")
def lift_staff(
    code: AgencyCode, number: StaffNumber, body: BlacklistingLift, uow: UowDep, key: Supervisor
) -> BlacklistingPublic:
    """Take a staff member of an agency off the staff blacklist, with the reason."""
    entry = agencies.lift_staff_blacklisting(uow, code, number, reason=body.reason, actor=key.actor)
    return BlacklistingPublic.from_domain(entry)


class DepartureCreate(BaseModel):
    on: date | None = Field(default=None, description="The day they left (default today)")


class DeparturePublic(BaseModel):
    member: StaffPublic
    keys_revoked: list[str] = Field(description="Prefixes of the keys revoked with it")


@router.post("/{code}/staff/{number}/departure", status_code=201)
def record_departure(
    code: AgencyCode, number: StaffNumber, body: DepartureCreate, uow: UowDep, key: Supervisor
) -> DeparturePublic:
    """Record that a staff member left the agency: every key issued to them is revoked at once,
    none is issued to them again, and a query with one of them is refused (403); audited."""
    standing, revoked = agencies.record_staff_departure(
        uow, code, number, on=body.on, actor=key.actor
    )
    return DeparturePublic(member=StaffPublic.from_domain(standing), keys_revoked=revoked)
