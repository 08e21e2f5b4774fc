"""The person's cases: objections (status timeline, every deadline, evidence) and repair
applications (apply, timeline, deadlines, what is missing)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from xinyong.domain.errors import DomainError, Invalid, NotFound
from xinyong.domain.policy import Policy
from xinyong.services import evidence, objections, repairs
from xinyong.services.evidence import CaseType
from xinyong.services.ports import UnitOfWork
from xinyong.services.reports import read_own_file
from xinyong.web import i18n
from xinyong.web.api.v1.objections import MAX_EVIDENCE_BYTES
from xinyong.web.deps import DbId, PolicyDep, TodayDep, UowDep, person_page
from xinyong.web.portal import messages
from xinyong.web.portal.pages import (
    PortalRoute,
    Problems,
    Visitor,
    guard,
    language,
    page,
    problems_of,
    submitted,
    withheld,
)

router = APIRouter(route_class=PortalRoute)

REPAIR_FIELDS = ("record_id", "commitment")


def _items(uow: UnitOfWork, policy: Policy, subject_id: int) -> dict[int, tuple[str, str]]:
    """The person's records by id, with their names (Chinese, English), to say what a case is
    about."""
    data = read_own_file(uow, policy, subject_id)
    return {r.id: (r.item_name_zh, r.item_name_en) for r in data.records}


@router.get("/me/objections", response_class=HTMLResponse, **person_page())
async def my_objections(
    request: Request, uow: UowDep, policy: PolicyDep, today: TodayDep
) -> Response:
    """The person's objections, each with where it stands and the deadline that runs now."""
    person = await guard(request)
    if isinstance(person, Response):
        return person
    found = await run_in_threadpool(objections.objections_of, uow, person.subject_id)
    items = await run_in_threadpool(_items, uow, policy, person.subject_id)
    return page(
        request,
        "objections.html",
        private=True,
        chrome=person.chrome,
        objections=sorted(found, key=lambda o: o.id or 0, reverse=True),
        items=items,
        today=today,
    )


async def _objection_page(
    request: Request,
    uow: UnitOfWork,
    policy: Policy,
    person: Visitor,
    objection_id: int,
    *,
    today: object,
    status: int = 200,
    problems: Problems | None = None,
    added: bool = False,
) -> HTMLResponse:
    objection = await run_in_threadpool(
        partial(objections.objection_of, actor=person.actor),
        uow,
        person.subject_id,
        objection_id,
    )
    files = await run_in_threadpool(
        lambda: evidence.files_of(
            uow,
            CaseType.OBJECTION,
            objection_id,
            subject_id=person.subject_id,
            actor=person.actor,
        )
    )
    items = await run_in_threadpool(_items, uow, policy, person.subject_id)
    return page(
        request,
        "objection.html",
        status=status,
        private=True,
        chrome=person.chrome,
        objection=objection,
        steps=objection.steps(),
        files=files,
        items=items,
        today=today,
        filed=request.query_params.get("filed") == "1",
        added=added or request.query_params.get("added") == "1",
        problems=problems or Problems(),
        max_mb=MAX_EVIDENCE_BYTES // (1024 * 1024),
    )


@router.get("/me/objections/{objection_id}", response_class=HTMLResponse, **person_page())
async def my_objection(
    objection_id: DbId, request: Request, uow: UowDep, policy: PolicyDep, today: TodayDep
) -> Response:
    """One objection: its timeline, every deadline (working days; a fallback count is flagged),
    the outcome, and the evidence files, with a form to add one."""
    person = await guard(request)
    if isinstance(person, Response):
        return person
    try:
        return await _objection_page(request, uow, policy, person, objection_id, today=today)
    except DomainError as exc:
        return _missing(request, person, exc)


def _missing(request: Request, person: Visitor, exc: DomainError) -> HTMLResponse:
    """The case is not the person's (none such, or another's): not found."""
    return page(
        request,
        "missing.html",
        status=404,
        private=True,
        chrome=person.chrome,
        problems=problems_of(request, exc),
    )


def _adding(
    uow: UnitOfWork, case_type: CaseType, case_id: int, file: UploadFile | None
) -> Callable[[Visitor], object]:
    """The step that keeps an uploaded file (at most `MAX_EVIDENCE_BYTES`) with the person's
    own case."""

    def work(person: Visitor) -> object:
        if file is None or not file.filename:
            raise Invalid("file: choose a file to add")
        content = file.file.read(MAX_EVIDENCE_BYTES + 1)
        if len(content) > MAX_EVIDENCE_BYTES:
            raise Invalid(f"file: larger than {MAX_EVIDENCE_BYTES} bytes")
        return evidence.add_evidence(
            uow,
            case_type,
            case_id,
            subject_id=person.subject_id,
            filename=(file.filename or "evidence")[:200],
            content=content,
            actor=person.actor,
        )

    return work


