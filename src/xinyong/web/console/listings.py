"""A department's listings through their procedure: propose on its own records, serve the prior
notice (with the repair notice), decide after the defence window, publish; the notice and the
decision as PDF documents."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from xinyong.domain.access import Scope
from xinyong.domain.errors import DomainError, Invalid, OutsideMandate
from xinyong.domain.list_proposals import AlreadyOnList
from xinyong.domain.list_types import Decider
from xinyong.services import documents, list_proposals
from xinyong.services import lists as listing
from xinyong.web.console.pages import Staffer, guard, page, submitted
from xinyong.web.deps import DbId, platform_of, staff_page

router = APIRouter()

#: Listings a page of the listing console shows.
PAGE_SIZE = 100

Step = Literal["notice", "decide", "publish", "withdraw"]


async def _listings_page(
    request: Request, me: Staffer, *, status: int = 200, alert: str | None = None, page_no: int = 1
) -> Response:
    platform = platform_of(request)
    results = await run_in_threadpool(
        partial(
            listing.listings_in_procedure,
            platform.read_uow(),
            platform.policy,
            department=me.department,
            page=page_no,
            size=PAGE_SIZE,
        )
    )
    # The platform-run lists this department may propose on (its kind decides them).
    department = platform.policy.department(me.department or "")
    kind = department.kind if department is not None else None
    codes = sorted(
        t.code
        for t in platform.policy.list_types.values()
        if t.decided_by is Decider.PLATFORM and kind in t.decider_kinds
    )
    return page(
        request,
        "listings.html",
        status=status,
        me=me,
        views=results.items,
        results=results,
        page_url=lambda n: f"/console/listings?page={n}",
        list_types=[platform.policy.list_types[c] for c in codes],
        today=platform.today(),
        alert=alert,
    )


@router.get("/listings", response_class=HTMLResponse, **staff_page(Scope.LISTS_WRITE))
async def listings_page(
    request: Request, page: Annotated[int, Query(ge=1, le=100_000)] = 1
) -> Response:
    """Listings in their procedure, each with its next step and documents, `PAGE_SIZE` a page
    (oldest first); a proposal form."""
    me = await guard(request)
    if isinstance(me, Response):
        return me
    return await _listings_page(request, me, page_no=page)


def _proposal_status(exc: DomainError) -> int:
    """Outside the department's mandate: 403, as the API answers (and audited); beside an open
    entry of the person on the list: 409; anything else the form did not get right: 422."""
    if isinstance(exc, OutsideMandate):
        return 403
    return 409 if isinstance(exc, AlreadyOnList) else 422


@router.post("/listings", response_class=HTMLResponse, **staff_page(Scope.LISTS_WRITE))
async def propose(
    request: Request,
    list_code: Annotated[str, Form(max_length=40)] = "",
    number: Annotated[str, Form(max_length=40)] = "",
    records: Annotated[str, Form(max_length=200)] = "",
    grounds: Annotated[str, Form(max_length=4000)] = "",
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Propose a listing on the department's own records (their ids, comma-separated)."""
    platform = platform_of(request)

    def propose(me: Staffer) -> object:
        try:
            ids = [int(x) for x in records.replace("，", ",").split(",") if x.strip()]
        except ValueError:
            message = "records: the ids of the records the listing rests on, e.g. 12, 15"
            raise Invalid(message) from None
        return list_proposals.propose(
            platform.uow(),
            platform.policy,
            list_code=list_code,
            subject_number=number,
            grounds=grounds,
            basis_records=ids,
            department=me.department,
            actor=me.actor,
        )

    return await submitted(
        request,
        csrf,
        propose,
        again=lambda me, status, alert: _listings_page(request, me, status=status, alert=alert),
        then="/console/listings",
        status=_proposal_status,
    )


@router.post(
    "/listings/{entry_id}/{step}", response_class=HTMLResponse, **staff_page(Scope.LISTS_WRITE)
)
async def take_step(
    request: Request,
    entry_id: DbId,
    step: Step,
    reasons: Annotated[str, Form(max_length=4000)] = "",
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """The procedure's next step: serve the notice, decide (with reasons), publish, withdraw."""
    platform = platform_of(request)

    def run(me: Staffer) -> object:
        uow, policy, dept, actor = platform.uow(), platform.policy, me.department, me.actor
        if step == "notice":
            return listing.serve_notice(uow, policy, entry_id, department=dept, actor=actor)
        if step == "decide":
            return listing.decide(
                uow, policy, entry_id, reasons=reasons, months=None, department=dept, actor=actor
            )
        if step == "publish":
            return listing.publish(uow, policy, entry_id, department=dept, actor=actor)
        return listing.withdraw(uow, policy, entry_id, department=dept, actor=actor)

    return await submitted(
        request,
        csrf,
        run,
        again=lambda me, status, alert: _listings_page(request, me, status=status, alert=alert),
        then="/console/listings",
    )


@router.get("/listings/{entry_id}/{document}.pdf", **staff_page(Scope.LISTS_READ))
async def document(request: Request, entry_id: DbId, document: str) -> Response:
    """The prior notice (with the repair notice) or the decision, as the person receives it."""
    me = await guard(request)
    if isinstance(me, Response):
        return me
    if document not in ("notice", "decision"):
        return page(request, "missing.html", status=404, me=me)
    platform = platform_of(request)
    doc = await run_in_threadpool(
        documents.document_of,
        platform.read_uow(),
        platform.policy,
        entry_id,
        department=me.department,
        actor=me.actor,
        refusals=platform.uow(),  # the read-only unit of work cannot write the refusal
    )
    render = (
        documents.render_notice_html if document == "notice" else documents.render_decision_html
    )
    pdf = await run_in_threadpool(documents.html_to_pdf, render(doc), platform.printer())
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{document}-{entry_id}.pdf"',
            "Cache-Control": "no-store",
        },
    )
