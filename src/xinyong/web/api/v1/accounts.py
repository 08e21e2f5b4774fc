"""Accounts: a person's real-name registration and its verification by staff, and sessions (a
browser cookie or an API token)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from xinyong.domain.access import Scope
from xinyong.domain.accounts import Registration
from xinyong.domain.identifiers import mask_citizen_id
from xinyong.domain.keys import ApiKey
from xinyong.domain.rates import Action
from xinyong.services import accounts, registrations
from xinyong.web.deps import (
    PUBLIC,
    SESSION_COOKIE,
    DbId,
    PlatformDep,
    PolicyDep,
    UowDep,
    caller,
)
from xinyong.web.throttle import throttle_of

router = APIRouter(tags=["the person"])


class AccountCreate(BaseModel):
    """Real-name registration: the account opens once the identity is verified (by default at
    a credit-centre counter, with the ID card)."""

    number: str = Field(max_length=40, description="Your citizen ID number")
    name: str = Field(max_length=100, description="Your name, as on your ID card")
    phone: str = Field(max_length=20)
    password: str = Field(min_length=1, max_length=200)


class RegistrationPublic(BaseModel):
    """A registration and where it stands: `pending` (waiting for verification), `verified`
    (the account is open) or `refused`. The number is shown masked."""

    id: int
    number: str
    name: str
    status: str
    created_at: datetime
    verify_by: date
    account_id: int | None
    reasons: str | None

    @classmethod
    def from_domain(cls, r: Registration, days: int) -> RegistrationPublic:
        return cls(
            id=r.id or 0,
            number=mask_citizen_id(r.number),
            name=r.name,
            status=r.status.value,
            created_at=r.created_at,
            verify_by=r.lapses_on(days),
            account_id=r.account_id,
            reasons=r.reasons,
        )


class RegistrationReceipt(BaseModel):
    """What the person is told: the registration's number and what to do next, nothing else."""

    id: int
    status: str
    verify_by: date


class VerificationCreate(BaseModel):
    """What staff read off the ID card the person showed: both must be the registration's."""

    number: str = Field(max_length=40)
    name: str = Field(max_length=100)


class RefusalCreate(BaseModel):
    reasons: str = Field(min_length=1, max_length=2000)


class SessionCreate(BaseModel):
    number: str = Field(max_length=40)
    password: str = Field(max_length=200)
    kind: Literal["web", "api"] = Field(
        default="api",
        description="web: a session cookie (hours); api: a bearer token (minutes) and a"
        " refresh token (days)",
    )


class SessionPublic(BaseModel):
    token: str = Field(description="Shown once: `Authorization: Bearer <token>`")
    expires_at: datetime
    refresh_token: str | None = Field(
        default=None,
        description="kind=api: shown once; exchange it at `POST /sessions/refresh` for a new"
        " token and refresh token before `refresh_expires_at`. Good once: used again, it ends"
        " every token of this login.",
    )
    refresh_expires_at: datetime | None = None


class RefreshCreate(BaseModel):
    refresh_token: str = Field(max_length=100)


Person = Annotated[ApiKey, caller(Scope.ME)]


@router.post("/accounts", status_code=201, **PUBLIC)
def register(
    body: AccountCreate, uow: UowDep, policy: PolicyDep, platform: PlatformDep, request: Request
) -> RegistrationReceipt:
    """Register for a real-name account. It opens once your identity is verified: bring your ID
    card to a credit-centre counter by `verify_by`. The answer is the same whether or not the
    platform holds anything about you."""
    throttle_of(request).limit(request, Action.REGISTRATION)
    registration = registrations.register(
        uow,
        policy,
        platform.identity_verifier(),
        number=body.number,
        name=body.name,
        phone=body.phone,
        password=body.password,
    )
    return RegistrationReceipt(
        id=registration.id or 0,
        status=registration.status.value,
        verify_by=registration.lapses_on(policy.accounts.registration_days),
    )


Verifier = Annotated[ApiKey, caller(Scope.ACCOUNTS_VERIFY)]


