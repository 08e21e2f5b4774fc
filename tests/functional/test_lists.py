"""Lists over HTTP and through `xinyong lists`: list types, and a listing's procedure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Clock
from tests.factories import citizen_id, penalty_row
from tests.functional.helpers import KeyFor, auth, check, run, squashed, submit, words
from xinyong.domain.access import ROLE_SCOPES, Role, Scope

# List types and measures


def test_the_list_types_and_measures_are_served_from_the_policy(
    client: TestClient, key_for: Callable[..., str]
) -> None:
    headers = {"Authorization": f"Bearer {key_for({Scope.LISTS_READ})}"}
    types = client.get("/api/v1/lists/types", headers=headers)
    assert types.status_code == 200
    assert "COURT-DEBTORS" in {t["code"] for t in types.json()}
    court = client.get("/api/v1/lists/types/COURT-DEBTORS", headers=headers).json()
    assert court["decided_by"] == "court"
    flights = client.get("/api/v1/measures", params={"matter": "flight"}, headers=headers).json()
    assert flights
    assert all("flight" in m["matters"] for m in flights)
    assert any("COURT-DEBTORS" in m["triggers"] for m in flights)
    unknown = client.get("/api/v1/measures", params={"matter": "moon-landing"}, headers=headers)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")


def test_the_list_types_and_measures_are_listed(database: str) -> None:
    types = run("lists", "types")
    assert types.exit_code == 0
    assert "COURT-DEBTORS" in types.output
    shown = run("lists", "show", "COURT-DEBTORS")
    assert shown.exit_code == 0
    assert "exit grounds" in shown.output
    assert run("lists", "show", "NOPE").exit_code == 1
    flights = run("measures", "list", "--matter", "flight")
    assert flights.exit_code == 0
    assert "COURT-DEBTORS" in squashed(flights.output)
    assert run("measures", "list", "--matter", "moon").exit_code == 1


# The listing procedure


def test_a_platform_listing_waits_for_its_notice_and_the_defence_window(
    client: TestClient, amr: dict[str, str], airline: dict[str, str], clock: Clock
) -> None:
    number = citizen_id(born=date(1970, 1, 2))
    record = submit(client, amr, penalty_row(subject_id=number))
    proposed = client.post(
        "/api/v1/lists/proposals",
        json={
            "list_type": "FOOD-DRUG-SERIOUS",
            "subject": number,
            "grounds": "sold food past its date, repeatedly",
            "basis_records": [record],
        },
        headers=amr,
    )
    assert proposed.status_code == 201, proposed.text
    entry_id = proposed.json()["id"]
    url = f"/api/v1/lists/entries/{entry_id}"
    decision = {"reasons": "the grounds are established"}

    early = client.post(f"{url}/decision", json=decision, headers=amr)
    assert early.status_code == 409
    assert "proposed" in early.json()["detail"]

    # Friday 2026-11-20: five working days later is Friday 2026-11-27.
    noticed = client.post(f"{url}/notice", headers=amr)
    assert noticed.status_code == 200, noticed.text
    assert noticed.json()["defence_deadline"] == "2026-11-27"
    assert noticed.json()["defence_deadline_official"] is True

    clock.advance(days=7)  # the deadline day itself: still the person's
    on_deadline = client.post(f"{url}/decision", json=decision, headers=amr)
    assert on_deadline.status_code == 409
    assert "2026-11-27" in on_deadline.json()["detail"]
    assert check(client, airline, number, "administrative_permit")["measures"] == []

    clock.advance(days=3)  # Monday 2026-11-30
    decided = client.post(f"{url}/decision", json=decision, headers=amr)
    assert decided.status_code == 200, decided.text
    assert decided.json()["state"] == "decided"
    assert decided.json()["decided_on"] == "2026-11-30"
    measures = check(client, airline, number, "administrative_permit")["measures"]
    assert measures
    assert {m["triggered_by"]["id"] for m in measures} == {entry_id}

    published = client.post(f"{url}/publication", headers=amr)
    assert published.json()["state"] == "published"

    notice = client.get(f"{url}/notice", headers=amr)
    assert notice.status_code == 200
    assert notice.headers["content-type"].startswith("text/html")
    assert f"{number[:10]}****{number[14:]}" in notice.text
    assert number not in notice.text
    assert "2026-11-27" in notice.text or "2026年11月27日" in notice.text
    pdf = client.get(f"{url}/decision", params={"format": "pdf"}, headers=amr)
    if pdf.status_code == 503:
        pytest.skip(f"PDF rendering unavailable here: {pdf.json()['detail']}")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


def test_proposals_the_law_does_not_allow_are_refused(
    client: TestClient, amr: dict[str, str], key_for: KeyFor
) -> None:
    minor = citizen_id(born=date(2012, 6, 1))
    record = submit(client, amr, penalty_row(subject_id=minor))
    proposal = {
        "list_type": "FOOD-DRUG-SERIOUS",
        "subject": minor,
        "grounds": "x",
        "basis_records": [record],
    }
    refused = client.post("/api/v1/lists/proposals", json=proposal, headers=amr)
    assert refused.status_code == 403
    assert "minor" in refused.json()["detail"]
    assert minor not in refused.text

    adult = citizen_id(born=date(1980, 1, 1))
    other = submit(client, amr, penalty_row(subject_id=citizen_id(born=date(1981, 1, 1))))
    own_record = submit(client, amr, penalty_row(subject_id=adult))
    someone_elses = client.post(
        "/api/v1/lists/proposals",
        json={**proposal, "subject": adult, "basis_records": [other]},
        headers=amr,
    )
    assert someone_elses.status_code == 422
    assert "someone else" in someone_elses.json()["detail"]
    court_list = client.post(
        "/api/v1/lists/proposals",
        json={
            **proposal,
            "subject": adult,
            "list_type": "COURT-DEBTORS",
            "basis_records": [own_record],
        },
        headers=amr,
    )
    assert court_list.status_code == 403
    assert "court" in court_list.json()["detail"]

    own = client.post(
        "/api/v1/lists/proposals",
        json={**proposal, "subject": adult, "basis_records": [own_record]},
        headers=amr,
    )
    assert own.status_code == 201, own.text
    stranger = auth(key_for(ROLE_SCOPES[Role.SOURCE_DEPARTMENT], "BJ-TAX"))
    hidden = client.post(f"/api/v1/lists/entries/{own.json()['id']}/notice", headers=stranger)
    assert hidden.status_code == 404


def test_a_wrong_exit_ground_is_refused_with_the_grounds_there_are(debtor: str) -> None:
    run("lists", "court-sync")
    result = run("lists", "exit", "1", "--ground", "bored")
    assert result.exit_code == 2
    assert "performance" in words(result.output)
