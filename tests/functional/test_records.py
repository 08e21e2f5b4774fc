"""Records over HTTP: submit one, read it, revoke it, and every refusal of bad input."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from tests.conftest import Clock
from tests.factories import citizen_id, debtor_row, penalty_row, tax_violation_row
from tests.functional.helpers import (
    AGENCY,
    BAD_CHECK_CHARACTER,
    DEPARTMENT,
    ClientFactory,
    Headers,
    KeyFor,
    UowFactory,
    agency_query,
    assert_problem,
    auth,
    authorise_agency,
    feed,
    measures_for,
    record_listing,
    sign_up,
    submit,
)
from xinyong.db.audit import AuditEventRow
from xinyong.db.feed import FeedAcknowledgementRow
from xinyong.domain.access import Scope
from xinyong.domain.policy import Policy
from xinyong.services.departments import sync_departments

WRONG_CHECK_DIGIT = "110105194912310021"


#: What an error of a refused row carries: its reason also as a code and the code's parts.
ROW_ERROR = {"row", "field", "reason", "code", "parts"}
#: What an error of a body the request schema refused carries (no code: not a row's reason).
BODY_ERROR = {"row", "field", "reason"}


def fields_of(problem: dict[str, Any]) -> set[str]:
    for error in problem["errors"]:
        assert set(error) in (ROW_ERROR, BODY_ERROR)
        assert error.get("code", "-"), "a refused row's reason always has its code"
    return {e["field"] for e in problem["errors"]}


def reason_for(problem: dict[str, Any], field: str) -> str:
    return str(next(e["reason"] for e in problem["errors"] if e["field"] == field))


# Submitting one record


def test_a_first_submission_is_created_with_its_location(
    client: TestClient, writer: dict[str, str]
) -> None:
    response = client.post("/api/v1/records", json=penalty_row(), headers=writer)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["outcome"] == "accepted"
    assert body["held_for_identity_review"] is False
    record = body["record"]
    assert response.headers["location"] == f"/api/v1/records/{record['id']}"
    assert record["department"] == DEPARTMENT
    assert record["status"] == "active"
    assert record["fields"]["fine_amount"] == "5000.00"
    assert record["received_at"] == "2026-11-20T02:00:00Z"  # the tests' fixed clock
    assert client.get(response.headers["location"], headers=writer).json() == record


def test_resubmitting_the_same_record_leaves_it_unchanged(
    client: TestClient, writer: dict[str, str]
) -> None:
    row = penalty_row()
    first = client.post("/api/v1/records", json=row, headers=writer)
    again = client.post("/api/v1/records", json=row, headers=writer)
    assert again.status_code == 200
    assert again.json()["outcome"] == "unchanged"
    assert again.json()["record"]["id"] == first.json()["record"]["id"]
    assert again.headers["location"] == first.headers["location"]


def test_resubmitting_changed_content_updates_the_record(
    client: TestClient, writer: dict[str, str]
) -> None:
    row = penalty_row(fine_amount="1000")
    first = client.post("/api/v1/records", json=row, headers=writer).json()
    changed = client.post("/api/v1/records", json={**row, "fine_amount": "80000"}, headers=writer)
    assert changed.status_code == 200
    body = changed.json()
    assert body["outcome"] == "updated"
    assert body["record"]["id"] == first["record"]["id"]
    assert body["record"]["fields"]["fine_amount"] == "80000.00"
    assert body["record"]["severity"] == "serious"


def test_responses_show_the_citizen_id_number_only_masked(
    client: TestClient, writer: dict[str, str]
) -> None:
    number = citizen_id()
    stored = client.post("/api/v1/records", json=penalty_row(subject_id=number), headers=writer)
    read = client.get(stored.headers["location"], headers=writer)
    masked = f"{number[:10]}****{number[14:]}"
    assert stored.json()["record"]["subject"]["masked_number"] == masked
    assert read.json()["subject"]["masked_number"] == masked
    assert number not in stored.text
    assert number not in read.text


def test_a_department_reads_its_own_record_but_not_another_departments(
    client: TestClient, writer: dict[str, str], key_for: KeyFor, other_department: str
) -> None:
    location = client.post("/api/v1/records", json=penalty_row(), headers=writer).headers[
        "location"
    ]
    other = auth(key_for([Scope.RECORDS_READ, Scope.RECORDS_WRITE], other_department))
    assert client.get(location, headers=writer).status_code == 200
    assert_problem(client.get(location, headers=other), 404)


def test_a_credit_centre_key_reads_any_departments_record(
    client: TestClient, writer: dict[str, str], every_scope: dict[str, str]
) -> None:
    location = client.post("/api/v1/records", json=penalty_row(), headers=writer).headers[
        "location"
    ]
    assert client.get(location, headers=every_scope).json()["department"] == DEPARTMENT


def test_an_unknown_record_is_a_not_found_problem(
    client: TestClient, writer: dict[str, str]
) -> None:
    assert_problem(client.get("/api/v1/records/424242", headers=writer), 404)


def test_a_revoked_record_says_why_and_when(client: TestClient, writer: dict[str, str]) -> None:
    record_id = client.post("/api/v1/records", json=penalty_row(), headers=writer).json()["record"][
        "id"
    ]
    response = client.post(
        f"/api/v1/records/{record_id}/revocation",
        json={"reason": "复议撤销原处罚决定"},
        headers=writer,
    )
    assert response.status_code == 200, response.text
    revoked = response.json()
    assert revoked["status"] == "revoked"
    assert revoked["revocation_reason"] == "复议撤销原处罚决定"
    assert revoked["revoked_at"] is not None
    assert client.get(f"/api/v1/records/{record_id}", headers=writer).json()["status"] == "revoked"


def test_revoking_twice_is_a_conflict_problem(client: TestClient, writer: dict[str, str]) -> None:
    record_id = client.post("/api/v1/records", json=penalty_row(), headers=writer).json()["record"][
        "id"
    ]
    body = {"reason": "复议撤销原处罚决定"}
    client.post(f"/api/v1/records/{record_id}/revocation", json=body, headers=writer)
    assert_problem(
        client.post(f"/api/v1/records/{record_id}/revocation", json=body, headers=writer), 409
    )


def test_a_revocation_needs_a_reason(client: TestClient, writer: dict[str, str]) -> None:
    record_id = client.post("/api/v1/records", json=penalty_row(), headers=writer).json()["record"][
        "id"
    ]
    problem = assert_problem(
        client.post(f"/api/v1/records/{record_id}/revocation", json={"reason": ""}, headers=writer),
        422,
    )
    assert fields_of(problem) == {"reason"}


def test_another_department_cannot_revoke_a_record(
    client: TestClient, writer: dict[str, str], key_for: KeyFor, other_department: str
) -> None:
    record_id = client.post("/api/v1/records", json=penalty_row(), headers=writer).json()["record"][
        "id"
    ]
    other = auth(key_for([Scope.RECORDS_WRITE], other_department))
    response = client.post(
        f"/api/v1/records/{record_id}/revocation",
        json={"reason": "复议撤销原处罚决定"},
        headers=other,
    )
    assert response.status_code in (403, 404)
    assert_problem(response, response.status_code)
    assert client.get(f"/api/v1/records/{record_id}", headers=writer).json()["status"] == "active"


def test_a_key_bound_to_no_department_cannot_submit(
    client: TestClient, every_scope: dict[str, str]
) -> None:
    problem = assert_problem(
        client.post("/api/v1/records", json=penalty_row(), headers=every_scope), 403
    )
    assert "department" in problem["detail"]


# Refusing bad input: always problem details, never a 500


def test_a_malformed_json_body_is_a_bad_request_problem(
    client: TestClient, writer: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/records",
        content=b'{"item": "ADM-PEN-01",',
        headers={**writer, "content-type": "application/json"},
    )
    problem = assert_problem(response, 400)
    assert fields_of(problem) == {"body"}


def test_a_json_array_instead_of_an_object_is_refused(
    client: TestClient, writer: dict[str, str]
) -> None:
    problem = assert_problem(
        client.post("/api/v1/records", json=[penalty_row()], headers=writer), 422
    )
    assert problem["errors"]


def test_missing_common_fields_are_each_named(client: TestClient, writer: dict[str, str]) -> None:
    problem = assert_problem(
        client.post("/api/v1/records", json={"item": "ADM-PEN-01"}, headers=writer), 422
    )
    assert {"document_number", "subject_id", "subject_name", "decision_date"} <= fields_of(problem)


def test_an_item_outside_the_catalog_is_refused(client: TestClient, writer: dict[str, str]) -> None:
    response = client.post("/api/v1/records", json=penalty_row(item="ADM-NOPE-99"), headers=writer)
    problem = assert_problem(response, 422)
    assert fields_of(problem) == {"item"}
    assert "is not an item of catalog" in reason_for(problem, "item")
    assert "ADM-NOPE-99" not in str(problem)  # named, not repeated


def test_every_field_of_the_wrong_type_is_named_in_one_response(
    client: TestClient, writer: dict[str, str]
) -> None:
    row = penalty_row(fine_amount="abc", decision_date="yesterday", penalty_type="flogging")
    problem = assert_problem(client.post("/api/v1/records", json=row, headers=writer), 422)
    assert fields_of(problem) == {"fine_amount", "decision_date", "penalty_type"}
    assert {e["row"] for e in problem["errors"]} == {0}
    assert "fine" in reason_for(problem, "penalty_type")  # names the allowed values


@pytest.mark.parametrize("number", [BAD_CHECK_CHARACTER, WRONG_CHECK_DIGIT])
def test_an_invalid_citizen_id_number_is_refused_without_echoing_it(
    client: TestClient, writer: dict[str, str], number: str
) -> None:
    response = client.post("/api/v1/records", json=penalty_row(subject_id=number), headers=writer)
    problem = assert_problem(response, 422)
    assert fields_of(problem) == {"subject_id"}
    assert "check character" in reason_for(problem, "subject_id")
    assert number not in response.text
    [error] = problem["errors"]
    assert error["code"] == "invalid_citizen_id"  # as a batch's refused row says it
    assert error["parts"]["inner"].startswith("id_")


@pytest.mark.parametrize("name", ["religion", "宗教信仰"])
def test_a_banned_field_is_refused(client: TestClient, writer: dict[str, str], name: str) -> None:
    response = client.post("/api/v1/records", json=penalty_row(**{name: "佛教"}), headers=writer)
    problem = assert_problem(response, 422)
    assert fields_of(problem) == {name}
    assert "statutory ban" in reason_for(problem, name)


def test_a_field_the_item_does_not_declare_is_refused(
    client: TestClient, writer: dict[str, str]
) -> None:
    response = client.post("/api/v1/records", json=penalty_row(shoe_size="42"), headers=writer)
    assert fields_of(assert_problem(response, 422)) == {"shoe_size"}


def test_a_refused_record_stores_nothing(client: TestClient, writer: dict[str, str]) -> None:
    row = penalty_row(fine_amount="abc")
    client.post("/api/v1/records", json=row, headers=writer)
    fixed = client.post("/api/v1/records", json={**row, "fine_amount": "10"}, headers=writer)
    assert fixed.json()["outcome"] == "accepted"


def test_an_oversized_record_is_refused_before_it_is_read(
    make_client: ClientFactory, key_for: KeyFor
) -> None:
    client = make_client(max_record_bytes=1024)
    writer = auth(key_for([Scope.RECORDS_WRITE], DEPARTMENT))
    response = client.post(
        "/api/v1/records", json=penalty_row(violation="超" * 2000), headers=writer
    )
    assert_problem(response, 413)


# Input that once crashed the server (500): huge ids and amounts, far dates, control characters


@pytest.mark.parametrize(
    "path", ["/api/v1/records/{}", "/api/v1/batches/{}", "/api/v1/records/{}/revocation"]
)
def test_an_id_beyond_the_database_integer_range_is_not_found(
    client: TestClient, every_scope: dict[str, str], writer: dict[str, str], path: str
) -> None:
    url = path.format(2**63)
    if url.endswith("/revocation"):
        response = client.post(url, json={"reason": "复议撤销原处罚决定"}, headers=writer)
    else:
        response = client.get(url, headers=every_scope)
    assert response.status_code in (404, 422), response.text
    assert_problem(response, response.status_code)


@pytest.mark.parametrize("amount", ["1e300", "100000000000000000000000000000"])
def test_an_absurdly_large_fine_is_refused_naming_the_field(
    client: TestClient, writer: dict[str, str], amount: str
) -> None:
    response = client.post("/api/v1/records", json=penalty_row(fine_amount=amount), headers=writer)
    assert fields_of(assert_problem(response, 422)) == {"fine_amount"}


def test_a_validity_end_beyond_the_calendar_is_refused_naming_the_field(
    client: TestClient, writer: dict[str, str]
) -> None:
    licence = {
        **{k: v for k, v in penalty_row().items() if k in {"subject_id", "subject_name"}},
        "item": "ADM-LIC-01",
        "document_number": "京市监许〔2026〕00042号",
        "decision_date": "2026-09-01",
        "authority_name": "北京市市场监督管理局",
        "authority_uscc": "11110000000021135M",
        "licence_name": "食品经营许可证",
        "licence_number": "JY11101050000042",
        "licence_kind": "general",
        "licence_content": "预包装食品销售",
        "valid_from": "2026-09-01",
        "valid_until": "9999-12-31",
    }
    response = client.post("/api/v1/records", json=licence, headers=writer)
    assert fields_of(assert_problem(response, 422)) == {"valid_until"}


@pytest.mark.parametrize("field", ["subject_name", "violation"])
def test_a_nul_character_in_a_text_field_is_refused_naming_the_field(
    client: TestClient, writer: dict[str, str], field: str
) -> None:
    row = penalty_row()
    row[field] = f"{row[field]}\x00"
    response = client.post("/api/v1/records", json=row, headers=writer)
    assert fields_of(assert_problem(response, 422)) == {field}


def test_revoking_a_court_record_ends_its_listing_and_tells_every_recipient(
    client: TestClient,
    court: Headers,
    airline: Headers,
    key_for: KeyFor,
    seeded: UowFactory,
) -> None:
    number = citizen_id(born=date(1975, 3, 9))
    record = submit(client, court, debtor_row(subject_id=number))
    listed = record_listing(client, court, number)
    assert listed.status_code == 201, listed.text
    assert measures_for(client, airline, number) == ["M-COURT-FLIGHT"]
    with seeded() as uow:
        seq_before = uow.session.execute(text("SELECT max(seq) FROM changes")).scalar_one()

    revoked = client.post(
        f"/api/v1/records/{record}/revocation",
        json={"reason": "再审撤销原执行依据"},
        headers=court,
    )
    assert revoked.status_code == 200, revoked.text
    # Friday 2026-11-20 and three working days (policy withdraw_working_days): Wednesday.
    assert revoked.json()["withdraw_by"] == "2026-11-25"

    assert measures_for(client, airline, number) == []  # the very next check
    entry = client.get(f"/api/v1/lists/entries/{listed.json()['id']}", headers=court).json()
    assert (entry["state"], entry["exit_ground"]) == ("exited", "revocation")
    with seeded() as uow:
        seq_after = uow.session.execute(text("SELECT max(seq) FROM changes")).scalar_one()
    assert seq_after > seq_before
    airline_feed = client.get("/api/v1/feed", headers=airline).json()
    assert {(i["kind"], i["entity_type"]) for i in airline_feed} == {("revoked", "list_entry")}
    assert all("2026-11-25" in i["detail"] for i in airline_feed)


def test_a_party_given_a_revoked_record_and_its_listing_is_told_once(
    client: TestClient,
    clock: Clock,
    court: Headers,
    airline: Headers,
    agency: Headers,
    seeded: UowFactory,
) -> None:
    """The agency received the record and the listing resting on it in one answer; the airline
    received only the listing. The revocation is one event: the agency is told once, of the
    record, in words naming the document and the listing that ended with it, and owes one
    acknowledgement; the airline is told once, of the listing."""
    number, name = citizen_id(born=date(1968, 2, 14)), "孙建华"
    row = debtor_row(subject_id=number, subject_name=name)
    debt = submit(client, court, row)
    listed = record_listing(client, court, number)
    assert listed.status_code == 201, listed.text
    entry = listed.json()["id"]
    person = sign_up(client, number, name)
    authorise_agency(client, person, clock().date() + timedelta(days=30))
    answered = agency_query(client, agency, number)
    assert answered.status_code == 200, answered.text
    assert debt in {r["id"] for r in answered.json()["records"]}
    assert entry in {e["id"] for e in answered.json()["entries"]}
    assert measures_for(client, airline, number) == ["M-COURT-FLIGHT"]

    revoked = client.post(
        f"/api/v1/records/{debt}/revocation",
        json={"reason": "再审撤销原执行依据"},
        headers=court,
    )
    assert revoked.status_code == 200, revoked.text

    [item] = feed(client, agency)
    assert (item["kind"], item["entity_type"], item["entity_id"]) == ("revoked", "record", debt)
    assert row["document_number"] in item["detail"]  # which record
    assert "COURT-DEBTORS" in item["detail"]  # and the listing that ended with it
    assert "2026-11-25" in item["detail"]  # withdraw by three working days on
    assert number not in item["detail"]
    [flight] = feed(client, airline)
    assert (flight["kind"], flight["entity_type"], flight["entity_id"]) == (
        "revoked",
        "list_entry",
        entry,
    )
    assert row["document_number"] in flight["detail"]
    with seeded() as uow:
        owed = uow.session.scalars(
            select(FeedAcknowledgementRow.entity_type).where(
                FeedAcknowledgementRow.department_code == AGENCY
            )
        ).all()
    assert owed == ["record"]


def test_a_department_the_policy_dropped_submits_nothing_and_is_told_why(
    client: TestClient, amr: Headers, seeded: UowFactory, policy: Policy
) -> None:
    narrowed = [d for d in policy.departments if d.code != DEPARTMENT]
    assert sync_departments(seeded(), narrowed, actor="test") == 1
    single = client.post("/api/v1/records", json=penalty_row(), headers=amr)
    body = assert_problem(single, 403)
    assert body["detail"] == (
        f"department: {DEPARTMENT} is no longer among the policy's departments and acts on no"
        " mandate"
    )
    row = penalty_row()
    batch = client.post(
        "/api/v1/records/batch",
        content=(json.dumps(row, ensure_ascii=False) + "\n").encode(),
        headers={**amr, "Content-Type": "application/x-ndjson"},
    )
    assert_problem(batch, 403)
    with seeded() as uow:
        assert uow.records.count() == 0
        refused = uow.session.scalars(
            select(AuditEventRow.entity_id).where(AuditEventRow.tag == "mandate:refused")
        ).all()
    assert refused == ["record:submit", "record:submit"]
    assert sync_departments(seeded(), policy.departments, actor="test") == 1
    assert client.post("/api/v1/records", json=row, headers=amr).status_code == 201


def test_a_row_naming_another_deciding_authority_is_refused_with_its_row_and_field(
    client: TestClient, amr: Headers, tax: Headers, seeded: UowFactory
) -> None:
    # Market regulation's decision sent under the tax bureau's key, and the other way round.
    rows = [penalty_row(), tax_violation_row()]
    for headers, row in ((tax, rows[0]), (amr, {**rows[1], "item": "ADM-PEN-01"})):
        response = client.post("/api/v1/records", json=row, headers=headers)
        assert response.status_code == 422, response.text
        fields = {e["field"] for e in response.json()["errors"]}
        assert "authority_uscc" in fields
    batch_rows = [penalty_row(), penalty_row()]
    body = "".join(
        f"{r['item']},{r['document_number']},{r['subject_id']},{r['subject_name']},"
        f"{r['decision_date']},{r['authority_name']},{r['authority_uscc']},fine,ordinary,"
        f"过期食品,《食品安全法》,5000\n"
        for r in batch_rows
    )
    header = (
        "item,document_number,subject_id,subject_name,decision_date,authority_name,"
        "authority_uscc,penalty_type,procedure,violation,legal_provision,fine_amount\n"
    )
    batch = client.post(
        "/api/v1/records/batch",
        content=(header + body).encode(),
        headers={**tax, "Content-Type": "text/csv"},
    )
    assert batch.status_code == 200, batch.text
    summary = batch.json()
    assert (summary["accepted"], summary["rejected"]) == (0, 2)
    assert {(e["row"], e["field"]) for e in summary["errors"]} >= {
        (1, "authority_uscc"),
        (2, "authority_uscc"),
    }
    # Each refusal is audited as one for want of a mandate: by row number, never by its values.
    with seeded() as uow:
        audited = uow.session.scalars(
            select(AuditEventRow)
            .where(AuditEventRow.tag == "mandate:refused")
            .order_by(AuditEventRow.id)
        ).all()
        assert [(e.entity_id, e.data) for e in audited] == [
            ("record:submit", {"department": d, "batch_id": b, "rows": {"not_own_authority": r}})
            for d, b, r in (
                ("BJ-TAX", None, [0]),
                ("BJ-AMR", None, [0]),
                ("BJ-TAX", summary["batch_id"], [1, 2]),
            )
        ]
        said = " ".join(f"{e.data} {e.reason}" for e in audited)
        assert not any(str(r["subject_id"]) in said for r in (*rows, *batch_rows))
