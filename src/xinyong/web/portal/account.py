"""The portal's front page, registration, logging in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from xinyong.domain.errors import DomainError, TooManyAttempts
from xinyong.domain.rates import Action, RateLimited
from xinyong.services import accounts, registrations
from xinyong.web import forms
from xinyong.web.deps import PUBLIC, SESSION_COOKIE, PolicyDep, UowDep, platform_of
from xinyong.web.portal.pages import (
    PortalRoute,
    Problems,
    audit_refused_form,
    page,
    problems_of,
    see_other,
    values,
    visitor,
)
from xinyong.web.throttle import throttle_of

router = APIRouter(route_class=PortalRoute)


def retry_after(response: HTMLResponse, exc: DomainError) -> HTMLResponse:
    """A page refused by an abuse limit says when to try again, as the API's 429 does."""
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


REGISTER_FIELDS = ("number", "name", "phone", "password")


@router.get("/", response_class=HTMLResponse, **PUBLIC)
async def home(request: Request) -> HTMLResponse:
    """The portal's front page: what a person and the public can do here."""
    return page(request, "home.html", chrome=(await visitor(request)).chrome)


@router.get("/login", response_class=HTMLResponse, **PUBLIC)
async def login_page(request: Request) -> HTMLResponse:
    return page(request, "login.html", signed_in=False, csrf="", problems=Problems())


@router.post("/login", response_class=HTMLResponse, **PUBLIC)
def login(
    request: Request,
    uow: UowDep,
    policy: PolicyDep,
    number: Annotated[str, Form(max_length=40)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Log in with a citizen ID number and password; the session cookie is set."""
    try:
        throttle = throttle_of(request)
        throttle.enforce(request, Action.LOGIN)
        session = accounts.login(
            uow, policy, number=number, password=password, client=throttle.client_digest(request)
        )
    except DomainError as exc:
        status = forms.login_refused_status(exc)
        if isinstance(exc, accounts.NotVerifiedYet):
            status = 403
        # The number is never filled in again: a page never repeats it.
        shown = page(
            request,
            "login.html",
            status=status,
            signed_in=False,
            csrf="",
            problems=problems_of(request, exc),
        )
        return retry_after(shown, exc)
    return forms.set_session_cookie(
        see_other("/portal/me"),
        request,
        SESSION_COOKIE,
        session.token,
        expires_at=session.expires_at,
        now=platform_of(request).clock(),
    )


@router.post("/logout", response_class=HTMLResponse, **PUBLIC)
async def logout(
    request: Request, uow: UowDep, csrf: Annotated[str, Form(max_length=64)] = ""
) -> Response:
    found = await visitor(request)
    if found.sent_token(csrf):
        await run_in_threadpool(accounts.logout, uow, found.token)
    response = see_other("/portal/")
    response.delete_cookie(SESSION_COOKIE)
    if found.signed_in and not found.sent_token(csrf):  # the session stays: audited
        audit_refused_form(request, response)
    return response


@router.get("/register", response_class=HTMLResponse, **PUBLIC)
async def register_page(request: Request, policy: PolicyDep) -> HTMLResponse:
    """Registration for a real-name account (it opens once the identity is verified)."""
    return page(
        request,
        "register.html",
        signed_in=False,
        csrf="",
        problems=Problems(),
        form={},
        min_password=policy.accounts.min_password_chars,
    )


@router.post("/register", response_class=HTMLResponse, **PUBLIC)
def register(
    request: Request,
    uow: UowDep,
    policy: PolicyDep,
    number: Annotated[str, Form(max_length=40)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    phone: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """Take a registration: the person is told its number and where to verify their identity.
    The answer is the same whether or not the platform holds anything about them."""
    try:
        throttle_of(request).enforce(request, Action.REGISTRATION)
        registration = registrations.register(
            uow,
            policy,
            platform_of(request).identity_verifier(),
            number=number,
            name=name,
            phone=phone,
            password=password,
        )
    except DomainError as exc:
        typed = values({"name": name, "phone": phone}, "name", "phone")  # never the number
        shown = page(
            request,
            "register.html",
            status=429 if isinstance(exc, TooManyAttempts) else 422,
            signed_in=False,
            csrf="",
            problems=problems_of(request, exc, REGISTER_FIELDS),
            form=typed,
            min_password=policy.accounts.min_password_chars,
        )
        return retry_after(shown, exc)
    return page(
        request,
        "registered.html",
        status=201,
        signed_in=False,
        csrf="",
        registration=registration,
        verify_by=registration.lapses_on(policy.accounts.registration_days),
    )