@router.post("/me/objections/{objection_id}/evidence", response_class=HTMLResponse, **person_page())
async def add_evidence(
    objection_id: DbId,
    request: Request,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    file: Annotated[UploadFile | None, File()] = None,
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Add an evidence file (at most 5 MB) to one of the person's objections."""
    work = _adding(uow, CaseType.OBJECTION, objection_id, file)
    return await submitted(
        request,
        csrf,
        work,
        # Not the person's objection: not found (the reach audited once, by the service).
        again=lambda person, exc: (
            _missing(request, person, exc)
            if isinstance(exc, NotFound)
            else _objection_page(
                request,
                uow,
                policy,
                person,
                objection_id,
                today=today,
                status=422,
                problems=problems_of(request, exc, ("file",)),
            )
        ),
        then=f"/portal/me/objections/{objection_id}?added=1",
    )


async def _repairs_page(
    request: Request,
    uow: UnitOfWork,
    policy: Policy,
    person: Visitor,
    *,
    today: object,
    status: int = 200,
    problems: Problems | None = None,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    found = await run_in_threadpool(repairs.repairs_of, uow, person.subject_id)
    files = await run_in_threadpool(
        lambda: {
            r.id: evidence.files_of(
                uow, CaseType.REPAIR, r.id or 0, subject_id=person.subject_id, actor=person.actor
            )
            for r in found
        }
    )
    data = await run_in_threadpool(read_own_file, uow, policy, person.subject_id)
    refusals = await run_in_threadpool(repairs.repair_refusals, uow, policy, person.subject_id)
    # Offered: what the rules would take today; the rest is listed with why not (its channel,
    # or the day it may be applied for).
    repairable = [r for r in data.records if r.id in refusals and refusals[r.id] is None]
    not_yet = [
        (r, problems_of(request, refused).alert)
        for r in data.records
        if (refused := refusals.get(r.id)) is not None
    ]
    return page(
        request,
        "repairs.html",
        status=status,
        private=True,
        chrome=person.chrome,
        repairs=sorted(found, key=lambda r: r.id or 0, reverse=True),
        items={r.id: (r.item_name_zh, r.item_name_en) for r in data.records},
        repairable=repairable,
        not_yet=not_yet,
        missing={r.id: [messages_of(request, m) for m in r.missing] for r in found},
        files=files,
        decided=evidence.DECIDED,
        added=request.query_params.get("added", ""),
        supplied=request.query_params.get("supplied", ""),
        max_mb=MAX_EVIDENCE_BYTES // (1024 * 1024),
        today=today,
        applied=request.query_params.get("applied") == "1",
        problems=problems or Problems(),
        typed=typed or {},
        min_commitment=policy.repairs.commitment_min_chars,
    )


def _repairs_again(
    request: Request,
    uow: UnitOfWork,
    policy: Policy,
    today: object,
    fields: tuple[str, ...],
    *,
    form: str | None = None,
    typed: dict[str, str] | None = None,
) -> Callable[[Visitor, DomainError], Awaitable[HTMLResponse]]:
    """The repair page again, with a refused form's problems beside its `fields`."""

    def again(person: Visitor, exc: DomainError) -> Awaitable[HTMLResponse]:
        problems = problems_of(request, exc, fields, form=form)
        return _repairs_page(
            request, uow, policy, person, today=today, status=422, problems=problems, typed=typed
        )

    return again


def messages_of(request: Request, missing: str) -> str:
    """A missing material, in the page's language."""
    with i18n.use_language(language(request)):
        return messages.missing_material(missing)


@router.get("/me/repairs", response_class=HTMLResponse, **person_page())
async def my_repairs(request: Request, uow: UowDep, policy: PolicyDep, today: TodayDep) -> Response:
    """The person's repair applications (timeline, deadlines, what is missing) and the form to
    apply for one."""
    person = await guard(request)
    if isinstance(person, Response):
        return person
    return await _repairs_page(request, uow, policy, person, today=today)


@router.post("/me/repairs", response_class=HTMLResponse, **person_page())
async def apply_for_repair(
    request: Request,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    record_id: Annotated[int | None, Form(ge=1, le=2**63 - 1)] = None,
    commitment: Annotated[str, Form(max_length=20000)] = "",
    obligations_performed: Annotated[bool, Form()] = False,
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Apply to repair one of the person's negative records."""

    def work(person: Visitor) -> object:
        if record_id is None:
            raise Invalid("record_id: choose the record to repair")
        return repairs.apply_for_repair(
            uow,
            policy,
            subject_id=person.subject_id,
            record_id=record_id,
            obligations_performed=obligations_performed,
            commitment=commitment,
            actor=person.actor,
        )

    return await submitted(
        request,
        csrf,
        work,
        again=_repairs_again(
            request,
            uow,
            policy,
            today,
            REPAIR_FIELDS,
            typed={"commitment": withheld(request, commitment), "record_id": str(record_id or "")},
        ),
        then="/portal/me/repairs?applied=1",
    )


@router.post("/me/repairs/{repair_id}/materials", response_class=HTMLResponse, **person_page())
async def supply_repair_materials(
    repair_id: DbId,
    request: Request,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    commitment: Annotated[str, Form(max_length=20000)] = "",
    obligations_performed: Annotated[bool, Form()] = False,
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Supply what one of the person's repair applications lacks; once nothing is missing it
    goes to the department that made the finding."""

    def work(person: Visitor) -> object:
        return repairs.supply_materials(
            uow,
            policy,
            repair_id,
            subject_id=person.subject_id,
            obligations_performed=obligations_performed,
            commitment=commitment,
            actor=person.actor,
        )

    return await submitted(
        request,
        csrf,
        work,
        again=_repairs_again(
            request,
            uow,
            policy,
            today,
            ("commitment",),
            form=f"materials-{repair_id}",
            typed={f"materials-{repair_id}": withheld(request, commitment)},
        ),
        then=f"/portal/me/repairs?supplied={repair_id}#repair-{repair_id}",
    )


@router.post("/me/repairs/{repair_id}/evidence", response_class=HTMLResponse, **person_page())
async def add_repair_evidence(
    repair_id: DbId,
    request: Request,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    file: Annotated[UploadFile | None, File()] = None,
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Add an evidence file (at most 5 MB) to one of the person's undecided repair applications:
    the proof that the obligations were performed, for one."""
    return await submitted(
        request,
        csrf,
        _adding(uow, CaseType.REPAIR, repair_id, file),
        again=_repairs_again(request, uow, policy, today, ("file",), form=f"repair-{repair_id}"),
        then=f"/portal/me/repairs?added={repair_id}#repair-{repair_id}",
    )
