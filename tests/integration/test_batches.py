"""Ingestion on a real database: stored once, refused with reasons, resumed after interruption."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session

from tests.factories import PUBLIC_URL, citizen_id, penalty_row
from xinyong.db.batches import BatchRow
from xinyong.db.chain import SqlChainStore
from xinyong.db.records import CreditRecordRow, RecordRevisionRow
from xinyong.db.subjects import IdentityReviewRow, SubjectRow
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain import vault
from xinyong.domain.audit import EventTag
from xinyong.domain.batches import BatchSource, IngestSummary
from xinyong.domain.errors import Invalid
from xinyong.domain.policy import Policy
from xinyong.domain.records import RecordStatus
from xinyong.services import batches
from xinyong.services.audit import verify_logs
from xinyong.services.batches import get_batch, ingest_batch
from xinyong.services.batchfiles import BatchFormat, read_rows
from xinyong.services.reports import build_report

UowFactory = Callable[[], SqlUnitOfWork]


def _count(make_uow: UowFactory, table: type) -> int:
    uow = make_uow()
    with uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def _ingest(make_uow: UowFactory, policy: Policy, rows: list[dict[str, object]], **kw: object):
    return ingest_batch(
        make_uow(),
        policy,
        list(enumerate(rows, start=1)),
        department="BJ-AMR",
        actor="test",
        source=BatchSource.API,
        chunk_rows=kw.pop("chunk_rows", 3),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def _ingest_rows(make_uow: UowFactory, policy: Policy, rows: object, **kw: object):
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


def test_a_batch_stores_valid_rows_and_names_each_refused_field(
    seeded: UowFactory, policy: Policy
) -> None:
    rows = [penalty_row() for _ in range(5)]
    rows[1]["fine_amount"] = "lots"
    rows[3]["subject_id"] = "11010519491231002Y"
    summary = _ingest(seeded, policy, rows)
    assert (summary.accepted, summary.rejected) == (3, 2)
    problems = {(e.row, e.field) for e in summary.errors}
    assert problems == {(2, "fine_amount"), (4, "subject_id")}
    assert "check character" in next(e.reason for e in summary.errors if e.row == 4)
    assert _count(seeded, CreditRecordRow) == 3


def test_sending_the_same_rows_again_adds_nothing(seeded: UowFactory, policy: Policy) -> None:
    rows = [penalty_row() for _ in range(7)]
    _ingest(seeded, policy, rows)
    again = _ingest(seeded, policy, rows)
    assert (again.accepted, again.unchanged, again.updated) == (0, 7, 0)
    assert _count(seeded, CreditRecordRow) == 7
    assert _count(seeded, SubjectRow) == 7


def test_a_changed_resubmission_updates_and_keeps_the_old_version(
    seeded: UowFactory, policy: Policy
) -> None:
    row = penalty_row(fine_amount="1000")
    _ingest(seeded, policy, [row])
    summary = _ingest(seeded, policy, [{**row, "fine_amount": "80000"}])
    assert summary.updated == 1
    assert _count(seeded, CreditRecordRow) == 1
    assert _count(seeded, RecordRevisionRow) == 1
    uow = seeded()
    with uow:
        stored = uow.session.scalars(select(CreditRecordRow)).one()
        assert stored.fields["fine_amount"] == "80000.00"
        assert stored.severity == "serious"


@pytest.mark.parametrize("chunk_rows", [10, 1], ids=["one chunk", "two chunks"])
def test_the_same_document_twice_in_one_batch_is_stored_once_and_the_second_refused(
    seeded: UowFactory, policy: Policy, chunk_rows: int
) -> None:
    """The second row used to overwrite the first (counted `updated`, nothing said)."""
    row = penalty_row(fine_amount="100")
    summary = _ingest(seeded, policy, [row, {**row, "fine_amount": "200"}], chunk_rows=chunk_rows)
    assert (summary.accepted, summary.updated, summary.rejected) == (1, 0, 1)
    assert [(e.row, e.field, e.code, e.parts) for e in summary.errors] == [
        (2, "document_number", "duplicate_in_batch", (("first", "1"),))
    ]
    uow = seeded()
    with uow:
        stored = uow.session.scalars(select(CreditRecordRow)).one()
        assert stored.fields["fine_amount"] == "100.00"
    assert _count(seeded, RecordRevisionRow) == 0


def test_a_resumed_file_batch_refuses_a_duplicate_of_a_row_committed_before_it_stopped(
    seeded: UowFactory, policy: Policy
) -> None:
    first = penalty_row(fine_amount="100")
    rows = list(
        enumerate([first, penalty_row(), penalty_row(), {**first, "fine_amount": "200"}], start=1)
    )

    def dying():
        for n, row in rows:
            if n > 3:
                raise KeyboardInterrupt  # killed while reading row 4
            yield n, row

    def ingest(numbered: object) -> IngestSummary:
        return ingest_batch(
            seeded(),
            policy,
            numbered,  # type: ignore[arg-type]
            department="BJ-AMR",
            actor="t",
            source=BatchSource.FILE,
            sha256="d" * 64,
            chunk_rows=2,
        )

    with pytest.raises(KeyboardInterrupt):
        ingest(dying())
    summary = ingest(rows)
    assert summary.resumed_from_row == 2
    assert (summary.accepted, summary.updated, summary.rejected) == (3, 0, 1)
    assert [(e.row, e.code) for e in summary.errors] == [(4, "duplicate_in_batch")]
    assert _count(seeded, RecordRevisionRow) == 0


def test_a_later_chunk_finds_the_row_of_its_batch_in_the_stored_record_or_review(
    seeded: UowFactory, policy: Policy
) -> None:
    """Across chunks the earlier row is read from the database: the record an update of this
    batch wrote (`batch_id`, `source_row`), the resubmission an open review holds from it
    (sealed in the review), or nothing for a row that left its record unchanged."""
    updated, moved, unchanged = penalty_row(), penalty_row(), penalty_row()
    earlier = _ingest(seeded, policy, [updated, moved, unchanged])
    other = citizen_id(born=date(1990, 1, 2))
    rows = [
        {**updated, "fine_amount": "6000"},  # 1: updates a record of the earlier batch
        {**moved, "subject_id": other},  # 2: names another person: held, in a review
        dict(unchanged),  # 3: changes nothing
        {**updated, "fine_amount": "7000"},  # 4: refused, row 1
        {**moved, "subject_id": other, "fine_amount": "7000"},  # 5: refused, row 2
        {**unchanged, "fine_amount": "7000"},  # 6: an update (row 3 wrote nothing)
    ]
    summary = _ingest(seeded, policy, rows, chunk_rows=3)
    assert [(e.row, e.code, dict(e.parts)) for e in summary.errors] == [
        (4, "duplicate_in_batch", {"first": "1"}),
        (5, "duplicate_in_batch", {"first": "2"}),
    ]
    assert (summary.updated, summary.unchanged, summary.held_for_review) == (2, 1, 1)
    assert _count(seeded, IdentityReviewRow) == 1
    uow = seeded()
    with uow:
        stored = {
            r.document_number: (r.batch_id, r.source_row, r.fields["fine_amount"])
            for r in uow.session.scalars(select(CreditRecordRow))
        }
    assert stored == {
        updated["document_number"]: (summary.batch_id, 1, "6000.00"),
        moved["document_number"]: (earlier.batch_id, 2, "5000.00"),
        unchanged["document_number"]: (summary.batch_id, 6, "7000.00"),
    }


def test_a_conflicting_name_is_held_for_review_not_merged(
    seeded: UowFactory, policy: Policy
) -> None:
    number = citizen_id()
    _ingest(seeded, policy, [penalty_row(subject_id=number, subject_name="李建国")])
    summary = _ingest(seeded, policy, [penalty_row(subject_id=number, subject_name="李建围")])
    assert summary.accepted == 1
    assert summary.held_for_review == 1
    uow = seeded()
    with uow:
        subject = uow.subjects.get_by_number(number)
        assert subject is not None
        assert subject.name == "李建国"
        held = uow.session.scalars(
            select(CreditRecordRow).where(
                CreditRecordRow.status == RecordStatus.IDENTITY_HOLD.value
            )
        ).one()
        review = uow.session.scalars(select(IdentityReviewRow)).one()
        assert review.record_id == held.id
        assert (review.known_value, review.submitted_value) == ("李建国", "李建围")


def test_a_region_code_newer_than_the_birth_year_is_stored(
    seeded: UowFactory, policy: Policy
) -> None:
    # 440305 (Shenzhen Nanshan) dates from 1983: the number was issued there after 1965.
    summary = _ingest(seeded, policy, [penalty_row(subject_id="440305196501011232")])
    assert (summary.accepted, summary.rejected) == (1, 0)
    uow = seeded()
    with uow:
        subject = uow.subjects.get_by_number("440305196501011232")
        assert subject is not None
        assert subject.region_code == "440305"
        assert subject.birth_date is not None
        assert subject.birth_date.year == 1965


def test_a_region_code_unknown_to_the_table_is_stored_not_refused(
    seeded: UowFactory, policy: Policy
) -> None:
    number = citizen_id(region="449999")
    summary = _ingest(seeded, policy, [penalty_row(subject_id=number)])
    assert (summary.accepted, summary.rejected) == (1, 0)
    assert _count(seeded, CreditRecordRow) == 1
    uow = seeded()
    with uow:
        subject = uow.subjects.get_by_number(number)
        assert subject is not None
        assert subject.id is not None
    # The person's report names the region by its code: the table has no name for it.
    report = build_report(
        seeded(), policy, subject.id, actor="test", secret_key="test", public_url=PUBLIC_URL
    )
    assert report.region == "449999"


def test_a_stated_birth_date_that_contradicts_the_number_is_held(
    seeded: UowFactory, policy: Policy
) -> None:
    summary = _ingest(seeded, policy, [penalty_row(birth_date="1990-01-01")])
    assert summary.held_for_review == 1


def test_an_interrupted_file_batch_resumes_after_its_last_committed_chunk(
    seeded: UowFactory, policy: Policy
) -> None:
    rows = list(enumerate([penalty_row() for _ in range(10)], start=1))

    def dying(limit: int):
        for n, row in rows:
            if n > limit:
                raise KeyboardInterrupt  # the process dies while reading row 8
            yield n, row

    with pytest.raises(KeyboardInterrupt):
        ingest_batch(
            seeded(),
            policy,
            dying(7),
            department="BJ-AMR",
            actor="t",
            source=BatchSource.FILE,
            sha256="f" * 64,
            chunk_rows=3,
        )
    assert _count(seeded, CreditRecordRow) == 6  # two chunks of three committed
    summary = ingest_batch(
        seeded(),
        policy,
        rows,
        department="BJ-AMR",
        actor="t",
        source=BatchSource.FILE,
        sha256="f" * 64,
        chunk_rows=3,
    )
    assert summary.resumed_from_row == 6
    assert (summary.rows, summary.accepted, summary.rejected) == (10, 10, 0)
    assert _count(seeded, CreditRecordRow) == 10


def test_an_unreadable_input_fails_its_batch_and_keeps_what_was_committed(
    seeded: UowFactory, policy: Policy
) -> None:
    rows = [penalty_row() for _ in range(4)]

    def breaking():
        yield from enumerate(rows, start=1)
        raise Invalid("the file is not UTF-8 text near line 6")

    with pytest.raises(Invalid):
        ingest_batch(
            seeded(),
            policy,
            breaking(),
            department="BJ-AMR",
            actor="t",
            source=BatchSource.API,
            chunk_rows=2,
        )
    uow = seeded()
    with uow:
        batch = uow.session.scalars(select(BatchRow)).one()
        assert (batch.status, batch.rows_done, batch.accepted) == ("failed", 4, 4)
    assert _count(seeded, CreditRecordRow) == 4


def test_an_unexpected_error_on_one_row_costs_that_row_only(
    seeded: UowFactory, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = batches.validate_row
    rows = [penalty_row() for _ in range(3)]

    def flaky(raw, **kw):
        if kw["row"] == 2:
            raise ArithmeticError("a bug in a rule")
        return real(raw, **kw)

    monkeypatch.setattr(batches, "validate_row", flaky)
    summary = _ingest(seeded, policy, rows)
    assert (summary.accepted, summary.rejected) == (2, 1)
    assert summary.errors[0].row == 2
    assert "could not be checked" in summary.errors[0].reason


def test_a_held_record_stays_held_when_resent_until_its_review_is_resolved(
    seeded: UowFactory, policy: Policy
) -> None:
    number = citizen_id()
    _ingest(seeded, policy, [penalty_row(subject_id=number, subject_name="李建国")])
    row = penalty_row(subject_id=number, subject_name="李建围")
    _ingest(seeded, policy, [row])
    again = _ingest(seeded, policy, [{**row, "subject_name": "李建国", "fine_amount": "900"}])
    assert (again.updated, again.held_for_review) == (1, 0)
    uow = seeded()
    with uow:
        statuses = sorted(uow.session.scalars(select(CreditRecordRow.status)))
        reviews = uow.session.scalars(select(IdentityReviewRow)).all()
    assert statuses == ["active", "identity_hold"]
    assert len(reviews) == 1


# Input that once sank a batch or leaked an ID number into its stored refusals


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
    summary = _ingest_rows(seeded, policy, list(enumerate(rows, start=1)))
    assert (summary.accepted, summary.rejected) == (1, 2)
    assert {e.row for e in summary.errors} == {1, 2}


def test_an_id_number_in_the_wrong_column_is_not_stored_in_the_batch_rejects(
    seeded: UowFactory, policy: Policy
) -> None:
    number = citizen_id()
    rows = [penalty_row(decision_date=number), {**penalty_row(), number: "x"}]
    summary = _ingest_rows(seeded, policy, list(enumerate(rows, start=1)))
    assert summary.rejected == 2
    assert summary.batch_id is not None
    stored = get_batch(seeded(), summary.batch_id, department=None, actor="centre").errors
    assert len(stored) == 2
    assert not any(number in f"{p.field} {p.reason}" for p in stored)


def test_a_csv_that_breaks_the_reader_fails_its_batch_and_keeps_the_rows_before(
    seeded: UowFactory, policy: Policy
) -> None:
    columns = list(penalty_row())
    good = [",".join(str(penalty_row()[c]) for c in columns) for _ in range(2)]
    body = "\n".join([",".join(columns), *good, "ADM-PEN-01," + "x" * (2 * 1024 * 1024)])
    with pytest.raises(Invalid):
        _ingest_rows(seeded, policy, read_rows(io.BytesIO(body.encode()), BatchFormat.CSV))
    uow = seeded()
    with uow:
        batch = uow.session.scalars(select(BatchRow)).one()
        assert (batch.status, batch.rows_done, batch.accepted) == ("failed", 2, 2)


def test_a_chunk_stages_only_sealed_identifiers_and_leaves_its_staging_empty(
    seeded: UowFactory, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/at-rest.md: the staging table a chunk's records pass through is a table like any
    other: no clear ID number is written to it, the subject's or one typed into a field, and
    it is empty again before the chunk commits."""
    from xinyong.db import record_sets

    staged: list[tuple[object, ...]] = []
    left: list[int] = []
    stage, store_set = record_sets._stage, record_sets.store_set

    def spy_stage(conn: Connection, rows: list[tuple[object, ...]]) -> None:
        staged.extend(rows)
        stage(conn, rows)

    def spy_store(session: Session, *args: Any) -> None:
        store_set(session, *args)
        count = session.connection().exec_driver_sql("SELECT count(*) FROM record_stage")
        left.append(int(count.scalar_one()))

    monkeypatch.setattr(record_sets, "_stage", spy_stage)
    monkeypatch.setattr(record_sets, "store_set", spy_store)
    person, witness = citizen_id(), citizen_id()
    row = penalty_row(subject_id=person, violation=f"代他人（{witness}）销售过期食品")
    _ingest(seeded, policy, [row, penalty_row(subject_id=person)])
    _ingest(seeded, policy, [{**row, "fine_amount": "80000"}])  # a change: staged again

    assert len(staged) == 3
    assert person not in repr(staged)
    assert witness not in repr(staged)
    assert left == [0, 0]
    uow = seeded()
    with uow:
        stored = uow.session.scalars(select(CreditRecordRow)).all()
        assert witness in repr([r.fields for r in stored])  # read back in clear


def test_a_chunk_of_corrections_audits_each_one_on_the_chain(
    seeded: UowFactory, policy: Policy, engine: Engine
) -> None:
    """The updated records' audit events are written as one set, each linked to the one
    before it: the chain verifies, with one event per corrected record."""
    rows = [penalty_row(fine_amount="1000") for _ in range(5)]
    _ingest(seeded, policy, rows, chunk_rows=10)
    summary = _ingest(seeded, policy, [{**r, "fine_amount": "2000"} for r in rows], chunk_rows=10)

    assert summary.updated == 5
    assert _count(seeded, RecordRevisionRow) == 5
    states = verify_logs(SqlChainStore(engine), vault.current())
    assert [s.findings for s in states] == [[] for _ in states]
    uow = seeded()
    with uow:
        assert uow.audit.count(EventTag.RECORD_UPDATED.value) == 5
