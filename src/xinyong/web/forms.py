"""What the portal's and the consoles' forms share: the token a form carries (derived from the
session it was made for: double submit), the answer to a form without it, the way every form of
a signed-in user is handled (`submitted`), and the session cookie a login sets (HttpOnly,
SameSite=Strict, Secure over HTTPS, lasting as long as the session).

Each surface may name its own `purpose`, so that a token made for one never passes the other's
forms.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol, TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from xinyong.domain.errors import DomainError, TooManyAttempts

#: The status of a form that came without its session's token: nothing was done.
EXPIRED_STATUS = 403


def form_token(secret: str, session_token: str, *, purpose: str = "") -> str:
    """The token every form of this session carries: a keyed hash of the session's token."""
    message = (purpose + session_token).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def carries_token(sent: str, expected: str) -> bool:
    """Whether a form carried the token its session expects (compared in constant time); a
    session without a token expects none and takes no form."""
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def expired_form(show: Callable[[int, str], HTMLResponse], alert: str) -> HTMLResponse:
    """A form without its session's token: the surface's page (`show(status, alert)`) says so,
    with the same status on every surface."""
    return show(EXPIRED_STATUS, alert)


class SignedIn(Protocol):
    """Someone signed in on a surface (a person, a staff user), whose forms carry a token."""

    def sent_token(self, sent: str) -> bool: ...


S = TypeVar("S", bound=SignedIn)
T = TypeVar("T")


async def submitted(
    who: S | Response,
    csrf: str,
    work: Callable[[S], T],
    *,
    expired: Callable[[S], Response],
    again: Callable[[S, DomainError], Response | Awaitable[Response]],
    then: Callable[[T], str | Response] | str,
) -> Response:
    """What every form of a signed-in user does, on the portal and on the consoles: nobody
    signed in (or a role without the page), and `who` is already the answer (the login page, a
    refusal); a form without the session's token is `expired`, and nothing is done; else the
    use case (`work`, in the threadpool), then the next page (`then`: a URL to see, or a
    response). A domain error shows the form's page `again`, the error told in the page's
    language, and nothing was done."""
    if isinstance(who, Response):
        return who
    if not who.sent_token(csrf):
        return expired(who)
    try:
        done = await run_in_threadpool(work, who)
    except DomainError as exc:
        shown = again(who, exc)
        return await shown if inspect.isawaitable(shown) else shown
    following = then if isinstance(then, str) else then(done)
    if isinstance(following, str):
        return RedirectResponse(following, status_code=303)
    return following


def login_refused_status(exc: DomainError) -> int:
    """A refused login: 429 after too many attempts, else 401."""
    return 429 if isinstance(exc, TooManyAttempts) else 401


def set_session_cookie(
    response: Response,
    request: Request,
    name: str,
    token: str,
    *,
    expires_at: datetime,
    now: datetime,
    path: str = "/",
) -> Response:
    """Send the session's token in its own cookie, for as long as the session lasts."""
    response.set_cookie(
        name,
        token,
        max_age=max(int((expires_at - now).total_seconds()), 0),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=path,
    )
    return response
