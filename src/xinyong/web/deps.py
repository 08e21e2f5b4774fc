"""Dependencies: the unit of work, the policy, and who is calling with which scope."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Path, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from fastapi.security.utils import get_authorization_scheme_param
from starlette.exceptions import HTTPException

from xinyong.bootstrap import Platform
from xinyong.config import Settings
from xinyong.domain.access import Scope
from xinyong.domain.keys import ApiKey, split_key
from xinyong.domain.policy import Policy
from xinyong.domain.rates import Action, RateLimited, Who
from xinyong.services import accounts, audit, keys
from xinyong.services.ports import UnitOfWork
from xinyong.web.throttle import Throttle, client_of, too_many

_bearer = HTTPBearer(auto_error=False, description="An API key: `Bearer xy_<prefix>_<secret>`")


#: The cookie a browser session travels in (HttpOnly, SameSite=Strict).
SESSION_COOKIE = "xinyong_session"


def platform_of(request: Request) -> Platform:
    """The platform the app was built on (bootstrap.build)."""
    platform: Platform = request.app.state.platform
    return platform


def get_uow(request: Request) -> UnitOfWork:
    return platform_of(request).uow()


def get_policy(request: Request) -> Policy:
    return platform_of(request).policy


def get_settings(request: Request) -> Settings:
    return platform_of(request).settings


def get_today(request: Request) -> date:
    """Today's business date, by the platform's clock."""
    return platform_of(request).today()


#: A database id in a path: a positive 64-bit integer, so that a huge one is a 422, not a crash.
DbId = Annotated[int, Path(ge=1, le=2**63 - 1)]

UowDep = Annotated[UnitOfWork, Depends(get_uow)]
PolicyDep = Annotated[Policy, Depends(get_policy)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
TodayDep = Annotated[date, Depends(get_today)]
PlatformDep = Annotated[Platform, Depends(platform_of)]


class KeyCache:
    """Authenticated keys, kept until the change log moves (a revocation appends to it).

    Every request reads the log's newest sequence number (one indexed read); when it has moved,
    the cache is emptied and the listing index catches up, so a revoked key is refused and a new
    listing is seen by the first request after the change commits.
    """

    def __init__(self) -> None:
        self.seq = -1
        self.keys: dict[str, ApiKey] = {}


class SeqReader:
    """Reads the change log's newest sequence number for many requests at once.

    A request needs a read that starts after it arrived (so it sees every change committed
    before it). Requests arriving in the same turn of the event loop share the next read, which
    runs on the loop itself at the start of the next turn: one read serves a burst of checks.
    Each waiter has its own future, so a cancelled request cancels nobody else's wait.
    """

    def __init__(self, read: Callable[[], int]) -> None:
        self.read = read
        self._waiting: list[asyncio.Future[int]] = []

    def latest(self) -> asyncio.Future[int]:
        loop = asyncio.get_running_loop()
        if not self._waiting:
            loop.call_soon(self._read)
        future: asyncio.Future[int] = loop.create_future()
        self._waiting.append(future)
        return future

    def _read(self) -> None:
        waiting, self._waiting = self._waiting, []  # later arrivals wait for a later read
        try:
            seq = self.read()
        except Exception as exc:
            for future in waiting:
                if not future.done():
                    future.set_exception(exc)
            return
        for future in waiting:
            if not future.done():
                future.set_result(seq)


async def current_seq(request: Request) -> int:
    """The change log's newest sequence number, read after this request arrived; a moved log
    empties the key cache."""
    state = request.app.state
    seq: int = await state.seq_reader.latest()
    cache: KeyCache = state.key_cache
    if seq != cache.seq:
        cache.keys = {}
        cache.seq = seq
    return seq


async def _authorise(
    request: Request,
    security_scopes: SecurityScopes,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    if len(security_scopes.scopes) != 1:
        raise RuntimeError("a route declares exactly one scope")
    token = credentials.credentials if credentials is not None else None
    key, _ = await authorise(request, Scope(security_scopes.scopes[0]), token)
    return key


async def authorise(request: Request, scope: Scope, token: str | None) -> tuple[ApiKey, int]:
    """The key (or person's session) `token` stands for, if it holds `scope`, else 401 or 403;
    and the change log's sequence number read for this request (the listing index must be at
    least that current to answer it).

    Without a bearer token, a GET or HEAD may use the browser's session cookie: writes need the
    header, so a cookie alone can never write (no cross-site request forgery).
    """
    challenge = {"WWW-Authenticate": f'Bearer realm="xinyong", scope="{scope.value}"'}
    if token is None and request.method in ("GET", "HEAD"):
        token = request.cookies.get(SESSION_COOKIE)
    if token is None:
        raise HTTPException(401, "an API key is required: Authorization: Bearer <key>", challenge)
    throttle: Throttle = request.app.state.throttle
    wait = throttle.counter.blocked(
        Action.KEY_FAILURE, Who.CLIENT, client_of(request), now=throttle.monotonic()
    )
    if wait is not None:  # this address used up its failed keys: none is looked at now
        raise too_many(RateLimited(Action.KEY_FAILURE, Who.CLIENT, wait))
    seq = await current_seq(request)
    platform = platform_of(request)
    key: ApiKey | None
    if token.startswith(accounts.SESSION_PREFIX):
        key = await run_in_threadpool(accounts.authenticate_session, platform.read_uow(), token)
        if key is None:
            await _refused_token(request, throttle, token)
            raise HTTPException(401, "the session is unknown, expired or ended", challenge)
    else:
        cache: KeyCache = request.app.state.key_cache
        key = _cached(cache, token)
        if key is None:
            key = await run_in_threadpool(keys.authenticate, platform.read_uow(), token)
            # Cache it only if the log has not moved while we read: a revocation committed in
            # between would otherwise be forgotten with the emptied cache.
            if key is not None and cache.seq == seq:
                cache.keys[key.prefix] = key
    if key is None:
        await _refused_token(request, throttle, token)
        raise HTTPException(401, "the API key is unknown, revoked or expired", challenge)
    if not key.allows(scope):
        over = await throttle.refused_scope(request, key.actor)
        if over is not None:
            raise too_many(over)
        await run_in_threadpool(
            audit.record_scope_refused,
            platform.uow(),
            actor=key.actor,
            department=key.department,
            scope=scope.value,
            route=route_template(request),
        )
        raise HTTPException(403, f"this key lacks the scope {scope.value}")
    return key, seq


def route_template(request: Request) -> str:
    """The request's path with each path parameter named, not given (`/api/v1/records/{id}`):
    what an audit keeps of a refused call, never an identifier it carried. The matched route's
    template names the path's last segments (a router's own prefix comes before it)."""
    parts = request.url.path.split("/")
    tail = getattr(request.scope.get("route"), "path", "").split("/")[1:]
    return "/".join(parts[: max(len(parts) - len(tail), 0)] + tail)


async def _refused_token(request: Request, throttle: Throttle, token: str) -> None:
    """Audit a token that authenticated nobody and count it against the client's address; the
    failure that uses up the address's allowance is also reported as a rate limit."""
    client = throttle.client_digest(request)
    await run_in_threadpool(
        keys.record_refused_token, platform_of(request).uow(), token, client=client
    )
    wait = throttle.counter.note(
        Action.KEY_FAILURE, Who.CLIENT, client_of(request), now=throttle.monotonic()
    )
    if wait is not None:
        refused = RateLimited(Action.KEY_FAILURE, Who.CLIENT, wait)
        await run_in_threadpool(throttle.refuse, request, refused, actor="anonymous")


