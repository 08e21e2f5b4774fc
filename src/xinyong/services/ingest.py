"""Ingestion: every row a department sends is either stored once or refused with its reasons.

Rows are validated against the catalog and committed a chunk at a time. Each chunk's records, its
rejects and the batch's progress commit in one transaction, so a process killed mid-batch loses
nothing it reported and a rerun of the same file resumes after the last committed chunk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.departments import Department
from xinyong.domain.errors import FieldProblem, Invalid, NotFound, RowRejected
from xinyong.domain.ingestion import Batch, BatchSource, BatchStatus, IngestSummary
from xinyong.domain.policy import Policy
from xinyong.domain.records import Gate, RecordStatus, Submission, validate_row
from xinyong.domain.subjects import IdentityConflict, Subject, find_identity_conflict
from xinyong.services.ports import NewRecord, StoredState, UnitOfWork, business_date

log = logging.getLogger(__name__)

Row = tuple[int, Mapping[str, object] | FieldProblem]

#: Statuses a resubmission leaves alone: a decision taken on the record outlives a new copy of it.
#: A held record stays held until its identity review is resolved, whatever is resent.
_STICKY = frozenset(
    {
        RecordStatus.REVOKED,
        RecordStatus.REPAIRED,
        RecordStatus.CORRECTED,
        RecordStatus.IDENTITY_HOLD,
    }
)


@dataclass(slots=True)
class ChunkResult:
    """What storing one chunk did; `record_ids` maps each stored row number to its record."""

    accepted: int = 0
    updated: int = 0
    unchanged: int = 0
    held: int = 0
    record_ids: dict[int, int] = field(default_factory=dict)


def require_department(uow: UnitOfWork, code: str) -> Department:
    department = uow.departments.get(code)
    if department is None:
        raise NotFound(f"department {code} is not registered")
    return department


def validate_rows(
    rows: Iterable[Row], department: Department, gate: Gate
) -> tuple[list[Submission], list[FieldProblem]]:
    """Split rows into valid submissions and the problems of the others."""
    valid: list[Submission] = []
    problems: list[FieldProblem] = []
    for number, raw in rows:
        if isinstance(raw, FieldProblem):  # the reader could not even parse the row
            problems.append(raw)
            continue
        try:
            valid.append(validate_row(raw, row=number, department=department, gate=gate))
        except RowRejected as rejected:
            problems.extend(rejected.problems)
        except Exception as exc:  # a bug must cost one row, never the batch; logged without data
            log.exception("row %d of a %s batch could not be checked", number, department.code)
            problems.append(
                FieldProblem("row", f"could not be checked ({type(exc).__name__})", number)
            )
    return valid, problems


def store_submissions(
    uow: UnitOfWork,
    submissions: list[Submission],
    *,
    batch_id: int | None,
    actor: str,
    want_ids: bool = False,
) -> ChunkResult:
    """Store valid submissions inside the caller's transaction: insert, update or leave unchanged.

    `record_ids` of the result maps row numbers to record ids for updated and unchanged rows, and
    for new rows only when `want_ids` is set (looking them up costs a query per chunk).
    """
    result = ChunkResult()
    if not submissions:
        return result
    at = uow.now()
    subjects = uow.subjects.find_by_numbers({s.subject_number for s in submissions})
    fresh: list[Subject] = []
    for s in submissions:
        if s.subject_number not in subjects:
            subject = _subject_from(s)
            subjects[s.subject_number] = subject
            fresh.append(subject)
    uow.subjects.add_many(fresh, at=at)

    department = submissions[0].department
    states = uow.records.find_states(department, {s.document_number for s in submissions})
    pending: list[tuple[NewRecord, IdentityConflict | None]] = []

    def flush(*, all_ids: bool = False) -> None:
        uow.records.add_many([record for record, _ in pending], at=at)
        wanted = [
            r.submission.document_number
            for r, conflict in pending
            if conflict or want_ids or all_ids
        ]
        ids = uow.records.find_states(department, wanted) if wanted else {}
        for record, conflict in pending:
            s = record.submission
            states[s.document_number] = StoredState(
                ids[s.document_number].id if s.document_number in ids else 0,
                s.content_hash,
                record.status,
            )
            if s.document_number in ids:
                result.record_ids[s.row] = ids[s.document_number].id
            if conflict is not None:
                _hold(uow, record, ids[s.document_number].id, conflict, actor=actor)
        pending.clear()

    waiting: set[str] = set()
    for s in submissions:
        subject = subjects[s.subject_number]
        if subject.id is None:
            raise RuntimeError("a subject was not stored before its records")
        conflict = find_identity_conflict(
            subject, name=s.subject_name, birth_date=s.stated_birth_date
        )
        status = _status_for(s, conflict)
        if s.document_number in waiting:  # the same document twice in one chunk
            flush(all_ids=True)
            waiting.clear()
        state = states.get(s.document_number)
        if state is None:
            pending.append((NewRecord(s, subject.id, status, batch_id), conflict))
            waiting.add(s.document_number)
            result.accepted += 1
            result.held += conflict is not None
            continue
        result.record_ids[s.row] = state.id
        if state.content_hash == s.content_hash:
            result.unchanged += 1
            continue
        if state.status in _STICKY:
            status = state.status
        record = NewRecord(s, subject.id, status, batch_id)
        uow.records.replace(state.id, record, at=at)
        states[s.document_number] = StoredState(state.id, s.content_hash, status)
        uow.audit.add(
            AuditEvent(
                EventTag.RECORD_UPDATED,
                actor,
                "record",
                str(state.id),
                at,
                subject_id=subject.id,
                reason="resubmitted with changed content; the earlier version is kept",
                data={"batch_id": batch_id, "row": s.row, "previous_hash": state.content_hash},
            )
        )
        if (
            conflict is not None
            and status is RecordStatus.IDENTITY_HOLD
            and (
                state.status is not RecordStatus.IDENTITY_HOLD  # its open review already covers it
            )
        ):
            _hold(uow, record, state.id, conflict, actor=actor)
            result.held += 1
        result.updated += 1
    flush()
    return result


def _subject_from(s: Submission) -> Subject:
    person = s.person
    return Subject(
        id=None,
        kind=s.subject_type,
        number=s.subject_number,
        name=s.subject_name,
        birth_date=person.birth_date if person else None,
        sex=person.sex.value if person else None,
        region_code=person.region.code if person else s.subject_number[2:8],
    )


def _status_for(s: Submission, conflict: IdentityConflict | None) -> RecordStatus:
    if conflict is not None:
        return RecordStatus.IDENTITY_HOLD
    if s.expired_on_arrival:
        return RecordStatus.EXPIRED
    return RecordStatus.ACTIVE


def _hold(
    uow: UnitOfWork, record: NewRecord, record_id: int, conflict: IdentityConflict, *, actor: str
) -> None:
    at = uow.now()
    review_id = uow.reviews.add(
        subject_id=record.subject_id, record_id=record_id, conflict=conflict, at=at
    )
    uow.audit.add(
        AuditEvent(
            EventTag.RECORD_HELD,
            actor,
            "record",
            str(record_id),
            at,
            subject_id=record.subject_id,
            reason=f"submitted {conflict.kind.value} differs from the known subject",
            data={
                "review_id": review_id,
                "batch_id": record.batch_id,
                "row": record.submission.row,
            },
        )
    )


def _chunked(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def ingest_batch(
    uow: UnitOfWork,
    policy: Policy,
    rows: Iterable[Row],
    *,
    department: str,
    actor: str,
    source: BatchSource,
    filename: str | None = None,
    sha256: str | None = None,
    chunk_rows: int = 2000,
    on_progress: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Validate and store a batch of rows, one committed chunk at a time.

    A file batch (with `sha256`) that was interrupted resumes after its last committed row: rows
    already stored are skipped, so a rerun leaves the database as an uninterrupted run would.
    `on_progress` is called with the number of rows handled so far (skipped rows included).
    """
    with uow:
        dept = require_department(uow, department)
        at = uow.now()
        batch = uow.batches.find_open(department, sha256) if sha256 else None
        resumed = batch is not None
        if batch is None:
            batch = uow.batches.open(
                department, source=source, filename=filename, sha256=sha256, actor=actor, at=at
            )
            uow.audit.add(
                AuditEvent(
                    EventTag.BATCH_OPENED,
                    actor,
                    "batch",
                    str(batch.id),
                    at,
                    data={"source": source.value, "filename": filename, "sha256": sha256},
                )
            )
        uow.commit()
    summary = IngestSummary(batch_id=batch.id, resumed_from_row=batch.rows_done if resumed else 0)
    if resumed:
        summary.notes.append(
            f"resumed batch {batch.id} after row {batch.rows_done}, its last committed row"
        )
    handled = 0
    try:
        for chunk in _chunked(rows, chunk_rows):
            todo = [(n, raw) for n, raw in chunk if n > batch.rows_done]
            handled += len(chunk)
            if todo:
                _ingest_chunk(uow, policy, dept, batch, todo, actor=actor)
            if on_progress:
                on_progress(handled)
    except (Invalid, UnicodeDecodeError) as exc:
        _fail(uow, batch, actor=actor, reason=getattr(exc, "detail", None) or "not readable text")
        raise
    with uow:
        batch.status = BatchStatus.COMPLETE
        batch.completed_at = uow.now()
        uow.batches.save_progress(batch)
        uow.audit.add(
            AuditEvent(
                EventTag.BATCH_COMPLETED,
                actor,
                "batch",
                str(batch.id),
                batch.completed_at,
                data={**_counts(batch)},
            )
        )
        uow.commit()
        summary.errors = uow.batches.rejects(batch.id)
    summary.rows = batch.rows_done
    summary.accepted = batch.accepted
    summary.updated = batch.updated
    summary.unchanged = batch.unchanged
    summary.rejected = batch.rejected
    summary.held_for_review = batch.held
    return summary


