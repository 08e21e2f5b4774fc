"""Defects found in review: ID numbers echoed in refusals, input that crashed a batch.

The database tests run on SQLite and PostgreSQL; the first ones need no database.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import select

from tests.factories import citizen_id, penalty_row
from xinyong.db.batches import BatchRow
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.batches import BatchSource
from xinyong.domain.errors import FieldProblem, Invalid, RowRejected
from xinyong.domain.policy import Policy
from xinyong.domain.records import validate_row
from xinyong.services.batches import get_batch, ingest_batch
from xinyong.services.batchfiles import BatchFormat, read_rows

UowFactory = Callable[[], SqlUnitOfWork]
TODAY = date(2026, 11, 20)


def refusal(policy: Policy, raw: dict[str, object]) -> list[FieldProblem]:
    department = policy.department("BJ-AMR")
    assert department is not None
    with pytest.raises(RowRejected) as caught:
        validate_row(raw, row=3, department=department, gate=policy.gate(TODAY))
    return caught.value.problems


@pytest.mark.parametrize(
    "field", ["item", "decision_date", "fine_amount", "penalty_type", "valid_until"]
)
def test_an_id_number_typed_into_another_column_is_never_repeated(
    policy: Policy, field: str
) -> None:
    number = citizen_id()
    problems = refusal(policy, penalty_row(**{field: number}))
    assert [p.field for p in problems] == [field]
    for spaced in (number, f"{number[:6]} {number[6:14]} {number[14:]}"):
        problems = refusal(policy, penalty_row(**{field: spaced}))
        assert number[:14] not in problems[0].reason.replace(" ", "")


def test_a_header_row_made_of_data_does_not_repeat_the_id_number_as_a_field_name(
    policy: Policy,
) -> None:
    number = citizen_id()  # a CSV sent without its header: the first row's cells become names
    problems = refusal(policy, {**penalty_row(), number: "x"})
    assert len(problems) == 1
    assert number not in problems[0].field
    assert number not in str(RowRejected(problems))


def test_a_field_name_with_control_characters_or_no_end_is_named_safely(
    policy: Policy,
) -> None:
    problems = refusal(policy, {**penalty_row(), "a\x00b": "1", "x" * 5000: "1"})
    names = [p.field for p in problems]
    assert all(name.isprintable() and len(name) <= 100 for name in names)
    assert "a?b" in names


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


def _ingest(make_uow: UowFactory, policy: Policy, rows: object, **kw: object):
    return ingest_batch(
        make_uow(),
        policy,
        rows,  # type: ignore[arg-type]
        department="BJ-AMR",
        actor="test",
        source=BatchSource.API,
        chunk_rows=2,
        **kw,  # type: ignore[arg-type]
    )


def test_an_odd_field_name_is_refused_on_its_row_and_the_batch_goes_on(
    seeded: UowFactory, policy: Policy
) -> None:
    # PostgreSQL refused to store these names in batch_rejects (NUL; longer than the column),
    # which sank the whole batch there while SQLite took it.
    rows = [
        {**penalty_row(), "x" * 300: "1"},
        {**penalty_row(), "a\x00b": "1"},
        penalty_row(),
    ]
    summary = _ingest(seeded, policy, list(enumerate(rows, start=1)))
    assert (summary.accepted, summary.rejected) == (1, 2)
    assert {e.row for e in summary.errors} == {1, 2}


def test_an_id_number_in_the_wrong_column_is_not_stored_in_the_batch_rejects(
    seeded: UowFactory, policy: Policy
) -> None:
    number = citizen_id()
    rows = [penalty_row(decision_date=number), {**penalty_row(), number: "x"}]
    summary = _ingest(seeded, policy, list(enumerate(rows, start=1)))
    assert summary.rejected == 2
    assert summary.batch_id is not None
    stored = get_batch(seeded(), summary.batch_id, department=None).errors
    assert len(stored) == 2
    assert not any(number in f"{p.field} {p.reason}" for p in stored)


def test_a_csv_that_breaks_the_reader_fails_its_batch_and_keeps_the_rows_before(
    seeded: UowFactory, policy: Policy
) -> None:
    columns = list(penalty_row())
    good = [",".join(str(penalty_row()[c]) for c in columns) for _ in range(2)]
    body = "\n".join([",".join(columns), *good, "ADM-PEN-01," + "x" * (2 * 1024 * 1024)])
    with pytest.raises(Invalid):
        _ingest(seeded, policy, read_rows(io.BytesIO(body.encode()), BatchFormat.CSV))
    uow = seeded()
    with uow:
        batch = uow.session.scalars(select(BatchRow)).one()
        assert (batch.status, batch.rows_done, batch.accepted) == ("failed", 2, 2)