def _cached(cache: KeyCache, token: str) -> ApiKey | None:
    parts = split_key(token)
    if parts is None:
        return None
    key = cache.keys.get(parts[0])
    return key if key is not None and key.matches(parts[1]) else None


def caller(scope: Scope) -> Any:
    """`Annotated[ApiKey, caller(Scope.X)]`: the route needs a key holding scope X.

    The scope appears in the route's OpenAPI security requirement; a test walks the schema and
    proves every route refuses a caller without it.
    """
    return Security(_authorise, scopes=[scope.value])


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, as `HTTPBearer` reads it."""
    scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
    return token if token and scheme.lower() == "bearer" else None


#: Route keyword arguments declaring a route open to everyone (the only alternative to a scope,
#: but for a console page, `staff_page`, and a person's portal page, `person_page`).
PUBLIC: dict[str, Any] = {"openapi_extra": {"x-access": "public"}}

#: What a console page declares as `x-access`: a signed-in staff user (their session cookie).
STAFF = "staff"
#: Where a console page declares the scope its user's role must hold.
STAFF_SCOPE = "x-console-scope"


def staff_page(scope: Scope | None) -> dict[str, Any]:
    """Route keyword arguments declaring a console page for signed-in staff whose role holds
    `scope` (None: any staff user). The console's guard reads the scope from this declaration
    (`web/console/pages.py guard`), and a test walks the app's routes and proves, for every
    staff role, that each page refuses a role without it."""
    extra: dict[str, Any] = {"x-access": STAFF}
    if scope is not None:
        extra[STAFF_SCOPE] = scope.value
    return {"openapi_extra": extra}


#: What a portal page of the signed-in person declares as `x-access`: their session cookie.
PERSON = "person"


def person_page() -> dict[str, Any]:
    """Route keyword arguments declaring a portal page for the signed-in person alone (their own
    file, cases, rights). The portal's guard (`web/portal/pages.py guard`) asks for a person's
    session only on a route that declares it, and a test walks the app's routes and proves who
    may reach each page: nobody signed in is sent to log in, a person reaches only their own
    file, a staff user or an API key is nobody here."""
    return {"openapi_extra": {"x-access": PERSON}}


def department_of(key: ApiKey) -> str:
    """Return the department a key acts for, or refuse a key that is bound to none."""
    if key.department is None:
        raise HTTPException(403, "this key is not bound to a department")
    return key.department


def bearer_scheme_name() -> str:
    """The name under which OpenAPI lists the bearer-key security scheme."""
    return _bearer.scheme_name
