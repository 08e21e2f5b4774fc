"""Batches over HTTP and through `xinyong ingest`: good rows stored, each refused row named."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import penalty_row
from tests.functional.helpers import (
    BAD_CHECK_CHARACTER,
    DEPARTMENT,
    ClientFactory,
    KeyFor,
    assert_problem,
    auth,
    run,
    squashed,
    words,
)
from xinyong.domain.access import Scope


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


# POST /api/v1/records/batch


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


def test_a_batch_that_is_not_utf8_is_refused_before_anything_is_stored(
    client: TestClient, writer: dict[str, str]
) -> None:
    body = as_csv([penalty_row()]).decode().encode("gb18030")
    problem = assert_problem(
        client.post("/api/v1/records/batch", content=body, headers={**writer, **CSV}), 422
    )
    assert "nothing was stored" in problem["detail"]


def test_a_csv_header_with_a_repeated_column_is_refused(
    client: TestClient, writer: dict[str, str]
) -> None:
    body = b"item,item\nADM-PEN-01,ADM-PEN-01\n"
    problem = assert_problem(
        client.post("/api/v1/records/batch", content=body, headers={**writer, **CSV}), 422
    )
    assert "header" in problem["detail"]


def test_one_row_with_an_absurd_fine_does_not_sink_its_batch(
    client: TestClient, writer: dict[str, str]
) -> None:
    rows = [penalty_row(), penalty_row(fine_amount="1e300"), penalty_row()]
    response = client.post("/api/v1/records/batch", content=as_csv(rows), headers={**writer, **CSV})
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["accepted"], summary["rejected"]) == (2, 1)
    assert [(e["row"], e["field"]) for e in summary["errors"]] == [(2, "fine_amount")]


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


@pytest.mark.parametrize(("encode", "media"), [(as_csv, CSV), (as_json_lines, JSON_LINES)])
def test_a_second_row_for_one_document_is_refused_naming_the_row_it_repeats(
    client: TestClient, writer: dict[str, str], encode: Any, media: dict[str, str]
) -> None:
    """Two rows of one body for one record: the later one used to overwrite the earlier,
    unseen (an `updated` record, no reason given). Now the first is stored as it was sent and
    the second refused, naming its row, the field and the row it repeats."""
    rows = [penalty_row() for _ in range(3)]
    rows.append(penalty_row(document_number=rows[0]["document_number"], fine_amount="9000"))
    response = client.post(
        "/api/v1/records/batch", content=encode(rows), headers={**writer, **media}
    )
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["accepted"], summary["updated"], summary["rejected"]) == (3, 0, 1)
    [error] = summary["errors"]
    assert (error["row"], error["field"], error["code"], error["parts"]) == (
        4,
        "document_number",
        "duplicate_in_batch",
        {"first": "1"},
    )
    assert error["reason"].startswith("duplicate of row 1: ")
    stored = client.get(f"/api/v1/batches/{summary['batch_id']}", headers=writer).json()
    assert stored["errors"] == summary["errors"]


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


def test_each_refused_row_comes_back_with_its_stable_code_and_parts(
    client: TestClient, writer: dict[str, str]
) -> None:
    rows = [penalty_row(), penalty_row(fine_amount="lots"), penalty_row(religion="佛教")]
    rows.append(penalty_row(subject_id=BAD_CHECK_CHARACTER))
    summary = client.post(
        "/api/v1/records/batch", content=as_csv(rows), headers={**writer, **CSV}
    ).json()
    coded = [(e["row"], e["field"], e["code"], e["parts"]) for e in summary["errors"]]
    assert coded == [
        (2, "fine_amount", "not_a_number", {}),
        (3, "religion", "banned_field", {"ban": "religious belief"}),
        (
            4,
            "subject_id",
            "invalid_citizen_id",
            {"inner": "id_check_character_kind", "found": "Y", "needed": "X"},
        ),
    ]
    assert summary["errors"][0]["reason"] == "must be a number"
    # Read back from what the batch stored, the same; and the answer's schema says so.
    stored = client.get(f"/api/v1/batches/{summary['batch_id']}", headers=writer).json()
    assert stored["errors"] == summary["errors"]
    schema = client.get("/openapi.json").json()["components"]["schemas"]["RowProblem"]
    assert {"code", "parts"} <= set(schema["required"])
    assert schema["properties"]["parts"]["type"] == "object"


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


# xinyong ingest


@pytest.fixture
def batch_file(tmp_path: Path) -> tuple[Path, list[dict[str, object]]]:
    """A CSV of five rows written by the test: rows 2 and 4 are bad."""
    rows = [penalty_row() for _ in range(5)]
    rows[1]["fine_amount"] = "lots"
    rows[3]["subject_id"] = BAD_CHECK_CHARACTER
    path = tmp_path / "amr.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path, rows


def test_ingesting_a_file_reports_each_refused_row_and_writes_them_beside_it(
    migrated: str, batch_file: tuple[Path, list[dict[str, object]]]
) -> None:
    path, rows = batch_file
    result = run("ingest", str(path), "--department", "BJ-AMR", "--json")
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout)
    assert (summary["accepted"], summary["updated"], summary["unchanged"], summary["rejected"]) == (
        3,
        0,
        0,
        2,
    )
    assert {(e["row"], e["field"]) for e in summary["errors"]} == {
        (2, "fine_amount"),
        (4, "subject_id"),
    }
    rejects = path.with_name("amr.rejects.csv")
    assert summary["rejects_file"] == str(rejects)
    with rejects.open(encoding="utf-8-sig", newline="") as fh:
        refused = list(csv.DictReader(fh))
    assert [r["row"] for r in refused] == ["2", "4"]
    assert refused[0]["field"] == "fine_amount"
    assert refused[0]["reason"].startswith("fine_amount: ")
    assert refused[1]["field"] == "subject_id"
    assert "check character" in refused[1]["reason"]
    assert refused[0]["document_number"] == rows[1]["document_number"]


def test_a_file_with_two_rows_for_one_document_refuses_the_second_in_its_rejects(
    migrated: str, tmp_path: Path
) -> None:
    rows = [penalty_row() for _ in range(3)]
    rows.append(penalty_row(document_number=rows[1]["document_number"], fine_amount="9000"))
    path = tmp_path / "amr.csv"
    path.write_bytes(as_csv(rows))
    result = run("ingest", str(path), "--department", "BJ-AMR", "--json")
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout)
    assert (summary["accepted"], summary["updated"], summary["rejected"]) == (3, 0, 1)
    with path.with_name("amr.rejects.csv").open(encoding="utf-8-sig", newline="") as fh:
        [refused] = list(csv.DictReader(fh))
    assert (refused["row"], refused["field"], refused["code"]) == (
        "4",
        "document_number",
        "document_number: duplicate_in_batch",
    )
    assert refused["reason"].startswith("document_number: duplicate of row 2: ")
    assert refused["fine_amount"] == "9000"


def test_a_file_with_a_cell_past_the_limit_is_stopped_naming_its_line(
    migrated: str, tmp_path: Path
) -> None:
    rows = [penalty_row() for _ in range(3)]
    rows[2]["violation"] = "x" * (1024 * 1024 + 1)
    path = tmp_path / "amr.csv"
    path.write_bytes(as_csv(rows))
    result = run("ingest", str(path), "--department", "BJ-AMR")
    assert result.exit_code == 2, result.output
    assert "line 4 (row 3): a cell holds more than 1048576 characters" in words(result.output)


def test_the_reject_file_and_the_json_summary_name_each_refused_rows_code(
    migrated: str, batch_file: tuple[Path, list[dict[str, object]]]
) -> None:
    path, _ = batch_file
    result = run("ingest", str(path), "--department", "BJ-AMR", "--json")
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout)
    assert [(e["row"], e["code"], e["parts"]) for e in summary["errors"]] == [
        (2, "not_a_number", {}),
        (
            4,
            "invalid_citizen_id",
            {"inner": "id_check_character_kind", "found": "Y", "needed": "X"},
        ),
    ]
    with path.with_name("amr.rejects.csv").open(encoding="utf-8-sig", newline="") as fh:
        refused = list(csv.DictReader(fh))
    assert list(refused[0])[:4] == ["row", "field", "reason", "code"]
    assert [(r["row"], r["code"]) for r in refused] == [
        ("2", "fine_amount: not_a_number"),
        ("4", "subject_id: invalid_citizen_id"),
    ]


def test_ingesting_the_same_file_again_adds_nothing(
    migrated: str, batch_file: tuple[Path, list[dict[str, object]]]
) -> None:
    path, _ = batch_file
    first = json.loads(run("ingest", str(path), "--department", "BJ-AMR", "--json").stdout)
    result = run("ingest", str(path), "--department", "BJ-AMR", "--json")
    assert result.exit_code == 1
    again = json.loads(result.stdout)
    assert (again["accepted"], again["updated"]) == (0, 0)
    assert again["unchanged"] == first["accepted"]
    assert again["rejected"] == first["rejected"]


def test_a_clean_file_is_ingested_with_exit_code_zero(migrated: str, tmp_path: Path) -> None:
    path = tmp_path / "clean.jsonl"
    path.write_text(
        "".join(json.dumps(penalty_row(), ensure_ascii=False) + "\n" for _ in range(3)),
        encoding="utf-8",
    )
    result = run("ingest", str(path), "--department", "BJ-AMR")
    assert result.exit_code == 0, result.output
    assert "3 accepted" in words(result.output)
    assert not path.with_name("clean.rejects.csv").exists()


def test_a_file_that_is_not_utf8_is_refused_with_a_hint(
    migrated: str, batch_file: tuple[Path, list[dict[str, object]]]
) -> None:
    path, _ = batch_file
    gb = path.with_name("gb.csv")
    gb.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    result = run("ingest", str(gb), "--department", "BJ-AMR", "--json")
    assert result.exit_code == 2, result.output
    text = words(result.output)
    assert "not utf-8" in text
    assert "--encoding gb18030" in text
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_a_gb18030_file_is_ingested_when_its_encoding_is_given(
    migrated: str, batch_file: tuple[Path, list[dict[str, object]]]
) -> None:
    path, _ = batch_file
    gb = path.with_name("gb.csv")
    gb.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    result = run("ingest", str(gb), "--department", "BJ-AMR", "--encoding", "gb18030", "--json")
    assert result.exit_code == 1, result.output
    assert (json.loads(result.stdout)["accepted"], json.loads(result.stdout)["rejected"]) == (3, 2)


def test_ingesting_for_an_unregistered_department_fails_cleanly(
    migrated: str, batch_file: tuple[Path, list[dict[str, object]]]
) -> None:
    path, _ = batch_file
    result = run("ingest", str(path), "--department", "NOPE", "--json")
    assert result.exit_code == 2
    assert "not registered" in result.output
    assert "Traceback" not in result.output


def test_a_csv_with_a_misspelt_column_is_stopped_before_any_row_naming_it(
    migrated: str, tmp_path: Path
) -> None:
    row = penalty_row()
    row["subjet_id"] = row.pop("subject_id")
    path = tmp_path / "typo.csv"
    path.write_bytes(as_csv([row, {**row, "document_number": "京市监罚〔2026〕2号"}]))

    result = run("ingest", str(path), "--department", "BJ-AMR", "--json")

    assert result.exit_code == 2, result.output
    text = words(result.output)
    assert "header of typo.csv is wrong; nothing was ingested" in text
    assert "no column subject_id" in text
    assert "subjet_id (did you mean subject_id?)" in text
    assert not path.with_name("typo.rejects.csv").exists()
    good = tmp_path / "good.csv"
    good.write_bytes(as_csv([penalty_row()]))
    first = run("ingest", str(good), "--department", "BJ-AMR", "--json")
    assert json.loads(first.stdout)["batch_id"] == 1  # none was opened for the wrong file


@pytest.mark.parametrize("content", [b"", b"\n\n", as_csv([penalty_row()]).splitlines()[0]])
def test_an_empty_file_is_an_error_not_a_silent_success(
    migrated: str, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)

    result = run("ingest", str(path), "--department", "BJ-AMR")

    assert result.exit_code == 2, result.output
    assert "empty.csv holds no rows: nothing to ingest" in words(result.output)


def test_refused_rows_keep_every_cell_they_were_sent_with(migrated: str, tmp_path: Path) -> None:
    """Refused rows with different cells filled each keep all of theirs, under the file's own
    header, and a cell beyond the header too."""
    bad_fine = penalty_row(fine_amount="lots")
    stray = penalty_row(licence_kind="franchise")  # not a data item of a penalty
    surplus = penalty_row()
    columns = [*penalty_row(), "licence_kind"]
    lines = [",".join(columns)]
    for row in (penalty_row(), bad_fine, stray, surplus):
        lines.append(",".join(str(row.get(c, "")) for c in columns))
    lines[-1] += ",surplus"  # one cell more than the header
    path = tmp_path / "amr.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = run("ingest", str(path), "--department", "BJ-AMR", "--output", "refused.csv")

    assert result.exit_code == 1, result.output
    with (tmp_path / "refused.csv").open(encoding="utf-8-sig", newline="") as fh:
        refused = list(csv.DictReader(fh))
    assert [r["row"] for r in refused] == ["2", "3", "4"]
    assert list(refused[0])[:3] == ["row", "field", "reason"]
    for got, sent in zip(refused, (bad_fine, stray, surplus), strict=True):
        assert {c: got[c] for c in columns} == {c: str(sent.get(c, "")) for c in columns}
    assert (refused[0]["field"], refused[1]["field"], refused[2]["field"]) == (
        "fine_amount",
        "licence_kind",
        "row",
    )
    assert refused[1]["reason"] == "licence_kind: is not a data item of ADM-PEN-01"
    assert refused[2]["column_14"] == "surplus"
    assert not path.with_name("amr.rejects.csv").exists()  # --output said where


def test_refused_json_lines_keep_their_keys_or_the_line_itself(
    migrated: str, tmp_path: Path
) -> None:
    path = tmp_path / "amr.jsonl"
    bad = penalty_row(fine_amount="lots", note_count=3)
    path.write_bytes(as_json_lines([penalty_row(), bad, "[1, 2]"]))

    result = run("ingest", str(path), "--department", "BJ-AMR")

    assert result.exit_code == 1, result.output
    assert "amr.rejects.csv" in squashed(result.output)
    with path.with_name("amr.rejects.csv").open(encoding="utf-8-sig", newline="") as fh:
        refused = list(csv.DictReader(fh))
    assert [r["row"] for r in refused] == ["2", "3"]
    assert refused[0]["fine_amount"] == "lots"
    assert refused[0]["note_count"] == "3"
    assert refused[0]["subject_id"] == bad["subject_id"]
    assert refused[1]["line"] == "[1, 2]"
    assert refused[1]["reason"] == "row: must be a JSON object"
