"""Checks over HTTP and through `xinyong check`: they follow a listing at once, and feedback."""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, make_url

from tests.factories import citizen_id, debtor_row
from tests.functional.conftest import settings_for
from tests.functional.consoles import sign_in
from tests.functional.helpers import (
    BAD_CHECK_CHARACTER,
    KeyFor,
    UowFactory,
    auth,
    check,
    masked,
    run,
    screen,
    submit,
    words,
)
from xinyong import bootstrap
from xinyong.db.engine import query_log_file
from xinyong.domain.access import ROLE_SCOPES, Role, Scope
from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.web.app import create_app


def test_a_listed_debtor_is_refused_a_flight_until_the_listing_ends(
    client: TestClient,
    court: dict[str, str],
    staff: dict[str, str],
    airline: dict[str, str],
    recruiter: dict[str, str],
    seeded: UowFactory,
) -> None:
    number = citizen_id(born=date(1975, 3, 9))
    submit(client, court, debtor_row(subject_id=number))
    listed = client.post(
        "/api/v1/lists/decided",
        json={
            "list_type": "COURT-DEBTORS",
            "subject": number,
            "grounds": "北京市高级人民法院 （2026）京执00001号",
            "decided_on": "2026-10-15",
        },
        headers=court,
    )
    assert listed.status_code == 201, listed.text
    entry = listed.json()
    assert entry["state"] == "decided"
    assert number not in listed.text  # masked
    assert entry["ends_on"] == "2028-10-15"

    first = check(client, airline, number, "flight")
    assert [m["code"] for m in first["measures"]] == ["M-COURT-FLIGHT"]
    flight = first["measures"][0]
    assert flight["legal_basis"]
    assert "法释〔2015〕17号" in flight["legal_basis"][0]
    assert flight["triggered_by"]["id"] == entry["id"]
    assert flight["triggered_by"]["list_type"] == "COURT-DEBTORS"
    assert flight["triggered_by"]["list_legal_basis"]
    assert flight["under_objection"] is False
    assert first["subject"] == f"{number[:10]}****{number[14:]}"
    assert check(client, recruiter, number, "civil_service_recruitment")["measures"]

    ended = client.post(
        f"/api/v1/lists/entries/{entry['id']}/exit",
        json={"ground": "performance", "note": "paid in full"},
        headers=court,
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["state"] == "exited"
    after = check(client, airline, number, "flight")
    assert after["measures"] == []
    assert after["id"] != first["id"]
    with seeded() as uow:
        assert uow.queries.count("check") == 3  # every check is on the person's file


def test_feedback_says_what_the_department_did(
    client: TestClient,
    court: dict[str, str],
    airline: dict[str, str],
    key_for: KeyFor,
) -> None:
    number = citizen_id(born=date(1966, 7, 7))
    submit(client, court, debtor_row(subject_id=number))
    client.post(
        "/api/v1/lists/decided",
        json={
            "list_type": "COURT-DEBTORS",
            "subject": number,
            "grounds": "court decision",
            "decided_on": "2026-10-15",
        },
        headers=court,
    ).raise_for_status()
    answer = check(client, airline, number, "flight")
    url = f"/api/v1/checks/{answer['id']}/feedback"

    no_reason = client.post(
        url, json={"measure": "M-COURT-FLIGHT", "applied": False}, headers=airline
    )
    assert no_reason.status_code == 422
    unknown = client.post(
        url, json={"measure": "M-COURT-G-TRAIN", "applied": True}, headers=airline
    )
    assert unknown.status_code == 422
    other = auth(key_for([Scope.CHECKS_RUN], "BJ-TAX"))
    assert (
        client.post(
            url, json={"measure": "M-COURT-FLIGHT", "applied": True}, headers=other
        ).status_code
        == 404
    )

    given = client.post(url, json={"measure": "M-COURT-FLIGHT", "applied": True}, headers=airline)
    assert given.status_code == 201, given.text
    assert given.json()["applied"] is True
    again = client.post(url, json={"measure": "M-COURT-FLIGHT", "applied": True}, headers=airline)
    assert again.status_code == 409


def test_a_bad_check_is_a_clear_problem_that_never_echoes_the_number(
    client: TestClient, airline: dict[str, str]
) -> None:
    bad = "11010519491231002Y"
    response = client.post(
        "/api/v1/checks", json={"subject": bad, "matter": "flight"}, headers=airline
    )
    assert response.status_code == 422
    assert "check character" in response.json()["detail"]
    assert bad not in response.text
    unknown = client.post(
        "/api/v1/checks", json={"subject": citizen_id(), "matter": "yacht"}, headers=airline
    )
    assert unknown.status_code == 404
    assert "flight" in unknown.json()["detail"]  # it lists the matters there are


def test_a_malformed_check_is_a_problem_naming_what_is_wrong(
    client: TestClient, airline: dict[str, str]
) -> None:
    url = "/api/v1/checks"
    number = citizen_id()

    def problem(response: Any, status: int) -> dict[str, Any]:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        body: dict[str, Any] = response.json()
        assert body["status"] == status
        assert number not in response.text
        return body

    json_type = {**airline, "Content-Type": "application/json"}
    not_json = client.post(url, content=f'{{"subject": "{number}", ', headers=json_type)
    assert problem(not_json, 400)["errors"][0]["reason"].startswith("malformed JSON")
    missing = client.post(url, json={"subject": number}, headers=airline)
    assert [e["field"] for e in problem(missing, 422)["errors"]] == ["matter"]
    too_long = client.post(url, json={"subject": "1" * 41, "matter": "flight"}, headers=airline)
    assert [e["field"] for e in problem(too_long, 422)["errors"]] == ["subject"]
    as_form = client.post(url, data={"subject": number, "matter": "flight"}, headers=airline)
    problem(as_form, 415)
    body = f'{{"subject": "{number}", "matter": "flight"}}'
    for media in ("application/vnd.api+json", "application/json; charset=utf-8"):
        typed = client.post(url, content=body, headers={**airline, "Content-Type": media})
        assert typed.status_code == 200, typed.text
    padded = {"subject": number, "matter": "flight", "pad": "x" * 70_000}
    problem(client.post(url, json=padded, headers=airline), 413)
    # Who is asking is settled first: without a key, a bad body is still a 401.
    problem(client.post(url, content="{", headers={"Content-Type": "application/json"}), 401)


# xinyong lists court-sync, xinyong check


def test_a_court_record_becomes_a_listing_that_checks_see_until_it_ends(debtor: str) -> None:
    synced = run("lists", "court-sync")
    assert synced.exit_code == 0, synced.output
    assert "1 listings recorded" in synced.output
    assert run("lists", "court-sync").output.startswith("0 listings")

    checked = run("check", "--matter", "flight", "--department", "BJ-CAAC-NC", "--json", debtor)
    assert checked.exit_code == 0, checked.output
    answer = json.loads(checked.stdout)
    assert [m["code"] for m in answer["measures"]] == ["M-COURT-FLIGHT"]
    assert debtor not in checked.stdout  # masked
    entry = answer["measures"][0]["entry"]

    shown = run("lists", "entry", str(entry))
    assert "COURT-DEBTORS" in shown.output
    assert "decided" in shown.output
    ended = run("lists", "exit", str(entry), "--ground", "performance")
    assert ended.exit_code == 0, ended.output
    again = run(
        "check", "--matter", "flight", "--department", "BJ-CAAC-NC", "--json", stdin=debtor + "\n"
    )
    assert json.loads(again.stdout)["measures"] == []


CHECK_FLIGHT = ("check", "--matter", "flight", "--department", "BJ-CAAC-NC")


def test_check_reads_many_numbers_from_standard_input_one_a_line(
    debtor: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Each line is checked and logged; a bad line is named by its number, never echoed."""
    run("lists", "court-sync")
    clear = citizen_id(born=date(1990, 3, 3))
    caplog.set_level(logging.DEBUG)

    result = run(*CHECK_FLIGHT, "--json", stdin=f"{debtor}\n\n {clear} \n{BAD_CHECK_CHARACTER}\n")

    assert result.exit_code == 1, result.output
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert [[m["code"] for m in a["measures"]] for a in answers] == [["M-COURT-FLIGHT"], []]
    assert [a["subject"] for a in answers] == [masked(debtor), masked(clear)]
    assert "line 4: subject: not a citizen ID number or credit code" in words(result.stderr)
    for number in (debtor, clear, BAD_CHECK_CHARACTER):
        assert number not in result.output
        assert number not in caplog.text  # nor in any log


def test_check_without_any_number_is_an_error(migrated: str) -> None:
    result = run(*CHECK_FLIGHT, stdin="\n")

    assert result.exit_code == 2
    assert "no number given" in words(result.stderr)


def test_check_by_a_department_the_platform_does_not_know_names_the_department(
    migrated: str,
) -> None:
    """It blamed the matter: "matter: NOPE does not check for flight; its matters are none"."""
    result = run("check", "--matter", "flight", "--department", "NOPE", stdin=citizen_id() + "\n")

    assert result.exit_code != 0
    said = words(result.stderr)
    assert "department: NOPE is not a department of this platform" in said
    assert "matter:" not in said


def test_check_reading_from_a_pipe_prints_no_warning(migrated: str) -> None:
    """Asked for with a hidden prompt, a piped number drew Python's GetPassWarning and an
    "input may be echoed" line; the number is read from the pipe instead (a real process: the
    test runner fakes the prompt)."""
    result = subprocess.run(
        [sys.executable, "-W", "default", "-m", "xinyong", *CHECK_FLIGHT],
        input=citizen_id() + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "no measure applies" in result.stdout


def test_a_department_checks_only_for_the_matters_of_its_mandate(
    client: TestClient,
    court: dict[str, str],
    airline: dict[str, str],
    recruiter: dict[str, str],
    seeded: UowFactory,
) -> None:
    """The civil-aviation desk checks for flights, not for recruitment, loans or house
    purchases; each refusal is a 403 problem and is audited (docs/domain.md §8)."""
    number = citizen_id(born=date(1975, 3, 9))
    submit(client, court, debtor_row(subject_id=number))
    for matter in ("civil_service_recruitment", "bank_loan_review", "real_estate_purchase"):
        refused = client.post(
            "/api/v1/checks", json={"subject": number, "matter": matter}, headers=airline
        )
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "BJ-CAAC-NC does not check for" in refused.json()["detail"]
        assert number not in refused.text
    screened = screen(client, airline, f"number\n{number}\n", "civil_service_recruitment")
    assert screened.status_code == 403, screened.text
    assert check(client, recruiter, number, "civil_service_recruitment")["measures"] == []
    with seeded() as uow:
        assert uow.audit.count("mandate:refused") == 4
        assert uow.queries.count("check") == 1  # only the check within the mandate was answered


URL = "/api/v1/checks"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _requests(listed: str, checker: str, reader: str) -> dict[str, dict[str, Any]]:
    """Named requests: each a set of keyword arguments for `TestClient.post`."""
    key = _bearer(checker)
    return {
        "listed person": {"json": {"subject": listed, "matter": "flight"}, "headers": key},
        "clear person": {"json": {"subject": citizen_id(), "matter": "flight"}, "headers": key},
        "not listed for this matter": {
            "json": {"subject": listed, "matter": "administrative_permit"},
            "headers": key,
        },
        "unknown matter": {"json": {"subject": listed, "matter": "moon-landing"}, "headers": key},
        "invalid number": {"json": {"subject": "110105198013", "matter": "flight"}, "headers": key},
        "no key": {"json": {"subject": listed, "matter": "flight"}},
        "unknown key": {
            "json": {"subject": listed, "matter": "flight"},
            "headers": _bearer("xy_00000000_not-a-key"),
        },
        "key without the scope": {
            "json": {"subject": listed, "matter": "flight"},
            "headers": _bearer(reader),
        },
        "text body": {
            "content": b"subject=1&matter=flight",
            "headers": {**key, "Content-Type": "text/plain"},
        },
        "malformed json": {
            "content": b'{"subject": ',
            "headers": {**key, "Content-Type": "application/json"},
        },
        "empty body": {"content": b"", "headers": {**key, "Content-Type": "application/json"}},
        "wrong shape": {"json": {"subject": listed}, "headers": key},
        "extra json type": {
            "content": b'{"subject": "x", "matter": "flight"}',
            "headers": {**key, "Content-Type": "application/problem+json"},
        },
        "too large": {
            "content": b'{"subject": "' + b"1" * 70_000 + b'", "matter": "flight"}',
            "headers": {**key, "Content-Type": "application/json"},
        },
    }


def _answer(response: Any) -> tuple[int, str, str | None, Any]:
    body = response.json()
    if response.status_code == 200:
        body = {k: v for k, v in body.items() if k != "id"}  # each check gets its own id
    return (
        response.status_code,
        response.headers["content-type"],
        response.headers.get("www-authenticate"),
        body,
    )


def test_the_fast_path_and_ordinary_routing_answer_alike(
    make_client: Callable[..., TestClient], key_for: KeyFor
) -> None:
    fast, ordinary = make_client(), make_client(fast_checks=False)
    court = _bearer(key_for(ROLE_SCOPES[Role.SOURCE_DEPARTMENT], "BJ-HCOURT"))
    row = debtor_row()
    assert fast.post("/api/v1/records", json=row, headers=court).status_code == 201
    listing = {
        "list_type": "COURT-DEBTORS",
        "subject": row["subject_id"],
        "grounds": "court decision",
        "decided_on": "2026-10-15",
    }
    assert fast.post("/api/v1/lists/decided", json=listing, headers=court).status_code == 201
    requests = _requests(
        str(row["subject_id"]),
        key_for(ROLE_SCOPES[Role.IMPLEMENTING_DEPARTMENT], "BJ-CAAC-NC"),
        key_for([Scope.CATALOG_READ], "BJ-CAAC-NC"),
    )
    statuses: set[int] = set()
    answers = {}
    for name, request in requests.items():
        a, b = _answer(fast.post(URL, **request)), _answer(ordinary.post(URL, **request))
        assert a == b, name
        statuses.add(a[0])
        answers[name] = a
    assert [m["code"] for m in answers["listed person"][3]["measures"]] == ["M-COURT-FLIGHT"]
    # The matrix reaches every way a check can end.
    assert statuses >= {200, 400, 401, 403, 404, 413, 415, 422}


@pytest.mark.parametrize("fast_checks", [True, False])
def test_both_ways_log_every_answered_check(
    make_client: Callable[..., TestClient], key_for: KeyFor, fast_checks: bool
) -> None:
    client = make_client(fast_checks=fast_checks)
    key = _bearer(key_for(ROLE_SCOPES[Role.IMPLEMENTING_DEPARTMENT], "BJ-CAAC-NC"))
    ids = {
        client.post(URL, json={"subject": citizen_id(), "matter": "flight"}, headers=key).json()[
            "id"
        ]
        for _ in range(3)
    }
    assert len(ids) == 3


def test_a_check_writes_one_access_line_without_the_number(
    client: TestClient, airline: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    number = citizen_id(born=date(1980, 1, 2))
    with caplog.at_level(logging.INFO, logger="xinyong.access"):
        check(client, airline, number, "flight")
        client.get("/healthz?probe=" + number)
    lines = [r for r in caplog.records if r.name == "xinyong.access"]
    assert [(r.method, r.path, r.status) for r in lines] == [  # type: ignore[attr-defined]
        ("POST", "/api/v1/checks", 200),
        ("GET", "/healthz", 200),
    ]
    assert all(r.ms >= 0 for r in lines)  # type: ignore[attr-defined]
    assert not any(number in r.getMessage() for r in lines)


def test_a_check_is_logged_and_answered_while_a_batch_holds_its_write_transaction(
    database_url: str,
    engine: Engine,
    clock: Callable[[], datetime],
    seeded: UowFactory,
    airline: dict[str, str],
) -> None:
    """A batch chunk holds main's write lock from its first statement to its commit. On SQLite
    the query log is a file of its own (db/engine.py), so the check's log line commits and the
    answer leaves while that transaction is still open (docs/scale.md). The busy timeout is
    short: a check that waited for the lock would fail with "database is locked", not hang."""
    platform = bootstrap.build(settings_for(database_url), clock=clock)
    sqlite = platform.engine.dialect.name == "sqlite"
    if sqlite:
        event.listen(platform.engine, "connect", _short_busy_timeout)
    client = TestClient(create_app(platform=platform), raise_server_exceptions=False)
    number = citizen_id(born=date(1980, 1, 2))
    try:
        with seeded() as chunk:  # written, not committed: its write lock is held
            chunk.audit.add(AuditEvent(EventTag.BATCH_PROGRESSED, "batch", "batch", "1", clock()))
            chunk.session.flush()
            if sqlite:  # the lock is held: another writer of main would fail
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    _begin_main_write(engine)
            answered = client.post(
                "/api/v1/checks", json={"subject": number, "matter": "flight"}, headers=airline
            )
            assert answered.status_code == 200, answered.text
            query_id = answered.json()["id"]
            with platform.read_uow() as reader:  # committed before the transaction ended
                assert reader.queries.get(query_id).kind == "check"
    finally:
        client.close()
        platform.close()


def test_on_sqlite_the_query_log_is_in_its_own_file_beside_the_main_one(
    database_url: str, client: TestClient, airline: dict[str, str], seeded: UowFactory
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the query log's own file is SQLite's")
    main = make_url(database_url).database
    assert main
    ids = [check(client, airline, citizen_id(), "flight")["id"] for _ in range(3)]
    log = sqlite3.connect(query_log_file(main))
    try:
        assert [i for (i,) in log.execute("SELECT id FROM queries ORDER BY id")] == ids
        assert log.execute("SELECT count(*) FROM check_feedback").fetchone() == (0,)
    finally:
        log.close()
    own = sqlite3.connect(main)
    try:  # main holds no query log of its own
        names = {n for (n,) in own.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert names.isdisjoint({"queries", "check_feedback"})
        assert "credit_records" in names
    finally:
        own.close()


def _short_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA busy_timeout=200")


def _begin_main_write(engine: Engine) -> None:
    """Begin writing main on a connection of its own that does not wait."""
    main = make_url(str(engine.url)).database
    assert main
    other = sqlite3.connect(main, timeout=0.05, isolation_level=None)
    try:
        other.execute("BEGIN")
        other.execute("DELETE FROM alembic_version WHERE 0")
    finally:
        other.close()


def _hold_main_write(url: str) -> sqlite3.Connection:
    """An open transaction that has written main (its write lock held until rolled back)."""
    main = make_url(url).database
    assert main
    holder = sqlite3.connect(main, timeout=0.05, isolation_level=None)
    holder.execute("BEGIN")
    holder.execute("DELETE FROM alembic_version WHERE 0")
    return holder


def test_a_console_check_is_logged_and_answered_while_a_batch_holds_its_write_transaction(
    database_url: str, clock: Callable[[], datetime], seeded: UowFactory
) -> None:
    """The counter's check from the console goes through the check path's query-log writer,
    as the API's does: on SQLite it never waits for a batch's lock on main."""
    if not database_url.startswith("sqlite"):
        pytest.skip("the query log's own file is SQLite's")
    platform = bootstrap.build(settings_for(database_url), clock=clock)
    event.listen(platform.engine, "connect", _short_busy_timeout)
    client = TestClient(create_app(platform=platform), raise_server_exceptions=False)
    try:
        me = sign_in(client, "desk.caac", Role.IMPLEMENTING_DEPARTMENT, "BJ-CAAC-NC")
        holder = _hold_main_write(database_url)
        try:
            ran = client.post(
                "/console/checks",
                data={"number": citizen_id(), "matter": "flight", "csrf": me.csrf},
                follow_redirects=False,
            )
            assert ran.status_code == 303, ran.text
            query_id = int(ran.headers["location"].rsplit("/", 1)[1])
            with platform.read_uow() as reader:  # committed before the batch's transaction ended
                assert reader.queries.get(query_id).kind == "check"
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    finally:
        client.close()
        platform.close()


def test_a_command_line_check_is_answered_while_a_batch_holds_its_write_transaction(
    debtor: str, database: str
) -> None:
    """`xinyong check` logs as the server does: never behind a batch's lock on main (SQLite
    waits up to its busy timeout of 30 s for a lock, so a check that queued would not finish
    within the join below)."""
    assert run("lists", "court-sync").exit_code == 0
    holder = _hold_main_write(database)
    results: list[Any] = []
    try:
        worker = threading.Thread(
            target=lambda: results.append(run(*CHECK_FLIGHT, "--json", debtor)), daemon=True
        )
        worker.start()
        worker.join(timeout=20)
        assert results, "the check waited for the batch's write lock"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert results[0].exit_code == 0, results[0].output
    assert [m["code"] for m in json.loads(results[0].stdout)["measures"]] == ["M-COURT-FLIGHT"]
