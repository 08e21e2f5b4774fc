"""What every portal page shares: rendering in the request's language, the signed-in person, the
token each form carries, and errors told in the page's language.

A page is either open to anyone (`PUBLIC`) or the signed-in person's own (`person_page`, in
`web/deps.py`): the guard (`guard`) asks for a person's session on exactly the routes that declare
it, and sends a visitor without one to the login page rather than showing an error. What a
person's page shows is the signed-in person's own file and nothing else.
The session travels in an HttpOnly, SameSite=Strict cookie; every form that changes something
also carries a token derived from that session (double submit), so no other site can post it.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.background import BackgroundTask

from xinyong.bootstrap import Platform
from xinyong.domain.errors import DomainError, InvalidFields, NotFound
from xinyong.domain.identifiers import redact_id_numbers
from xinyong.domain.keys import ApiKey
from xinyong.services import accounts, audit
from xinyong.web import forms, i18n
from xinyong.web.deps import PERSON, SESSION_COOKIE, platform_of
from xinyong.web.errors import where
from xinyong.web.portal import messages, words

R = TypeVar("R", bound=Response)
T = TypeVar("T")


def language(request: Request) -> str:
    return i18n.language_of(request.query_params.get("lang"), request.cookies.get(i18n.COOKIE))


def in_language(request: Request, lang: str, *, page: str | None = None) -> Request:
    """`request` as if its address asked for `lang` (a form's own `lang` field, when the form is
    answered where it was posted): the page, its messages and its errors are in that language.
    An unknown `lang` leaves the language as it is. With `page`, the address is that page's
    (the form's page, answered from the address it posts to), so the page's language switch
    links to a page that can be fetched."""
    scope = dict(request.scope)
    if lang in i18n.LANGUAGES:
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
        scope["query_string"] = urlencode([*query, ("lang", lang)]).encode()
    if page is not None:
        scope["path"], scope["raw_path"] = page, page.encode()
    return Request(scope, request.receive)


def page(
    request: Request,
    name: str,
    *,
    status: int = 200,
    chrome: Mapping[str, object] | None = None,
    private: bool = False,
    **context: object,
) -> HTMLResponse:
    """Render a page in the language the request asked for, and remember that choice.

    `private` pages (a person's own) are never cached.
    """
    asked = request.query_params.get("lang")
    chosen = language(request)
    # The language switch repeats the query: never an ID number in it, even one typed in.
    query = [(k, redact_id_numbers(v)) for k, v in request.query_params.multi_items()]
    where = {"path": request.url.path, "query": query}
    with i18n.use_language(chosen):
        template = i18n.environment("portal").get_template(name)
        body = template.render(**{**where, "words": words, **(chrome or {}), **context})
    response = HTMLResponse(body, status_code=status)
    if asked == chosen:
        response.set_cookie(i18n.COOKIE, chosen, max_age=365 * 86400, samesite="lax")
    if private:
        response.headers["Cache-Control"] = "no-store"  # a person's file is never cached
    return response


def _say(request: Request, message: str, **values: object) -> str:
    """A message from the code, in the request's language (`_say` is the name the catalog's
    extraction looks for: babel.cfg, dev.py messages)."""
    with i18n.use_language(language(request)):
        text = i18n.gettext(message)
    return text % values if values else text


def withheld(request: Request, text: str) -> str:
    """`text` (as typed into a form) with anything shaped like an ID number hidden, saying so in
    the request's language: a form filled in again never shows the number."""
    with i18n.use_language(language(request)):
        return i18n.redact(text)


def csrf_token(secret: str, token: str) -> str:
    return forms.form_token(secret, token)


@dataclass(frozen=True, slots=True)
class Visitor:
    """Who is looking: a signed-in person (their caller and the token their forms carry), or
    nobody."""

    caller: ApiKey | None = None
    token: str = ""
    csrf: str = ""

    @property
    def signed_in(self) -> bool:
        return self.caller is not None

    @property
    def subject_id(self) -> int:
        if self.caller is None or self.caller.subject_id is None:
            raise RuntimeError("only a signed-in person has a file")
        return self.caller.subject_id

    @property
    def actor(self) -> str:
        return self.caller.actor if self.caller else "anonymous"

    @property
    def chrome(self) -> dict[str, object]:
        """What every page's header needs: signed in or not, and the token its forms carry."""
        return {"signed_in": self.signed_in, "csrf": self.csrf}

    def sent_token(self, sent: str) -> bool:
        """Whether a form carried this session's token (it was made by our page)."""
        return self.signed_in and forms.carries_token(sent, self.csrf)


async def visitor(request: Request) -> Visitor:
    """The person the session cookie stands for, or an anonymous visitor."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return Visitor()
    platform = platform_of(request)
    caller = await run_in_threadpool(accounts.authenticate_session, platform.read_uow(), token)
    if caller is None:
        return Visitor()
    return Visitor(caller, token, csrf_token(platform.settings.secret_key, token))


class PortalRoute(APIRoute):
    """A portal route answers a form it cannot read with a page in the reader's language, never
    with the API's problem details (a browser sent it; a person reads the answer). An address
    whose number is no number (`/portal/me/objections/abc`) names nothing: not found."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                in_address = any(error.get("loc", ("",))[0] == "path" for error in exc.errors())
                return page(
                    request,
                    "missing.html" if in_address else "unreadable.html",
                    status=404 if in_address else 422,
                    chrome=(await visitor(request)).chrome,
                    problems=Problems(),
                )

        return route


def to_login() -> RedirectResponse:
    return RedirectResponse("/portal/login", status_code=303)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def declares_person(request: Request) -> bool:
    """Whether the request's route declares itself a page of the signed-in person
    (`person_page`)."""
    extra = getattr(request.scope.get("route"), "openapi_extra", None) or {}
    return bool(extra.get("x-access") == PERSON)


async def guard(request: Request) -> Visitor | Response:
    """The signed-in person, on a route that declares itself theirs (`person_page`); else the
    login page (nobody signed in: a staff user or an API key is nobody here). A route that
    declares no person's access has no guard to ask for: that is a mistake in the code, not
    the caller's."""
    if not declares_person(request):
        raise RuntimeError(f"{where(request)} calls the portal's guard but is not a person_page")
    person = await visitor(request)
    return person if person.signed_in else to_login()


async def submitted(
    request: Request,
    csrf: str,
    work: Callable[[Visitor], T],
    *,
    again: Callable[[Visitor, DomainError], Response | Awaitable[Response]],
    then: Callable[[T], str | Response] | str,
) -> Response:
    """What every form of a signed-in person does (`forms.submitted`), behind the guard: a
    visitor without a session is sent to log in, a form without the session's token is refused
    (`expired_form`), and a domain error shows the form's page `again` (with the error:
    `problems_of`). What the form names and the person does not have (none such, or another
    person's: `NotYours`, audited by the service) is not found, a 404 as on the API."""

    async def shown_again(person: Visitor, exc: DomainError) -> Response:
        shown = again(person, exc)
        answer = await shown if inspect.isawaitable(shown) else shown
        if isinstance(exc, NotFound):
            answer.status_code = 404
        return answer

    return await forms.submitted(
        await guard(request),
        csrf,
        work,
        expired=lambda _: expired_form(request),
        again=shown_again,
        then=then,
    )


def expired_form(request: Request) -> HTMLResponse:
    """A form without this session's token: nothing was done, and the refusal is audited; the
    person logs in again."""
    refused = forms.expired_form(
        lambda status, alert: page(
            request,
            "login.html",
            status=status,
            signed_in=False,
            csrf="",
            problems=Problems(alert=alert),
        ),
        _say(request, "表单已过期，请重新登录。"),
    )
    return audit_refused_form(request, refused)


def _record_refused_form(platform: Platform, page: str, token: str) -> None:
    caller = accounts.authenticate_session(platform.read_uow(), token) if token else None
    if caller is None:
        return  # no session at all: sent to log in, as any request without one
    audit.record_form_refused(
        platform.uow(),
        surface="portal",
        page=page,
        actor=caller.actor,
        subject_id=caller.subject_id,
    )


def audit_refused_form(request: Request, refused: R) -> R:
    """`refused` (the answer to a form without this session's token), which audits the refusal
    once it is sent, off the event loop: the route's template and the person the session cookie
    names, never what the form held (an ID number, say)."""
    token = request.cookies.get(SESSION_COOKIE, "")
    platform = platform_of(request)
    refused.background = BackgroundTask(_record_refused_form, platform, where(request), token)
    return refused


@dataclass(slots=True)
class Problems:
    """What went wrong with a form, in the page's language: one message per field it concerns
    (shown beside that field), or one for the whole form. `form` says which form, where a page
    has several."""

    fields: dict[str, str] = field(default_factory=dict)
    alert: str | None = None
    form: str | None = None

    def __bool__(self) -> bool:
        return bool(self.fields or self.alert)

    def messages(self) -> list[tuple[str | None, str]]:
        """Every message, each with the field it belongs to (for the summary's links)."""
        out: list[tuple[str | None, str]] = [(name, text) for name, text in self.fields.items()]
        if self.alert:
            out.append((None, self.alert))
        return out


def problems_of(
    request: Request, exc: DomainError, fields: tuple[str, ...] = (), form: str | None = None
) -> Problems:
    """A domain error told in the page's language, tied to the field it names when the form has
    that field (each of them, when several fields were refused at once); never an identifier."""
    with i18n.use_language(language(request)):
        told = [messages.told(e) for e in (exc.each if isinstance(exc, InvalidFields) else (exc,))]
    found = Problems(form=form)
    for field_name, text in told:
        if field_name is not None and field_name in fields:
            found.fields.setdefault(field_name, text)
        elif found.alert is None:
            found.alert = text
    return found


def values(request_form: Mapping[str, Any], *names: str) -> dict[str, str]:
    """What the person typed into these fields, to fill the form again after an error."""
    return {name: str(request_form.get(name, "")) for name in names}
