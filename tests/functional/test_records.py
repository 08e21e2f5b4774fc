"""The records API over HTTP: submit, read, revoke, batches, the catalog and identity reviews."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import citizen_id, penalty_row
from xinyong.domain.access import PERSON_SCOPES, Scope
from xinyong.domain.policy import Policy

if TYPE_CHECKING:
    from httpx2 import Response

KeyFor = Callable[..., str]
ClientFactory = Callable[..., TestClient]

DEPARTMENT = "BJ-AMR"
PROBLEM = "application/problem+json"
BAD_CHECK_CHARACTER = "11010519491231002Y"  # 11010519491231002X is valid
WRONG_CHECK_DIGIT = "110105194912310021"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def writer(key_for: KeyFor) -> dict[str, str]:
    """Headers of a key of BJ-AMR that submits and reads records."""
    return auth(key_for([Scope.RECORDS_WRITE, Scope.RECORDS_READ], DEPARTMENT))


@pytest.fixture
def staff(key_for: KeyFor) -> dict[str, str]:
    """Headers of a credit-centre key: every scope, no department."""
    return auth(key_for([s for s in Scope if s not in PERSON_SCOPES]))


@pytest.fixture
def other_department(policy: Policy) -> str:
    """A registered department that is not BJ-AMR, whatever the policy file currently lists."""
    return next(d.code for d in policy.departments if d.code != DEPARTMENT)


def assert_problem(response: Response, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem with this status and return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


def fields_of(problem: dict[str, Any]) -> set[str]:
    for error in problem["errors"]:
        assert set(error) == {"row", "field", "reason"}
    return {e["field"] for e in problem["errors"]}


def reason_for(problem: dict[str, Any], field: str) -> str:
    return str(next(e["reason"] for e in problem["errors"] if e["field"] == field))


def as_csv(rows: list[dict[str, object]]) -> bytes:
    columns = list(dict.fromkeys(name for row in rows for name in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def as_json_lines(rows: list[dict[str, object] | str]) -> bytes:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    return ("\n".join(lines) + "\n").encode()


CSV = {"content-type": "text/csv"}
JSON_LINES = {"content-type": "application/x-ndjson"}


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
    client: TestClient, writer: dict[str, str], staff: dict[str, str]
) -> None:
    location = client.post("/api/v1/records", json=penalty_row(), headers=writer).headers[
        "location"
    ]
    assert client.get(location, headers=staff).json()["department"] == DEPARTMENT


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
    client: TestClient, staff: dict[str, str]
) -> None:
    problem = assert_problem(client.post("/api/v1/records", json=penalty_row(), headers=staff), 403)
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
    assert "ADM-NOPE-99" in reason_for(problem, "item")


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


def test_an_oversized_batch_sent_without_a_length_is_refused(
    make_client: ClientFactory, key_for: KeyFor
) -> None:
    client = make_client(max_body_bytes=4096)
    writer = auth(key_for([Scope.RECORDS_WRITE], DEPARTMENT))
    body = as_csv([penalty_row() for _ in range(20)])
    assert len(body) > 4096

    def chunks() -> Iterator[bytes]:  # streamed: no content-length header to refuse it by
        for start in range(0, len(body), 512):
            yield body[start : start + 512]

    response = client.post("/api/v1/records/batch", content=chunks(), headers={**writer, **CSV})
    assert_problem(response, 413)


def test_a_batch_in_another_media_type_is_refused(
    client: TestClient, writer: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/records/batch", json=[penalty_row()], headers=writer
    )  # application/json
    assert_problem(response, 415)


def test_a_batch_that_is_not_utf8_is_a_bad_request_problem(
    client: TestClient, writer: dict[str, str]
) -> None:
    body = as_csv([penalty_row()]).decode().encode("gb18030")
    assert_problem(
        client.post("/api/v1/records/batch", content=body, headers={**writer, **CSV}), 400
    )


def test_a_csv_header_with_a_repeated_column_is_refused(
    client: TestClient, writer: dict[str, str]
) -> None:
    body = b"item,item\nADM-PEN-01,ADM-PEN-01\n"
    problem = assert_problem(
        client.post("/api/v1/records/batch", content=body, headers={**writer, **CSV}), 422
    )
    assert "header" in problem["detail"]


# Input that once crashed the server (500): huge ids and amounts, far dates, control characters


@pytest.mark.parametrize(
    "path", ["/api/v1/records/{}", "/api/v1/batches/{}", "/api/v1/records/{}/revocation"]
)
def test_an_id_beyond_the_database_integer_range_is_not_found(
    client: TestClient, staff: dict[str, str], writer: dict[str, str], path: str
) -> None:
    url = path.format(2**63)
    if url.endswith("/revocation"):
        response = client.post(url, json={"reason": "复议撤销原处罚决定"}, headers=writer)
    else:
        response = client.get(url, headers=staff)
    assert response.status_code in (404, 422), response.text
    assert_problem(response, response.status_code)


@pytest.mark.parametrize("amount", ["1e300", "100000000000000000000000000000"])
def test_an_absurdly_large_fine_is_refused_naming_the_field(
    client: TestClient, writer: dict[str, str], amount: str
) -> None:
    response = client.post("/api/v1/records", json=penalty_row(fine_amount=amount), headers=writer)
    assert fields_of(assert_problem(response, 422)) == {"fine_amount"}


def test_one_row_with_an_absurd_fine_does_not_sink_its_batch(
    client: TestClient, writer: dict[str, str]
) -> None:
    rows = [penalty_row(), penalty_row(fine_amount="1e300"), penalty_row()]
    response = client.post("/api/v1/records/batch", content=as_csv(rows), headers={**writer, **CSV})
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["accepted"], summary["rejected"]) == (2, 1)
    assert [(e["row"], e["field"]) for e in summary["errors"]] == [(2, "fine_amount")]


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


# Batches


def test_a_csv_batch_stores_good_rows_and_numbers_each_refused_one(
    client: TestClient, writer: dict[str, str]
) -> None:
    rows = [penalty_row() for _ in range(5)]
    rows[1]["fine_amount"] = "lots"
    rows[3]["subject_id"] = BAD_CHECK_CHARACTER
    response = client.post("/api/v1/records/batch", content=as_csv(rows), headers={**writer, **CSV})
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["rows"], summary["accepted"], summary["rejected"]) == (5, 3, 2)
    assert {(e["row"], e["field"]) for e in summary["errors"]} == {
        (2, "fine_amount"),
        (4, "subject_id"),
    }
    assert BAD_CHECK_CHARACTER not in response.text


def test_a_json_lines_batch_reports_a_malformed_line_as_its_row(
    client: TestClient, writer: dict[str, str]
) -> None:
    body = as_json_lines(
        [penalty_row(), '{"item": "ADM-PEN-01",', penalty_row(penalty_type="flogging"), "[1, 2]"]
    )
    response = client.post("/api/v1/records/batch", content=body, headers={**writer, **JSON_LINES})
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["accepted"], summary["rejected"]) == (1, 3)
    assert [(e["row"], e["field"]) for e in summary["errors"]] == [
        (2, "row"),
        (3, "penalty_type"),
        (4, "row"),
    ]
    assert "JSON" in summary["errors"][0]["reason"]


@pytest.mark.parametrize(("encode", "media"), [(as_csv, CSV), (as_json_lines, JSON_LINES)])
def test_resending_a_batch_adds_nothing(
    client: TestClient, writer: dict[str, str], encode: Any, media: dict[str, str]
) -> None:
    rows = [penalty_row() for _ in range(4)]
    rows[2]["decision_date"] = "2026-02-30"
    first = client.post("/api/v1/records/batch", content=encode(rows), headers={**writer, **media})
    again = client.post("/api/v1/records/batch", content=encode(rows), headers={**writer, **media})
    assert (first.json()["accepted"], first.json()["rejected"]) == (3, 1)
    summary = again.json()
    assert (summary["accepted"], summary["updated"], summary["unchanged"]) == (0, 0, 3)
    assert summary["rejected"] == 1
    assert summary["batch_id"] != first.json()["batch_id"]


def test_a_batch_can_be_read_back_with_its_counts_and_errors(
    client: TestClient, writer: dict[str, str]
) -> None:
    rows = [penalty_row(), penalty_row(fine_amount="-5"), penalty_row(religion="佛教")]
    summary = client.post(
        "/api/v1/records/batch", content=as_csv(rows), headers={**writer, **CSV}
    ).json()
    read = client.get(f"/api/v1/batches/{summary['batch_id']}", headers=writer)
    assert read.status_code == 200
    stored = read.json()
    for count in ("batch_id", "rows", "accepted", "updated", "unchanged", "rejected"):
        assert stored[count] == summary[count]
    assert stored["errors"] == summary["errors"]
    assert {(e["row"], e["field"]) for e in stored["errors"]} == {
        (2, "fine_amount"),
        (3, "religion"),
    }
    assert stored["notes"] == []


def test_another_department_cannot_read_a_batch(
    client: TestClient, writer: dict[str, str], key_for: KeyFor, other_department: str
) -> None:
    summary = client.post(
        "/api/v1/records/batch", content=as_csv([penalty_row()]), headers={**writer, **CSV}
    ).json()
    other = auth(key_for([Scope.RECORDS_READ], other_department))
    assert_problem(client.get(f"/api/v1/batches/{summary['batch_id']}", headers=other), 404)


def test_batch_records_can_be_read_one_by_one(client: TestClient, writer: dict[str, str]) -> None:
    row = penalty_row()
    summary = client.post(
        "/api/v1/records/batch", content=as_json_lines([row]), headers={**writer, **JSON_LINES}
    ).json()
    single = client.post("/api/v1/records", json=row, headers=writer).json()
    assert single["outcome"] == "unchanged"
    assert single["record"]["batch_id"] == summary["batch_id"]


# The catalog


def test_the_catalog_lists_its_items(client: TestClient, key_for: KeyFor) -> None:
    response = client.get("/api/v1/catalog", headers=auth(key_for([Scope.CATALOG_READ])))
    assert response.status_code == 200
    codes = [item["code"] for item in response.json()]
    assert "ADM-PEN-01" in codes
    assert sorted(codes) == sorted(item.code for item in client.app.state.platform.policy.catalog)  # type: ignore[attr-defined]


def test_a_catalog_item_shows_its_legal_basis_and_typed_fields(
    client: TestClient, key_for: KeyFor
) -> None:
    response = client.get("/api/v1/catalog/ADM-PEN-01", headers=auth(key_for([Scope.CATALOG_READ])))
    assert response.status_code == 200
    item = response.json()
    assert item["code"] == "ADM-PEN-01"
    assert item["subject_type"] == "person"
    assert item["legal_basis"]
    fields = {f["name"]: f for f in item["fields"]}
    assert fields["fine_amount"]["type"] == "money"
    assert "fine" in fields["penalty_type"]["values"]


def test_an_unknown_catalog_item_is_a_not_found_problem(
    client: TestClient, key_for: KeyFor
) -> None:
    response = client.get("/api/v1/catalog/NOPE-01", headers=auth(key_for([Scope.CATALOG_READ])))
    assert "NOPE-01" in assert_problem(response, 404)["detail"]


# Identity reviews


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


def test_a_different_name_for_a_known_number_is_held_for_review(
    client: TestClient, writer: dict[str, str], staff: dict[str, str]
) -> None:
    held = _held_submission(client, writer)
    assert held["held_for_identity_review"] is True
    assert held["record"]["status"] == "identity_hold"
    reviews = client.get("/api/v1/identity-reviews", headers=staff)
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
    client: TestClient, writer: dict[str, str], staff: dict[str, str]
) -> None:
    held = _held_submission(client, writer)
    [review] = client.get("/api/v1/identity-reviews", headers=staff).json()
    response = client.post(
        f"/api/v1/identity-reviews/{review['id']}/resolution",
        json={"same_person": True, "note": "户籍系统核实为同一人，曾用名"},
        headers=staff,
    )
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["resolution"]) == ("resolved", "same_person")
    record = client.get(f"/api/v1/records/{held['record']['id']}", headers=writer).json()
    assert record["status"] == "active"
    assert client.get("/api/v1/identity-reviews", headers=staff).json() == []
    resolved = client.get("/api/v1/identity-reviews?status=resolved", headers=staff).json()
    assert [r["id"] for r in resolved] == [review["id"]]


def test_a_review_cannot_be_resolved_twice(
    client: TestClient, writer: dict[str, str], staff: dict[str, str]
) -> None:
    _held_submission(client, writer)
    [review] = client.get("/api/v1/identity-reviews", headers=staff).json()
    decision = {"same_person": False, "note": "不同的人，号码被冒用"}
    url = f"/api/v1/identity-reviews/{review['id']}/resolution"
    assert client.post(url, json=decision, headers=staff).status_code == 200
    assert_problem(client.post(url, json=decision, headers=staff), 409)


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
