"""Batches: files read row by row (a malformed row is refused on its own, a file the reader cannot
go on with is invalid input, never a crash), and the batch use cases over the fakes."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

import pytest

from tests.factories import penalty_row
from tests.fakes import FakeUnitOfWork
from xinyong.domain.audit import EventTag
from xinyong.domain.batches import (
    REQUIRED_COLUMNS,
    BatchSource,
    BatchStatus,
    IngestSummary,
    header_problems,
)
from xinyong.domain.errors import FieldProblem, Invalid, NotFound, RowRejected
from xinyong.domain.policy import Policy
from xinyong.domain.records import validate_row
from xinyong.services.batches import Row, get_batch, ingest_batch
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


# The batch use cases over the fakes: one commit per chunk, resumed after an interruption


def _numbered(rows: list[dict[str, object]]) -> list[tuple[int, Mapping[str, object]]]:
    return list(enumerate(rows, start=1))


def _ingest(uow: FakeUnitOfWork, policy: Policy, rows: Iterable[Row], **kw: Any) -> IngestSummary:
    args: dict[str, Any] = {
        "department": "BJ-AMR",
        "actor": "amr-feed",
        "source": BatchSource.API,
        "chunk_rows": 2,
    }
    args.update(kw)
    return ingest_batch(uow, policy, rows, **args)


def test_a_batch_stores_its_good_rows_a_chunk_at_a_time_and_names_each_refused_field(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    rows = [penalty_row() for _ in range(5)]
    rows[1]["fine_amount"] = "lots"
    rows[3]["subject_id"] = "11010519491231002Y"
    handled: list[int] = []
    commits = uow.commits
    summary = _ingest(uow, policy, _numbered(rows), on_progress=handled.append)
    assert (summary.rows, summary.accepted, summary.rejected) == (5, 3, 2)
    assert {(e.row, e.field) for e in summary.errors} == {(2, "fine_amount"), (4, "subject_id")}
    assert handled == [2, 4, 5]
    assert uow.commits - commits == 4  # opened, three chunks (the last completes the batch)
    assert len(uow.committed.records) == 3
    assert [e.tag for e in uow.committed.audit if e.entity_type == "batch"] == [
        EventTag.BATCH_OPENED,
        EventTag.BATCH_PROGRESSED,
        EventTag.BATCH_PROGRESSED,
        EventTag.BATCH_PROGRESSED,
        EventTag.BATCH_COMPLETED,
    ]
    assert summary.batch_id is not None
    stored = get_batch(uow, summary.batch_id, department="BJ-AMR", actor="bj-amr")
    assert (stored.accepted, stored.rejected, stored.errors) == (3, 2, summary.errors)


def test_an_interrupted_file_batch_resumes_after_its_last_committed_chunk(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    rows = _numbered([penalty_row() for _ in range(7)])

    def dying() -> Iterator[tuple[int, Mapping[str, object]]]:
        for n, row in rows:
            if n > 5:
                raise KeyboardInterrupt  # the process dies while reading row 6
            yield n, row

    file = {"source": BatchSource.FILE, "sha256": "a" * 64}
    with pytest.raises(KeyboardInterrupt):
        _ingest(uow, policy, dying(), **file)
    assert len(uow.committed.records) == 4  # two chunks of two; row 5 was never committed
    summary = _ingest(uow, policy, rows, **file)
    assert summary.resumed_from_row == 4
    assert (summary.rows, summary.accepted, summary.unchanged) == (7, 7, 0)
    assert len(uow.committed.records) == 7
    assert len(uow.committed.batches) == 1


def test_an_unreadable_input_fails_its_batch_and_keeps_what_was_committed(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    def breaking() -> Iterator[tuple[int, Mapping[str, object]]]:
        yield from _numbered([penalty_row(), penalty_row()])
        raise Invalid("the file is not UTF-8 text near line 4")

    with pytest.raises(Invalid):
        _ingest(uow, policy, breaking())
    [batch] = uow.committed.batches.values()
    assert (batch.status, batch.rows_done, batch.accepted) == (BatchStatus.FAILED, 2, 2)
    [failed] = [e for e in uow.committed.audit if e.tag is EventTag.BATCH_FAILED]
    assert failed.reason == "the file is not UTF-8 text near line 4"


def test_a_batch_for_an_unregistered_department_is_refused_before_it_opens(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    before = uow.snapshot()
    with pytest.raises(NotFound, match="not registered"):
        _ingest(uow, policy, _numbered([penalty_row()]), department="NOPE")
    assert uow.committed == before


def test_a_department_reads_only_its_own_batches(uow: FakeUnitOfWork, policy: Policy) -> None:
    summary = _ingest(uow, policy, _numbered([penalty_row()]))
    assert summary.batch_id is not None
    with pytest.raises(NotFound, match=f"^batch {summary.batch_id} does not exist$"):
        get_batch(uow, summary.batch_id, department="BJ-TAX", actor="bj-tax")
    [refused] = [e for e in uow.committed.audit if e.tag is EventTag.MANDATE_REFUSED]
    assert (refused.actor, refused.entity_id) == ("bj-tax", "batch:read")
    assert refused.data == {"department": "BJ-TAX"}
    assert get_batch(uow, summary.batch_id, department=None, actor="centre").accepted == 1


# The header of a CSV batch, checked before any row


@pytest.mark.parametrize("column", REQUIRED_COLUMNS)
def test_each_required_column_is_one_every_row_needs(policy: Policy, column: str) -> None:
    """A row without it is refused whatever its item: so a header without it is refused."""
    row = {k: v for k, v in penalty_row().items() if k != column}
    dept = policy.department("BJ-AMR")
    assert dept is not None
    with pytest.raises(RowRejected) as caught:
        validate_row(row, row=1, department=dept, gate=policy.gate(date(2026, 11, 20)))
    assert (column, "is required") in {(p.field, p.reason) for p in caught.value.problems}
    assert header_problems(list(row), policy.catalog, policy.banned) == [
        f"no column {column} (every row needs it)"
    ]


def test_a_header_of_known_columns_and_banned_ones_passes(policy: Policy) -> None:
    """Every data item of any catalog item may head a column (files carry the union of their
    items' columns); a banned field is refused row by row, with the statutory ban as reason."""
    names = [*penalty_row(), "licence_kind", "award_name", "blood_type"]

    assert header_problems(names, policy.catalog, policy.banned) == []


def test_unknown_columns_are_named_with_the_column_they_resemble(policy: Policy) -> None:
    names = [*penalty_row(), "Fine_Amount", "colour", "11010519491231002X"]

    (problem,) = header_problems(names, policy.catalog, policy.banned)

    assert problem.startswith(f"no catalog {policy.catalog.version} field is called ")
    assert "Fine_Amount (did you mean fine_amount?)" in problem
    assert "colour" in problem
    assert "11010519491231002X" not in problem  # a number in a header is never repeated


def test_on_sqlite_a_chunk_is_small_enough_to_hold_the_write_lock_briefly() -> None:
    """docs/scale.md: SQLite's one write lock is held while a chunk is stored, so a check's
    query-log entry waits for it; PostgreSQL takes the configured chunk whole."""
    from xinyong.config import Settings

    sqlite = Settings(database_url="sqlite:///x.db", ingest_chunk_rows=2000)
    small = Settings(database_url="sqlite:///x.db", ingest_chunk_rows=2)
    postgres = Settings(database_url="postgresql://db/x", ingest_chunk_rows=2000)

    assert sqlite.chunk_rows() == sqlite.ingest_sqlite_chunk_rows == 250
    assert small.chunk_rows() == 2
    assert postgres.chunk_rows() == 2000
