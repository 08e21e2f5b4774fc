"""Dependencies: the unit of work, the policy, and who is calling with which scope."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import Depends, Path, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes
from starlette.exceptions import HTTPException

from xinyong.config import Settings
from xinyong.db.listing import SqlIndexSource
from xinyong.domain.access import ApiKey, Scope
from xinyong.domain.policy import Policy
from xinyong.services import admin
from xinyong.services.checks import Checker, QueryLogWriter
from xinyong.services.ports import UnitOfWork

_bearer = HTTPBearer(auto_error=False, description="An API key: `Bearer xy_<prefix>_<secret>`")


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
            source = SqlIndexSource(state.read_engine, state.policy.list_types)
            checker = Checker(state.policy, source, clock=state.clock)
            checker.load()
            state.checker = checker
        built: Checker = state.checker
        return built


def get_query_writer(request: Request) -> QueryLogWriter:
    """The app's group-committing query-log writer, started on first use."""
    state = request.app.state
    with _lazy:
        writer: QueryLogWriter | None = getattr(state, "query_writer", None)
        if writer is None:
            writer = QueryLogWriter(state.uow_factory)
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


def _authorise(
    request: Request,
    security_scopes: SecurityScopes,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiKey:
    if len(security_scopes.scopes) != 1:
        raise RuntimeError("a route declares exactly one scope")
    scope = Scope(security_scopes.scopes[0])
    challenge = {"WWW-Authenticate": f'Bearer realm="xinyong", scope="{scope.value}"'}
    if credentials is None:
        raise HTTPException(401, "an API key is required: Authorization: Bearer <key>", challenge)
    key = admin.authenticate(request.app.state.read_uow_factory(), credentials.credentials)
    if key is None:
        raise HTTPException(401, "the API key is unknown or revoked", challenge)
    if not key.allows(scope):
        raise HTTPException(403, f"this key lacks the scope {scope.value}")
    request.state.caller = key
    return key


def caller(scope: Scope) -> Any:
    """`Annotated[ApiKey, caller(Scope.X)]`: the route needs a key holding scope X.

    The scope appears in the route's OpenAPI security requirement; a test walks the schema and
    proves every route refuses a caller without it.
    """
    return Security(_authorise, scopes=[scope.value])


#: Route keyword arguments declaring a route open to everyone (the only alternative to a scope).
PUBLIC: dict[str, Any] = {"openapi_extra": {"x-access": "public"}}


def department_of(key: ApiKey) -> str:
    """Return the department a key acts for, or refuse a key that is bound to none."""
    if key.department is None:
        raise HTTPException(403, "this key is not bound to a department")
    return key.department
