"""Every API error is RFC 9457 problem details; domain errors map to statuses here, once."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request, params
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from xinyong.domain.errors import (
    BatchFailed,
    Conflict,
    DomainError,
    Invalid,
    NotAllowed,
    NotFound,
    RowRejected,
    TooManyAttempts,
    Unauthenticated,
)
from xinyong.domain.list_proposals import AlreadyOnList
from xinyong.services.documents import PdfUnavailable

log = logging.getLogger("xinyong.web")

PROBLEM = "application/problem+json"
_STATUS = {
    TooManyAttempts: 429,
    Unauthenticated: 401,
    NotFound: 404,
    Conflict: 409,
    NotAllowed: 403,
    RowRejected: 422,
    Invalid: 422,
}
_TITLES = {
    400: "Bad request",
    401: "Unauthorised",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many attempts",
    500: "Internal server error",
}


def problem(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """Build a problem-details response (`extra`: members of its own, RFC 9457 §3.2)."""
    body: dict[str, Any] = {
        "type": f"https://xinyong.example/problems/{status}",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _members(exc: DomainError) -> dict[str, Any] | None:
    if isinstance(exc, BatchFailed):
        return {"batch_id": exc.batch_id, "committed": exc.committed}
    if isinstance(exc, AlreadyOnList):
        return {"open_entry": exc.open_entry}
    return None


def status_of(exc: DomainError) -> int:
    """The HTTP status a domain error is answered with."""
    for kind, status in _STATUS.items():
        if isinstance(exc, kind):
            return status
    return 400


def _wants_json(request: Request) -> bool:
    """Whether the route reached takes a JSON body (not a form, not a raw body)."""
    body = getattr(request.scope.get("route"), "body_field", None)
    return body is not None and not isinstance(body.field_info, params.Form)


def _is_json(content_type: str) -> bool:
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _field_of(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


#: A run of 15 or more digits (an ID number, its 17-digit key, a long account number), with a
#: check character: what no log line may carry.
_IDENTIFIER = re.compile(r"(?<![0-9])[0-9]{15,}[0-9Xx]?(?![0-9])")


def redacted(text: str) -> str:
    """`text` with every identifier-like run of digits replaced."""
    return _IDENTIFIER.sub("[redacted]", text)


class RedactIdentifiers(logging.Filter):
    """A handler filter: no log line, argument or traceback carries an identifier (a request's
    path, a database error's message). The traceback is formatted here, redacted, and kept as
    the record's `exc_text` and `exc` (what web/accesslog.py's JSON lines show)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if (clean := redacted(message)) != message:
            record.msg, record.args = clean, None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redacted(record.exc_text)
            record.__dict__["exc"] = record.exc_text
        return True


def where(request: Request) -> str:
    """The operation a request reached, as its route's template (`/api/v1/records/{record_id}`):
    never the path itself, which may hold an identifier the caller put there."""
    if request.scope.get("route") is None:
        return ""  # matched no route: the path is only what the caller typed
    names = {str(v): f"{{{k}}}" for k, v in request.path_params.items()}
    return "/".join(names.get(part, part) for part in request.scope["path"].split("/"))


#: A path parameter's value an error may repeat: an id the platform issued (a whole number
#: shorter than any identifier) or one of the platform's own words (`decision`, `publish`).
_OWN_VALUE = re.compile(r"[0-9]{1,14}|[a-z]+")


def scrubbed(request: Request, text: str) -> str:
    """`text` with every path parameter's value (and every query value of four or more
    characters) replaced by the parameter's name: no error repeats what the caller sent. A path's
    id or word (`_OWN_VALUE`) stays: "check 12 does not exist" names what was not found."""
    values: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if len(value) >= 4:
            values[value] = f"{{{name}}}"
    for name, value in request.path_params.items():
        if str(value) and not _OWN_VALUE.fullmatch(str(value)):
            values[str(value)] = f"{{{name}}}"
    for value in sorted(values, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(value)}(?![\w-])", values[value], text)
    return text


#: Pages of their own for the paths under a prefix (`/console/`), in the page's language: given
#: the domain error (None: no route has the path), the page that tells it.
ErrorPages = Mapping[str, Callable[[Request, DomainError | None], Response]]


def _page_for(request: Request, pages: ErrorPages, exc: DomainError | None) -> Response | None:
    for prefix, shown in pages.items():
        if request.url.path.startswith(prefix):
            return shown(request, exc)
    return None


def install(app: FastAPI, *, pages: ErrorPages | None = None) -> None:
    """Register the handlers that turn every exception into problem details; a domain error or
    a not-found under a prefix of `pages` answers that prefix's HTML page instead (the handlers
    are synchronous: Starlette runs them in a worker thread, web/fastpath.py calls them as they
    are)."""
    pages = pages or {}

    @app.exception_handler(DomainError)
    def _domain(request: Request, exc: DomainError) -> Response:
        if (shown := _page_for(request, pages, exc)) is not None:
            return shown
        errors = [p.as_dict() for p in exc.problems] if isinstance(exc, RowRejected) else None
        for error in errors or []:
            error["reason"] = scrubbed(request, str(error["reason"]))
            parts = error.get("parts")
            if isinstance(parts, dict):
                error["parts"] = {k: scrubbed(request, str(v)) for k, v in parts.items()}
        return problem(
            status_of(exc),
            scrubbed(request, exc.detail),
            title=exc.title,
            errors=errors,
            extra=_members(exc),
        )

    @app.exception_handler(RequestValidationError)
    def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        if _wants_json(request) and not _is_json(request.headers.get("content-type", "")):
            # FastAPI validates a body of another media type as if it were the object: the
            # answer is the media type, as on every route (docs/security.md).
            return problem(415, "send the body as application/json")
        errors = []
        malformed = False
        for err in exc.errors():
            if err.get("type") == "json_invalid":
                malformed = True
                at = err.get("ctx", {}).get("error", "")
                errors.append({"row": 0, "field": "body", "reason": f"malformed JSON: {at}"})
                continue
            errors.append({"row": 0, "field": _field_of(tuple(err["loc"])), "reason": err["msg"]})
        if malformed:
            return problem(400, "the body is not valid JSON", errors=errors)
        return problem(
            422,
            "the request does not have the expected shape",
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and (shown := _page_for(request, pages, None)) is not None:
            return shown
        return problem(
            exc.status_code,
            scrubbed(request, str(exc.detail)),
            headers=dict(exc.headers) if exc.headers else None,
        )

    @app.exception_handler(PdfUnavailable)
    def _no_pdf(request: Request, exc: PdfUnavailable) -> JSONResponse:
        return problem(
            503,
            f"PDF rendering is not available on this server: {exc}. Ask for format=html.",
            title="PDF unavailable",
        )

    @app.exception_handler(Exception)
    def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Log the type and where, never the request body: it may hold ID numbers.
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, where(request))
        return problem(500, "the server failed; the error was logged")
