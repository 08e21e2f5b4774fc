"""Screening many numbers for one matter, over HTTP and through `xinyong screen`."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient

from tests.factories import citizen_id, debtor_row
from tests.functional.helpers import BAD_CHECK_CHARACTER, UowFactory, run, submit, words


def test_screening_a_csv_answers_every_row_and_logs_every_number(
    client: TestClient,
    court: dict[str, str],
    airline: dict[str, str],
    seeded: UowFactory,
) -> None:
    listed = citizen_id(born=date(1977, 4, 4))
    submit(client, court, debtor_row(subject_id=listed))
    client.post(
        "/api/v1/lists/decided",
        json={
            "list_type": "COURT-DEBTORS",
            "subject": listed,
            "grounds": "court decision",
            "decided_on": "2026-10-15",
        },
        headers=court,
    ).raise_for_status()
    clear = citizen_id(born=date(1988, 8, 8))
    body = f"number\n{clear}\n{listed}\n11010519491231002Y\n".encode()
    response = client.post(
        "/api/v1/checks/batch",
        params={"matter": "flight"},
        content=body,
        headers={**airline, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["row"], r["status"]) for r in rows] == [
        ("1", "clear"),
        ("2", "listed"),
        ("3", "invalid"),
    ]
    assert rows[1]["measures"] == "M-COURT-FLIGHT"
    assert "check character" in rows[2]["reason"]
    assert rows[2]["number"] == ""
    with seeded() as uow:
        assert uow.queries.count("screening") == 2


# xinyong screen


def test_screening_a_file_writes_a_result_row_per_input_row(debtor: str, tmp_path: Path) -> None:
    run("lists", "court-sync")
    numbers = tmp_path / "numbers.csv"
    clear = citizen_id(born=date(1990, 3, 3))
    numbers.write_text(f"number\n{clear}\n{debtor}\n{BAD_CHECK_CHARACTER}\n", encoding="utf-8")
    result = run(
        "screen", str(numbers), "--matter", "flight", "--department", "BJ-CAAC-NC", "--json"
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["screened"], summary["listed"], summary["invalid"], summary["logged"]) == (
        3,
        1,
        1,
        2,
    )
    with Path(summary["out"]).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["status"] for r in rows] == ["clear", "listed", "invalid"]
    assert rows[1]["measures"] == "M-COURT-FLIGHT"
    assert BAD_CHECK_CHARACTER not in result.output


def test_screening_a_file_that_is_not_utf8_stops_with_a_clear_error(
    migrated: str, tmp_path: Path
) -> None:
    numbers = tmp_path / "numbers.csv"
    numbers.write_bytes(b"number\n" + citizen_id().encode("utf-16"))
    result = run("screen", str(numbers), "--matter", "flight", "--department", "BJ-CAAC-NC")
    assert result.exit_code == 2
    assert "not UTF-8" in words(result.output)
