"""The department console's batches: upload a file, watch its progress, download the per-row
error report.

An upload is read through once (its rows counted: the progress bar's total), then ingested in a
worker thread beside the server; the page polls the batch's stored progress (rows committed a
chunk at a time, services/batches.py) until it is complete.
"""

from __future__ import annotations

import hashlib
import io
import threading
from functools import partial
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response

from xinyong.bootstrap import Platform
from xinyong.domain.access import Scope
from xinyong.domain.batches import BatchSource, IngestSummary, header_problems
from xinyong.domain.errors import DomainError, Invalid
from xinyong.domain.policy import Policy
from xinyong.services import batches
from xinyong.services.batchfiles import REJECTS_COLUMNS, BatchFormat, check_body, read_rows
from xinyong.web import i18n
from xinyong.web.console.pages import (
    Staffer,
    _say,
    csv_download,
    expired_form,
    guard,
    language,
    page,
    see_other,
    told,
)
from xinyong.web.console.reasons import reason_in_words
from xinyong.web.deps import DbId, platform_of, staff_page

router = APIRouter()

#: How long a request waits for the worker to store the batch before it answers anyway.
_OPEN_WAIT_SECONDS = 30.0


def _totals(request: Request) -> dict[int, int]:
    """Each uploaded batch's number of rows, for its progress bar (kept while the server runs)."""
    state = request.app.state
    if not hasattr(state, "console_batch_rows"):
        state.console_batch_rows = {}
    totals: dict[int, int] = state.console_batch_rows
    return totals


def _checked(data: bytes, fmt: BatchFormat, policy: Policy) -> int:
    """The upload read through before anything of it is stored, as the API reads a body
    (`check_body`): its number of rows, or `Invalid` for text that is not UTF-8, a CSV header
    that lacks a column every row needs or names one the catalog does not know, or no rows."""
    problems = partial(header_problems, catalog=policy.catalog, banned=policy.banned)
    return check_body(io.BytesIO(data), fmt, problems)


def _ingest_beside(
    platform: Platform, data: bytes, fmt: BatchFormat, *, name: str, department: str, actor: str
) -> tuple[int | None, str | None]:
    """Start the ingestion in a worker thread; return the batch's id once it is stored (or the
    reason it could not start)."""
    opened = threading.Event()
    found: dict[str, object] = {}

    def on_open(batch_id: int) -> None:
        found["id"] = batch_id
        opened.set()

    def work() -> None:
        try:
            batches.ingest_batch(
                platform.uow(),
                platform.policy,
                read_rows(io.BytesIO(data), fmt),
                department=department,
                actor=actor,
                source=BatchSource.API,
                filename=name,
                sha256=hashlib.sha256(data).hexdigest(),
                chunk_rows=platform.settings.chunk_rows(),
                on_open=on_open,
            )
        except DomainError as exc:
            found["error"] = exc
        except UnicodeDecodeError:
            found["error"] = Invalid("file: not UTF-8 text")
        finally:
            opened.set()

    threading.Thread(target=work, name="console-batch", daemon=True).start()
    opened.wait(_OPEN_WAIT_SECONDS)
    batch_id = found.get("id")
    error = found.get("error")
    return (
        batch_id if isinstance(batch_id, int) else None,
        error.detail if isinstance(error, DomainError) else None,
    )


@router.get("/batches", response_class=HTMLResponse, **staff_page(Scope.RECORDS_WRITE))
async def upload_page(request: Request) -> Response:
    """Upload a batch file (CSV or JSON Lines)."""
    me = await guard(request)
    if isinstance(me, Response):
        return me
    return page(request, "batches.html", me=me, alert=None)


@router.post("/batches", response_class=HTMLResponse, **staff_page(Scope.RECORDS_WRITE))
async def upload(
    request: Request,
    file: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    me = await guard(request)
    if isinstance(me, Response):
        return me
    if not me.sent_token(csrf):
        return expired_form(request, me)
    platform = platform_of(request)
    name = (file.filename or "batch.csv")[-200:]
    data = await file.read()
    problem: str | None = None
    try:
        fmt = BatchFormat.from_name(name)
        total = await run_in_threadpool(_checked, data, fmt, platform.policy)
    except DomainError as exc:
        problem = told(request, exc)
    if problem is not None:
        return page(request, "batches.html", status=422, me=me, alert=problem)
    batch_id, error = await run_in_threadpool(
        _ingest_beside,
        platform,
        data,
        fmt,
        name=name,
        department=me.department or "",
        actor=me.actor,
    )
    if batch_id is None:
        alert = told(request, Invalid(error)) if error else _say(request, "批次未能开始，请重试。")
        return page(request, "batches.html", status=422, me=me, alert=alert)
    _totals(request)[batch_id] = total
    return see_other(f"/console/batches/{batch_id}")


@router.get("/batches/{batch_id}", response_class=HTMLResponse, **staff_page(Scope.RECORDS_READ))
async def batch_page(request: Request, batch_id: DbId) -> Response:
    """A batch's progress, then what it did and its refused rows with field and reason."""
    me = await guard(request)
    if isinstance(me, Response):
        return me
    summary = await _summary(request, me, batch_id)
    total = _totals(request).get(batch_id)
    return page(
        request,
        "batch.html",
        me=me,
        summary=summary,
        batch_id=batch_id,
        total=total,
        done=not summary.open,
        errors=summary.errors[:200],
    )


@router.get("/batches/{batch_id}/progress", **staff_page(Scope.RECORDS_READ))
async def batch_progress(request: Request, batch_id: DbId) -> Response:
    """How far a batch is: rows handled, of how many, and whether it is complete (polled)."""
    me = await guard(request)
    if isinstance(me, Response):
        return me
    summary = await _summary(request, me, batch_id)
    return JSONResponse(
        {
            "rows": summary.rows,
            "total": _totals(request).get(batch_id),
            "done": not summary.open,
            "rejected": summary.rejected,
        },
        headers={"Cache-Control": "no-store"},
    )


@router.get("/batches/{batch_id}/errors.csv", **staff_page(Scope.RECORDS_READ))
async def error_report(request: Request, batch_id: DbId) -> Response:
    """Every refused row: its number in the file, the field (the column's name, as sent), the
    reason in the page's language and its stable code, the columns of the command line's reject
    file (no cell of the input: the department has its file, and the report never repeats an ID
    number)."""
    me = await guard(request)
    if isinstance(me, Response):
        return me
    summary = await _summary(request, me, batch_id)
    with i18n.use_language(language(request)):
        rows = [(p.row, p.field, reason_in_words(p), p.code) for p in summary.errors]
    return csv_download(f"batch-{batch_id}-errors.csv", REJECTS_COLUMNS, rows)


async def _summary(request: Request, me: Staffer, batch_id: int) -> IngestSummary:
    """The batch as the user's department may see it (another department's is not found, and
    the reach for it audited)."""
    platform = platform_of(request)
    return await run_in_threadpool(
        batches.get_batch,
        platform.read_uow(),
        batch_id,
        department=me.department,
        actor=me.actor,
        refusals=platform.uow(),
    )
