"""Batch files read row by row: a malformed row is refused on its own, and a file the reader
cannot go on with is invalid input, never a crash."""

from __future__ import annotations

import io

import pytest

from xinyong.domain.errors import FieldProblem, Invalid
from xinyong.services.batchfiles import BatchFormat, read_rows


def test_a_json_line_nested_too_deeply_is_a_refused_row_and_the_next_line_is_read() -> None:
    body = b"[" * 100_000 + b"\n" + b'{"item": "ADM-PEN-01"}\n' + b'{"n": ' + b"1" * 5000 + b"}\n"
    rows = list(read_rows(io.BytesIO(body), BatchFormat.JSONL))
    assert [n for n, _ in rows] == [1, 2, 3]
    assert isinstance(rows[0][1], FieldProblem)
    assert rows[0][1].reason == "not valid JSON: nested too deeply"
    assert rows[1][1] == {"item": "ADM-PEN-01"}
    assert isinstance(rows[2][1], FieldProblem)


def test_a_csv_cell_beyond_the_reader_limit_is_invalid_input_not_a_crash() -> None:
    body = b"item,violation\nADM-PEN-01,ok\nADM-PEN-01," + b"x" * (2 * 1024 * 1024) + b"\n"
    rows = read_rows(io.BytesIO(body), BatchFormat.CSV)
    assert next(rows)[0] == 1
    with pytest.raises(Invalid, match="after row 1"):
        next(rows)
