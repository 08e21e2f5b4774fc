"""Subjects over HTTP: a conflicting identity is held for review, and the review decides; the
parties that received a record are told when it is held, withheld or released; and
`xinyong reviews close-moved-cases` closes the cases that records moved before moves closed them
left open."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Clock
from tests.factories import citizen_id, penalty_row
from tests.functional.conftest import KeyFor
from tests.functional.consoles import sign_in
from tests.functional.helpers import (
    AGENCY,
    PASSWORD,
    Headers,
    UowFactory,
    acknowledged_late,
    agency_query,
    assert_problem,
    auth,
    authorise_agency,
    counter_staff,
    feed,
    object_to,
    on,
    record_in,
    register,
    report,
    run,
    sign_up,
    submit,
    words,
)
from tests.integration.test_moved_records import closings_audited
from xinyong.domain.access import ROLE_SCOPES, Role
from xinyong.domain.audit import EventTag
from xinyong.domain.deadlines import NoticeKind
from xinyong.domain.objections import NOT_ABOUT_SUBJECT, ObjectionStatus
from xinyong.domain.policy import Policy
from xinyong.domain.repairs import RepairStatus
from xinyong.services import identity_reviews, objections, repairs
from xinyong.services.records import resolve_identity_review, submit_record
from xinyong.services.subjects import list_identity_reviews


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


def test_a_registration_under_a_name_held_otherwise_waits_for_a_review_that_opens_it(
    client: TestClient, writer: dict[str, str], every_scope: dict[str, str], seeded: UowFactory
) -> None:
    number = citizen_id()
    submit(client, writer, penalty_row(subject_id=number, subject_name="王秀英"))
    registration = register(client, number, "王秀华")
    counter = counter_staff(client)
    seen = {"number": number, "name": "王秀华"}
    url = f"/api/v1/registrations/{registration}/verification"
    refused = client.post(url, json=seen, headers=counter)
    body = assert_problem(refused, 409)
    assert "identity review" in body["detail"]
    assert number not in refused.text
    [review] = client.get("/api/v1/identity-reviews", headers=every_scope).json()
    assert (review["record_id"], review["registration_id"], review["kind"]) == (
        None,
        registration,
        "name",
    )
    assert f"identity review {review['id']} " in body["detail"]
    assert client.post(url, json=seen, headers=counter).status_code == 409  # the same review
    assert len(client.get("/api/v1/identity-reviews", headers=every_scope).json()) == 1
    with seeded() as uow:
        assert uow.audit.count(EventTag.REGISTRATION_HELD.value) == 1
    sign_in(client, "wu.centre", Role.CREDIT_CENTRE)  # the centre's queue names the registration
    queue = client.get("/console/queues").text
    assert f'<td data-label="记录">注册编号：{registration}</td>' in queue
    decided = client.post(
        f"/api/v1/identity-reviews/{review['id']}/resolution",
        json={"same_person": True, "note": "户籍登记显示曾用名王秀英"},
        headers=every_scope,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["registration_id"] == registration
    session = client.post("/api/v1/sessions", json={"number": number, "password": PASSWORD})
    assert session.status_code == 201, session.text
    mine = client.get(
        "/api/v1/me/report", params={"format": "json"}, headers=auth(session.json()["token"])
    )
    assert mine.status_code == 200, mine.text
    assert mine.json()["reviews"] == []  # the registration's matter, not the file's


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


# Cases left open by records moved before moves closed them


#: The default fine (decided 1 September) may be repaired from 1 December.
REPAIR_DAY = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
COMMITMENT = "本人承诺已缴清罚款并停止违法行为，今后诚信守法经营，如有违反愿承担相应责任。"


def _moved_as_before(
    seeded: UowFactory, policy: Policy, row: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, int]:
    """The document resubmitted naming another person, and a review moving it to them as moves
    did before migration f1a8c3e5b702: the first person's cases about it left as they were.
    Return (the review, the other person)."""
    moved = {**row, "subject_id": citizen_id(), "subject_name": "张伟", "fine_amount": "6000"}
    stored = submit_record(seeded(), policy, moved, department="BJ-AMR", actor="t")
    [review] = [r for r in list_identity_reviews(seeded()) if r.record_id == stored.record.id]
    with monkeypatch.context() as before:
        before.setattr(identity_reviews, "close_cases_of_moved_record", lambda *a, **k: [])
        resolve_identity_review(
            seeded(), policy, review.id, same_person=False, note="核对原件", actor="centre"
        )
    assert review.other_subject_id is not None
    return review.id, review.other_subject_id


def test_close_moved_cases_closes_what_earlier_moves_left_open_once(
    seeded: UowFactory,
    policy: Policy,
    clock: Clock,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock.at = REPAIR_DAY
    monkeypatch.setenv("XINYONG_DATABASE_URL", database_url)  # the command reaches this database
    monkeypatch.setenv("COLUMNS", "200")
    number = citizen_id()
    first = penalty_row(subject_id=number, subject_name="王秀英")
    second = penalty_row(subject_id=number, subject_name="王秀英")
    stored = submit_record(seeded(), policy, first, department="BJ-AMR", actor="t")
    challenged_on = submit_record(seeded(), policy, second, department="BJ-AMR", actor="t")
    a, record_id = stored.record.subject_id, stored.record.id
    open_objection = objections.file_objection(
        seeded(), policy, subject_id=a, record_id=record_id, entry_id=None,
        ground="error_or_omission", reasons="不是我", actor="account:1",
    ).id  # fmt: skip
    # Open while it waits for the applicant's materials (out of the department's queue).
    open_repair = repairs.apply_for_repair(
        seeded(), policy, subject_id=a, record_id=record_id, obligations_performed=False,
        commitment=COMMITMENT, actor="account:1",
    ).id  # fmt: skip
    # A decision of the second record's objection taken to court: the court's now, and it stays.
    in_court = objections.file_objection(
        seeded(), policy, subject_id=a, record_id=challenged_on.record.id, entry_id=None,
        ground="error_or_omission", reasons="不是我", actor="account:1",
    ).id  # fmt: skip
    assert in_court is not None
    objections.forward_objection(seeded(), policy, in_court, department=None, actor="centre")
    objections.decide_objection(
        seeded(), policy, in_court, outcome="reject", reasons="无误", department="BJ-AMR",
        actor="BJ-AMR",
    )  # fmt: skip
    objections.challenge_objection(
        seeded(), policy, in_court, kind="litigation", reference="(2026)京01行初1号",
        department=None, actor="centre",
    )  # fmt: skip
    review, b = _moved_as_before(seeded, policy, first, monkeypatch)
    _moved_as_before(seeded, policy, second, monkeypatch)
    with seeded() as uow:  # the state a move before the migration left
        assert uow.records.get(record_id).subject_id == b
        assert open_objection is not None
        assert uow.objections.get(open_objection).status is ObjectionStatus.FILED
        assert uow.records.get(record_id).under_objection

    listed = run("reviews", "close-moved-cases", "--dry-run")
    assert listed.exit_code == 0, listed.output
    assert "1 objections and 1 repair applications to close" in words(listed.output)
    assert number not in listed.output
    with seeded() as uow:
        assert uow.objections.get(open_objection).status is ObjectionStatus.FILED
        assert uow.deadlines.notices_of(a) == []

    closed = run("reviews", "close-moved-cases")
    assert closed.exit_code == 0, closed.output
    assert "1 objections and 1 repair applications closed" in words(closed.output)
    with seeded() as uow:
        case = uow.objections.get(open_objection)
        assert (case.status, case.outcome) == (ObjectionStatus.DECIDED, NOT_ABOUT_SUBJECT)
        assert f"第 {review} 号身份核查" in (case.outcome_reasons or "")
        assert open_repair is not None
        assert uow.repairs.get(open_repair).status is RepairStatus.NOT_ABOUT_SUBJECT
        kept = uow.objections.get(in_court)
        assert (kept.status, kept.outcome) == (ObjectionStatus.CHALLENGED, "reject")
        assert not uow.records.get(record_id).under_objection
        assert uow.records.get(challenged_on.record.id).under_objection  # in court: marked
        told = [(n.kind, n.entity_type, n.entity_id) for n in uow.deadlines.notices_of(a)]
        assert told == [
            (NoticeKind.CASE_CLOSED, "objection", open_objection),
            (NoticeKind.CASE_CLOSED, "repair", open_repair),
        ]
        assert closings_audited(uow) == [
            (EventTag.OBJECTION_CLOSED.value, str(open_objection), a),
            (EventTag.REPAIR_CLOSED.value, str(open_repair), a),
        ]

    again = run("reviews", "close-moved-cases")
    assert again.exit_code == 0, again.output
    assert "0 objections and 0 repair applications closed" in words(again.output)
    with seeded() as uow:
        assert len(uow.deadlines.notices_of(a)) == 2
        assert uow.audit.count(EventTag.OBJECTION_CLOSED.value) == 1
