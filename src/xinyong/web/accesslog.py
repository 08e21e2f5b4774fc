"""The server's logging: one JSON line per event, written by a thread of its own.

A request on the hot path pays for a `LogRecord` and a queue put, nothing more: formatting,
encoding and writing happen on the listener's thread, which writes to a buffered stream and
flushes whenever the queue runs dry (so a quiet server's lines appear at once, a busy one's in
batches). uvicorn's own access log writes and flushes a formatted line on the event loop for
every request; `xinyong serve` turns it off and `AccessLog` logs each request instead.

An access line holds the method, the path without its query string, the status and the
duration. Paths never carry ID numbers (docs/architecture.md); a run of 15 or more digits in one
(a mistyped client putting a number where an id goes) is replaced by `*` all the same.
"""

from __future__ import annotations

import atexit
import io
import json
import logging
import queue
import re
import sys
import time
from datetime import UTC, datetime
from logging.handlers import QueueHandler, QueueListener
from typing import IO, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xinyong.web.errors import RedactIdentifiers

ACCESS = logging.getLogger("xinyong.access")

_NUMBER_LIKE = re.compile(r"\d{15,}[\dXx]?")

#: LogRecord attributes that are the record's own, not `extra` fields (uvicorn adds its message
#: again with terminal colours as `color_message`: not for a log file).
_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "color_message"}
)


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time, level, logger, message, and its `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "t": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD:
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class _Enqueue(QueueHandler):
    """Puts the record itself on the queue: no formatting on the caller's thread.

    The standard `QueueHandler.prepare` formats the message and copies the record before
    queueing it; the record's arguments here are plain values, so the listener can do both.
    """

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


class _BufferedLines(logging.Handler):
    """Writes formatted lines to a buffered stream; flushes when the queue has drained."""

    def __init__(self, stream: IO[str], pending: queue.SimpleQueue[Any]) -> None:
        super().__init__()
        self.stream = stream
        self.pending = pending

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.stream.write(self.format(record) + "\n")
            if self.pending.empty():
                self.stream.flush()
        except Exception:
            self.handleError(record)

    def flush(self) -> None:
        self.stream.flush()


_listener: QueueListener | None = None


def configure(level: str, *, stream: IO[str] | None = None) -> bool:
    """Send the process's logging through a queue to JSON lines on `stream` (standard error).

    Like `logging.basicConfig`, it does nothing when the root logger already has handlers (a test
    runner's, or an earlier call's); returns whether it configured.
    """
    global _listener
    root = logging.getLogger()
    if root.handlers:
        return False
    pending: queue.SimpleQueue[Any] = queue.SimpleQueue()
    if stream is None:
        stream = io.TextIOWrapper(
            io.BufferedWriter(io.FileIO(sys.stderr.fileno(), "w", closefd=False), 1 << 16),
            encoding="utf-8",
            errors="backslashreplace",
            write_through=False,
        )
    lines = _BufferedLines(stream, pending)
    lines.setFormatter(JsonFormatter())
    lines.addFilter(RedactIdentifiers())  # on the listener's thread: no identifier in any line
    _listener = QueueListener(pending, lines, respect_handler_level=False)
    _listener.start()
    root.addHandler(_Enqueue(pending))
    root.setLevel(level)
    atexit.register(stop)
    return True


def stop() -> None:
    """Write what is queued and stop the listener (at exit; idempotent)."""
    global _listener
    listener, _listener = _listener, None
    if listener is not None:
        listener.stop()
        for handler in listener.handlers:
            handler.flush()


def clean_path(path: str) -> str:
    """The path as logged: number-like runs of digits hidden."""
    return _NUMBER_LIKE.sub("*", path) if any(c.isdigit() for c in path) else path


class AccessLog:
    """ASGI middleware: one access line per HTTP request, at INFO, on `xinyong.access`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not ACCESS.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers if the app fails before it starts a response

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            ACCESS.info(
                "%s %s %d",
                scope["method"],
                clean_path(scope["path"]),
                status,
                extra={
                    "method": scope["method"],
                    "path": clean_path(scope["path"]),
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
