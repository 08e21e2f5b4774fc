"""Subjects over HTTP: a conflicting identity is held for review, and the review decides."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.factories import citizen_id, penalty_row
from tests.functional.helpers import assert_problem


def _held_submission(client: TestClient, writer: dict[str, str]) -> dict[str, Any]:
    number = citizen_id()
    client.post(
        "/api/v1/records",
        json=penalty_row(subject_id=number, subject_name="李建国"),
        headers=writer,
    )
    response = client.post(
        "/api/v1/records",
        json=penalty_row(subject_id=number, subject_name="李建围"),
        headers=writer,
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


# Identity reviews


def test_a_different_name_for_a_known_number_is_held_for_review(
    client: TestClient, writer: dict[str, str], every_scope: dict[str, str]
) -> None:
    held = _held_submission(client, writer)
    assert held["held_for_identity_review"] is True
    assert held["record"]["status"] == "identity_hold"
    reviews = client.get("/api/v1/identity-reviews", headers=every_scope)
    assert reviews.status_code == 200
    [review] = reviews.json()
    assert review["record_id"] == held["record"]["id"]
    assert (review["kind"], review["known_value"], review["submitted_value"]) == (
        "name",
        "李建国",
        "李建围",
    )
    assert review["status"] == "open"


def test_resolving_a_review_as_the_same_person_releases_the_record(
    client: TestClient, writer: dict[str, str], every_scope: dict[str, str]
) -> None:
    held = _held_submission(client, writer)
    [review] = client.get("/api/v1/identity-reviews", headers=every_scope).json()
    response = client.post(
        f"/api/v1/identity-reviews/{review['id']}/resolution",
        json={"same_person": True, "note": "户籍系统核实为同一人，曾用名"},
        headers=every_scope,
    )
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["resolution"]) == ("resolved", "same_person")
    record = client.get(f"/api/v1/records/{held['record']['id']}", headers=writer).json()
    assert record["status"] == "active"
    assert client.get("/api/v1/identity-reviews", headers=every_scope).json() == []
    resolved = client.get("/api/v1/identity-reviews?status=resolved", headers=every_scope).json()
    assert [r["id"] for r in resolved] == [review["id"]]


def test_a_review_cannot_be_resolved_twice(
    client: TestClient, writer: dict[str, str], every_scope: dict[str, str]
) -> None:
    _held_submission(client, writer)
    [review] = client.get("/api/v1/identity-reviews", headers=every_scope).json()
    decision = {"same_person": False, "note": "不同的人，号码被冒用"}
    url = f"/api/v1/identity-reviews/{review['id']}/resolution"
    assert client.post(url, json=decision, headers=every_scope).status_code == 200
    assert_problem(client.post(url, json=decision, headers=every_scope), 409)
