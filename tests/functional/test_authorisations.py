"""Agency queries over HTTP, under the person's authorisation; every query is logged."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient

from tests.conftest import Clock
from tests.factories import citizen_id, penalty_row
from tests.functional.helpers import (
    AGENCY,
    PROBLEM,
    Headers,
    agency_query,
    authorise_agency,
    feed,
    log_in,
    masked,
    object_to,
    on,
    report,
    sign_up,
    submit,
)


def test_an_agency_queries_only_under_a_live_authorisation_and_every_query_is_logged(
    client: TestClient, amr: Headers, agency: Headers, clock: Clock
) -> None:
    number, name = citizen_id(born=date(1982, 4, 1)), "王秀英"
    record = submit(client, amr, penalty_row(subject_id=number, subject_name=name))
    person = sign_up(client, number, name)
    today = date(2026, 11, 20)

    refused = agency_query(client, agency, number)
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith(PROBLEM)
    assert "refused and logged" in refused.json()["detail"]
    assert number not in refused.text
    log = [q for q in report(client, person)["queries"] if q["kind"].startswith("agency")]
    assert [(q["kind"], q["returned"], q["purpose"]) for q in log] == [
        ("agency_refused", "refused", "loan_approval")
    ]
    assert log[0]["who"] == "示例个人征信机构（演示）"

    authorisation = authorise_agency(client, person, today + timedelta(days=30))
    assert authorisation["live"] is True

    answered = agency_query(client, agency, number)
    assert answered.status_code == 200, answered.text
    body = answered.json()
    assert body["authorisation"] == authorisation["id"]
    assert body["subject"] == masked(number)
    assert [r["id"] for r in body["records"]] == [record]
    assert number not in answered.text
    log = [q for q in report(client, person)["queries"] if q["kind"].startswith("agency")]
    assert [(q["kind"], q["returned"]) for q in log] == [  # newest first
        ("agency", f"record@{record}"),
        ("agency_refused", "refused"),
    ]
    assert log[0]["authority"] == f"authorisation {authorisation['id']}"

    revoked = client.post(
        f"/api/v1/me/authorisations/{authorisation['id']}/revocation", headers=person.headers
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["live"] is False
    assert agency_query(client, agency, number).status_code == 403
    again = client.post(
        f"/api/v1/me/authorisations/{authorisation['id']}/revocation", headers=person.headers
    )
    assert again.status_code == 409

    authorise_agency(client, person, today + timedelta(days=30))
    clock.at = on(today + timedelta(days=30))  # its last day
    assert agency_query(client, agency, number).status_code == 200
    clock.at = on(today + timedelta(days=31))
    assert agency_query(client, agency, number).status_code == 403
    log_in(client, person)  # the API token of 30 days ago has lapsed
    listed = client.get("/api/v1/me/authorisations", headers=person.headers)
    assert [a["live"] for a in listed.json()] == [False, False]
    log = [q for q in report(client, person)["queries"] if q["kind"].startswith("agency")]
    assert [q["kind"] for q in log] == [
        "agency_refused",
        "agency",
        "agency_refused",
        "agency",
        "agency_refused",
    ]


def test_authorisations_are_refused_when_they_make_no_sense(
    client: TestClient, amr: Headers, agency: Headers
) -> None:
    number, name = citizen_id(born=date(1983, 5, 1)), "王秀英"
    record = submit(client, amr, penalty_row(subject_id=number, subject_name=name))
    person = sign_up(client, number, name)
    grant = {"grantee": AGENCY, "purpose": "loan_approval", "scope": "report"}
    for bad in (
        {"expires_on": "2026-11-19"},  # the past
        {"expires_on": "2027-11-21"},  # more than 12 months ahead
        {"expires_on": "2026-12-20", "scope": "everything"},
        {"expires_on": "2026-12-20", "purpose": "  "},
    ):
        response = client.post(
            "/api/v1/me/authorisations", json={**grant, **bad}, headers=person.headers
        )
        assert response.status_code == 422, (bad, response.text)
    unknown = client.post(
        "/api/v1/me/authorisations",
        json={**grant, "grantee": "AGENCY-NOBODY", "expires_on": "2026-12-20"},
        headers=person.headers,
    )
    assert unknown.status_code == 404
    other = client.post(
        "/api/v1/me/authorisations",
        json={**grant, "scope": "lists", "expires_on": "2026-12-20"},
        headers=person.headers,
    )
    assert other.status_code == 201
    # An authorisation for lists does not open the report.
    assert agency_query(client, agency, number).status_code == 403
    # A party that was refused received nothing: it hears nothing of what becomes of the file.
    object_to(client, person, record)
    assert feed(client, agency) == []