@router.get("/registrations", tags=["identity reviews"])
def pending_registrations(
    uow: UowDep,
    policy: PolicyDep,
    key: Verifier,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[RegistrationPublic]:
    """Registrations waiting for real-name verification, oldest first (numbers masked)."""
    days = policy.accounts.registration_days
    found = registrations.pending_registrations(uow, limit=limit)
    return [RegistrationPublic.from_domain(r, days) for r in found]


@router.post("/registrations/{registration_id}/verification", tags=["identity reviews"])
def verify_registration(
    registration_id: DbId, body: VerificationCreate, uow: UowDep, policy: PolicyDep, key: Verifier
) -> RegistrationPublic:
    """The person showed their ID card at the counter: the number and name read off it must be
    the registration's. The account opens, bound to the person's file; if the file holds another
    name for the number, 409 names the identity review the account waits on."""
    done = registrations.verify_registration(
        uow, policy, registration_id, number_seen=body.number, name_seen=body.name, actor=key.actor
    )
    return RegistrationPublic.from_domain(done, policy.accounts.registration_days)


@router.post("/registrations/{registration_id}/refusal", tags=["identity reviews"])
def refuse_registration(
    registration_id: DbId, body: RefusalCreate, uow: UowDep, policy: PolicyDep, key: Verifier
) -> RegistrationPublic:
    """The identity could not be verified: the registration is refused, with reasons the
    person is told when they try to log in."""
    done = registrations.refuse_registration(
        uow, policy, registration_id, reasons=body.reasons, actor=key.actor
    )
    return RegistrationPublic.from_domain(done, policy.accounts.registration_days)


@router.post("/sessions", status_code=201, **PUBLIC)
def login(
    body: SessionCreate, uow: UowDep, policy: PolicyDep, request: Request, response: Response
) -> SessionPublic:
    """Log in: a bearer token for the API, or (kind=web) also an HttpOnly session cookie."""
    throttle = throttle_of(request)
    throttle.limit(request, Action.LOGIN)
    session = accounts.login(
        uow,
        policy,
        number=body.number,
        password=body.password,
        api=body.kind == "api",
        client=throttle.client_digest(request),
    )
    if body.kind == "web":
        response.set_cookie(
            SESSION_COOKIE,
            session.token,
            expires=session.expires_at,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    return SessionPublic(
        token=session.token,
        expires_at=session.expires_at,
        refresh_token=session.refresh_token,
        refresh_expires_at=session.refresh_expires_at,
    )


@router.post("/sessions/refresh", status_code=201, **PUBLIC)
def refresh(body: RefreshCreate, uow: UowDep, policy: PolicyDep, request: Request) -> SessionPublic:
    """Exchange an API login's refresh token for a new access token and refresh token. A
    refresh token is good once; presented again, every token of that login ends (401)."""
    throttle_of(request).limit(request, Action.REFRESH)
    session = accounts.refresh_session(uow, policy, body.refresh_token)
    return SessionPublic(
        token=session.token,
        expires_at=session.expires_at,
        refresh_token=session.refresh_token,
        refresh_expires_at=session.refresh_expires_at,
    )


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=200)
    new_password: str = Field(max_length=200)


class PasswordChanged(BaseModel):
    sessions_ended: int = Field(description="Every session and token of the account ended")


@router.post("/me/password")
def change_password(
    request: Request, body: PasswordChange, uow: UowDep, policy: PolicyDep, key: Person
) -> PasswordChanged:
    """Change your password. The new one must pass the password rules (a 422 names the field
    and the reason, never the password); every session and token of the account ends, this
    one too: log in again. A wrong current password is audited, and each attempt counts
    against the client's login allowance (429)."""
    throttle_of(request).limit(request, Action.LOGIN)
    ended = accounts.change_password(
        uow,
        policy,
        account_id=key.account_id or 0,
        current=body.current_password,
        new=body.new_password,
    )
    return PasswordChanged(sessions_ended=ended)


@router.delete("/sessions/current", status_code=204)
def logout(request: Request, uow: UowDep, key: Person) -> Response:
    """End this session (the token stops working at once)."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    token = credentials.strip() if scheme.lower() == "bearer" else ""
    accounts.logout(uow, token or request.cookies.get(SESSION_COOKIE, ""))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE)
    return response
