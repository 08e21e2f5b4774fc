"""Records: submit one, submit a batch, read one, revoke one; and read a batch's outcome."""

from __future__ import annotations

import tempfile
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from xinyong.domain.access import ApiKey, Scope
from xinyong.domain.ingestion import Batch, BatchSource, BatchStatus
from xinyong.domain.records import Outcome
from xinyong.services import ingest, records
from xinyong.services.batchfiles import BatchFormat, read_rows
from xinyong.services.ports import UnitOfWork
from xinyong.web.deps import (
    DbId,
    PolicyDep,
    SettingsDep,
    UowDep,
    caller,
    department_of,
    get_uow,
)
from xinyong.web.schemas import (
    RECORD_EXAMPLE,
    BatchSummary,
    RecordPublic,
    RecordStored,
    RecordSubmission,
    Revocation,
    RowProblem,
)

router = APIRouter(prefix="/records", tags=["records"])
batches = APIRouter(prefix="/batches", tags=["records"])

Writer = Annotated[ApiKey, caller(Scope.RECORDS_WRITE)]
Reader = Annotated[ApiKey, caller(Scope.RECORDS_READ)]


@router.post(
    "",
    status_code=201,
    responses={200: {"description": "The record existed: updated, or unchanged"}},
)
def submit_record(
    body: Annotated[
        RecordSubmission, Body(openapi_examples={"penalty": {"value": RECORD_EXAMPLE}})
    ],
    response: Response,
    uow: UowDep,
    policy: PolicyDep,
    key: Writer,
) -> RecordStored:
    """Submit one record. The row is checked against its catalog item; every bad field is named."""
    raw: dict[str, Any] = body.model_dump(exclude_unset=True)
    stored = records.submit_record(uow, policy, raw, department=department_of(key), actor=key.actor)
    if stored.outcome is not Outcome.ACCEPTED:
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/records/{stored.record.id}"
    return RecordStored(
        outcome=stored.outcome,
        held_for_identity_review=stored.held_for_review,
        record=RecordPublic.from_domain(stored.record, stored.subject_number),
    )


@router.post(
    "/batch",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
)
async def submit_batch(
    request: Request, policy: PolicyDep, settings: SettingsDep, key: Writer
) -> BatchSummary:
    """Submit many records as CSV (`text/csv`) or JSON Lines (`application/x-ndjson`).

    Valid rows are stored, each in one committed chunk; each refused row comes back with its row
    number, field and reason. Sending the same rows again updates or leaves them, never duplicates.
    """
    fmt = BatchFormat.from_media_type(request.headers.get("content-type", ""))
    if fmt is None:
        raise HTTPException(415, "send text/csv or application/x-ndjson")
    department = department_of(key)
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - closed below
    try:
        async for block in request.stream():
            spool.write(block)
        spool.seek(0)
        uow: UnitOfWork = get_uow(request)
        summary = await run_in_threadpool(
            ingest.ingest_batch,
            uow,
            policy,
            read_rows(spool, fmt),  # type: ignore[arg-type]
            department=department,
            actor=key.actor,
            source=BatchSource.API,
            chunk_rows=settings.ingest_chunk_rows,
        )
    except UnicodeDecodeError:
        raise HTTPException(400, "the body is not UTF-8 text") from None
    finally:
        spool.close()
    return BatchSummary.model_validate(summary.as_dict())


def _batch_notes(batch: Batch) -> list[str]:
    if batch.status is BatchStatus.OPEN:
        return ["the batch is still open: an interrupted file batch resumes when sent again"]
    if batch.status is BatchStatus.FAILED:
        return ["the batch failed: its input could not be read past the rows counted here"]
    return []


@router.get("/{record_id}")
def read_record(record_id: DbId, uow: UowDep, key: Reader) -> RecordPublic:
    """Read one of your department's records (credit-centre keys read any)."""
    record, number = records.get_record(uow, record_id, department=key.department)
    return RecordPublic.from_domain(record, number)


@router.post("/{record_id}/revoke")
def revoke_record(record_id: DbId, body: Revocation, uow: UowDep, key: Writer) -> RecordPublic:
    """Withdraw a record because the decision behind it was revoked or varied."""
    record, number = records.revoke_record(
        uow, record_id, department=key.department, reason=body.reason, actor=key.actor
    )
    return RecordPublic.from_domain(record, number)


@batches.get("/{batch_id}")
def read_batch(batch_id: DbId, uow: UowDep, key: Reader) -> BatchSummary:
    """What a batch did: counts, and each refused row with its field and reason."""
    batch, errors = ingest.get_batch(uow, batch_id, department=key.department)
    return BatchSummary(
        batch_id=batch.id,
        rows=batch.rows_done,
        accepted=batch.accepted,
        updated=batch.updated,
        unchanged=batch.unchanged,
        rejected=batch.rejected,
        held_for_review=batch.held,
        resumed_from_row=0,
        errors=[RowProblem(row=e.row, field=e.field, reason=e.reason) for e in errors],
        notes=_batch_notes(batch),
    )
