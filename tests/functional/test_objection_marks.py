"""The "under objection" mark (异议处理中) wherever a record or a listing resting on it is used
while an objection is open: the recipients of those listings told once each, the screening
CSV's last column, the console's check page, the records API and `xinyong lists`.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Clock
from tests.factories import citizen_id, debtor_row
from tests.functional.helpers import (
    AGENCY,
    Headers,
    Person,
    agency_query,
    check,
    feed,
    object_to,
    record_listing,
    sign_up,
    submit,
)


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands run by the tests reach the test's database."""
    monkeypatch.setenv("XINYONG_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")


def grant(client: TestClient, person: Person, clock: Clock) -> None:
    """The person authorises the agency to query their report for a month."""
    granted = client.post(
        "/api/v1/me/authorisations",
        json={
            "grantee": AGENCY,
            "purpose": "loan_approval",
            "scope": "report",
            "expires_on": (clock().date() + timedelta(days=30)).isoformat(),
        },
        headers=person.headers,
    )
    assert granted.status_code == 201, granted.text


def told(client: TestClient, headers: Headers) -> list[tuple[str, str, int]]:
    return [(i["kind"], i["entity_type"], i["entity_id"]) for i in feed(client, headers)]


def decide(client: TestClient, objection: int, staff: Headers, court: Headers) -> None:
    forwarded = client.post(f"/api/v1/objections/{objection}/forwarding", headers=staff)
    assert forwarded.status_code == 200, forwarded.text
    decided = client.post(
        f"/api/v1/objections/{objection}/decision",
        json={"outcome": "reject", "reasons": "执行依据记载无误"},
        headers=court,
    )
    assert decided.status_code == 200, decided.text


# -- the recipients of listings resting on the record are told, once each ----------------------


def test_the_recipients_of_a_listing_resting_on_the_record_are_told_once_each(
    client: TestClient,
    clock: Clock,
    court: Headers,
    airline: Headers,
    agency: Headers,
    amr: Headers,
    staff: Headers,
) -> None:
    number, name = citizen_id(born=date(1971, 4, 8)), "赵志刚"
    debt = submit(client, court, debtor_row(subject_id=number, subject_name=name))
    listed = record_listing(client, court, number)
    assert listed.status_code == 201, listed.text
    entry = int(listed.json()["id"])
    person = sign_up(client, number, name)
    grant(client, person, clock)
    # The airline received the listing twice (two checks), never the record; the agency
    # received the record and the listing resting on it in one answer.
    for _ in range(2):
        [flight] = check(client, airline, number, "flight")["measures"]
        assert flight["triggered_by"]["id"] == entry
    answered = agency_query(client, agency, number)
    assert answered.status_code == 200, answered.text
    assert debt in {r["id"] for r in answered.json()["records"]}
    assert entry in {e["id"] for e in answered.json()["entries"]}

    objection = object_to(client, person, debt)["id"]

    assert told(client, airline) == [("under_objection", "list_entry", entry)]
    assert told(client, agency) == [("under_objection", "record", debt)]
    assert told(client, amr) == []  # it received nothing about the person
    [item] = feed(client, airline)
    assert "JUD-DEBTOR-01" in item["detail"]  # which record the listing rests on
    assert number not in item["detail"]

    decide(client, objection, staff, court)

    assert told(client, airline) == [
        ("under_objection", "list_entry", entry),
        ("objection_rejected", "list_entry", entry),
    ]
    assert told(client, agency) == [
        ("under_objection", "record", debt),
        ("objection_rejected", "record", debt),
    ]


def test_a_challenged_decision_tells_the_listing_recipients_the_mark_again(
    client: TestClient, court: Headers, airline: Headers, staff: Headers
) -> None:
    number, name = citizen_id(born=date(1966, 9, 9)), "钱国强"
    debt = submit(client, court, debtor_row(subject_id=number, subject_name=name))
    listed = record_listing(client, court, number)
    assert listed.status_code == 201, listed.text
    entry = int(listed.json()["id"])
    person = sign_up(client, number, name)
    check(client, airline, number, "flight")
    objection = object_to(client, person, debt)["id"]
    decide(client, objection, staff, court)
    challenged = client.post(
        f"/api/v1/objections/{objection}/challenge",
        json={"kind": "litigation", "reference": "（2026）京0105行初77号"},
        headers=staff,
    )
    assert challenged.status_code == 200, challenged.text
    assert told(client, airline) == [
        ("under_objection", "list_entry", entry),
        ("objection_rejected", "list_entry", entry),
        ("under_objection", "list_entry", entry),
    ]
