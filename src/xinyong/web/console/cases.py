"""Objections and repairs in the consoles: a department sees those routed to it, the credit
centre all of them; each with its running deadline, overdue ones highlighted; the steps each
may take (the centre forwards an objection; whoever holds it decides it; a department accepts and
decides a repair); the evidence files the person added, each download audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from xinyong.domain.access import Scope
from xinyong.domain.calendar import Deadline
from xinyong.domain.objections import (
    CHALLENGE_KINDS,
    MAX_CHALLENGE_REFERENCE,
    PAUSE_KINDS,
    Objection,
)
from xinyong.domain.repairs import Repair, RepairStatus
from xinyong.services import evidence, objections, repairs
from xinyong.services.evidence import CaseType
from xinyong.web.console.pages import Again, Staffer, guard, page, submitted
from xinyong.web.deps import DbId, platform_of, staff_page
from xinyong.web.headers import attachment

router = APIRouter()


def repair_due(repair: Repair) -> Deadline:
    """The deadline that runs now: acceptance, then feedback to the applicant."""
    if repair.status in (RepairStatus.APPLIED, RepairStatus.MISSING_MATERIALS):
        return repair.accept_due
    return repair.feedback_due


@router.get("/cases", response_class=HTMLResponse, **staff_page(Scope.OBJECTIONS_MANAGE))
async def cases_page(request: Request) -> Response:
    """Open objections and repair applications, the most urgent first."""
    me = await guard(request)
    if isinstance(me, Response):
        return me
    platform = platform_of(request)
    objection_list = await run_in_threadpool(
        objections.objection_queue, platform.read_uow(), department=me.department
    )
    repair_list = await run_in_threadpool(
        repairs.repair_queue, platform.read_uow(), department=me.department
    )
    repair_list = sorted(repair_list, key=lambda r: (repair_due(r).day, r.id or 0))
    return page(
        request,
        "cases.html",
        me=me,
        objections=objection_list,
        repairs=[(r, repair_due(r)) for r in repair_list],
        today=platform.today(),
    )


async def _files_and_subject(
    request: Request, me: Staffer, case_type: CaseType, case: Objection | Repair
) -> tuple[list[evidence.EvidenceFile], evidence.CaseSubject]:
    """A case's evidence files, and the item it is about by name."""
    platform = platform_of(request)
    files = await run_in_threadpool(
        evidence.case_files,
        platform.read_uow(),
        case_type,
        case.id or 0,
        department=me.department,
        actor=me.actor,
        refusals=platform.uow(),
    )
    about = await run_in_threadpool(
        evidence.case_subject,
        platform.read_uow(),
        platform.policy,
        record_id=case.record_id,
        entry_id=case.entry_id,
    )
    return files, about


async def _evidence_file(
    request: Request, case_type: CaseType, case_id: int, evidence_id: int
) -> Response:
    me = await guard(request)
    if isinstance(me, Response):
        return me
    platform = platform_of(request)
    file, content = await run_in_threadpool(
        evidence.read_evidence,
        platform.uow(),
        case_type,
        case_id,
        evidence_id,
        department=me.department,
        actor=me.actor,
    )
    return Response(content, media_type=file.content_type, headers=attachment(file.filename))


@router.get(
    "/objections/{objection_id}/evidence/{evidence_id}", **staff_page(Scope.OBJECTIONS_MANAGE)
)
async def objection_evidence(request: Request, objection_id: DbId, evidence_id: DbId) -> Response:
    """An evidence file of an objection routed to the user's department (the centre: any), as
    the person added it; the download is audited."""
    return await _evidence_file(request, CaseType.OBJECTION, objection_id, evidence_id)


@router.get("/repairs/{repair_id}/evidence/{evidence_id}", **staff_page(Scope.REPAIRS_MANAGE))
async def repair_evidence(request: Request, repair_id: DbId, evidence_id: DbId) -> Response:
    """An evidence file of a repair application routed to the user's department (the centre:
    any); the download is audited."""
    return await _evidence_file(request, CaseType.REPAIR, repair_id, evidence_id)


async def _objection_page(
    request: Request, me: Staffer, objection_id: int, *, status: int = 200, alert: str | None = None
) -> Response:
    platform = platform_of(request)
    case = await run_in_threadpool(
        objections.objection_case,
        platform.read_uow(),
        objection_id,
        department=me.department,
        actor=me.actor,
        refusals=platform.uow(),
    )
    files, about = await _files_and_subject(request, me, CaseType.OBJECTION, case)
    return page(
        request,
        "objection.html",
        status=status,
        me=me,
        case=case,
        files=files,
        about=about,
        due=case.due(),
        today=platform.today(),
        outcomes=platform.policy.objections.outcomes,
        challenge_kinds=CHALLENGE_KINDS,
        pause_kinds=PAUSE_KINDS,
        alert=alert,
    )


@router.get(
    "/objections/{objection_id}", response_class=HTMLResponse, **staff_page(Scope.OBJECTIONS_MANAGE)
)
async def objection_page(request: Request, objection_id: DbId) -> Response:
    """One objection: grounds, reasons, its clock, and the step to take."""
    me = await guard(request)
    if isinstance(me, Response):
        return me
    return await _objection_page(request, me, objection_id)


async def _objection_step(
    request: Request,
    objection_id: int,
    csrf: str,
    use_case: Callable[..., Objection],
    *,
    status: int = 409,
    **fields: str,
) -> Response:
    """A form on an objection's page: `use_case(uow, policy, objection_id, **fields)` for the
    signed-in user's department, then the objection's page again (with why, when refused)."""
    platform = platform_of(request)
    return await submitted(
        request,
        csrf,
        lambda me: use_case(
            platform.uow(),
            platform.policy,
            objection_id,
            department=me.department,
            actor=me.actor,
            **fields,
        ),
        again=_objection_again(request, objection_id),
        then=f"/console/objections/{objection_id}",
        status=status,
    )


