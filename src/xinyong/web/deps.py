"""Dependencies: the unit of work, the policy, and who is calling with which scope."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Path, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from xinyong.config import Settings
from xinyong.db.listing import query_log_appender
from xinyong.domain.access import ApiKey, Scope, split_key
from xinyong.domain.policy import Policy
from xinyong.services import accounts, admin
from xinyong.services.checks import Checker, QueryLogWriter
from xinyong.services.ports import UnitOfWork

_bearer = HTTPBearer(auto_error=False, description="An API key: `Bearer xy_<prefix>_<secret>`")


#: The cookie a browser session travels in (HttpOnly, SameSite=Strict).
SESSION_COOKIE = "xinyong_session"

_lazy = threading.Lock()


async def get_checker(request: Request) -> Checker:
    """The app's checker, its index built on first use (in a worker thread, once)."""
    state = request.app.state
    checker: Checker | None = getattr(state, "checker", None)
    if checker is None:
        checker = await run_in_threadpool(_build_checker, state)
    return checker


def _build_checker(state: Any) -> Checker:
    with _lazy:
        if getattr(state, "checker", None) is None:
            checker = Checker(state.policy, state.index_source, clock=state.clock)
            checker.load()
            state.checker = checker
            # What exists now lives as long as the process: keep the collector from walking it
            # again and again (full collections of a large heap stall every request for ~40 ms).
            gc.freeze()
        built: Checker = state.checker
        return built


def get_query_writer(request: Request) -> QueryLogWriter:
    """The app's group-committing query-log writer, started on first use."""
    state = request.app.state
    writer: QueryLogWriter | None = getattr(state, "query_writer", None)
    if writer is None:
        with _lazy:
            writer = getattr(state, "query_writer", None)
            if writer is None:
                writer = QueryLogWriter(query_log_appender(state.engine))
                state.query_writer = writer
    return writer


def get_uow(request: Request) -> UnitOfWork:
    factory = request.app.state.uow_factory
    uow: UnitOfWork = factory()
    return uow


def get_policy(request: Request) -> Policy:
    policy: Policy = request.app.state.policy
    return policy


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


#: A database id in a path: a positive 64-bit integer, so that a huge one is a 422, not a crash.
DbId = Annotated[int, Path(ge=1, le=2**63 - 1)]

UowDep = Annotated[UnitOfWork, Depends(get_uow)]
PolicyDep = Annotated[Policy, Depends(get_policy)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


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
    request.state.seq = seq
    return seq


async def _authorise(
    request: Request,
    security_scopes: SecurityScopes,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    if len(security_scopes.scopes) != 1:
        raise RuntimeError("a route declares exactly one scope")
    token = credentials.credentials if credentials is not None else None
    return await authorise(request, Scope(security_scopes.scopes[0]), token)


async def authorise(request: Request, scope: Scope, token: str | None) -> ApiKey:
    """The key (or person's session) `token` stands for, if it holds `scope`; else 401 or 403.

    Without a bearer token, a GET or HEAD may use the browser's session cookie: writes need the
    header, so a cookie alone can never write (no cross-site request forgery).
    """
    challenge = {"WWW-Authenticate": f'Bearer realm="xinyong", scope="{scope.value}"'}
    if token is None and request.method in ("GET", "HEAD"):
        token = request.cookies.get(SESSION_COOKIE)
    if token is None:
        raise HTTPException(401, "an API key is required: Authorization: Bearer <key>", challenge)
    await current_seq(request)
    key: ApiKey | None
    if token.startswith(accounts.SESSION_PREFIX):
        key = await run_in_threadpool(
            accounts.authenticate_session, request.app.state.read_uow_factory(), token
        )
        if key is None:
            raise HTTPException(401, "the session is unknown, expired or ended", challenge)
    else:
        cache: KeyCache = request.app.state.key_cache
        key = _cached(cache, token)
        if key is None:
            key = await run_in_threadpool(
                admin.authenticate, request.app.state.read_uow_factory(), token
            )
            # Cache it only if the log has not moved while we read: a revocation committed in
            # between would otherwise be forgotten with the emptied cache.
            if key is not None and cache.seq == request.state.seq:
                cache.keys[key.prefix] = key
    if key is None:
        raise HTTPException(401, "the API key is unknown or revoked", challenge)
    if not key.allows(scope):
        raise HTTPException(403, f"this key lacks the scope {scope.value}")
    request.state.caller = key
    return key


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


M = TypeVar("M", bound=BaseModel)

#: How a direct route refuses a request, in the order it looks.
_DIRECT_REFUSALS = {
    401: "No key, or an unknown or revoked one",
    403: "The key lacks the route's scope",
    413: "The body is too large",
    415: "The body is not JSON (application/json or application/*+json)",
    400: "The body is not valid JSON",
    422: "The body does not have the expected shape",
}


class Direct(Generic[M]):
    """What a hot route needs, read without FastAPI's dependency solving: its caller and body.

    Solving `caller()` and validating a body parameter cost a request about 90 µs, more than a
    check's own work. A route declared with `openapi_extra=contract.openapi` and taking only the
    `Request` calls `await contract.accept(request)` instead. It refuses as a route with
    `caller(scope)` and a `body: model` parameter would: 401 or 403 first, then 400 for malformed
    JSON and 422 for the wrong shape. It differs in two ways: a body in a media type other than
    JSON (`application/json`, `application/*+json`, or none said) gets 415, where FastAPI would
    try to validate it, and an empty body is malformed JSON (400), where FastAPI would say that
    every field is missing (422). The schema declares the same security requirement and body,
    so the documentation and the access test see one kind of route.
    """

    def __init__(self, model: type[M], scope: Scope) -> None:
        self.model = model
        self.scope = scope
        schema = model.model_json_schema()
        if "$defs" in schema:
            raise RuntimeError(f"{model.__name__}: a direct route's body has no nested models")
        self.openapi: dict[str, Any] = {
            "security": [{_bearer.scheme_name: [scope.value]}],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": schema}},
            },
            "responses": {
                str(status): {
                    "description": f"{why} (problem details)",
                    "content": {"application/problem+json": {}},
                }
                for status, why in _DIRECT_REFUSALS.items()
            },
        }

    async def accept(self, request: Request) -> tuple[ApiKey, M]:
        key = await authorise(request, self.scope, bearer_token(request))
        media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media and not _is_json(media):
            raise HTTPException(415, "send the body as application/json")
        try:
            raw = await request.body()
        except ClientDisconnect:
            raise HTTPException(400, "the client went away before its body arrived") from None
        try:
            body = self.model.model_validate_json(raw)
        except ValidationError as exc:
            problems = exc.errors(include_url=False)
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in problems]
            ) from None
        return key, body


def _is_json(media: str) -> bool:
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


#: Route keyword arguments declaring a route open to everyone (the only alternative to a scope).
PUBLIC: dict[str, Any] = {"openapi_extra": {"x-access": "public"}}


def department_of(key: ApiKey) -> str:
    """Return the department a key acts for, or refuse a key that is bound to none."""
    if key.department is None:
        raise HTTPException(403, "this key is not bound to a department")
    return key.department
