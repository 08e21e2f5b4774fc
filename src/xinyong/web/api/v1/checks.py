"""Checks: which measures apply to this subject for this matter; feedback; batch screening."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from xinyong.domain.access import Scope
from xinyong.domain.checks import Answer, Feedback
from xinyong.domain.errors import Invalid, OutsideMandate
from xinyong.domain.identifiers import mask_number
from xinyong.domain.index import Hit
from xinyong.domain.keys import ApiKey
from xinyong.domain.lists import ListType
from xinyong.domain.rates import Action
from xinyong.services import checks
from xinyong.services.audit import record_refusal
from xinyong.services.batchfiles import BatchFormat, SafeCsvWriter
from xinyong.services.checks import Checker
from xinyong.services.ports import UnitOfWork
from xinyong.services.screening import SCREEN_COLUMNS, ScreeningSink, read_numbers, run_screening
from xinyong.web.deps import DbId, PlatformDep, UowDep, caller, department_of, platform_of
from xinyong.web.fastpath import Direct, logged
from xinyong.web.throttle import throttle_of

router = APIRouter(prefix="/checks", tags=["checks"])


class CheckCreate(BaseModel):
    """Which measures apply to this subject for this matter? The number travels in the body."""

    subject: str = Field(max_length=40, description="Citizen ID number or credit code")
    matter: str = Field(max_length=64, description="A matter of the registry, e.g. flight")


class TriggerPublic(BaseModel):
    """The list entry that triggers a measure, and how it reaches the checked subject."""

    type: str = "list_entry"
    id: int
    list_type: str
    list_name_zh: str
    list_legal_basis: list[str]
    via_role: str | None
    in_force_from: date
    in_force_until: date | None


class CheckMeasure(BaseModel):
    code: str
    name_zh: str
    name_en: str
    category: str
    legal_basis: list[str]
    implementing_unit: str
    under_objection: bool
    triggered_by: TriggerPublic

    @classmethod
    def from_domain(cls, hit: Hit, list_types: Mapping[str, ListType]) -> CheckMeasure:
        list_type = list_types[hit.posting.list_code]
        m = hit.measure
        return cls(
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


class CheckResult(BaseModel):
    id: int = Field(description="The check's id: give feedback on it, find it in the query log")
    subject: str = Field(description="The checked number, masked")
    matter: str
    checked_on: date
    measures: list[CheckMeasure]

    @classmethod
    def from_domain(
        cls, answer: Answer, query_id: int, list_types: Mapping[str, ListType]
    ) -> CheckResult:
        return cls(
            id=query_id,
            subject=mask_number(answer.number),
            matter=answer.matter,
            checked_on=answer.day,
            measures=[CheckMeasure.from_domain(h, list_types) for h in answer.hits],
        )


class FeedbackCreate(BaseModel):
    measure: str = Field(max_length=40)
    applied: bool
    reason: str | None = Field(default=None, max_length=4000)


class FeedbackPublic(BaseModel):
    check: int
    measure: str
    applied: bool
    reason: str | None
    at: datetime

    @classmethod
    def from_domain(cls, f: Feedback) -> FeedbackPublic:
        return cls(check=f.query_id, measure=f.measure, applied=f.applied, reason=f.reason, at=f.at)


Checking = Annotated[ApiKey, caller(Scope.CHECKS_RUN)]
#: The hottest route reads its caller and body itself (see `web/fastpath.py`), under the same
#: contract as a route declaring `caller(Scope.CHECKS_RUN)` and a `CheckCreate` body.
CHECK = Direct(CheckCreate, Scope.CHECKS_RUN, limit=Action.CHECK)


@router.post("", response_model=CheckResult, openapi_extra=CHECK.openapi)
async def check(request: Request) -> Response:
    """Return the measures that apply to the subject for the matter, each with the list entry
    that triggers it, its legal basis and whether it is under objection.

    The answer reflects every listing, exit and objection committed before the request arrived.
    The check is logged on the subject's file before the answer is returned.
    """
    key, seq, body = await CHECK.accept(request)
    platform = platform_of(request)
    checker = platform.loaded_checker
    if checker is None:  # the first check builds the index, off the event loop
        checker = await run_in_threadpool(platform.checker)
    if seq > checker.index.seq:  # the index must catch up before it answers (a database read)
        await run_in_threadpool(checker.sync, seq)
    try:
        done = checks.check(
            checker,
            body.subject,
            body.matter,
            department=key.department,
            actor=key.actor,
            seen_seq=seq,
        )
    except OutsideMandate as refusal:
        await run_in_threadpool(
            record_refusal, platform.uow(), refusal, actor=key.actor, department=key.department
        )
        raise
    query_id = await logged(platform.query_writer(), done.entry)
    result = CheckResult.from_domain(done.answer, query_id, platform.policy.list_types)
    # The response model documents it; this sends it without a second validation.
    return Response(result.model_dump_json(), media_type="application/json")


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
    return FeedbackPublic.from_domain(given)


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
    platform: PlatformDep,
    key: Checking,
    matter: Annotated[str, Query(max_length=64, description="The matter, e.g. flight")],
) -> Response:
    """Screen many numbers for one matter: CSV in, CSV out (row, number, status, measures,
    entries, reason, under_objection). Every screened number is logged on its file."""
    department = department_of(key)
    if BatchFormat.from_media_type(request.headers.get("content-type", "")) is not BatchFormat.CSV:
        raise HTTPException(415, "send the numbers as text/csv")
    await throttle_of(request).limit_async(request, Action.SCREENING, key=key.prefix)
    body = await request.body()
    checker = await run_in_threadpool(platform.checker)
    text = await run_in_threadpool(
        screen_text,
        checker,
        platform.uow,
        platform.screening_sink(),
        body,
        matter,
        department,
        key.actor,
    )
    return Response(text, media_type="text/csv; charset=utf-8")


def screen_text(
    checker: Checker,
    uow_factory: Callable[[], UnitOfWork],
    sink: ScreeningSink,
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
    writer = SafeCsvWriter(out)  # formula cells escaped
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