@router.post(
    "/objections/{objection_id}/forward",
    response_class=HTMLResponse,
    **staff_page(Scope.OBJECTIONS_FORWARD),
)
async def forward(
    request: Request, objection_id: DbId, csrf: Annotated[str, Form(max_length=64)] = ""
) -> Response:
    """The centre found no mismatch it can correct itself: the source decides by a deadline."""
    return await _objection_step(request, objection_id, csrf, objections.forward_objection)


@router.post(
    "/objections/{objection_id}/decide",
    response_class=HTMLResponse,
    **staff_page(Scope.OBJECTIONS_MANAGE),
)
async def decide(
    request: Request,
    objection_id: DbId,
    outcome: Annotated[str, Form(max_length=40)] = "",
    reasons: Annotated[str, Form(max_length=4000)] = "",
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Decide the objection with written reasons (or record a challenged one's final outcome);
    the person and every recipient are told."""
    return await _objection_step(
        request, objection_id, csrf, objections.decide_objection,
        status=422, outcome=outcome, reasons=reasons,
    )  # fmt: skip


@router.post(
    "/objections/{objection_id}/pause",
    response_class=HTMLResponse,
    **staff_page(Scope.OBJECTIONS_MANAGE),
)
async def pause(
    request: Request,
    objection_id: DbId,
    kind: Annotated[str, Form(max_length=16)] = "",
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Testing or expert review begins: the deadline stands still until it is resumed."""
    return await _objection_step(
        request, objection_id, csrf, objections.pause_objection,
        status=422, kind=kind,
    )  # fmt: skip


@router.post(
    "/objections/{objection_id}/resume",
    response_class=HTMLResponse,
    **staff_page(Scope.OBJECTIONS_MANAGE),
)
async def resume(
    request: Request, objection_id: DbId, csrf: Annotated[str, Form(max_length=64)] = ""
) -> Response:
    """Testing or expert review is over: the deadline moves by the working days it took."""
    return await _objection_step(request, objection_id, csrf, objections.resume_objection)


@router.post(
    "/objections/{objection_id}/challenge",
    response_class=HTMLResponse,
    **staff_page(Scope.OBJECTIONS_FORWARD),
)
async def challenge(
    request: Request,
    objection_id: DbId,
    kind: Annotated[str, Form(max_length=16)] = "",
    reference: Annotated[str, Form(max_length=MAX_CHALLENGE_REFERENCE)] = "",
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """The decision was taken to reconsideration or to court: the item is marked again until the
    final decision is recorded here."""
    return await _objection_step(
        request, objection_id, csrf, objections.challenge_objection,
        status=422, kind=kind, reference=reference,
    )  # fmt: skip


def _objection_again(request: Request, objection_id: int) -> Again:
    async def again(me: Staffer, status: int, alert: str) -> Response:
        return await _objection_page(request, me, objection_id, status=status, alert=alert)

    return again


def _repair_again(request: Request, repair_id: int) -> Again:
    async def again(me: Staffer, status: int, alert: str) -> Response:
        return await _repair_page(request, me, repair_id, status=status, alert=alert)

    return again


async def _repair_page(
    request: Request, me: Staffer, repair_id: int, *, status: int = 200, alert: str | None = None
) -> Response:
    platform = platform_of(request)
    case = await run_in_threadpool(
        repairs.repair_case,
        platform.read_uow(),
        repair_id,
        department=me.department,
        actor=me.actor,
        refusals=platform.uow(),
    )
    files, about = await _files_and_subject(request, me, CaseType.REPAIR, case)
    return page(
        request,
        "repair.html",
        status=status,
        me=me,
        case=case,
        files=files,
        about=about,
        due=repair_due(case),
        today=platform.today(),
        alert=alert,
    )


@router.get("/repairs/{repair_id}", response_class=HTMLResponse, **staff_page(Scope.REPAIRS_MANAGE))
async def repair_page(request: Request, repair_id: DbId) -> Response:
    """One repair application: what it lacks, its clock, and the step to take."""
    me = await guard(request)
    if isinstance(me, Response):
        return me
    return await _repair_page(request, me, repair_id)


@router.post(
    "/repairs/{repair_id}/accept", response_class=HTMLResponse, **staff_page(Scope.REPAIRS_MANAGE)
)
async def accept(
    request: Request, repair_id: DbId, csrf: Annotated[str, Form(max_length=64)] = ""
) -> Response:
    platform = platform_of(request)
    return await submitted(
        request,
        csrf,
        lambda me: repairs.accept_repair(
            platform.uow(), repair_id, department=me.department, actor=me.actor
        ),
        again=_repair_again(request, repair_id),
        then=f"/console/repairs/{repair_id}",
    )


@router.post(
    "/repairs/{repair_id}/decide", response_class=HTMLResponse, **staff_page(Scope.REPAIRS_MANAGE)
)
async def decide_repair(
    request: Request,
    repair_id: DbId,
    repaired: Annotated[str, Form(max_length=5)] = "",
    reasons: Annotated[str, Form(max_length=4000)] = "",
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    platform = platform_of(request)
    return await submitted(
        request,
        csrf,
        lambda me: repairs.decide_repair(
            platform.uow(),
            platform.policy,
            repair_id,
            repaired=repaired == "yes",
            reasons=reasons,
            department=me.department,
            actor=me.actor,
        ),
        again=_repair_again(request, repair_id),
        then=f"/console/repairs/{repair_id}",
        status=422,
    )
