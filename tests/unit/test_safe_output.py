"""Every CSV the platform writes escapes formula cells and keeps every column of its input, and
git ignores the files the commands write beside their input."""

from __future__ import annotations

import csv
import io
import json
from fnmatch import fnmatch
from pathlib import Path

import pytest

from xinyong.domain.errors import FieldProblem
from xinyong.services.batchfiles import (
    BatchFormat,
    SafeCsvWriter,
    derived_path,
    safe_cell,
    write_rejects,
)

ROOT = Path(__file__).resolve().parents[2]

FORMULAS = ['=HYPERLINK("http://x","y")', "@SUM(A1:A9)", "+1+1", "-2+3", "\t=1", "\r=1"]


@pytest.mark.parametrize("cell", FORMULAS)
def test_a_formula_cell_is_written_as_text(cell: str) -> None:
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["王秀英", "5000", "2026-09-01", "a=b", "", "'=kept"])
def test_other_cells_are_written_as_they_are(cell: str) -> None:
    assert safe_cell(cell) == cell
    assert safe_cell(5) == 5


def test_the_writer_escapes_every_cell_header_included() -> None:
    out = io.StringIO()
    SafeCsvWriter(out).writerow(["=cmd", "ok", 3])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'=cmd", "ok", "3"]


def test_a_reject_file_escapes_formulas_and_keeps_every_input_column(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "item,subject_name,fine_amount,note\n"
        "ADM-PEN-01,王秀英,5000,\n"  # row 1: accepted
        '=HYPERLINK("http://evil"),李四,=1+1,\n'  # row 2: refused, its last cell empty
        "ADM-PEN-01,@SUM(A1),12,kept\n",  # row 3: refused
        encoding="utf-8",
    )
    problems = [
        FieldProblem("item", "is not an item of catalog 2024.1", 2),
        FieldProblem("fine_amount", "must be a number", 2),
        FieldProblem("subject_name", "must be a name", 3),
    ]
    target = tmp_path / "in.rejects.csv"
    assert write_rejects(source, BatchFormat.CSV, problems, target) == 2
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    # The input's header, every column of it, whatever the refused rows hold.
    assert rows[0] == [
        *("row", "field", "reason", "code"),
        *("item", "subject_name", "fine_amount", "note"),
    ]
    assert rows[1][4:] == ['\'=HYPERLINK("http://evil")', "李四", "'=1+1", ""]
    assert rows[2][4:] == ["ADM-PEN-01", "'@SUM(A1)", "12", "kept"]
    assert not any(cell.startswith(("=", "@", "+", "-")) for row in rows for cell in row)


def test_a_json_lines_reject_file_keeps_every_key_of_every_refused_line(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    lines = [{"item": "=1+1", "a": 1}, {"item": "X", "b": "@x"}]
    source.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    problems = [FieldProblem("item", "unknown", 1), FieldProblem("item", "unknown", 2)]
    target = tmp_path / "in.rejects.csv"
    write_rejects(source, BatchFormat.JSONL, problems, target)
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert rows[0][4:] == ["item", "a", "b"]
    assert rows[1][4:] == ["'=1+1", "1", ""]
    assert rows[2][4:] == ["X", "", "'@x"]


@pytest.mark.parametrize("what", ["screened", "rejects"])
def test_what_a_command_writes_beside_an_example_file_is_ignored_by_git(what: str) -> None:
    written = derived_path(ROOT / "examples" / "screen.csv", what)  # `xinyong screen` and `ingest`
    ignored = [
        line.strip()
        for line in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert any(fnmatch(written.name, pattern) for pattern in ignored), written.name
