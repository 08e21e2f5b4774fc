"""Accounts: a person's real-name registration, and sessions (a browser cookie or an API token)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from xinyong.domain.access import Scope
from xinyong.domain.accounts import Account
from xinyong.domain.keys import ApiKey
from xinyong.services import accounts
from xinyong.web.deps import PUBLIC, SESSION_COOKIE, PolicyDep, UowDep, caller

router = APIRouter(tags=["the person"])


class AccountCreate(BaseModel):
    """Real-name registration: the number and name must match what the platform holds."""

    number: str = Field(max_length=40, description="Your citizen ID number")
    name: str = Field(max_length=100)
    phone: str = Field(max_length=20)
    password: str = Field(min_length=1, max_length=200)


class AccountPublic(BaseModel):
    id: int
    subject_id: int
    created_at: datetime

    @classmethod
    def from_domain(cls, a: Account) -> AccountPublic:
        return cls(id=a.id or 0, subject_id=a.subject_id, created_at=a.created_at)


class SessionCreate(BaseModel):
    number: str = Field(max_length=40)
    password: str = Field(max_length=200)
    kind: Literal["web", "api"] = Field(
        default="api", description="web: a session cookie (hours); api: a bearer token (days)"
    )


class SessionPublic(BaseModel):
    token: str = Field(description="Shown once: `Authorization: Bearer <token>`")
    expires_at: datetime


Person = Annotated[ApiKey, caller(Scope.ME)]


@router.post("/accounts", status_code=201, **PUBLIC)
def register(body: AccountCreate, uow: UowDep, policy: PolicyDep) -> AccountPublic:
    """Open a real-name account. The number and name must match what the platform holds."""
    account = accounts.register(
        uow, policy, number=body.number, name=body.name, phone=body.phone, password=body.password
    )
    return AccountPublic.from_domain(account)


@router.post("/sessions", status_code=201, **PUBLIC)
def login(
    body: SessionCreate, uow: UowDep, policy: PolicyDep, request: Request, response: Response
) -> SessionPublic:
    """Log in: a bearer token for the API, or (kind=web) also an HttpOnly session cookie."""
    session = accounts.login(
        uow, policy, number=body.number, password=body.password, api=body.kind == "api"
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
    return SessionPublic(token=session.token, expires_at=session.expires_at)


@router.delete("/sessions/current", status_code=204)
def logout(request: Request, uow: UowDep, key: Person) -> Response:
    """End this session (the token stops working at once)."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    token = credentials.strip() if scheme.lower() == "bearer" else ""
    accounts.logout(uow, token or request.cookies.get(SESSION_COOKIE, ""))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE)
    return response
