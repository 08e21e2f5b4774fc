"""Checks on several server processes: each holds its own listing index and follows the change
log, so a listing made through one process is seen by every other on its next check.

Two real `xinyong serve` processes on one database (SQLite file, or PostgreSQL), no shared memory.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PG_URL, _drop_postgres, _fresh_postgres
from tests.factories import citizen_id, debtor_row
from xinyong.db.engine import make_engine
from xinyong.db.migrate import upgrade
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain.access import ROLE_SCOPES, Role
from xinyong.domain.policy import Policy
from xinyong.services import departments, keys

pytestmark = pytest.mark.slow

XINYONG = str(Path(sys.executable).with_name("xinyong"))


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path, policy: Policy) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'two.db'}"
    else:
        assert PG_URL
        url = _fresh_postgres(PG_URL, suffix="two")
    engine = make_engine(url)
    upgrade(engine)
    departments.sync_departments(
        partial(SqlUnitOfWork, make_session_factory(engine))(), policy.departments, actor="t"
    )
    engine.dispose()
    yield url
    if request.param == "postgresql":
        assert PG_URL
        _drop_postgres(PG_URL, url)


def _key(url: str, role: Role, department: str) -> dict[str, str]:
    engine = make_engine(url)
    try:
        token = keys.create_api_key(
            partial(SqlUnitOfWork, make_session_factory(engine))(),
            label="t",
            scopes=ROLE_SCOPES[role],
            department=department,
            actor="t",
        )
    finally:
        engine.dispose()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def servers(database: str, tmp_path: Path) -> Iterator[list[str]]:
    """Two server processes on the one database."""
    env = {**os.environ, "XINYONG_DATABASE_URL": database, "XINYONG_PDF_PROCESSES": "0"}
    started: list[tuple[subprocess.Popen[bytes], str]] = []
    try:
        for n in range(2):
            port = _port()
            with (tmp_path / f"server-{n}.log").open("wb") as log:
                process = subprocess.Popen(
                    [XINYONG, "serve", "--port", str(port)], env=env, stdout=log, stderr=log
                )
            started.append((process, f"http://127.0.0.1:{port}"))
        for process, base in started:
            _wait_up(process, base)
        yield [base for _, base in started]
    finally:
        for process, _ in started:
            process.terminate()
            process.wait(timeout=30)


def _call(
    url: str, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """(status, JSON body) of a GET, or of a POST when a body is given."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - the test's own loopback servers
        url, data=data, headers={**(headers or {}), "Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _wait_up(process: subprocess.Popen[bytes], base: str) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise AssertionError("a server stopped at start")
        try:
            if _call(base + "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("a server did not start")


def _checked(base: str, headers: dict[str, str], number: str) -> list[Any]:
    status, answer = _call(
        base + "/api/v1/checks", {"subject": number, "matter": "flight"}, headers
    )
    assert status == 200, answer
    return [m["code"] for m in answer["measures"]]


def test_a_listing_made_through_one_process_is_seen_by_each_on_its_next_check(
    database: str, servers: list[str]
) -> None:
    first, second = servers
    court = _key(database, Role.SOURCE_DEPARTMENT, "BJ-HCOURT")
    airline = _key(database, Role.IMPLEMENTING_DEPARTMENT, "BJ-CAAC-NC")
    number = citizen_id(born=date(1976, 5, 4))
    # Each process has built its index and answers "nothing applies".
    assert _checked(first, airline, number) == []
    assert _checked(second, airline, number) == []

    decided = date.today() - timedelta(days=10)  # noqa: DTZ011 - the servers' own clock
    status, stored = _call(
        first + "/api/v1/records",
        debtor_row(subject_id=number, decision_date=decided.isoformat()),
        court,
    )
    assert status in (200, 201), stored
    status, listed = _call(
        first + "/api/v1/lists/decided",
        {
            "list_type": "COURT-DEBTORS",
            "subject": number,
            "grounds": "北京市高级人民法院 （2026）京执00001号",
            "decided_on": decided.isoformat(),
        },
        court,
    )
    assert status == 201, listed

    # The process that did not make the listing sees it on its very next check, as does the one
    # that did: each follows the change log before it answers.
    assert _checked(second, airline, number) == ["M-COURT-FLIGHT"]
    assert _checked(first, airline, number) == ["M-COURT-FLIGHT"]
