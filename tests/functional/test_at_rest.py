"""Identifiers at rest: after the demo and a session of checks, reports and objections, no file
the platform wrote (database, write-ahead log, shared memory, log; on PostgreSQL every table
dumped as text) holds any citizen ID number, in full or as its 17 digits, nor any staff user's
TOTP secret (docs/at-rest.md)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from stdnum.cn import ric

from tests.conftest import empty_tables
from tests.factories import citizen_id
from tests.functional.conftest import settings_for
from tests.functional.helpers import run
from xinyong import bootstrap
from xinyong.db.engine import make_engine
from xinyong.db.schema import metadata
from xinyong.web.app import create_app

ID_LIKE = re.compile(rb"[0-9]{17}[0-9X]")


def numbers_in(folder: Path) -> set[str]:
    """Every well-formed citizen ID number in the files under `folder` (the demo's inputs)."""
    found: set[str] = set()
    for path in folder.rglob("*"):
        if path.is_file():
            for match in ID_LIKE.findall(path.read_bytes()):
                number = match.decode()
                if ric.calc_check_digit(number) == number[17]:
                    found.add(number)
    return found


def totp_secrets(folder: Path) -> list[str]:
    """The demo's console users' TOTP secrets (the demo keeps them, for the demo only)."""
    users = json.loads((folder / "demo-staff.json").read_text(encoding="utf-8"))
    return [str(user["totp_secret"]) for user in users]


def leaks(blob: bytes, numbers: set[str]) -> set[str]:
    """The numbers `blob` holds in full or as their 17-digit key (masked, as `…`)."""
    out = set()
    for number in numbers:
        if number[:17].encode() in blob:
            out.add(number[:6] + "…")
    return out


@pytest.fixture
def demo_database(
    request: pytest.FixtureRequest,
    database_url: str,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[str, Path, dict[str, str]]]:
    """The demo loaded into an empty database: its own SQLite file in `data/`, or the session's
    PostgreSQL database emptied first."""
    data = tmp_path / "data"
    data.mkdir()
    if engine.dialect.name == "sqlite":
        url = f"sqlite:///{data / 'xinyong.db'}"
    else:
        url = database_url
        empty_tables(engine)
    monkeypatch.setenv("XINYONG_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.chdir(tmp_path)
    result = run("demo", "--persons", "200", "--no-serve")
    assert result.exit_code == 0, result.output
    printed = " ".join(result.stdout.split())
    yield url, data, dict(re.findall(r"(\S+) key \([^)]*\): (xy_\S+)", printed))
    if engine.dialect.name != "sqlite":
        empty_tables(engine)


def scripted_session(
    url: str, tmp_path: Path, tokens: dict[str, str], snapshot: Callable[[], None]
) -> list[str]:
    """Checks, an agency's query, the person's report, query log and an objection, and a
    registration, through the API; return the numbers it used that the demo files did not.
    `snapshot` runs while the platform is still open (SQLite's -wal and -shm exist then)."""
    platform = bootstrap.build(settings_for(url))
    requests = tmp_path / "var" / "demo" / "requests"
    check = json.loads((requests / "check.json").read_text(encoding="utf-8"))
    unknown = [citizen_id() for _ in range(3)]
    try:
        client = TestClient(create_app(platform=platform), raise_server_exceptions=False)
        implementing = {"Authorization": f"Bearer {tokens['implementing-department']}"}
        for number in [check["subject"], *unknown]:
            answered = client.post(
                "/api/v1/checks", json={**check, "subject": number}, headers=implementing
            )
            assert answered.status_code == 200, answered.text
        agency = {"Authorization": f"Bearer {tokens['credit-agency']}"}
        body = json.loads((requests / "agency-query.json").read_text(encoding="utf-8"))
        queried = client.post("/api/v1/agency/queries", json=body, headers=agency)
        assert queried.status_code == 200, queried.text
        login = json.loads((requests / "session.json").read_text(encoding="utf-8"))
        session = client.post("/api/v1/sessions", json=login)
        assert session.status_code == 201, session.text
        person = {"Authorization": f"Bearer {session.json()['token']}"}
        report = client.get("/api/v1/me/report", headers=person)
        assert report.status_code == 200, report.text
        assert client.get("/api/v1/me/queries", headers=person).status_code == 200
        record_id = first_record_id(report.json())
        filed = client.post(
            "/api/v1/me/objections",
            json={"record_id": record_id, "ground": "error_or_omission", "reasons": "记载有误"},
            headers=person,
        )
        assert filed.status_code == 201, filed.text
        registered = client.post(
            "/api/v1/accounts",
            json={
                "number": unknown[0],
                "name": "张三",
                "phone": "13800138000",
                "password": "a long and unusual passphrase",
            },
        )
        assert registered.status_code == 201, registered.text
        client.close()
        snapshot()
    finally:
        platform.close()
    return unknown


def first_record_id(report: Any) -> int:
    """The id of a record the report shows (the first object with a `record_id` or a record)."""
    stack = [report]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("record_id"), int):
                return int(item["record_id"])
            if "document_number" in item and isinstance(item.get("id"), int):
                return int(item["id"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    raise AssertionError("the report shows no record")


def dump_tables(url: str, target: Path) -> None:
    """Every table's rows as stored (no column type reads them back), as text."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn, target.open("w", encoding="utf-8") as out:
            for table in metadata.sorted_tables:
                for row in conn.execute(text(f"SELECT * FROM {table.name}")):  # noqa: S608
                    out.write(f"{table.name}\t{tuple(row)}\n")
    finally:
        engine.dispose()


def test_no_file_the_platform_writes_holds_an_id_number(
    demo_database: tuple[str, Path, dict[str, str]], tmp_path: Path
) -> None:
    url, data, tokens = demo_database
    log = logging.FileHandler(data / "xinyong.log", encoding="utf-8")
    root = logging.getLogger()
    root.addHandler(log)
    level = root.level
    root.setLevel(logging.INFO)
    files: dict[str, bytes] = {}

    def snapshot() -> None:
        files.update({f"open:{p.name}": p.read_bytes() for p in data.iterdir() if p.is_file()})

    try:
        unknown = scripted_session(url, tmp_path, tokens, snapshot)
    finally:
        root.removeHandler(log)
        root.setLevel(level)
        log.close()
    if not url.startswith("sqlite"):
        dump_tables(url, data / "tables.txt")
    numbers = numbers_in(tmp_path / "var") | set(unknown)
    assert len(numbers) > 100

    files.update({p.name: p.read_bytes() for p in data.iterdir() if p.is_file()})
    found = {name: leaks(blob, numbers) for name, blob in files.items()}

    assert {name: sorted(hits) for name, hits in found.items() if hits} == {}
    secrets = totp_secrets(tmp_path / "var")
    assert len(secrets) == 3
    clear = {
        name: sorted(s[:4] + "…" for s in secrets if s.encode() in blob)
        for name, blob in files.items()
    }
    assert {name: hits for name, hits in clear.items() if hits} == {}
    if url.startswith("sqlite"):
        assert {"open:xinyong.db", "open:xinyong.db-wal", "open:xinyong.db-shm"} <= set(files)
    else:
        assert "tables.txt" in files
    assert "xinyong.log" in files
    verified = run("audit", "verify")  # the demo and the session left the chained logs whole
    assert verified.exit_code == 0, verified.output
