"""Screening many numbers for one matter, over HTTP and through `xinyong screen`."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.factories import citizen_id, debtor_row
from tests.functional.helpers import (
    BAD_CHECK_CHARACTER,
    UowFactory,
    run,
    screen,
    submit,
    words,
)


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
    body = f"number\n{clear}\n{listed}\n11010519491231002Y\n"
    response = screen(client, airline, body)
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
    assert summary["out"] == str(numbers.with_name("numbers.screened.csv"))
    with Path(summary["out"]).open(encoding="utf-8-sig", newline="") as fh:
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


def test_a_screening_result_keeps_every_input_column_of_every_row(
    debtor: str, tmp_path: Path
) -> None:
    """Invalid rows too: the number as sent, the other columns, and the field and reason."""
    run("lists", "court-sync")
    clear = citizen_id(born=date(1990, 3, 3))
    numbers = tmp_path / "passengers.csv"
    numbers.write_text(
        "航班,证件号码,status\n"
        f"CA1501,{clear},booked\n"
        f"CA1502,{debtor},waiting\n"
        f"CA1503,{BAD_CHECK_CHARACTER},booked\n",
        encoding="utf-8",
    )

    result = run(
        "screen", str(numbers), "--matter", "flight", "--department", "BJ-CAAC-NC", "--json"
    )

    assert result.exit_code == 0, result.output
    with numbers.with_name("passengers.screened.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == [
        "row",
        "航班",
        "证件号码",
        "status",
        "xinyong_status",  # the input has a status column of its own
        "measures",
        "entries",
        "field",
        "reason",
        "under_objection",
    ]
    assert rows[1][:6] == ["1", "CA1501", clear, "booked", "clear", ""]
    assert rows[2][:6] == ["2", "CA1502", debtor, "waiting", "listed", "M-COURT-FLIGHT"]
    assert rows[3][:5] == ["3", "CA1503", BAD_CHECK_CHARACTER, "booked", "invalid"]
    assert rows[3][7] == "证件号码"
    assert "check character" in rows[3][8]
    assert BAD_CHECK_CHARACTER not in rows[3][8]


def test_a_header_without_a_column_of_numbers_stops_the_screening_before_any_row(
    migrated: str, tmp_path: Path
) -> None:
    numbers = tmp_path / "numbers.csv"
    numbers.write_text(f"numbr,name\n{citizen_id()},王秀英\n", encoding="utf-8")

    result = run("screen", str(numbers), "--matter", "flight", "--department", "BJ-CAAC-NC")

    assert result.exit_code == 2, result.output
    text = words(result.output)
    assert "header: no column of numbers" in text
    assert "the first line has numbr, name; did you mean number?" in text
    assert not numbers.with_name("numbers.screened.csv").exists()
    named = run(
        "screen", str(numbers), "--matter", "flight", "--department", "BJ-CAAC-NC",
        "--column", "numbr", "--output", "out.csv", "--json",
    )  # fmt: skip
    assert named.exit_code == 0, named.output
    assert json.loads(named.stdout)["screened"] == 1
    assert (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("content", ["", "\n", "number\n", "number\n\n \n"])
def test_a_file_without_rows_is_an_error_not_a_silent_success(
    migrated: str, tmp_path: Path, content: str
) -> None:
    numbers = tmp_path / "numbers.csv"
    numbers.write_text(content, encoding="utf-8")

    result = run("screen", str(numbers), "--matter", "flight", "--department", "BJ-CAAC-NC")

    assert result.exit_code == 2, result.output
    assert "nothing to screen" in words(result.output) or "is empty" in words(result.output)
    assert not numbers.with_name("numbers.screened.csv").exists()


def test_the_progress_bar_counts_the_rows_screened_of_the_rows_there_are(
    migrated: str, tmp_path: Path
) -> None:
    """A file without a header, with a blank line: three rows, three screened."""
    numbers = tmp_path / "numbers.csv"
    numbers.write_text(
        f"{citizen_id()}\n\n{citizen_id()}\n{BAD_CHECK_CHARACTER}\n", encoding="utf-8"
    )

    result = run("screen", str(numbers), "--matter", "flight", "--department", "BJ-CAAC-NC")

    assert result.exit_code == 0, result.output
    assert "3/3 rows" in result.stderr
    assert "3 screened: 0 with measures, 1 invalid" in words(result.stdout)
    with numbers.with_name("numbers.screened.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["row"], r["status"]) for r in rows] == [
        ("1", "clear"),
        ("3", "clear"),
        ("4", "invalid"),
    ]
    assert rows[2]["number"] == BAD_CHECK_CHARACTER
    assert rows[2]["field"] == "number"


def test_the_output_is_never_the_input(migrated: str, tmp_path: Path) -> None:
    numbers = tmp_path / "numbers.csv"
    numbers.write_text(f"number\n{citizen_id()}\n", encoding="utf-8")
    before = numbers.read_bytes()

    result = run(
        "screen", str(numbers), "--matter", "flight", "--department", "BJ-CAAC-NC",
        "--output", str(numbers),
    )  # fmt: skip

    assert result.exit_code == 2
    assert "is the input file itself" in words(result.output)
    assert numbers.read_bytes() == before


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("", "the file is empty"),
        ("number\n\n", "has a header and no rows"),
        ("numbr\n11010519491231002X\n", "no column of numbers"),
    ],
)
def test_a_screening_body_without_rows_or_a_column_of_numbers_is_refused_up_front(
    client: TestClient, airline: dict[str, str], seeded: UowFactory, body: str, says: str
) -> None:
    response = screen(client, airline, body)

    assert response.status_code == 422, response.text
    assert says in response.json()["detail"]
    with seeded() as uow:
        assert uow.queries.count("screening") == 0


EXAMPLE = Path(__file__).parents[2] / "examples" / "screen.csv"


def test_the_shipped_example_file_screens_as_the_docs_say(migrated: str, tmp_path: Path) -> None:
    """docs/command-line.md shows this file and its result: keep them true."""
    example = tmp_path / EXAMPLE.name
    example.write_bytes(EXAMPLE.read_bytes())

    result = run("screen", str(example), "--matter", "flight", "--department", "BJ-CAAC-NC")

    assert result.exit_code == 0, result.output
    assert "4 screened: 0 with measures, 1 invalid; 3 query-log entries written" in words(
        result.stdout
    )
    assert "4/4 rows" in result.stderr
    written = tmp_path / "screen.screened.csv"
    with written.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == [
        "row",
        "证件号码",
        "姓名",
        "航班",
        *["status", "measures", "entries", "field", "reason", "under_objection"],
    ]
    assert [(r[0], r[4], r[7]) for r in rows[1:]] == [
        ("1", "clear", ""),
        ("2", "clear", ""),
        ("4", "clear", ""),
        ("5", "invalid", "证件号码"),
    ]
    assert rows[3][1] == "4401-0619-9207-0425-63"  # kept as sent, checked normalised
    doc = (Path(__file__).parents[2] / "docs" / "command-line.md").read_text(encoding="utf-8")
    for line in written.read_text(encoding="utf-8-sig").splitlines():
        assert line in doc


def test_a_screening_result_escapes_the_formula_cells_of_its_input(
    migrated: str, tmp_path: Path
) -> None:
    numbers = tmp_path / "passengers.csv"
    numbers.write_text(
        "航班,证件号码,note\n"
        f'"=HYPERLINK(""http://evil"")",{citizen_id()},@SUM(A1)\n'
        "CA1502,=1+1,-2\n",
        encoding="utf-8",
    )
    result = run(
        "screen", str(numbers), "--matter", "flight", "--department", "BJ-CAAC-NC", "--json"
    )
    assert result.exit_code == 0, result.output
    with numbers.with_name("passengers.screened.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[1][1] == '\'=HYPERLINK("http://evil")'
    assert rows[1][3] == "'@SUM(A1)"
    assert rows[2][1:4] == ["CA1502", "'=1+1", "'-2"]
    assert rows[2][4] == "invalid"
