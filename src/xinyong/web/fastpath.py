"""The fast path of the hottest route: a department's check, dispatched past the route table.

A check (`POST /api/v1/checks`) runs thousands of times a second. Walking FastAPI's route table,
its per-route wrappers, its dependency solving and its exception and exit-stack middleware costs
a request about as much CPU as the check itself. Three pieces take that cost away, all here:

- `DirectRoutes` sits inside the app's own middleware (the body limit, the server-error handler)
  and hands a request for a listed method and path straight to its endpoint; every other request
  goes on down the stack. Errors become problem details through the handlers the app registers.
- `Direct` reads a route's caller and body itself, refusing exactly as `caller(scope)` and a body
  parameter would, and declares the same OpenAPI security and body.
- `QuerySettler` hands the query-log writer's commits back to the event loop, once per batch.

The endpoint itself is an ordinary route of the app (`web/api/v1/checks.py`), documented like any
other, and calls the check use case (`services.checks.check`). With `XINYONG_FAST_CHECKS=false` it
is reached through ordinary routing instead; `tests/functional/test_checks.py` proves both ways
give the same status and body for the same requests.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from functools import partial
from typing import Any, Generic, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from xinyong.domain.access import Scope as AccessScope
from xinyong.domain.keys import ApiKey
from xinyong.domain.querylog import QueryEntry
from xinyong.services.querylog import QueryLogWriter
from xinyong.web.deps import authorise, bearer_scheme_name, bearer_token

Endpoint = Callable[[Request], Awaitable[Response]]


class DirectRoutes:
    """ASGI middleware: (method, path) → endpoint for a few exact paths; the rest pass on."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Mapping[tuple[str, str], Endpoint],
        handlers: Mapping[Any, Callable[..., Any]],
    ) -> None:
        self.app = app
        self.routes = dict(routes)
        # The app's own mapping, read at each error: handlers registered later still apply.
        self.handlers = handlers
        self._routes_found: dict[Endpoint, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = None
        if scope["type"] == "http":
            endpoint = self.routes.get((scope["method"], scope["path"]))
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        route = self._route_of(scope, endpoint)
        if route is not None:
            scope["route"] = route  # as routing would set it: errors name the route's template
        request = Request(scope, receive, send)
        try:
            response = await endpoint(request)
        except Exception as exc:
            handler = self._handler_for(exc)
            if handler is None:
                raise  # to the server-error middleware: a logged 500
            response = handler(request, exc)
            if inspect.isawaitable(response):
                response = await response
        await response(scope, receive, send)

    def _route_of(self, scope: Scope, endpoint: Endpoint) -> Any:
        """The app's own route for `endpoint` (looked up once), or None outside an app."""
        if endpoint not in self._routes_found:
            routes = _every_route(getattr(scope.get("app"), "routes", ()))
            self._routes_found[endpoint] = next(
                (r for r in routes if getattr(r, "endpoint", None) is endpoint), None
            )
        return self._routes_found[endpoint]

    def _handler_for(self, exc: Exception) -> Callable[..., Any] | None:
        if isinstance(exc, HTTPException) and exc.status_code in self.handlers:
            return self.handlers[exc.status_code]  # as Starlette: a status's own handler first
        for kind in type(exc).__mro__:
            if kind is Exception:
                return None
            handler = self.handlers.get(kind)
            if handler is not None:
                return handler
        return None


def _every_route(routes: Iterable[Any]) -> Iterator[Any]:
    """The routes, and those of the routers included among them (FastAPI keeps an included
    router whole, and routing sets the included router's own route in the scope)."""
    for route in routes:
        yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _every_route(inner.routes)


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
    `caller(scope)` and a `body: model` parameter would: 401 or 403 first, then 415 for a body
    that is not JSON (`application/json`, `application/*+json`; none said is not JSON either, as
    on every route: `web/errors.py`), 400 for malformed JSON and 422 for the wrong shape. It
    differs in one way: an empty body is malformed JSON (400), where FastAPI would say that
    every field is missing (422). The schema declares the same security requirement and body,
    so the documentation and the access test see one kind of route.
    """

    def __init__(self, model: type[M], scope: AccessScope) -> None:
        self.model = model
        self.scope = scope
        schema = model.model_json_schema()
        if "$defs" in schema:
            raise RuntimeError(f"{model.__name__}: a direct route's body has no nested models")
        self.openapi: dict[str, Any] = {
            "security": [{bearer_scheme_name(): [scope.value]}],
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

    async def accept(self, request: Request) -> tuple[ApiKey, int, M]:
        """The caller, the change log's sequence number read for this request, and the body."""
        key, seq = await authorise(request, self.scope, bearer_token(request))
        media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if not _is_json(media):
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
        return key, seq, body


def _is_json(media: str) -> bool:
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class QuerySettler:
    """Hands the query-log writer's results back to the event loop, one wake-up per batch.

    The writer commits many checks at once; waking the loop once for all of them (instead of
    once per check) saves a system call and a loop turn per request.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._lock = threading.Lock()
        self._ready: list[tuple[asyncio.Future[int], int | None, BaseException | None]] = []
        self._scheduled = False

    def done(
        self, future: asyncio.Future[int], query_id: int | None, error: BaseException | None
    ) -> None:
        """Called on the writer's thread."""
        with self._lock:
            self._ready.append((future, query_id, error))
            if self._scheduled:
                return
            self._scheduled = True
        self.loop.call_soon_threadsafe(self._flush)

    def _flush(self) -> None:
        with self._lock:
            ready, self._ready, self._scheduled = self._ready, [], False
        for future, query_id, error in ready:
            _settle(future, query_id, error)


def _settle(future: asyncio.Future[int], query_id: int | None, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None or query_id is None:
        future.set_exception(error or RuntimeError("the check was not logged"))
    else:
        future.set_result(query_id)


_settlers: dict[asyncio.AbstractEventLoop, QuerySettler] = {}


async def logged(writer: QueryLogWriter, entry: QueryEntry) -> int:
    """Store `entry` through the group-committing writer; return its id once it has committed."""
    loop = asyncio.get_running_loop()
    settler = _settlers.get(loop)
    if settler is None:
        for closed in [old for old in _settlers if old.is_closed()]:
            del _settlers[closed]  # a server (or a test client) that ran on it has stopped
        settler = _settlers[loop] = QuerySettler(loop)
    future: asyncio.Future[int] = loop.create_future()
    writer.submit(entry, partial(settler.done, future))
    return await future
