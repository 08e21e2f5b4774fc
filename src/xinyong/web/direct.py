"""The hottest routes, dispatched straight to their endpoints.

A department's check (`POST /api/v1/checks`) runs thousands of times a second. Walking FastAPI's
route table, its per-route wrappers and its exception and exit-stack middleware costs a request
about as much CPU as the check itself. `DirectRoutes` sits inside the app's own middleware (the
body limit, the server-error handler) and hands a request for a listed method and path to that
route's endpoint at once; every other request goes on down the stack.

A direct endpoint is an ordinary route of the app, declared with the app's router, so that it is
documented in the OpenAPI schema like any other. It takes only the `Request` and returns a
`Response`; it reads its caller and body through `deps.Direct`. Its errors become problem details
through the handlers the app registers (`errors.install`), looked up as Starlette does.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = None
        if scope["type"] == "http":
            endpoint = self.routes.get((scope["method"], scope["path"]))
        if endpoint is None:
            await self.app(scope, receive, send)
            return
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
