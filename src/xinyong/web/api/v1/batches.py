"""Batches: many records in one file (CSV or JSON Lines), stored a committed chunk at a time."""

from __future__ import annotations

import tempfile
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from xinyong.domain.access import Scope
from xinyong.domain.batches import BatchSource, IngestSummary, header_problems
from xinyong.domain.keys import ApiKey
from xinyong.services import batches
from xinyong.services.batchfiles import BatchFormat, check_body, read_rows
from xinyong.web.deps import DbId, PolicyDep, SettingsDep, UowDep, caller, department_of

router = APIRouter(tags=["records"])


class RowProblem(BaseModel):
    """One field of one refused row, and why."""

    row: int = Field(description="The row's number in the file, from 1")
    field: str = Field(description="The field at fault: the column's name as sent")
    reason: str = Field(description="Why, in English; its words may be reworded")
    code: str = Field(
        description=(
            "Why, as a stable code (docs/i18n.md): for a program and for telling the reason"
            " in another language; empty for a row refused before reasons had codes"
        )
    )
    parts: dict[str, str] = Field(
        description=(
            "The values the reason's words are made from (a count, a date, an item's code);"
            " a part named `inner` is itself a code, told with the same parts"
        )
    )


class BatchSummary(BaseModel):
    batch_id: int | None
    rows: int
    accepted: int
    updated: int
    unchanged: int
    rejected: int
    held_for_review: int
    resumed_from_row: int
    errors: list[RowProblem]
    notes: list[str]

    @classmethod
    def from_domain(cls, s: IngestSummary) -> BatchSummary:
        return cls(
            batch_id=s.batch_id,
            rows=s.rows,
            accepted=s.accepted,
            updated=s.updated,
            unchanged=s.unchanged,
            rejected=s.rejected,
            held_for_review=s.held_for_review,
            resumed_from_row=s.resumed_from_row,
            errors=[RowProblem.model_validate(e.as_dict()) for e in s.errors],
            notes=list(s.notes),
        )


Writer = Annotated[ApiKey, caller(Scope.RECORDS_WRITE)]
Reader = Annotated[ApiKey, caller(Scope.RECORDS_READ)]


@router.post(
    "/records/batch",
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
    request: Request, uow: UowDep, policy: PolicyDep, settings: SettingsDep, key: Writer
) -> BatchSummary:
    """Submit many records as CSV (`text/csv`) or JSON Lines (`application/x-ndjson`).

    The body is read through first: one that is not UTF-8, holds no row, or whose CSV header
    names no catalog column is refused (422) with nothing stored. Valid rows are stored, each in
    one committed chunk; each refused row comes back with its row number, field and reason. A
    body that still fails part-way is refused naming its batch and what was committed. Sending
    the same rows again updates or leaves them, never duplicates.
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
        # Read through before anything is stored: encoding, header, at least one row.
        await run_in_threadpool(
            check_body,
            spool,  # type: ignore[arg-type]
            fmt,
            partial(header_problems, catalog=policy.catalog, banned=policy.banned),
        )
        summary = await run_in_threadpool(
            batches.ingest_batch,
            uow,
            policy,
            read_rows(spool, fmt),  # type: ignore[arg-type]
            department=department,
            actor=key.actor,
            source=BatchSource.API,
            chunk_rows=settings.chunk_rows(),
        )
    finally:
        spool.close()
    return BatchSummary.from_domain(summary)


@router.get("/batches/{batch_id}")
def read_batch(batch_id: DbId, uow: UowDep, key: Reader) -> BatchSummary:
    """What a batch did: counts, and each refused row with its field and reason."""
    summary = batches.get_batch(uow, batch_id, department=key.department, actor=key.actor)
    return BatchSummary.from_domain(summary)
