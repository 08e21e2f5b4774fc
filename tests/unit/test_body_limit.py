"""The body limit: a declared length is trusted only when it is the body's only framing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import Any

from xinyong.web.limits import BodyLimit


def run(headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> tuple[int, int]:
    """Send a body in `chunks` through a 100-byte limit; return (status, bytes the app read)."""
    read = 0
    sent: list[MutableMapping[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        nonlocal read
        while True:
            message = await receive()
            read += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]

    async def receive() -> MutableMapping[str, Any]:
        return messages.pop(0)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "path": "/api/v1/checks", "headers": headers}
    asyncio.run(BodyLimit(app, default=100, per_path={})(scope, receive, send))
    return sent[0]["status"], read


def test_a_body_within_its_declared_length_passes_untouched() -> None:
    assert run([(b"content-length", b"50")], [b"x" * 50]) == (200, 50)


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    assert run([(b"content-length", b"500")], [b"x" * 500]) == (413, 0)


def test_a_chunked_body_is_counted_even_when_it_also_declares_a_small_length() -> None:
    for headers in (
        [(b"content-length", b"10"), (b"transfer-encoding", b"chunked")],
        [(b"transfer-encoding", b"chunked"), (b"content-length", b"10")],
        [(b"transfer-encoding", b"chunked")],
    ):
        status, read = run(headers, [b"x" * 60, b"x" * 60, b"x" * 60])
        assert status == 413, headers
        assert read <= 100


def test_the_refusal_is_a_problem_that_states_the_limit() -> None:
    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    async def never(*_: Any) -> Any:  # neither the app nor its receive may be called
        raise AssertionError("the app must not be called")

    scope = {"type": "http", "path": "/x", "headers": [(b"content-length", b"101")]}
    asyncio.run(BodyLimit(never, default=100, per_path={})(scope, never, send))
    body = json.loads(sent[1]["body"])
    assert (body["status"], "100 bytes" in body["detail"]) == (413, True)
