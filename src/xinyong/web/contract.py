"""The OpenAPI contract says every status an operation can answer, each error as problem details.

FastAPI documents the success and a 422 in `application/json` with its own validation schema.
The app answers every error as RFC 9457 problem details (`web/errors.py`), from the screens in
front of every route (`web/limits.py`: 413, 422) and the checks every route makes (401 and 403
for a scoped operation, 415 for a body in another media type, 400 for malformed JSON, 404 and
409 from the rules, 429 from the rate limits). `document` adds them to the schema once, so that
a client, and schemathesis, see what the server really does (docs/security.md).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

PROBLEM = "application/problem+json"
METHODS = ("get", "put", "post", "delete", "patch")

#: Why each status is answered, as the schema says it.
WHY = {
    303: "See the next page (a form was handled)",
    400: "The body cannot be parsed (not valid JSON, a broken multipart body)",
    401: "No key or session, or an unknown, expired or revoked one",
    403: "The caller lacks the operation's scope or mandate",
    404: "Nothing of that id or code (or not yours to see)",
    409: "The request conflicts with the current state",
    413: "The body is larger than this operation accepts",
    415: "The body is not in a media type this operation takes",
    422: "The input has not the expected shape, or breaks a rule; each field named",
    429: "Too many requests or attempts; retry after the Retry-After header",
    503: "A service this operation needs is not available here",
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details. `errors` names each refused field and why; a "
    "batch that failed part-way adds `batch_id` and `committed`; a proposal refused beside an "
    "open entry of the person on the list, `open_entry`.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["row", "field", "reason"],
                "properties": {
                    "row": {"type": "integer"},
                    "field": {"type": "string"},
                    "reason": {"type": "string"},
                    "code": {
                        "type": "string",
                        "description": "A refused row's reason as a stable code (docs/i18n.md)",
                    },
                    "parts": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "description": "The values the reason's words are made from",
                    },
                },
            },
        },
        "batch_id": {"type": "integer"},
        "committed": {"type": "object", "additionalProperties": {"type": "integer"}},
        "open_entry": {
            "type": "integer",
            "description": "The id of the person's open entry on the list (409 on a proposal)",
        },
    },
}


def install(app: FastAPI) -> None:
    """Make `app.openapi()` return the documented contract (built once, on first use)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Add every status each operation can answer, with the Problem schema, to `schema`."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                _document_operation(method, item[method], browser=_for_browsers(path))
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return schema


def _document_operation(method: str, op: dict[str, Any], *, browser: bool) -> None:
    responses: dict[str, Any] = op.setdefault("responses", {})
    page = browser or _is_page(op)
    body = op.get("requestBody", {}).get("content", {})
    # Any operation may meet an unknown or expired credential (a public one too: a login) and
    # a refusal of its mandate or form token.
    statuses = {401, 403, 404, 422, 429}
    if method != "get":
        statuses |= {409}
    if body:
        statuses |= {400, 413, 415}  # 400: a body that cannot be parsed (JSON, multipart)
    if page:
        statuses |= {303, 400, 413, 415}
    if any(_is_pdf(r) for r in responses.values()):
        statuses |= {503}
    for status in sorted(statuses):
        kept = responses.get(str(status), {})
        responses[str(status)] = {
            "description": kept.get("description") or WHY[status],
            **({} if status == 303 else {"content": _error_content(page)}),
        }


def _error_content(page: bool) -> dict[str, Any]:
    content: dict[str, Any] = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    if page:
        # A page answers a person with a page; the screens in front of every route answer
        # with problem details all the same.
        content["text/html"] = {"schema": {"type": "string"}}
    return content


def _for_browsers(path: str) -> bool:
    """The portal's and the consoles' routes (pages, their fragments and files) answer a
    browser: a caller without a session is sent to log in (303)."""
    return path.startswith(("/portal", "/console"))


def _is_page(op: dict[str, Any]) -> bool:
    ok = op.get("responses", {}).get("200", {}).get("content", {})
    return list(ok) == ["text/html"]


def _is_pdf(response: dict[str, Any]) -> bool:
    return "application/pdf" in response.get("content", {})
