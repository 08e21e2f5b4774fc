"""The portal: server-rendered pages for people, in a browser.

Every page is open to anyone (so a visitor without a session is sent to the login page rather
than shown an error); what a page shows is the signed-in person's own file and nothing else.
The session travels in an HttpOnly, SameSite=Strict cookie; every form that changes something
also carries a token derived from that session (double submit), so no other site can post it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from xinyong.config import Settings
from xinyong.domain.errors import DomainError, TooManyAttempts
from xinyong.domain.keys import ApiKey
from xinyong.services import accounts, objections, publication
from xinyong.services.reports import build_report
from xinyong.web import i18n
from xinyong.web.deps import (
    PUBLIC,
    SESSION_COOKIE,
    PolicyDep,
    SettingsDep,
    TodayDep,
    UowDep,
    platform_of,
)

router = APIRouter(prefix="/portal", tags=["portal (HTML)"])


def _page(
    request: Request,
    name: str,
    *,
    status: int = 200,
    chrome: Mapping[str, object] | None = None,
    **context: object,
) -> HTMLResponse:
    """Render a page in the language the request asked for, and remember that choice."""
    asked = request.query_params.get("lang")
    language = i18n.language_of(asked, request.cookies.get(i18n.COOKIE))
    where = {"path": request.url.path, "query": request.query_params.multi_items()}
    with i18n.use_language(language):
        template = i18n.environment("portal").get_template(name)
        page = template.render(**{**where, **(chrome or {}), **context})
    response = HTMLResponse(page, status_code=status)
    if asked == language:
        response.set_cookie(i18n.COOKIE, language, max_age=365 * 86400, samesite="lax")
    return response


def _say(request: Request, message: str) -> str:
    """A message from the code, in the request's language."""
    language = i18n.language_of(request.query_params.get("lang"), request.cookies.get(i18n.COOKIE))
    with i18n.use_language(language):
        return i18n.gettext(message)


def _csrf(secret: str, token: str) -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()[:32]


def _csrf_ok(secret: str, token: str, sent: str) -> bool:
    return hmac.compare_digest(sent.encode(), _csrf(secret, token).encode())


async def _chrome(request: Request, settings: Settings) -> dict[str, object]:
    """What every page's header needs: signed in or not, and the token its forms carry."""
    found = await _session(request)
    if found is None:
        return {"signed_in": False, "csrf": ""}
    return {"signed_in": True, "csrf": _csrf(settings.secret_key, found[1])}


async def _session(request: Request) -> tuple[ApiKey, str] | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    caller = await run_in_threadpool(
        accounts.authenticate_session, platform_of(request).read_uow(), token
    )
    return (caller, token) if caller is not None else None


def _to_login() -> RedirectResponse:
    return RedirectResponse("/portal/login", status_code=303)


@router.get("/", response_class=HTMLResponse, **PUBLIC)
async def home(request: Request, settings: SettingsDep) -> HTMLResponse:
    """The portal's front page."""
    return _page(request, "home.html", chrome=await _chrome(request, settings))


@router.get("/login", response_class=HTMLResponse, **PUBLIC)
async def login_page(request: Request) -> HTMLResponse:
    return _page(request, "login.html", signed_in=False, csrf="", error=None)


@router.post("/login", response_class=HTMLResponse, **PUBLIC)
def login(
    request: Request,
    uow: UowDep,
    policy: PolicyDep,
    number: Annotated[str, Form(max_length=40)],
    password: Annotated[str, Form(max_length=200)],
) -> Response:
    """Log in with a citizen ID number and password; the session cookie is set."""
    try:
        session = accounts.login(uow, policy, number=number, password=password)
    except DomainError as exc:
        status = 429 if isinstance(exc, TooManyAttempts) else 401
        return _page(
            request, "login.html", status=status, signed_in=False, csrf="", error=exc.detail
        )
    response = RedirectResponse("/portal/me", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=int((session.expires_at - datetime.now(UTC)).total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout", response_class=HTMLResponse, **PUBLIC)
async def logout(
    request: Request, uow: UowDep, settings: SettingsDep, csrf: Annotated[str, Form()] = ""
) -> Response:
    found = await _session(request)
    if found is not None and _csrf_ok(settings.secret_key, found[1], csrf):
        await run_in_threadpool(accounts.logout, uow, found[1])
    response = RedirectResponse("/portal/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/me", response_class=HTMLResponse, **PUBLIC)
async def my_file(
    request: Request,
    uow: UowDep,
    policy: PolicyDep,
    settings: SettingsDep,
    filed: int | None = None,
    error: str | None = None,
) -> Response:
    """The signed-in person's file: records (with objection forms), lists, who looked."""
    found = await _session(request)
    if found is None:
        return _to_login()
    caller, token = found
    data = await run_in_threadpool(
        build_report,
        uow,
        policy,
        caller.subject_id or 0,
        actor=caller.actor,
        secret_key=settings.secret_key,
    )
    page = _page(
        request,
        "me.html",
        signed_in=True,
        csrf=_csrf(settings.secret_key, token),
        data=data,
        records=[r for r in data.records if not r.archived],
        grounds=policy.objections.grounds,
        filed=filed,
        error=error[:300] if error else None,
    )
    page.headers["Cache-Control"] = "no-store"  # a person's file is never cached
    return page


@router.post("/me/objections", response_class=HTMLResponse, **PUBLIC)
async def object_to(
    request: Request,
    uow: UowDep,
    policy: PolicyDep,
    settings: SettingsDep,
    record_id: Annotated[int, Form(ge=1, le=2**63 - 1)],
    ground: Annotated[str, Form(max_length=40)],
    reasons: Annotated[str, Form(max_length=20000)],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """File an objection from the portal (the session's own records only)."""
    found = await _session(request)
    if found is None:
        return _to_login()
    caller, token = found
    if not _csrf_ok(settings.secret_key, token, csrf):
        return _page(
            request,
            "login.html",
            status=403,
            signed_in=False,
            csrf="",
            error=_say(request, "表单已过期，请重新登录。"),
        )
    try:
        objection = await run_in_threadpool(
            lambda: objections.file_objection(
                uow,
                policy,
                subject_id=caller.subject_id or 0,
                record_id=record_id,
                entry_id=None,
                ground=ground,
                reasons=reasons,
                actor=caller.actor,
            )
        )
    except DomainError as exc:
        return RedirectResponse(f"/portal/me?{urlencode({'error': exc.detail})}", status_code=303)
    return RedirectResponse(f"/portal/me?filed={objection.id}", status_code=303)


@router.get("/public", response_class=HTMLResponse, **PUBLIC)
async def public_page(
    request: Request, uow: UowDep, policy: PolicyDep, settings: SettingsDep, today: TodayDep
) -> HTMLResponse:
    """Published records, de-identified."""
    records = await run_in_threadpool(
        lambda: publication.published(uow, policy, today, item=None, limit=100, offset=0)
    )
    return _page(request, "public.html", records=records, chrome=await _chrome(request, settings))
