"""Records, revisions and list entries keyed by subject (hashed by it on PostgreSQL; docs/scale.md):
one record per document still, whatever partition each person's rows are in, and every reference
to a record follows it when an identity review finds it is another person's (its earlier
versions stay the history of the person they were about: test_moved_records.py)."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from tests.factories import citizen_id, penalty_row
from xinyong.db.objections import ObjectionRow
from xinyong.db.partitions import HASHED
from xinyong.db.records import RecordDocumentRow, RecordRevisionRow
from xinyong.db.subjects import IdentityReviewRow
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.calendar import business_date
from xinyong.domain.policy import Policy
from xinyong.domain.records import RecordStatus, validate_row
from xinyong.services import objections
from xinyong.services.departments import require_department
from xinyong.services.records import NewRecord, resolve_identity_review, submit_record
from xinyong.services.subjects import list_identity_reviews

UowFactory = Callable[[], SqlUnitOfWork]


def test_a_record_found_to_be_another_persons_takes_every_reference_along(
    seeded: UowFactory, policy: Policy
) -> None:
    row = penalty_row(subject_name="王秀英")
    first = submit_record(seeded(), policy, row, department="BJ-AMR", actor="t")
    was = first.record.subject_id
    objection = objections.file_objection(
        seeded(), policy, subject_id=was, record_id=first.record.id, entry_id=None,
        ground="error_or_omission", reasons="不是我", actor="account:1",
    )  # fmt: skip
    moved = {**row, "subject_id": citizen_id(), "subject_name": "张伟"}
    submit_record(seeded(), policy, moved, department="BJ-AMR", actor="t")
    [review] = list_identity_reviews(seeded())
    resolve_identity_review(seeded(), policy, review.id, same_person=False, note="核对原件",
                            actor="c")  # fmt: skip

    now = review.other_subject_id
    assert now is not None
    assert now != was
    with seeded() as uow:
        s = uow.session
        assert uow.records.get(first.record.id).subject_id == now
        # The record's own rows follow it: its document, and the reference of its earlier
        # version, which stays the history of the person it was about then.
        assert s.scalars(select(RecordDocumentRow.subject_id)).all() == [now]
        revisions = s.execute(
            select(RecordRevisionRow.subject_id, RecordRevisionRow.record_subject_id)
        )
        assert [tuple(r) for r in revisions] == [(was, now)]
        # What others filed about it keeps who filed it, and points at the record where it is.
        case = s.get(ObjectionRow, objection.id)
        assert case is not None
        assert (case.subject_id, case.record_subject_id) == (was, now)
        held = s.get(IdentityReviewRow, review.id)
        assert held is not None
        assert (held.subject_id, held.record_subject_id) == (was, now)

    # A reference names the record's subject with its id, or neither: never one alone (a key of
    # two columns is not checked while one of them is empty).
    unlinked = text("UPDATE objections SET record_subject_id = NULL WHERE id = :id")
    with pytest.raises(IntegrityError), seeded() as uow:
        uow.session.execute(unlinked, {"id": objection.id})


def test_one_record_per_document_whichever_partitions_the_persons_are_in(
    seeded: UowFactory, policy: Policy
) -> None:
    row = penalty_row()
    stored = submit_record(seeded(), policy, row, department="BJ-AMR", actor="t")
    again = submit_record(
        seeded(), policy, penalty_row(subject_id=citizen_id()), department="BJ-AMR", actor="t"
    )
    assert again.record.id != stored.record.id  # another document, another record

    # Writing a second record of the first document (what the ingestion's decisions never do)
    # fails as a unique key would, whoever the second record is about.
    uow = seeded()
    with uow:
        department = require_department(uow, "BJ-AMR")
        gate = policy.gate(business_date(uow.now()))
        submission = validate_row(row, row=1, department=department, gate=gate)
        twice = NewRecord(submission, again.record.subject_id, RecordStatus.ACTIVE, None)
        with pytest.raises(IntegrityError):
            uow.records.write_set([twice], [], at=uow.now())


def test_an_overwrite_finds_its_record_under_the_records_own_subject_or_fails(
    seeded: UowFactory, policy: Policy
) -> None:
    row = penalty_row()
    stored = submit_record(seeded(), policy, row, department="BJ-AMR", actor="t")
    other = submit_record(
        seeded(), policy, penalty_row(subject_id=citizen_id()), department="BJ-AMR", actor="t"
    )
    # The set write looks for a changed record by its id and its subject (on PostgreSQL, in
    # the one partition that holds it); one named under another subject is never silently
    # left as it was (the ingestion holds such a resubmission instead of overwriting).
    uow = seeded()
    with uow:
        department = require_department(uow, "BJ-AMR")
        gate = policy.gate(business_date(uow.now()))
        edited = {**row, "fine_amount": "6000"}
        changed = validate_row(edited, row=1, department=department, gate=gate)
        wrong = NewRecord(changed, other.record.subject_id, RecordStatus.ACTIVE, None)
        with pytest.raises(RuntimeError, match="1 records to overwrite, 0 found"):
            uow.records.write_set([], [(stored.record.id, wrong)], at=uow.now())
    with seeded() as uow:
        assert uow.records.get(stored.record.id).content_hash == stored.record.content_hash


def test_on_postgresql_a_persons_rows_are_in_one_partition_of_each_hashed_table(
    seeded: UowFactory, policy: Policy
) -> None:
    stored = submit_record(seeded(), policy, penalty_row(), department="BJ-AMR", actor="t")
    with seeded() as uow:
        if uow.session.get_bind().dialect.name != "postgresql":
            pytest.skip("SQLite keeps one table each")
        found = {
            table: uow.session.execute(
                text(
                    f"SELECT tableoid::regclass::text, count(*) FROM {table}"  # noqa: S608
                    " WHERE subject_id = :s GROUP BY 1"
                ),
                {"s": stored.record.subject_id},
            ).all()
            for table in HASHED
        }
        partitions = uow.session.scalar(
            text(
                "SELECT count(*) FROM pg_inherits"
                " WHERE inhparent = CAST('credit_records' AS regclass)"
            )
        )
    [(partition, count)] = found["credit_records"]
    assert partition.startswith("credit_records_h")
    assert count == 1
    assert found["record_revisions"] == found["list_entries"] == []
    assert partitions == int(os.environ.get("XINYONG_HASH_PARTITIONS") or 16)
