"""Logging in to the consoles: a password, then a code from the authenticator (enrolled at the
first login from the otpauth URI, shown as text and as a QR code drawn on the server)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import segno
from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from xinyong.domain.errors import DomainError
from xinyong.domain.staff import StaffUser
from xinyong.services import staff
from xinyong.web import forms
from xinyong.web.console.pages import (
    STAFF_COOKIE,
    audit_refused_form,
    csrf_token,
    page,
    see_other,
    staffer,
    to_login,
    told,
)
from xinyong.web.deps import PUBLIC, PolicyDep, UowDep, platform_of

router = APIRouter()


def qr_svg(uri: str) -> Markup:
    """The URI as a QR code in SVG, drawn here (no script, no image from elsewhere)."""
    code = segno.make(uri, error="m")
    svg = code.svg_inline(scale=4, dark="#000", light="#fff", title="otpauth", omitsize=True)
    return Markup(svg)  # noqa: S704 - segno's own SVG of our URI, nothing the user typed


def _signed_in(response: Response, request: Request, token: str, expires_at: datetime) -> Response:
    return forms.set_session_cookie(
        response,
        request,
        STAFF_COOKIE,
        token,
        expires_at=expires_at,
        now=platform_of(request).clock(),
        path="/console",
    )


@router.get("/login", response_class=HTMLResponse, **PUBLIC)
async def login_page(request: Request) -> HTMLResponse:
    """Staff log in with their username and password, then a code."""
    return page(request, "login.html", alert=None, username="")


@router.post("/login", response_class=HTMLResponse, **PUBLIC)
def login(
    request: Request,
    uow: UowDep,
    policy: PolicyDep,
    username: Annotated[str, Form(max_length=40)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The first step: the password; the second step's page follows."""
    try:
        pending = staff.start_login(uow, policy, username=username, password=password)
    except DomainError as exc:
        status = forms.login_refused_status(exc)
        return page(
            request, "login.html", status=status, alert=told(request, exc), username=username
        )
    return _signed_in(see_other("/console/login/code"), request, pending.token, pending.expires_at)


def _code_page(
    request: Request, user: StaffUser, token: str, *, status: int = 200, alert: str | None = None
) -> HTMLResponse:
    uri = None if user.is_enrolled else staff.enrolment_uri(user)
    return page(
        request,
        "code.html",
        status=status,
        alert=alert,
        user=user,
        uri=uri,
        qr=qr_svg(uri) if uri else None,
        step_csrf=csrf_token(platform_of(request).settings.secret_key, token),
    )


@router.get("/login/code", response_class=HTMLResponse, **PUBLIC)
async def code_page(request: Request) -> Response:
    """The second step: the code (at the first login, the authenticator's enrolment first)."""
    token = request.cookies.get(STAFF_COOKIE, "")
    user = await run_in_threadpool(staff.pending_staff, platform_of(request).read_uow(), token)
    if user is None:
        return to_login()
    return _code_page(request, user, token)


@router.post("/login/code", response_class=HTMLResponse, **PUBLIC)
def give_code(
    request: Request,
    uow: UowDep,
    policy: PolicyDep,
    code: Annotated[str, Form(max_length=12)] = "",
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    token = request.cookies.get(STAFF_COOKIE, "")
    platform = platform_of(request)
    if not token:
        return to_login()
    if not forms.carries_token(csrf, csrf_token(platform.settings.secret_key, token)):
        return audit_refused_form(request, to_login())
    try:
        session = staff.finish_login(uow, policy, token=token, code=code)
    except DomainError as exc:
        user = staff.pending_staff(platform.read_uow(), token)
        if user is None:  # locked, expired or disabled: start again
            return page(request, "login.html", status=401, alert=told(request, exc), username="")
        status = forms.login_refused_status(exc)
        return _code_page(request, user, token, status=status, alert=told(request, exc))
    return _signed_in(see_other("/console/"), request, session.token, session.expires_at)


@router.post("/logout", response_class=HTMLResponse, **PUBLIC)
async def logout(
    request: Request, uow: UowDep, csrf: Annotated[str, Form(max_length=64)] = ""
) -> Response:
    me = await staffer(request)
    if me is not None and me.sent_token(csrf):
        await run_in_threadpool(staff.logout_staff, uow, me.token)
    response = to_login()
    if me is not None and not me.sent_token(csrf):  # the session stays: the refusal is audited
        audit_refused_form(request, response, actor=me.actor)
    response.delete_cookie(STAFF_COOKIE, path="/console")
    return response
