"""Checks: which measures apply to this subject for this matter; feedback; batch screening."""

from __future__ import annotations

import asyncio
import csv
import io
import threading
from collections.abc import Callable
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from xinyong.db.listing import bulk_query_writer
from xinyong.domain.access import ApiKey, Scope
from xinyong.domain.errors import Invalid
from xinyong.domain.identifiers import mask_number
from xinyong.domain.index import Hit
from xinyong.services import checks
from xinyong.services.checks import SCREEN_COLUMNS
from xinyong.services.ports import UnitOfWork
from xinyong.services.screening import read_numbers, run_screening
from xinyong.web.deps import (
    DbId,
    Direct,
    UowDep,
    caller,
    department_of,
    get_checker,
    get_query_writer,
)
from xinyong.web.schemas import (
    CheckCreate,
    CheckMeasure,
    CheckResult,
    FeedbackCreate,
    FeedbackPublic,
    TriggerPublic,
)

router = APIRouter(prefix="/checks", tags=["checks"])

Checking = Annotated[ApiKey, caller(Scope.CHECKS_RUN)]
#: The hottest route reads its caller and body itself (see `Direct`), under the same contract.
CHECK = Direct(CheckCreate, Scope.CHECKS_RUN)


def _measure(hit: Hit, request: Request) -> CheckMeasure:
    list_type = request.app.state.policy.list_types[hit.posting.list_code]
    m = hit.measure
    return CheckMeasure(
        code=m.code,
        name_zh=m.name_zh,
        name_en=m.name_en,
        category=m.category.value,
        legal_basis=list(m.legal_basis),
        implementing_unit=m.implementing_unit,
        under_objection=hit.posting.under_objection,
        triggered_by=TriggerPublic(
            id=hit.posting.entry_id,
            list_type=list_type.code,
            list_name_zh=list_type.name_zh,
            list_legal_basis=list(list_type.legal_basis),
            via_role=hit.posting.role.value if hit.posting.role else None,
            in_force_from=hit.posting.start,
            in_force_until=hit.posting.until,
        ),
    )


@router.post("", response_model=CheckResult, openapi_extra=CHECK.openapi)
async def check(request: Request) -> Response:
    """Return the measures that apply to the subject for the matter, each with the list entry
    that triggers it, its legal basis and whether it is under objection.

    The answer reflects every listing, exit and objection committed before the request arrived.
    The check is logged on the subject's file before the answer is returned.
    """
    key, body = await CHECK.accept(request)
    checker = await get_checker(request)
    if request.state.seq > checker.index.seq:  # read by `authorise` for this request
        await run_in_threadpool(checker.sync, request.state.seq)
    answer = checker.answer(body.subject, body.matter)
    entry = checker.query_entry(answer, kind="check", department=key.department, actor=key.actor)
    settler = _settler(request)
    logged: asyncio.Future[int] = settler.loop.create_future()
    get_query_writer(request).submit(entry, partial(settler.done, logged))
    query_id = await logged
    result = CheckResult(
        id=query_id,
        subject=mask_number(answer.number),
        matter=answer.matter,
        checked_on=answer.day,
        measures=[_measure(h, request) for h in answer.hits],
    )
    # Served by `DirectRoutes` (web/direct.py): the response model documents it, this sends it.
    return Response(result.model_dump_json(), media_type="application/json")


class _Settler:
    """Hands the query-log writer's results back to the event loop, one wake-up per batch.

    The writer commits many checks at once; waking the loop once for all of them (instead of
    once per check) saves a system call and a loop turn per request.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._lock = threading.Lock()
        self._ready: list[tuple[asyncio.Future[int], int | None, BaseException | None]] = []
        self._scheduled = False

    def done(
        self, future: asyncio.Future[int], query_id: int | None, error: BaseException | None
    ) -> None:
        """Called on the writer's thread."""
        with self._lock:
            self._ready.append((future, query_id, error))
            if self._scheduled:
                return
            self._scheduled = True
        self.loop.call_soon_threadsafe(self._flush)

    def _flush(self) -> None:
        with self._lock:
            ready, self._ready, self._scheduled = self._ready, [], False
        for future, query_id, error in ready:
            _settle(future, query_id, error)


def _settler(request: Request) -> _Settler:
    loop = asyncio.get_running_loop()
    settler: _Settler | None = getattr(request.app.state, "settler", None)
    if settler is None or settler.loop is not loop:
        settler = _Settler(loop)
        request.app.state.settler = settler
    return settler


def _settle(future: asyncio.Future[int], query_id: int | None, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None or query_id is None:
        future.set_exception(error or RuntimeError("the check was not logged"))
    else:
        future.set_result(query_id)


@router.post("/{check_id}/feedback", status_code=201)
def feedback(check_id: DbId, body: FeedbackCreate, uow: UowDep, key: Checking) -> FeedbackPublic:
    """Say what the department did with a measure the check returned: applied, or not and why."""
    given = checks.give_feedback(
        uow,
        check_id,
        measure=body.measure,
        applied=body.applied,
        reason=body.reason,
        department=key.department,
        actor=key.actor,
    )
    return FeedbackPublic(
        check=given.query_id,
        measure=given.measure,
        applied=given.applied,
        reason=given.reason,
        at=given.at,
    )


@router.post(
    "/batch",
    response_class=Response,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "CSV with a `number` column (or numbers in the first column)",
        }
    },
    responses={200: {"content": {"text/csv": {}}, "description": "One result row per input row"}},
)
async def screen_batch(
    request: Request,
    key: Checking,
    matter: Annotated[str, Query(max_length=64, description="The matter, e.g. flight")],
) -> Response:
    """Screen many numbers for one matter: CSV in, CSV out (row, number, status, measures,
    entries, reason). Every screened number is logged on its file."""
    department = department_of(key)
    body = await request.body()
    checker = await get_checker(request)
    uow_factory = request.app.state.uow_factory
    sink = bulk_query_writer(request.app.state.engine)
    text = await run_in_threadpool(
        screen_text, checker, uow_factory, sink, body, matter, department, key.actor
    )
    return Response(text, media_type="text/csv; charset=utf-8")


def screen_text(
    checker: checks.Checker,
    uow_factory: Callable[[], UnitOfWork],
    sink: checks.ScreeningSink,
    body: bytes,
    matter: str,
    department: str,
    actor: str,
) -> str:
    """Screen a CSV body and return the result CSV (runs in a worker thread)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(f"body: not UTF-8 text (byte {exc.start})") from None
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SCREEN_COLUMNS)
    results = run_screening(
        checker,
        uow_factory,
        sink,
        read_numbers(io.StringIO(text)),
        matter,
        department=department,
        actor=actor,
    )
    for r in results:
        writer.writerow(r)
    return out.getvalue()
