"""Authorisations: a person lets a party query their file; an authorised party queries it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from xinyong.domain.access import Scope
from xinyong.domain.authorisations import Authorisation
from xinyong.domain.keys import ApiKey
from xinyong.domain.lists import ListEntry
from xinyong.domain.records import CreditRecord
from xinyong.services import accounts, authorisations
from xinyong.services.authorisations import AgencyAnswer
from xinyong.web.deps import PUBLIC, DbId, PolicyDep, TodayDep, UowDep, caller

router = APIRouter(tags=["authorisations"])


class PurposePublic(BaseModel):
    """A published purpose an authorisation is given for (and an agency's query names)."""

    code: str
    name_zh: str
    name_en: str


class AuthorisationCreate(BaseModel):
    grantee: str = Field(max_length=32, description="The party's code, e.g. AGENCY-BAIHANG")
    purpose: str = Field(
        max_length=40, description="A code of GET /authorisations/purposes, e.g. loan_approval"
    )
    scope: str = Field(max_length=32, description="report, records or lists")
    expires_on: date


class AuthorisationPublic(BaseModel):
    id: int
    grantee: str
    purpose: str
    scope: str
    expires_on: date
    granted_at: datetime
    revoked_at: datetime | None
    live: bool

    @classmethod
    def from_domain(cls, a: Authorisation, today: date) -> AuthorisationPublic:
        return cls(
            id=a.id or 0,
            grantee=a.grantee,
            purpose=a.purpose,
            scope=a.scope,
            expires_on=a.expires_on,
            granted_at=a.granted_at,
            revoked_at=a.revoked_at,
            live=a.is_live_on(today),
        )


class AgencyQueryCreate(BaseModel):
    subject: str = Field(max_length=40)
    purpose: str = Field(
        max_length=40,
        description="A code of GET /authorisations/purposes: the one the person authorised",
    )
    scope: str = Field(default="report", max_length=32)


class AgencyRecord(BaseModel):
    id: int
    item: str
    department: str
    document_number: str
    decision_date: date
    shown_until: date | None
    under_objection: bool

    @classmethod
    def from_domain(cls, r: CreditRecord) -> AgencyRecord:
        return cls(
            id=r.id,
            item=r.item_code,
            department=r.department,
            document_number=r.document_number,
            decision_date=r.decision_date,
            shown_until=r.display_ends,
            under_objection=r.under_objection,
        )


class AgencyEntry(BaseModel):
    id: int
    list_type: str
    decided_on: date | None
    ends_on: date | None
    under_objection: bool

    @classmethod
    def from_domain(cls, e: ListEntry) -> AgencyEntry:
        return cls(
            id=e.id or 0,
            list_type=e.list_type.code,
            decided_on=e.decided_on,
            ends_on=e.ends_on,
            under_objection=e.under_objection,
        )


class AgencyAnswerPublic(BaseModel):
    query: int
    authorisation: int
    subject: str
    records: list[AgencyRecord]
    entries: list[AgencyEntry]

    @classmethod
    def from_domain(cls, a: AgencyAnswer) -> AgencyAnswerPublic:
        return cls(
            query=a.query_id,
            authorisation=a.authorisation.id or 0,
            subject=a.subject.masked_number(),
            records=[AgencyRecord.from_domain(r) for r in a.records],
            entries=[AgencyEntry.from_domain(e) for e in a.entries],
        )


Person = Annotated[ApiKey, caller(Scope.ME)]
OnBehalfOf = Annotated[
    int | None,
    Query(ge=1, le=2**63 - 1, description="A principal's subject id, for an agent"),
]


@router.get("/authorisations/purposes", **PUBLIC)
def list_purposes(policy: PolicyDep) -> list[PurposePublic]:
    """The published purposes a person may authorise a query for (policy/rights.toml): an
    authorisation names one, and an agency's query must name the same one."""
    return [
        PurposePublic(code=p.code, name_zh=p.name_zh, name_en=p.name_en)
        for p in policy.authorisations.purposes.values()
    ]


@router.get("/me/authorisations")
def list_authorisations(
    uow: UowDep, today: TodayDep, key: Person, on_behalf_of: OnBehalfOf = None
) -> list[AuthorisationPublic]:
    """Who you have authorised to query your file, for what, until when."""
    subject_id = accounts.acting_for(uow, key, on_behalf_of)
    found = authorisations.authorisations_of(uow, subject_id)
    return [AuthorisationPublic.from_domain(a, today) for a in found]


@router.post("/me/authorisations", status_code=201)
def grant(
    body: AuthorisationCreate,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    key: Person,
    on_behalf_of: OnBehalfOf = None,
) -> AuthorisationPublic:
    """Authorise a party (a credit reporting agency, say) to query your file for a purpose."""
    subject_id = accounts.acting_for(uow, key, on_behalf_of)
    granted = authorisations.grant_authorisation(
        uow,
        policy,
        subject_id=subject_id,
        grantee=body.grantee,
        purpose=body.purpose,
        scope=body.scope,
        expires_on=body.expires_on,
        actor=key.actor,
    )
    return AuthorisationPublic.from_domain(granted, today)


@router.post("/me/authorisations/{authorisation_id}/revocation")
def revoke(
    authorisation_id: DbId,
    uow: UowDep,
    today: TodayDep,
    key: Person,
    on_behalf_of: OnBehalfOf = None,
) -> AuthorisationPublic:
    """Withdraw an authorisation; the party's next query is refused."""
    subject_id = accounts.acting_for(uow, key, on_behalf_of)
    revoked = authorisations.revoke_authorisation(
        uow, subject_id=subject_id, authorisation_id=authorisation_id, actor=key.actor
    )
    return AuthorisationPublic.from_domain(revoked, today)


@router.post("/agency/queries")
def agency_query(
    body: AgencyQueryCreate,
    uow: UowDep,
    policy: PolicyDep,
    key: Annotated[ApiKey, caller(Scope.AGENCY_QUERY)],
) -> AgencyAnswerPublic:
    """Query a person's non-public information under their live authorisation. Without one the
    query is refused (403); either way it is logged and the person sees it in their report."""
    answer = authorisations.agency_query(
        uow, policy, caller=key, number=body.subject, purpose=body.purpose, scope=body.scope
    )
    return AgencyAnswerPublic.from_domain(answer)
