"""Security headers on every response: a content security policy, no framing, no sniffing, no
referrer (docs/security.md, Hostile input and output); and the headers of a download whose name
came from outside."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def script_hashes(pages: Iterable[str]) -> list[str]:
    """The CSP hash source of each inline script of these HTML pages (`'sha256-…'`)."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for page in pages
        for body in _INLINE_SCRIPT.findall(page)
    ]


def attachment(filename: str) -> dict[str, str]:
    """Headers that make a response a download under `filename` (a name a person chose: any
    character may be in it), never kept in a cache: an ASCII name for old clients, the name
    itself percent-encoded for the rest (RFC 6266)."""
    plain = re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("._") or "download"
    given = quote(filename, safe="")
    return {
        "Content-Disposition": f"attachment; filename=\"{plain}\"; filename*=UTF-8''{given}",
        "Cache-Control": "no-store",
    }


def policy(hashes: Iterable[str] = (), *, compiles: bool = False) -> str:
    """The content security policy: everything from this origin only, scripts only from files
    and the inline scripts whose hashes are given (Swagger UI's start-up), never framed.

    Styles allow inline: ReDoc and Swagger UI set styles at run time, and the report's and
    documents' templates carry their own stylesheet. `compiles` lets a page's scripts compile
    code (ReDoc's schema validator does): only the documentation page that needs it gets it.
    """
    scripts = " ".join(["'self'", *hashes, *(["'unsafe-eval'"] if compiles else [])])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _headers(csp: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", csp.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
    ]


class SecurityHeaders:
    """ASGI middleware: the same security headers on every HTTP response."""

    def __init__(self, app: ASGIApp, *, csp: str, per_path: Mapping[str, str]) -> None:
        self.app = app
        self.headers = _headers(csp)
        self.per_path = {path: _headers(own) for path, own in per_path.items()}
        self.names = {name for name, _ in self.headers}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        ours = self.per_path.get(scope["path"], self.headers)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k not in self.names]
                message = {**message, "headers": [*kept, *ours]}
            await send(message)

        await self.app(scope, receive, with_headers)
