"""Refuse hostile requests before any route sees them: oversized bodies, control characters."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xinyong.domain.catalog import CONTROL_CHARACTERS
from xinyong.web.errors import problem


class BodyLimit:
    """ASGI middleware: 413 problem details for bodies over the limit of their path."""

    def __init__(self, app: ASGIApp, *, default: int, per_path: Mapping[str, int]) -> None:
        self.app = app
        self.default = default
        self.per_path = dict(per_path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope["path"].rstrip("/"), self.default)
        length = None
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit():
                length = int(value)
            elif name == b"transfer-encoding":
                length = None  # a chunked body's length is only known as it arrives
                break
        if length is not None and length > limit:
            await _too_large(send, limit)
            return
        if length is not None:
            # The server reads exactly Content-Length bytes of body, so nothing to count.
            await self.app(scope, receive, send)
            return
        seen = 0
        too_large = False

        async def counting_receive() -> Message:
            nonlocal seen, too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    too_large = True
                    raise _BodyTooLarge
            return message

        started = False

        async def guarded_send(message: Message) -> None:
            # Whatever a route answers about a body it never got whole (FastAPI turns a failed
            # read into 400) is dropped: the answer is 413.
            nonlocal started
            if too_large:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not too_large:
                raise
        if too_large and not started:
            await _too_large(send, limit)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "type": "https://xinyong.example/problems/413",
            "title": "Request body too large",
            "status": 413,
            "detail": f"the body is larger than {limit} bytes; send less (a batch: split the file)",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


#: Characters no text field holds (one definition, beside the catalog's text rule).
_IN_TEXT = CONTROL_CHARACTERS
#: In a path or query parameter not even tab or a line break.
_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f]")
#: A JSON body that could hold one of them: an escape of one, or a raw C1 character. Bodies
#: without any (nearly all) are not parsed twice.
_SUSPECT_JSON = re.compile(
    rb"\\u(?:00[01][0-9a-fA-F]|007[fF]|00[89][0-9a-fA-F]|[dD][89a-fA-F][0-9a-fA-F]{2})"
    rb"|\xc2[\x80-\x9f]"
)
_JSON = ("application/json", "application/problem+json")
_FORM = "application/x-www-form-urlencoded"
REASON = "contains a control character; text fields hold none (NUL, escapes, C1 controls)"


class TextScreen:
    """ASGI middleware: a 422 naming the field for a control character in any text the request
    carries (path, query string, JSON body, form), before any route or the database sees it.

    One policy for every route (docs/security.md, Hostile input and output): PostgreSQL refuses
    NUL in text, and no document the platform holds contains the others.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        fields = [*_path_faults(scope), *_query_faults(scope["query_string"])]
        media = _media_type(scope)
        if fields or media not in (*_JSON, _FORM):
            if fields:
                await _refuse(scope, receive, send, fields)
                return
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        body = bytearray()
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        fields = list(_form_faults(bytes(body)) if media == _FORM else _json_faults(bytes(body)))
        if fields:
            await _refuse(scope, receive, send, fields)
            return
        if media in _JSON and body.startswith(_BOM):
            # A UTF-8 byte-order mark before JSON is ignored on every route (RFC 8259 allows
            # it), as batch and screening files ignore it.
            body = body[len(_BOM) :]
            messages = [{"type": "http.request", "body": bytes(body), "more_body": False}]
            scope = {**scope, "headers": _with_length(scope["headers"], len(body))}
        pending = iter(messages)

        async def replay() -> Message:
            return next(pending, None) or await receive()

        await self.app(scope, replay, send)


_BOM = b"\xef\xbb\xbf"


def _with_length(headers: list[tuple[bytes, bytes]], length: int) -> list[tuple[bytes, bytes]]:
    kept = [(k, v) for k, v in headers if k not in (b"content-length", b"transfer-encoding")]
    return [*kept, (b"content-length", str(length).encode())]


def _media_type(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return str(value.decode("latin-1").split(";", 1)[0].strip().lower())
    return ""


def _path_faults(scope: Scope) -> list[str]:
    if not _IN_LINE.search(scope["path"]):
        return []
    for pattern in _path_patterns(scope.get("app")):
        found = pattern.match(scope["path"])
        if found:
            named = [n for n, v in found.groupdict().items() if _IN_LINE.search(v)]
            return named or ["path"]
    return ["path"]


def _path_patterns(app: Any) -> list[re.Pattern[str]]:
    """The app's documented paths as patterns whose groups are their parameters (cached)."""
    cached: list[re.Pattern[str]] | None = getattr(app.state, "path_patterns", None)
    if cached is None:
        cached = [
            re.compile("^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")
            # The most literal path first: `/x/{id}/{doc}.pdf` before `/x/{id}/{step}`.
            for path in sorted(app.openapi().get("paths", {}), key=_literal_length, reverse=True)
        ]
        app.state.path_patterns = cached
    return cached


def _literal_length(path: str) -> int:
    return len(re.sub(r"\{\w+\}", "", path))


def _query_faults(query: bytes) -> Iterator[str]:
    if not query:
        return
    for name, value in parse_qsl(
        query.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace"
    ):
        if _IN_LINE.search(value) or _IN_LINE.search(name):
            yield _name(name)


def _form_faults(body: bytes) -> Iterator[str]:
    for name, value in parse_qsl(
        body.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace"
    ):
        if _IN_TEXT.search(value) or _IN_LINE.search(name):
            yield _name(name)


def _json_faults(body: bytes) -> Iterator[str]:
    if not _SUSPECT_JSON.search(body):
        return
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return  # the route answers 400: not JSON
    yield from _walk(value, [])


def _walk(value: Any, at: list[str]) -> Iterator[str]:
    if isinstance(value, str):
        if _IN_TEXT.search(value):
            yield ".".join(at) or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            if _IN_TEXT.search(key):
                yield ".".join(at) or "body"
                continue
            yield from _walk(item, [*at, key])
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk(item, [*at, str(i)])


def _name(name: str) -> str:
    """The parameter's name as the error gives it: never a control character, never long."""
    return name if not _IN_LINE.search(name) and len(name) <= 64 else "query"


async def _refuse(scope: Scope, receive: Receive, send: Send, fields: list[str]) -> None:
    errors = [{"row": 0, "field": f, "reason": REASON} for f in dict.fromkeys(fields)]
    response = problem(422, "the request holds a control character", errors=errors)
    await response(scope, receive, send)
