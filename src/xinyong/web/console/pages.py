"""What every console page shares: the signed-in staff user, rendering in the request's
language, the token each form carries, the guard that refuses (and audits) a page a role may not
open (by the scope the page's route declares: `web/deps.py staff_page`), and CSV downloads whose
cells a spreadsheet never runs as formulas.

The session travels in its own HttpOnly, SameSite=Strict cookie (never the person's); a form that
changes something also carries a token derived from that session (double submit).
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment
from starlette.background import BackgroundTask

from xinyong.bootstrap import Platform
from xinyong.domain.access import Role, Scope
from xinyong.domain.errors import DomainError, NotAllowed, NotFound
from xinyong.domain.identifiers import mask_number, redact_id_numbers
from xinyong.domain.keys import ApiKey
from xinyong.domain.staff import StaffUser
from xinyong.services import audit, staff
from xinyong.web import forms, i18n
from xinyong.web.console import reasons
from xinyong.web.deps import STAFF, STAFF_SCOPE, platform_of
from xinyong.web.errors import status_of, where
from xinyong.web.portal import messages, words
from xinyong.web.throttle import throttle_of

#: The cookie a console session travels in (a person's session has its own).
STAFF_COOKIE = "xinyong_staff"

R = TypeVar("R", bound=Response)


def language(request: Request) -> str:
    return i18n.language_of(request.query_params.get("lang"), request.cookies.get(i18n.COOKIE))


def csrf_token(secret: str, token: str) -> str:
    return forms.form_token(secret, token, purpose="console:")


@dataclass(frozen=True, slots=True)
class Staffer:
    """A signed-in staff user: who they are, the caller they are to the services, and the
    token their forms carry."""

    user: StaffUser
    caller: ApiKey
    token: str
    csrf: str

    @property
    def actor(self) -> str:
        return self.caller.actor

    @property
    def department(self) -> str | None:
        return self.user.department

    @property
    def is_centre(self) -> bool:
        return self.user.role is Role.CREDIT_CENTRE

    def may(self, scope: Scope) -> bool:
        return self.caller.allows(scope)

    def sent_token(self, sent: str) -> bool:
        return forms.carries_token(sent, self.csrf)

    @property
    def chrome(self) -> dict[str, object]:
        return {"me": self, "csrf": self.csrf}


def _signed_in(request: Request) -> Staffer | None:
    token = request.cookies.get(STAFF_COOKIE)
    if not token:
        return None
    platform = platform_of(request)
    found = staff.authenticate_staff(platform.read_uow(), token)
    if found is None:
        return None
    user, caller = found
    return Staffer(user, caller, token, csrf_token(platform.settings.secret_key, token))


async def staffer(request: Request) -> Staffer | None:
    """The staff user the console cookie stands for (second factor given), or None."""
    if not request.cookies.get(STAFF_COOKIE):
        return None
    return await run_in_threadpool(_signed_in, request)


def missing(request: Request, exc: DomainError | None = None) -> HTMLResponse:
    """The page for a console address that leads nowhere (an id that does not exist or is
    another department's) or to a step the rules refuse, in the page's language (web/errors.py
    calls it in a worker thread): the API's problem details are for programs."""
    me = _signed_in(request)
    if exc is None or isinstance(exc, NotFound):
        return page(request, "missing.html", status=404, me=me)
    heading = None if isinstance(exc, NotAllowed) else _say(request, "无法办理")
    return page(
        request,
        "refused.html",
        status=status_of(exc),
        me=me,
        alert=told(request, exc),
        heading=heading,
    )


def chart_title(svg: str) -> str:
    """The title a chart drawn by `charts.py` carries (its SVG's `<title>`), unescaped."""
    start = svg.find(">", svg.find("<title")) + 1
    return html.unescape(svg[start : svg.find("</title>")])


def _environment() -> Environment:
    """The console's page environment, with `masked` (an identifier, masked as published) and
    `redact` (free text, any ID number in it hidden), `reason` (why a row was refused) and `flag`
    (what a court list row disagrees in), in the page's language."""
    env = i18n.environment("console")
    if "masked" not in env.filters:
        env.filters["masked"] = mask_number
        env.filters["redact"] = i18n.redact
        env.filters["chart_title"] = chart_title
        env.filters["reason"] = reasons.reason_in_words
        env.filters["flag"] = reasons.flag_in_words
    return env


def _names(request: Request) -> dict[str, Callable[[str | None], str]]:
    """For templates: `department_name` (a department's code → its name, as the policy writes
    it) and `matter_name` (a matter's code → its name in the page's language); a code the policy
    does not know is shown as it is."""
    policy = platform_of(request).policy

    def department_name(code: str | None) -> str:
        found = policy.department(code or "")
        return found.name if found is not None else code or ""

    def matter_name(code: str | None) -> str:
        found = policy.registry.matters.get(code or "")
        if found is None:
            return code or ""
        return found.name_en if i18n.current() == "en" else found.name_zh

    return {"department_name": department_name, "matter_name": matter_name}


def page(
    request: Request,
    name: str,
    *,
    status: int = 200,
    me: Staffer | None = None,
    **context: object,
) -> HTMLResponse:
    """Render a console page in the request's language; never cached (it is someone's work)."""
    asked = request.query_params.get("lang")
    chosen = language(request)
    query = [(k, redact_id_numbers(v)) for k, v in request.query_params.multi_items()]
    where = {"path": request.url.path, "query": query}
    chrome = me.chrome if me is not None else {"me": None, "csrf": ""}
    with i18n.use_language(chosen):
        template = _environment().get_template(name)
        names = _names(request)
        body = template.render(**{**where, "words": words, **names, **chrome, **context})
    response = HTMLResponse(body, status_code=status)
    if asked == chosen:
        response.set_cookie(i18n.COOKIE, chosen, max_age=365 * 86400, samesite="lax")
    response.headers["Cache-Control"] = "no-store"
    return response


def _say(request: Request, message: str, **values: object) -> str:
    """A message from the code in the request's language (`_say` is the name the catalog's
    extraction looks for: babel.cfg, dev.py messages)."""
    with i18n.use_language(language(request)):
        text = i18n.gettext(message)
    return text % values if values else text


def told(request: Request, exc: DomainError) -> str:
    """A domain error in the page's language, never with an identifier."""
    with i18n.use_language(language(request)):
        _, text = messages.told(exc)
    return text


def to_login() -> RedirectResponse:
    return RedirectResponse("/console/login", status_code=303)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def declared_scope(request: Request) -> Scope | None:
    """The scope the request's route declares its user's role must hold (`staff_page`; None:
    any signed-in staff user). A route that declares no staff access has no guard to ask for:
    that is a mistake in the code, not the caller's."""
    route = request.scope.get("route")
    extra = getattr(route, "openapi_extra", None) or {}
    if extra.get("x-access") != STAFF:
        raise RuntimeError(f"{where(request)} calls the console's guard but is not a staff_page")
    value = extra.get(STAFF_SCOPE)
    return Scope(value) if value is not None else None


async def guard(request: Request) -> Staffer | Response:
    """The signed-in user if their role holds the scope the route declares (`declared_scope`);
    else the login page (nobody signed in) or a refusal page, audited with the scope and the
    page."""
    scope = declared_scope(request)
    me = await staffer(request)
    if me is None:
        return to_login()
    if scope is not None and not me.may(scope):
        over = await throttle_of(request).refused_scope(request, me.actor)
        if over is not None:  # a run of refusals, audited once: this one is not
            said = _say(
                request, "尝试次数过多，请 %(seconds)s 秒后再试。", seconds=over.retry_after
            )
            refused = page(request, "refused.html", status=429, me=me, scope=None, alert=said)
            refused.headers["Retry-After"] = str(over.retry_after)
            return refused
        platform = platform_of(request)
        await run_in_threadpool(
            staff.refuse_page, platform.uow(), me.caller, scope, request.url.path
        )
        return page(request, "refused.html", status=403, me=me, scope=scope.value)
    return me


def expired_form(request: Request, me: Staffer) -> HTMLResponse:
    """A form without this session's token: nothing was done, and the refusal is audited."""
    refused = forms.expired_form(
        lambda status, alert: page(
            request, "refused.html", status=status, me=me, scope=None, alert=alert
        ),
        _say(request, "表单已过期，请重新打开页面再提交。"),
    )
    return audit_refused_form(request, refused, actor=me.actor)


def _record_refused_form(platform: Platform, page: str, actor: str | None, token: str) -> None:
    if actor is None:  # the second step of a login: its pending session says who
        user = staff.pending_staff(platform.read_uow(), token) if token else None
        if user is None:
            return  # no session at all: sent to log in, as any request without one
        actor = staff.caller_of(user).actor  # as a signed-in user's refusals name them
    audit.record_form_refused(platform.uow(), surface="console", page=page, actor=actor)


def audit_refused_form(request: Request, refused: R, *, actor: str | None = None) -> R:
    """`refused` (the answer to a form without this session's token), which audits the refusal
    once it is sent, off the event loop: the route's template and who sent it, never what the
    form held. Without `actor`, the pending login the cookie names (none: nothing to audit, as
    for any request without a session)."""
    token = request.cookies.get(STAFF_COOKIE, "")
    platform = platform_of(request)
    refused.background = BackgroundTask(
        _record_refused_form, platform, where(request), actor, token
    )
    return refused


T = TypeVar("T")

#: The page a form came from, shown again with a status and the reason nothing was done.
Again = Callable[[Staffer, int, str], Response | Awaitable[Response]]


async def submitted(
    request: Request,
    csrf: str,
    work: Callable[[Staffer], T],
    *,
    again: Again,
    then: Callable[[T], str | Response] | str,
    status: int | Callable[[DomainError], int] = 409,
) -> Response:
    """What every console form does (`forms.submitted`), behind the guard (the scope its route
    declares): a domain error shows the form's page `again` with `status` and the error in the
    page's language (`status` may depend on the error)."""
    return await forms.submitted(
        await guard(request),
        csrf,
        work,
        expired=lambda me: expired_form(request, me),
        again=lambda me, exc: again(
            me, status if isinstance(status, int) else status(exc), told(request, exc)
        ),
        then=then,
    )


#: A cell a spreadsheet would read as a formula starts with one of these.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A value for a CSV cell that a spreadsheet shows as text, never runs: a leading `=`, `+`,
    `-`, `@`, tab or carriage return gets a `'` before it (OWASP's advice on CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_download(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> Response:
    """A CSV file for a spreadsheet: UTF-8 with a byte-order mark, formula cells escaped."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return Response(
        ("\ufeff" + out.getvalue()).encode(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def form_values(form: Mapping[str, object], *names: str) -> dict[str, str]:
    return {name: str(form.get(name, "")) for name in names}
