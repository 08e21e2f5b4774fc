"""Batches: files read row by row (a malformed row is refused on its own, a file the reader cannot
go on with is invalid input, never a crash), and the batch use cases over the fakes."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

import pytest

from tests.factories import citizen_id, penalty_row
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
from xinyong.services.batchfiles import BatchFormat, check_body, read_rows
from xinyong.services.departments import sync_departments


def test_a_json_line_nested_too_deeply_is_a_refused_row_and_the_next_line_is_read() -> None:
    body = b"[" * 100_000 + b"\n" + b'{"item": "ADM-PEN-01"}\n' + b'{"n": ' + b"1" * 5000 + b"}\n"
    rows = list(read_rows(io.BytesIO(body), BatchFormat.JSONL))
    assert [n for n, _ in rows] == [1, 2, 3]
    assert isinstance(rows[0][1], FieldProblem)
    assert rows[0][1].reason == "not valid JSON: nested too deeply"
    assert rows[1][1] == {"item": "ADM-PEN-01"}
    assert isinstance(rows[2][1], FieldProblem)


def test_a_csv_cell_beyond_the_reader_limit_is_invalid_input_naming_its_line() -> None:
    body = b"item,violation\nADM-PEN-01,ok\n\nADM-PEN-01," + b"x" * (2 * 1024 * 1024) + b"\n"
    rows = read_rows(io.BytesIO(body), BatchFormat.CSV)
    assert next(rows)[0] == 1
    with pytest.raises(Invalid) as caught:
        next(rows)
    assert caught.value.detail.startswith(
        "line 4 (row 3): a cell holds more than 1048576 characters"
    )


def test_a_quoted_cell_running_past_the_limit_is_named_by_the_line_it_starts_on() -> None:
    """An unclosed quote swallows the lines after it: the line to look at is where it opened."""
    body = b'item,violation\nADM-PEN-01,"ok\n' + b"x" * (1024 * 1024) + b"\nmore\n"
    with pytest.raises(Invalid, match=r"^line 2 \(row 1\): a cell holds more than"):
        list(read_rows(io.BytesIO(body), BatchFormat.CSV))
    with pytest.raises(Invalid, match=r"^line 2 \(row 1\): a cell holds more than"):
        check_body(io.BytesIO(body), BatchFormat.CSV, lambda names: [])


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


def test_a_second_row_for_a_document_of_the_batch_is_refused_naming_the_first(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    """One file, two rows for one record: the first is stored, the second refused (it used to
    overwrite the first, unseen). A document number written another way is the same document."""
    first = penalty_row(document_number="京市监罚〔2026〕77号")
    rows = [
        first,
        penalty_row(),
        penalty_row(),
        penalty_row(document_number="京市监罚[2026] 77号", fine_amount="9000"),
        penalty_row(document_number="京市监罚〔2026〕77号", subject_id="11010519491231002Y"),
    ]
    summary = _ingest(uow, policy, _numbered(rows))
    assert (summary.accepted, summary.updated, summary.rejected) == (3, 0, 2)
    assert [(e.row, e.field, e.code, dict(e.parts)) for e in summary.errors[:1]] == [
        (4, "document_number", "duplicate_in_batch", {"first": "1"}),
    ]
    assert [(e.row, e.field) for e in summary.errors[1:]] == [(5, "subject_id")]
    assert summary.errors[0].reason.startswith("duplicate of row 1: ")
    [stored] = [r for r in uow.committed.records.values() if "77" in r.document_number]
    assert str(stored.fields["fine_amount"]) == "5000.00"  # the first row's, not the fourth's
    assert not [e for e in uow.committed.audit if e.tag is EventTag.RECORD_UPDATED]


def test_a_resumed_batch_still_refuses_a_duplicate_of_a_row_committed_before(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    """The batch's documents are known again on a rerun: from the records its committed chunks
    stored (rows refused store none), so a rerun after kill -9 refuses what the whole run
    would have."""
    rows = [penalty_row() for _ in range(3)]
    rows[1]["fine_amount"] = "lots"  # refused: not a document of the batch
    second = rows[1]["document_number"]
    rows += [
        penalty_row(document_number=second),  # stored: row 2 was refused
        penalty_row(document_number=rows[0]["document_number"]),  # a duplicate of row 1
        penalty_row(document_number=second),  # a duplicate of row 4
    ]
    numbered = _numbered(rows)

    def dying() -> Iterator[tuple[int, Mapping[str, object]]]:
        for n, row in numbered:
            if n > 3:
                raise KeyboardInterrupt
            yield n, row

    file = {"source": BatchSource.FILE, "sha256": "b" * 64}
    elsewhere = FakeUnitOfWork(at=uow.now())
    sync_departments(elsewhere, policy.departments, actor="test")
    whole = _ingest(elsewhere, policy, numbered, **file)  # the same file, never interrupted
    with pytest.raises(KeyboardInterrupt):
        _ingest(uow, policy, dying(), **file)
    summary = _ingest(uow, policy, numbered, **file)
    assert summary.resumed_from_row == 2
    assert [(e.row, e.field, e.code) for e in summary.errors] == [
        (2, "fine_amount", "not_a_number"),
        (5, "document_number", "duplicate_in_batch"),
        (6, "document_number", "duplicate_in_batch"),
    ]
    assert [dict(e.parts) for e in summary.errors[1:]] == [{"first": "1"}, {"first": "4"}]
    assert summary.errors == whole.errors
    assert (summary.accepted, summary.updated, summary.rejected) == (3, 0, 3)


@pytest.mark.parametrize("chunk_rows", [10, 2], ids=["one chunk", "two chunks"])
def test_a_document_this_batch_updated_is_refused_on_a_later_row_naming_it(
    uow: FakeUnitOfWork, policy: Policy, chunk_rows: int
) -> None:
    """Row 1 updates a record an earlier batch stored, so the record now names this batch and
    row 1; row 3 for it is refused in the chunk (one chunk) or from the record (two chunks)."""
    old = penalty_row()
    _ingest(uow, policy, _numbered([old]))
    rows = [{**old, "fine_amount": "6000"}, penalty_row(), {**old, "fine_amount": "7000"}]
    summary = _ingest(uow, policy, _numbered(rows), chunk_rows=chunk_rows)
    assert (summary.accepted, summary.updated, summary.unchanged, summary.rejected) == (1, 1, 0, 1)
    assert [(e.row, e.field, e.code, dict(e.parts)) for e in summary.errors] == [
        (3, "document_number", "duplicate_in_batch", {"first": "1"})
    ]
    [stored] = [
        r for r in uow.committed.records.values() if r.document_number == old["document_number"]
    ]
    assert str(stored.fields["fine_amount"]) == "6000.00"
    assert stored.batch_id == summary.batch_id
    assert len(uow.committed.revisions) == 1  # the earlier batch's version, kept once


@pytest.mark.parametrize(
    ("chunk_rows", "later", "counts", "fine"),
    [
        # In one chunk the rows are compared with each other: the later row is refused.
        (10, "7000", (1, 0, 1, 1), "5000.00"),
        (10, "5000", (1, 0, 1, 1), "5000.00"),
        # Across chunks only the stored record is: row 1 wrote nothing, the record still names
        # the earlier batch, so row 3 is what any other batch's row would be, an update (row
        # 1's version, the stored one, is kept as its revision) or unchanged again.
        (2, "7000", (1, 1, 1, 0), "7000.00"),
        (2, "5000", (1, 0, 2, 0), "5000.00"),
    ],
    ids=["one chunk, changed", "one chunk, same", "two chunks, changed", "two chunks, same"],
)
def test_a_row_that_left_its_record_unchanged_is_known_to_its_own_chunk_only(
    uow: FakeUnitOfWork,
    policy: Policy,
    chunk_rows: int,
    later: str,
    counts: tuple[int, int, int, int],
    fine: str,
) -> None:
    """What a row that changed nothing leaves behind is nothing: remembering it past its chunk
    would take memory growing with the file (or a write per unchanged row)."""
    old = penalty_row()
    _ingest(uow, policy, _numbered([old]))
    rows = [dict(old), penalty_row(), {**old, "fine_amount": later}]
    summary = _ingest(uow, policy, _numbered(rows), chunk_rows=chunk_rows)
    assert (summary.accepted, summary.updated, summary.unchanged, summary.rejected) == counts
    assert [(e.row, e.code) for e in summary.errors] == [(3, "duplicate_in_batch")] * counts[3]
    [stored] = [
        r for r in uow.committed.records.values() if r.document_number == old["document_number"]
    ]
    assert str(stored.fields["fine_amount"]) == fine
    assert [str(r.fields["fine_amount"]) for r in uow.committed.revisions] == (
        ["5000.00"] if counts[1] else []
    )


@pytest.mark.parametrize("chunk_rows", [10, 2], ids=["one chunk", "two chunks"])
def test_a_document_this_batch_sent_into_an_identity_review_is_refused_on_a_later_row(
    uow: FakeUnitOfWork, policy: Policy, chunk_rows: int
) -> None:
    """Row 1 resubmits a stored document naming another person: the record is held and the
    resubmission waits in a review (the record itself unchanged, still the earlier batch's);
    row 2 is a new document whose name disagrees with its known person, stored held. A later
    row for either is refused, never a second review of the same document."""
    old, known = penalty_row(), penalty_row()
    _ingest(uow, policy, _numbered([old, known]))
    other = citizen_id(born=date(1990, 1, 2))
    conflicting = penalty_row(subject_id=known["subject_id"], subject_name="李娜")
    rows = [
        {**old, "subject_id": other},
        conflicting,
        {**old, "subject_id": other, "fine_amount": "7000"},
        {**conflicting, "fine_amount": "7000"},
    ]
    reviews = len(uow.committed.reviews)
    summary = _ingest(uow, policy, _numbered(rows), chunk_rows=chunk_rows)
    assert [(e.row, e.code, dict(e.parts)) for e in summary.errors] == [
        (3, "duplicate_in_batch", {"first": "1"}),
        (4, "duplicate_in_batch", {"first": "2"}),
    ]
    assert (summary.accepted, summary.updated, summary.held_for_review) == (1, 0, 2)
    assert len(uow.committed.reviews) - reviews == 2
    assert [p.submission.row for p in uow.committed.pending.values()] == [1]


def test_a_rerun_refuses_what_the_whole_run_refuses_reading_only_the_stored_records(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    """The rows a resumed batch skips are not read at all (here they are blank): the documents
    its committed chunks stored are found in their records, as an uninterrupted run finds them."""
    updated, unchanged, fifth = penalty_row(), penalty_row(), penalty_row()
    rows = [
        {**updated, "fine_amount": "6000"},  # 1: updates a record of an earlier batch
        dict(unchanged),  # 2: leaves one unchanged
        penalty_row(),  # 3: new
        penalty_row(document_number=updated["document_number"]),  # 4: a duplicate of row 1
        fifth,  # 5: new
        {**unchanged, "fine_amount": "7000"},  # 6: a later chunk's row for row 2's document
        penalty_row(document_number=fifth["document_number"]),  # 7: a duplicate of row 5
    ]
    numbered = _numbered(rows)
    file = {"source": BatchSource.FILE, "sha256": "c" * 64}

    def earlier(target: FakeUnitOfWork) -> None:
        _ingest(target, policy, _numbered([updated, unchanged]))

    elsewhere = FakeUnitOfWork(at=uow.now())
    sync_departments(elsewhere, policy.departments, actor="test")
    earlier(elsewhere)
    whole = _ingest(elsewhere, policy, numbered, **file)
    earlier(uow)

    def dying() -> Iterator[tuple[int, Mapping[str, object]]]:
        for n, row in numbered:
            if n > 5:
                raise KeyboardInterrupt  # killed reading row 6: rows 1-4 are committed
            yield n, row

    with pytest.raises(KeyboardInterrupt):
        _ingest(uow, policy, dying(), **file)
    skipped: list[tuple[int, Mapping[str, object]]] = [(n, {}) for n, _ in numbered[:4]]
    summary = _ingest(uow, policy, [*skipped, *numbered[4:]], **file)
    assert summary.resumed_from_row == 4
    assert [(e.row, e.code, dict(e.parts)) for e in summary.errors] == [
        (4, "duplicate_in_batch", {"first": "1"}),
        (7, "duplicate_in_batch", {"first": "5"}),
    ]
    assert summary.errors == whole.errors
    counts = ("accepted", "updated", "unchanged", "rejected")
    assert [getattr(summary, c) for c in counts] == [getattr(whole, c) for c in counts]
    assert [getattr(summary, c) for c in counts] == [2, 2, 1, 2]
    mine = {r.document_number: r.fields for r in uow.committed.records.values()}
    theirs = {r.document_number: r.fields for r in elsewhere.committed.records.values()}
    assert mine == theirs


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


def test_rows_outside_the_departments_mandate_are_audited_once_per_chunk_by_their_numbers(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    numbers = [citizen_id() for _ in range(5)]
    court = {"authority_name": "北京市朝阳区人民法院", "authority_uscc": "1111010500001105X2"}
    rows = [penalty_row(subject_id=n) for n in numbers]
    rows[0].update(court)  # another authority's decision
    rows[1].update(court)
    rows[3]["item"] = "SU-TAX-01"  # an item market regulation may not provide
    rows[4]["fine_amount"] = "lots"  # refused, but not for want of a mandate
    summary = _ingest(uow, policy, _numbered(rows), chunk_rows=3)
    assert (summary.accepted, summary.rejected) == (1, 4)
    refused = [e for e in uow.committed.audit if e.tag is EventTag.MANDATE_REFUSED]
    assert [(e.actor, e.entity_id, e.data) for e in refused] == [
        (
            "amr-feed",
            "record:submit",
            {"department": "BJ-AMR", "batch_id": summary.batch_id, "rows": rows},
        )
        for rows in ({"not_own_authority": [1, 2]}, {"item_not_mandated": [4]})
    ]
    assert not any(n in str(e) for e in refused for n in numbers)


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
