"""Batches: every row a department sends is either stored once or refused with its reasons.

Rows are validated against the catalog and committed a chunk at a time. Each chunk's records, its
rejects and the batch's progress commit in one transaction, so a process killed mid-batch loses
nothing it reported and a rerun of the same file resumes after the last committed chunk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import islice
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.batches import Batch, BatchSource, BatchStatus, IngestSummary
from xinyong.domain.calendar import business_date
from xinyong.domain.departments import Department
from xinyong.domain.errors import BatchFailed, FieldProblem, Invalid, NotRouted, RowRejected
from xinyong.domain.policy import Policy
from xinyong.domain.records import Gate, RecordStatus, Submission, validate_row
from xinyong.services.audit import (
    mandate_refusals_audited,
    misroutes_audited,
    rows_outside_mandate,
)
from xinyong.services.departments import require_department
from xinyong.services.records import StoredState, settle_chunk, store_submissions

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork

log = logging.getLogger(__name__)

Row = tuple[int, Mapping[str, object] | FieldProblem]


class BatchRepository(Protocol):
    def open(
        self,
        department: str,
        *,
        source: BatchSource,
        filename: str | None,
        sha256: str | None,
        actor: str,
        at: datetime,
    ) -> Batch: ...
    def find_open(self, department: str, sha256: str) -> Batch | None: ...
    def get(self, batch_id: int) -> Batch: ...
    def save_progress(self, batch: Batch) -> None: ...
    def add_rejects(self, batch_id: int, problems: Sequence[FieldProblem]) -> None: ...
    def rejects(self, batch_id: int) -> list[FieldProblem]: ...


def validate_rows(
    rows: Iterable[Row], department: Department, gate: Gate
) -> tuple[list[Submission], list[FieldProblem]]:
    """Split rows into valid submissions and the problems of the others.

    A valid row for a document an earlier row of `rows` holds is refused naming that row: one
    file holds one version of a document, so two rows for it are a mistake to show, never a
    silent overwrite by the later one. Only these rows are remembered (one chunk); a document
    an earlier chunk stored is found in the database (`refuse_stored_earlier`).
    """
    valid: list[Submission] = []
    problems: list[FieldProblem] = []
    seen: dict[str, int] = {}  # each document key of these rows, and its first valid row
    for number, raw in rows:
        if isinstance(raw, FieldProblem):  # the reader could not even parse the row
            problems.append(raw)
            continue
        try:
            submission = validate_row(raw, row=number, department=department, gate=gate)
            first = seen.setdefault(submission.document_key, number)
            if first != number:
                problems.append(
                    FieldProblem.refused(
                        "document_number", number, "duplicate_in_batch", first=first
                    )
                )
                continue
            valid.append(submission)
        except RowRejected as rejected:
            problems.extend(rejected.problems)
        except Exception as exc:  # a bug must cost one row, never the batch; logged without data
            log.exception("row %d of a %s batch could not be checked", number, department.code)
            problems.append(
                FieldProblem.refused("row", number, "not_checked", error=type(exc).__name__)
            )
    return valid, problems


def refuse_stored_earlier(
    uow: UnitOfWork, batch_id: int, valid: list[Submission], states: Mapping[str, StoredState]
) -> tuple[list[Submission], list[FieldProblem]]:
    """Split a chunk's valid submissions into those to store and the refusals of those whose
    document an earlier row of the same batch sent, found in what that row stored: the record
    (its `batch_id` this batch, its `source_row` that row; `states`, the chunk's stored
    records, read anyway), or, for a held record, the resubmission under another person an
    open identity review holds from this batch (one query for the chunk's held records). A
    dict lookup per row: memory stays one chunk's however long the batch. A row that left its
    record unchanged wrote nothing, so a later chunk's row for that document is not refused
    here (docs/command-line.md)."""
    held = [
        state.id
        for state in states.values()
        if state.status is RecordStatus.IDENTITY_HOLD and state.batch_id != batch_id
    ]
    waiting = uow.reviews.pending_rows(held, batch_id) if held else {}
    keep: list[Submission] = []
    refused: list[FieldProblem] = []
    for s in valid:
        state = states.get(s.document_key)
        first = None
        if state is not None:
            first = state.source_row if state.batch_id == batch_id else waiting.get(state.id)
        if first is not None and first < s.row:
            refused.append(
                FieldProblem.refused("document_number", s.row, "duplicate_in_batch", first=first)
            )
        else:
            keep.append(s)
    return keep, refused


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
    on_open: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Validate and store a batch of rows, one committed chunk at a time.

    A file batch (with `sha256`) that was interrupted resumes after its last committed row: rows
    already stored are skipped, so a rerun leaves the database as an uninterrupted run would.
    `on_progress` is called with the number of rows handled so far (skipped rows included);
    `on_open` with the batch's id once it is stored (a console shows its progress from then on).
    """
    with mandate_refusals_audited(uow, actor=actor, department=department), uow:
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
    if on_open:
        on_open(batch.id)
    summary = IngestSummary(batch_id=batch.id, resumed_from_row=batch.rows_done if resumed else 0)
    if resumed:
        summary.notes.append(
            f"resumed batch {batch.id} after row {batch.rows_done}, its last committed row"
        )
    handled = 0
    completed = False
    chunks = _chunked(rows, chunk_rows)
    try:
        chunk = next(chunks, None)
        while chunk is not None:
            # Read one chunk ahead, so that the last chunk's transaction completes the batch
            # (a commit fewer per file). Whatever stops the reading stops it after this chunk
            # is committed, as it did when the next chunk was read after the commit.
            stopped: BaseException | None = None
            try:
                following = next(chunks, None)
            except BaseException as exc:  # raised again below, once this chunk is committed
                following, stopped = None, exc
            todo = [(n, raw) for n, raw in chunk if n > batch.rows_done]
            handled += len(chunk)
            last = following is None and stopped is None
            if todo:
                _ingest_chunk(uow, policy, dept, batch, todo, actor=actor, complete=last)
                completed = last
            if on_progress:
                on_progress(handled)
            if stopped is not None:
                raise stopped
            chunk = following
    except (Invalid, UnicodeDecodeError) as exc:
        reason = getattr(exc, "detail", None) or "not readable text"
        _fail(uow, batch, actor=actor, reason=reason)
        # The caller learns which batch failed and what of it stays stored.
        raise BatchFailed(reason, batch_id=batch.id, committed=_counts(batch)) from exc
    with uow:
        if not completed:  # no rows, or none after those a resumed batch had committed
            _complete(uow, batch, actor=actor)
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
    uow: UnitOfWork,
    policy: Policy,
    dept: Department,
    batch: Batch,
    rows: list[Row],
    *,
    actor: str,
    complete: bool = False,
) -> None:
    """Store one chunk with the batch's progress in one transaction; with `complete`, the
    batch's last chunk, the batch is completed in it too. A row for a document an earlier row
    of the batch stored is refused: in the chunk by `validate_rows`, before it from the stored
    records (`refuse_stored_earlier`), which a rerun after an interruption reads alike."""
    with uow:
        gate = policy.gate(business_date(uow.now()))
        valid, problems = validate_rows(rows, dept, gate)
        keys = {s.document_key for s in valid}
        states = uow.records.find_states(dept.code, keys) if keys else {}
        valid, earlier = refuse_stored_earlier(uow, batch.id, valid, states)
        if earlier:  # the rejects in row order, as the rows came
            problems = sorted([*problems, *earlier], key=lambda p: p.row)
        result = store_submissions(uow, valid, batch_id=batch.id, actor=actor, states=states)
        settle_chunk(uow, policy, result, actor=actor)
        uow.batches.add_rejects(batch.id, problems)
        # Rows outside the department's mandate: one audit event for the chunk, naming them.
        outside = rows_outside_mandate(
            problems, actor=actor, department=dept.code, batch_id=batch.id, at=uow.now()
        )
        if outside is not None:
            uow.audit.add(outside)
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
        if complete:
            _complete(uow, batch, actor=actor)
        try:
            uow.commit()
        except BaseException:
            _restore(batch, before)
            raise


def _complete(uow: UnitOfWork, batch: Batch, *, actor: str) -> None:
    """Mark the batch complete, in the caller's transaction."""
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
    batch.status = BatchStatus.OPEN
    batch.completed_at = None


def get_batch(
    uow: UnitOfWork,
    batch_id: int,
    *,
    department: str | None,
    actor: str,
    refusals: UnitOfWork | None = None,
) -> IngestSummary:
    """What a batch did, with its refused rows; a department sees only its own batches (reaching
    for another's is audited through `refusals`, `uow` itself unless it only reads)."""
    with misroutes_audited(refusals or uow, actor=actor, department=department), uow:
        batch = uow.batches.get(batch_id)
        if department is not None and batch.department != department:
            raise NotRouted(f"batch {batch_id}", action="batch:read")
        return batch.summary(uow.batches.rejects(batch_id))
