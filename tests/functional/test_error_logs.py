"""No identifier in any log: a database error provoked through the served app, and an ID number
put in a URL, leave neither the number nor its 17-digit key in what the server logs."""

from __future__ import annotations

import io
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime

import httpx2 as httpx
import pytest
import uvicorn
from sqlalchemy import Engine, text

from tests.factories import citizen_id, penalty_row
from tests.functional.conftest import settings_for
from tests.functional.helpers import DEPARTMENT, auth
from xinyong import bootstrap
from xinyong.domain.access import Scope
from xinyong.web import accesslog
from xinyong.web.app import create_app

KeyFor = Callable[..., str]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(
    database_url: str, clock: Callable[[], datetime], seeded: object
) -> Iterator[tuple[str, io.StringIO]]:
    """The app served by uvicorn as `xinyong serve` serves it (the app's own logging, uvicorn's
    access log off), in a thread of this process, and what that logging writes."""
    logged = io.StringIO()
    root = logging.getLogger()
    kept = root.handlers[:]
    root.handlers.clear()  # the test runner's: the app configures only an unconfigured process
    assert accesslog.configure("INFO", stream=logged)
    platform = bootstrap.build(settings_for(database_url, access_log=True), clock=clock)
    port = _free_port()
    config = uvicorn.Config(
        create_app(platform=platform),
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)  # waiting for start-up, not timing anything
        yield f"http://127.0.0.1:{port}", logged
    finally:
        server.should_exit = True
        thread.join()
        platform.close()
        accesslog.stop()
        root.handlers[:] = kept


def test_a_database_error_and_an_id_number_in_a_url_leave_no_identifier_in_the_log(
    served: tuple[str, io.StringIO], engine: Engine, key_for: KeyFor
) -> None:
    url, log = served
    number = citizen_id()
    while not number.isdigit():  # all digits, so that the path below reaches the route (404)
        number = citizen_id()
    headers = auth(key_for([Scope.RECORDS_WRITE, Scope.RECORDS_READ], DEPARTMENT))
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE subjects RENAME TO subjects_away"))
    try:
        failed = httpx.post(
            f"{url}/api/v1/records",
            json=penalty_row(subject_id=number),
            headers=headers,
            timeout=60,
        )
    finally:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE subjects_away RENAME TO subjects"))
    assert failed.status_code == 500
    assert number not in failed.text

    in_url = httpx.get(f"{url}/api/v1/records/{number}", headers=headers, timeout=60)
    assert in_url.status_code == 404
    assert number not in in_url.text

    accesslog.stop()  # writes out what is queued
    logged = log.getvalue()
    assert "Exception in ASGI application" in logged  # the traceback was logged, and scanned
    assert '"/api/v1/records/' in logged  # so was the access log's line
    assert "[parameters:" not in logged  # the engine hides them, whatever else they hold
    assert number not in logged
    assert number[:17] not in logged
