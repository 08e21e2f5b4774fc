"""Checks over HTTP and through `xinyong check`: they follow a listing at once, and feedback."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import citizen_id, debtor_row
from tests.functional.helpers import KeyFor, UowFactory, auth, check, run, submit
from xinyong.domain.access import Scope


def test_a_listed_debtor_is_refused_a_flight_until_the_listing_ends(
    client: TestClient,
    court: dict[str, str],
    staff: dict[str, str],
    airline: dict[str, str],
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
    assert check(client, airline, number, "civil_service_recruitment")["measures"]

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

    checked = run(
        "check", "--matter", "flight", "--department", "BJ-CAAC-NC", "--json", "--subject", debtor
    )
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
        "check", "--matter", "flight", "--department", "BJ-CAAC-NC", "--json", "--subject", debtor
    )
    assert json.loads(again.stdout)["measures"] == []
