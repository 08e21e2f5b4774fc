"""The department console's checks: one subject for one matter (then feedback on each measure
returned), or a file of numbers screened for one matter (a CSV of results back).

The checked number travels only in a POST body; the check's page is addressed by its id in the
query log and shows the number masked.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from xinyong.domain.access import Scope
from xinyong.services import checks
from xinyong.web.console.pages import (
    Staffer,
    _say,
    csv_download,
    guard,
    page,
    submitted,
)
from xinyong.web.deps import DbId, platform_of, staff_page

router = APIRouter()


def _matters(request: Request, me: Staffer) -> list[tuple[str, str, str]]:
    """(code, Chinese, English) of the matters this department checks for."""
    policy = platform_of(request).policy
    department = policy.department(me.department or "")
    codes = sorted(department.matters) if department is not None else []
    registry = policy.registry.matters
    return [
        (code, registry[code].name_zh, registry[code].name_en)
        if code in registry
        else (code, code, code)
        for code in codes
    ]


def _checks_page(
    request: Request, me: Staffer, status: int = 200, alert: str | None = None
) -> Response:
    return page(
        request, "checks.html", status=status, me=me, matters=_matters(request, me), alert=alert
    )


@router.get("/checks", response_class=HTMLResponse, **staff_page(Scope.CHECKS_RUN))
async def checks_page(request: Request) -> Response:
    """Check one subject for a matter, or screen a file of numbers."""
    me = await guard(request)
    if isinstance(me, Response):
        return me
    return _checks_page(request, me)


@router.post("/checks", response_class=HTMLResponse, **staff_page(Scope.CHECKS_RUN))
async def run_check(
    request: Request,
    number: Annotated[str, Form(max_length=40)] = "",
    matter: Annotated[str, Form(max_length=64)] = "",
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    platform = platform_of(request)
    return await submitted(
        request,
        csrf,
        lambda me: checks.run_check(
            platform.uow(),
            platform.checker(),
            number,
            matter,
            department=me.department,
            actor=me.actor,
            log=platform.query_writer().write,  # never behind a batch's write lock
        ),
        again=lambda me, status, alert: _checks_page(request, me, status, alert),
        then=lambda done: f"/console/checks/{done[0]}",
        status=422,
    )


@router.get("/checks/{check_id}", response_class=HTMLResponse, **staff_page(Scope.CHECKS_RUN))
async def check_page(request: Request, check_id: DbId) -> Response:
    """A check's answer: each measure with its basis, and the feedback given or to give."""
    me = await guard(request)
    if isinstance(me, Response):
        return me
    return await _check_page(request, me, check_id)


async def _check_page(
    request: Request, me: Staffer, check_id: int, *, status: int = 200, alert: str | None = None
) -> Response:
    platform = platform_of(request)
    query, feedback, marked = await run_in_threadpool(
        checks.check_of,
        platform.read_uow(),
        check_id,
        platform.policy.list_types,
        department=me.department,
        actor=me.actor,
        refusals=platform.uow(),
    )
    registry = platform.policy.registry
    given = {f.measure: f for f in feedback}
    measures = [
        (item.measure, registry.measures.get(item.measure or ""), item.id, given.get(item.measure))
        for item in query.delivered
        if item.measure
    ]
    return page(
        request,
        "check.html",
        status=status,
        me=me,
        check_id=check_id,
        logged=query,
        measures=measures,
        marked=marked,
        alert=alert,
    )


@router.post(
    "/checks/{check_id}/feedback", response_class=HTMLResponse, **staff_page(Scope.CHECKS_RUN)
)
async def give_feedback(
    request: Request,
    check_id: DbId,
    measure: Annotated[str, Form(max_length=40)] = "",
    applied: Annotated[str, Form(max_length=5)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """What the department did with a measure: applied, or not and why."""
    platform = platform_of(request)

    async def again(me: Staffer, status: int, alert: str) -> Response:
        return await _check_page(request, me, check_id, status=status, alert=alert)

    return await submitted(
        request,
        csrf,
        lambda me: checks.give_feedback(
            platform.uow(),
            check_id,
            measure=measure,
            applied=applied == "yes",
            reason=reason or None,
            department=me.department,
            actor=me.actor,
        ),
        again=again,
        then=f"/console/checks/{check_id}?given=1",
        status=422,
    )


@router.post("/checks/screen", **staff_page(Scope.CHECKS_RUN))
async def screen(
    request: Request,
    file: Annotated[UploadFile, File()],
    matter: Annotated[str, Form(max_length=64)] = "",
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Screen a CSV of numbers for one matter; the results come back as a CSV file."""
    from xinyong.web.api.v1.checks import screen_text

    platform = platform_of(request)
    body = await file.read()

    def screened(me: Staffer) -> tuple[Staffer, list[list[str]]]:
        text = screen_text(
            platform.checker(),
            platform.uow,
            platform.screening_sink(),
            body,
            matter,
            me.department or "",
            me.actor,
        )
        return me, list(csv.reader(io.StringIO(text)))

    def then(done: tuple[Staffer, list[list[str]]]) -> Response:
        me, (header, *rows) = done
        if not rows:
            return _checks_page(request, me, 422, _say(request, "文件中没有数据行。"))
        return csv_download("screening.csv", header, rows)

    return await submitted(
        request,
        csrf,
        screened,
        again=lambda me, status, alert: _checks_page(request, me, status, alert),
        then=then,
        status=422,
    )
