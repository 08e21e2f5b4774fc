"""The person's own side: accounts and sessions, the own report, authorisations, objections,
repair applications. Every route under /me acts for the session's person (or, with
`on_behalf_of`, for a principal under a recorded power of attorney)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool

from xinyong.domain.access import ApiKey, Scope
from xinyong.domain.errors import Invalid
from xinyong.domain.rights import Authorisation, Objection, Repair
from xinyong.services import accounts, report_render, rights
from xinyong.services.ports import business_date
from xinyong.services.report import build_report
from xinyong.web.deps import PUBLIC, SESSION_COOKIE, DbId, PolicyDep, SettingsDep, UowDep, caller
from xinyong.web.schemas import (
    AccountCreate,
    AccountPublic,
    AuthorisationCreate,
    AuthorisationPublic,
    ObjectionCreate,
    ObjectionPublic,
    RepairCreate,
    RepairPublic,
    SessionCreate,
    SessionPublic,
)

router = APIRouter(tags=["the person"])

Person = Annotated[ApiKey, caller(Scope.ME)]
OnBehalfOf = Annotated[
    int | None,
    Query(ge=1, le=2**63 - 1, description="A principal's subject id, for an agent"),
]

#: Evidence files: at most this many bytes each.
MAX_EVIDENCE_BYTES = 5 * 1024 * 1024


@router.post("/accounts", status_code=201, **PUBLIC)
def register(body: AccountCreate, uow: UowDep, policy: PolicyDep) -> AccountPublic:
    """Open a real-name account. The number and name must match what the platform holds."""
    account = accounts.register(
        uow, policy, number=body.number, name=body.name, phone=body.phone, password=body.password
    )
    return AccountPublic(
        id=account.id or 0, subject_id=account.subject_id, created_at=account.created_at
    )


@router.post("/sessions", status_code=201, **PUBLIC)
def login(
    body: SessionCreate, uow: UowDep, policy: PolicyDep, request: Request, response: Response
) -> SessionPublic:
    """Log in: a bearer token for the API, or (kind=web) also an HttpOnly session cookie."""
    session = accounts.login(
        uow, policy, number=body.number, password=body.password, api=body.kind == "api"
    )
    if body.kind == "web":
        response.set_cookie(
            SESSION_COOKIE,
            session.token,
            expires=session.expires_at,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    return SessionPublic(token=session.token, expires_at=session.expires_at)


@router.delete("/sessions/current", status_code=204)
def logout(request: Request, uow: UowDep, key: Person) -> Response:
    """End this session (the token stops working at once)."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    token = credentials.strip() if scheme.lower() == "bearer" else ""
    accounts.logout(uow, token or request.cookies.get(SESSION_COOKIE, ""))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get(
    "/me/report",
    response_class=Response,
    responses={
        200: {
            "content": {"application/json": {}, "text/html": {}, "application/pdf": {}},
            "description": "The personal public credit information report",
        }
    },
)
async def own_report(
    uow: UowDep,
    policy: PolicyDep,
    settings: SettingsDep,
    key: Person,
    on_behalf_of: OnBehalfOf = None,
    format: Annotated[Literal["json", "html", "pdf"], Query()] = "json",
    lang: Annotated[Literal["zh", "en"], Query(description="zh (default) or en")] = "zh",
) -> Response:
    """Your report: identity, records by category (with status, display window and any
    objection), list entries, measures in force, positive items, objections and repairs, and
    who looked at your file. It states when it was generated and what it omits by law."""
    subject_id = await run_in_threadpool(accounts.acting_for, uow, key, on_behalf_of)
    data = await run_in_threadpool(
        partial(build_report, actor=key.actor, secret_key=settings.secret_key),
        uow,
        policy,
        subject_id,
    )
    private = {"Cache-Control": "no-store"}  # a person's file is never cached
    if format == "html":
        return Response(
            report_render.render_report_html(data, lang), media_type="text/html", headers=private
        )
    if format == "pdf":
        pdf = await run_in_threadpool(report_render.render_report_pdf, data, lang)
        stamp = business_date(data.generated_at).isoformat()
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="report-{stamp}.pdf"',
                **private,
            },
        )
    body = json.dumps(asdict(data), default=str, ensure_ascii=False)
    return Response(body, media_type="application/json", headers=private)


def _authorisation(a: Authorisation, today: date) -> AuthorisationPublic:
    return AuthorisationPublic(
        id=a.id or 0,
        grantee=a.grantee,
        purpose=a.purpose,
        scope=a.scope,
        expires_on=a.expires_on,
        granted_at=a.granted_at,
        revoked_at=a.revoked_at,
        live=a.is_live_on(today),
    )


@router.get("/me/authorisations")
def list_authorisations(
    uow: UowDep, request: Request, key: Person, on_behalf_of: OnBehalfOf = None
) -> list[AuthorisationPublic]:
    """Who you have authorised to query your file, for what, until when."""
    subject_id = accounts.acting_for(uow, key, on_behalf_of)
    today = business_date(request.app.state.clock())
    return [_authorisation(a, today) for a in rights.authorisations_of(uow, subject_id)]


