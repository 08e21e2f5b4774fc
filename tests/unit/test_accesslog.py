"""The server's logging: JSON lines from a queue, and `xinyong serve` without uvicorn's log."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest

from xinyong.cli import serve
from xinyong.web import accesslog


def test_a_record_becomes_one_json_line_with_its_extra_fields() -> None:
    record = logging.LogRecord("xinyong.access", logging.INFO, "", 0, "%s %d", ("GET", 200), None)
    record.status = 200
    record.color_message = "\x1b[36mGET\x1b[0m"  # uvicorn's coloured copy: left out
    line = json.loads(accesslog.JsonFormatter().format(record))
    assert "color_message" not in line
    assert line["msg"] == "GET 200"
    assert line["level"] == "INFO"
    assert line["logger"] == "xinyong.access"
    assert line["status"] == 200
    assert line["t"].endswith("+00:00")


def test_number_like_runs_are_hidden_in_logged_paths() -> None:
    assert accesslog.clean_path("/api/v1/records/42") == "/api/v1/records/42"
    assert accesslog.clean_path("/api/v1/subjects/11010519491231002X") == "/api/v1/subjects/*"
    assert accesslog.clean_path("/x/110105194912310") == "/x/*"
    assert accesslog.clean_path("/healthz") == "/healthz"


def test_configure_writes_lines_on_a_thread_and_stop_flushes_them() -> None:
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    root.handlers.clear()
    out = io.StringIO()
    try:
        assert accesslog.configure("INFO", stream=out)
        assert not accesslog.configure("INFO", stream=out)  # once, like basicConfig
        logging.getLogger("xinyong.test").info("hello %s", "world", extra={"n": 1})
        accesslog.stop()
        accesslog.stop()  # idempotent
    finally:
        root.handlers[:] = saved
        root.setLevel(level)
    (line,) = out.getvalue().splitlines()
    assert json.loads(line)["msg"] == "hello world"
    assert json.loads(line)["n"] == 1


def test_serve_turns_uvicorns_logging_off_for_the_queued_json_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append(k))
    # serve_app sets the public address it binds: unset again after the test
    monkeypatch.setenv("XINYONG_PUBLIC_URL", "http://127.0.0.1:0")
    serve.serve_app("127.0.0.1", 0, workers=1)
    (kwargs,) = calls
    assert kwargs["access_log"] is False
    assert kwargs["log_config"] is None
