"""Subjects over HTTP: a conflicting identity is held for review, and the review decides; the
parties that received a record are told when it is held, withheld or released."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Clock
from tests.factories import citizen_id, penalty_row
from tests.functional.conftest import KeyFor
from tests.functional.helpers import (
    AGENCY,
    Headers,
    acknowledged_late,
    agency_query,
    assert_problem,
    auth,
    authorise_agency,
    feed,
    object_to,
    on,
    record_in,
    report,
    sign_up,
    submit,
)
from xinyong.domain.access import ROLE_SCOPES, Role


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


# Telling the parties that received a record


def _received(client: TestClient, amr: Headers, agency: Headers, row: dict[str, object]) -> int:
    """The department submits the row; its person authorises the demo agency, which queries
    them: return the record the agency received."""
    submit(client, amr, row)
    number = str(row["subject_id"])
    person = sign_up(client, number, str(row["subject_name"]))
    authorise_agency(client, person, date(2026, 11, 20) + timedelta(days=30))
    answer = agency_query(client, agency, number)
    assert answer.status_code == 200, answer.text
    [record] = answer.json()["records"]
    return int(record["id"])


def _decide(client: TestClient, centre: Headers, record_id: int, *, same_person: bool) -> None:
    reviews = client.get("/api/v1/identity-reviews", headers=centre).json()
    [review] = [r for r in reviews if r["record_id"] == record_id]
    decided = client.post(
        f"/api/v1/identity-reviews/{review['id']}/resolution",
        json={"same_person": same_person, "note": "公安户籍核实"},
        headers=centre,
    )
    assert decided.status_code == 200, decided.text


def test_a_record_a_review_withholds_tells_the_agency_that_received_it_and_asks_back(
    client: TestClient, amr: Headers, key_for: KeyFor, every_scope: Headers, clock: Clock
) -> None:
    agency = auth(key_for(ROLE_SCOPES[Role.CREDIT_AGENCY], AGENCY))
    # Two numbers whose region code no table knows: in force, each flagged for a review.
    received = penalty_row(subject_id=citizen_id(region="990101"), subject_name="王秀英")
    record_id = _received(client, amr, agency, received)
    unseen = penalty_row(subject_id=citizen_id(region="990102"), subject_name="张伟")
    submit(client, amr, unseen)
    reviews = client.get("/api/v1/identity-reviews", headers=every_scope).json()
    assert len(reviews) == 2
    assert feed(client, agency) == []

    for review in reviews:  # neither number is the person's
        _decide(client, every_scope, review["record_id"], same_person=False)
    answer = client.get("/api/v1/feed", headers=agency)
    assert str(received["subject_id"]) not in answer.text
    assert str(received["subject_id"])[:14] not in answer.text
    [item] = answer.json()  # the record nobody received tells nobody
    assert (item["kind"], item["entity_type"], item["entity_id"]) == (
        "withheld",
        "record",
        record_id,
    )
    assert item["detail"] == (
        f"ADM-PEN-01 {received['document_number']}: withheld: an identity review found it is"
        " not about this person; it no longer stands"
    )
    assert (item["acknowledge_by"], item["acknowledged_at"]) == ("2026-11-25", None)
    assert feed(client, amr) == []  # the department only submitted

    clock.at = on(date(2026, 11, 26))
    done = acknowledged_late(client, item, centre=every_scope, agency=agency, due="2026-11-25")
    assert (done["kind"], done["late"]) == ("withheld", True)


def test_a_held_record_is_told_at_the_hold_and_again_when_the_review_decides(
    client: TestClient, amr: Headers, key_for: KeyFor, every_scope: Headers
) -> None:
    agency = auth(key_for(ROLE_SCOPES[Role.CREDIT_AGENCY], AGENCY))
    kept = penalty_row(subject_id=citizen_id(born=date(1984, 7, 7)), subject_name="王秀英")
    dropped = penalty_row(subject_id=citizen_id(born=date(1984, 7, 8)), subject_name="李强")
    unseen = penalty_row(subject_id=citizen_id(born=date(1984, 7, 9)), subject_name="刘洋")
    kept_id = _received(client, amr, agency, kept)
    dropped_id = _received(client, amr, agency, dropped)
    submit(client, amr, unseen)

    # Each document resubmitted naming another person: held until a review decides.
    for row in (kept, dropped, unseen):
        other = citizen_id(born=date(1990, 1, 1))
        resent = client.post(
            "/api/v1/records",
            json={**row, "subject_id": other, "subject_name": "赵敏"},
            headers=amr,
        )
        assert resent.json()["held_for_identity_review"] is True
        assert (resent.status_code, resent.json()["outcome"]) == (200, "held")
        assert resent.json()["record"]["status"] == "identity_hold"
    held = feed(client, agency)
    assert [(i["kind"], i["entity_id"], i["acknowledge_by"]) for i in held] == [
        ("identity_hold", kept_id, None),  # a mark: it asks nothing back
        ("identity_hold", dropped_id, None),
    ]  # the record nobody received tells nobody
    assert held[0]["detail"] == (
        f"ADM-PEN-01 {kept['document_number']}: held while an identity review decides whom it"
        " is about; not shown or used meanwhile"
    )

    _decide(client, every_scope, kept_id, same_person=True)  # the resubmission was wrong
    _decide(client, every_scope, dropped_id, same_person=False)  # it moves to the other person
    told = feed(client, agency, after=held[-1]["seq"])
    assert [(i["kind"], i["entity_id"], i["acknowledge_by"] is None) for i in told] == [
        ("released", kept_id, True),
        ("corrected", dropped_id, False),
    ]


def test_the_feed_schema_names_what_an_identity_review_tells(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    kind = schema["FeedItemPublic"]["properties"]["kind"]
    kinds = schema[kind["$ref"].rsplit("/", 1)[1]]["enum"] if "$ref" in kind else kind["enum"]
    assert {"identity_hold", "withheld", "released", "corrected", "revoked"} <= set(kinds)


def test_a_record_moved_to_another_person_closes_the_first_persons_objection_and_tells_them(
    client: TestClient, amr: Headers, every_scope: Headers
) -> None:
    row = penalty_row(subject_id=citizen_id(born=date(1984, 7, 7)), subject_name="王秀英")
    record_id = submit(client, amr, row)
    first = sign_up(client, str(row["subject_id"]), "王秀英")
    objection = object_to(client, first, record_id)
    assert record_in(report(client, first), record_id)["under_objection"] is True

    other = citizen_id(born=date(1990, 1, 1))
    resent = client.post(
        "/api/v1/records", json={**row, "subject_id": other, "subject_name": "赵敏"}, headers=amr
    )
    assert resent.json()["held_for_identity_review"] is True
    _decide(client, every_scope, record_id, same_person=False)

    [closed] = client.get("/api/v1/me/objections", headers=first.headers).json()
    assert (closed["id"], closed["status"]) == (objection["id"], "decided")
    assert closed["outcome"] == "not_about_subject"
    notices = client.get("/api/v1/me/notices", headers=first.headers).json()
    assert [(n["kind"], n["entity_type"], n["entity_id"]) for n in notices] == [
        ("case_closed", "objection", objection["id"])
    ]
    assert other not in str(notices)  # the other person is never named to the first
    [said] = notices
    assert said["data"]["change"] == "closed"
    assert said["text"].startswith(f"第 {objection['id']} 号异议：经第")  # in their language
    assert f"第 {record_id} 号信用记录不属于您本人" in said["text"]
    english = client.get("/api/v1/me/notices", params={"lang": "en"}, headers=first.headers)
    assert english.json()[0]["text"] == said["detail"]
    assert said["detail"].startswith(f"objection {objection['id']}: record {record_id} was found")
    mine = report(client, first)
    assert [r["id"] for r in mine["records"]] == []
    second = sign_up(client, other, "赵敏")
    theirs = report(client, second)
    assert record_in(theirs, record_id)["under_objection"] is False
    assert client.get("/api/v1/me/notices", headers=second.headers).json() == []