@router.post("/me/authorisations", status_code=201)
def grant(
    body: AuthorisationCreate,
    uow: UowDep,
    policy: PolicyDep,
    request: Request,
    key: Person,
    on_behalf_of: OnBehalfOf = None,
) -> AuthorisationPublic:
    """Authorise a party (a credit reporting agency, say) to query your file for a purpose."""
    subject_id = accounts.acting_for(uow, key, on_behalf_of)
    granted = rights.grant_authorisation(
        uow,
        policy,
        subject_id=subject_id,
        grantee=body.grantee,
        purpose=body.purpose,
        scope=body.scope,
        expires_on=body.expires_on,
        actor=key.actor,
    )
    return _authorisation(granted, business_date(request.app.state.clock()))


@router.post("/me/authorisations/{authorisation_id}/revocation")
def revoke(
    authorisation_id: DbId,
    uow: UowDep,
    request: Request,
    key: Person,
    on_behalf_of: OnBehalfOf = None,
) -> AuthorisationPublic:
    """Withdraw an authorisation; the party's next query is refused."""
    subject_id = accounts.acting_for(uow, key, on_behalf_of)
    revoked = rights.revoke_authorisation(
        uow, subject_id=subject_id, authorisation_id=authorisation_id, actor=key.actor
    )
    return _authorisation(revoked, business_date(request.app.state.clock()))


def objection_public(o: Objection, today: date) -> ObjectionPublic:
    due = o.due()
    return ObjectionPublic(
        id=o.id or 0,
        record_id=o.record_id,
        entry_id=o.entry_id,
        department=o.department,
        ground=o.ground,
        reasons=o.reasons,
        status=o.status.value,
        filed_at=o.filed_at,
        due=due.day,
        due_official=due.official,
        overdue=o.is_overdue_on(today),
        extended=o.extended,
        outcome=o.outcome,
        outcome_reasons=o.outcome_reasons,
    )


@router.get("/me/objections")
def my_objections(
    uow: UowDep, request: Request, key: Person, on_behalf_of: OnBehalfOf = None
) -> list[ObjectionPublic]:
    subject_id = accounts.acting_for(uow, key, on_behalf_of)
    today = business_date(request.app.state.clock())
    return [objection_public(o, today) for o in rights.objections_of(uow, subject_id)]


@router.post("/me/objections", status_code=201)
def object_to(
    body: ObjectionCreate,
    uow: UowDep,
    policy: PolicyDep,
    request: Request,
    key: Person,
    on_behalf_of: OnBehalfOf = None,
) -> ObjectionPublic:
    """Object to a record or a list entry. It is marked "under objection" at once, everywhere,
    and routed to its source department with working-day deadlines."""
    subject_id = accounts.acting_for(uow, key, on_behalf_of)
    objection = rights.file(
        uow,
        policy,
        subject_id=subject_id,
        record_id=body.record_id,
        entry_id=body.entry_id,
        ground=body.ground,
        reasons=body.reasons,
        actor=key.actor,
    )
    return objection_public(objection, business_date(request.app.state.clock()))


@router.post("/me/objections/{objection_id}/evidence", status_code=201)
async def add_evidence(
    objection_id: DbId,
    file: UploadFile,
    uow: UowDep,
    key: Person,
    on_behalf_of: OnBehalfOf = None,
) -> dict[str, object]:
    """Add an evidence file (at most 5 MB) to one of your objections; it is kept with the case."""
    content = await file.read(MAX_EVIDENCE_BYTES + 1)
    if len(content) > MAX_EVIDENCE_BYTES:
        raise Invalid(f"file: larger than {MAX_EVIDENCE_BYTES} bytes")
    subject_id = await run_in_threadpool(accounts.acting_for, uow, key, on_behalf_of)
    evidence_id = await run_in_threadpool(
        rights.add_evidence,
        uow,
        "objection",
        objection_id,
        subject_id=subject_id,
        filename=(file.filename or "evidence")[:200],
        content_type=(file.content_type or "application/octet-stream")[:100],
        content=content,
    )
    return {"id": evidence_id, "bytes": len(content)}


def repair_public(r: Repair, today: date) -> RepairPublic:
    return RepairPublic(
        id=r.id or 0,
        record_id=r.record_id,
        department=r.department,
        status=r.status.value,
        missing=list(r.missing),
        applied_at=r.applied_at,
        accept_due=r.accept_due.day,
        feedback_due=r.feedback_due.day,
        overdue=r.is_overdue_on(today),
        reasons=r.reasons,
    )


@router.post("/me/repairs", status_code=201)
def apply_for_repair(
    body: RepairCreate,
    uow: UowDep,
    policy: PolicyDep,
    request: Request,
    key: Person,
    on_behalf_of: OnBehalfOf = None,
) -> RepairPublic:
    """Apply to repair a negative record. Before the minimum display period it is refused with
    the date from which it is allowed; missing materials are listed all at once."""
    subject_id = accounts.acting_for(uow, key, on_behalf_of)
    repair = rights.apply_for_repair(
        uow,
        policy,
        subject_id=subject_id,
        record_id=body.record_id,
        obligations_performed=body.obligations_performed,
        commitment=body.commitment,
        actor=key.actor,
    )
    return repair_public(repair, business_date(request.app.state.clock()))