def _ingest_chunk(
    uow: UnitOfWork, policy: Policy, dept: Department, batch: Batch, rows: list[Row], *, actor: str
) -> None:
    with uow:
        gate = policy.gate(business_date(uow.now()))
        valid, problems = validate_rows(rows, dept, gate)
        result = store_submissions(uow, valid, batch_id=batch.id, actor=actor)
        uow.batches.add_rejects(batch.id, problems)
        before = _counts(batch)
        batch.rows_done = rows[-1][0]
        batch.accepted += result.accepted
        batch.updated += result.updated
        batch.unchanged += result.unchanged
        batch.held += result.held
        batch.rejected += len({p.row for p in problems})
        uow.batches.save_progress(batch)
        uow.audit.add(
            AuditEvent(
                EventTag.BATCH_PROGRESSED,
                actor,
                "batch",
                str(batch.id),
                uow.now(),
                data={
                    "first_row": rows[0][0],
                    "last_row": rows[-1][0],
                    **{k: v - before[k] for k, v in _counts(batch).items()},
                },
            )
        )
        try:
            uow.commit()
        except BaseException:
            _restore(batch, before)
            raise


def _fail(uow: UnitOfWork, batch: Batch, *, actor: str, reason: str) -> None:
    """Close a batch whose input could not be read further; what was committed before stays."""
    with uow:
        batch.status = BatchStatus.FAILED
        batch.completed_at = uow.now()
        uow.batches.save_progress(batch)
        uow.audit.add(
            AuditEvent(
                EventTag.BATCH_FAILED,
                actor,
                "batch",
                str(batch.id),
                batch.completed_at,
                reason=reason,
                data={**_counts(batch)},
            )
        )
        uow.commit()


def _counts(batch: Batch) -> dict[str, int]:
    return {
        "rows_done": batch.rows_done,
        "accepted": batch.accepted,
        "updated": batch.updated,
        "unchanged": batch.unchanged,
        "rejected": batch.rejected,
        "held": batch.held,
    }


def _restore(batch: Batch, counts: Mapping[str, int]) -> None:
    for key, value in counts.items():
        setattr(batch, key, value)


def get_batch(
    uow: UnitOfWork, batch_id: int, *, department: str | None
) -> tuple[Batch, list[FieldProblem]]:
    """Return a batch and its refused rows; a department sees only its own batches."""
    with uow:
        batch = uow.batches.get(batch_id)
        if department is not None and batch.department != department:
            raise NotFound(f"batch {batch_id} does not exist")
        return batch, uow.batches.rejects(batch_id)
