"""The credit centre reviews the court's published list: each row imported from the court's layout
(`xinyong exchange court-import`) with the persons it may be, what disagrees, and the reviewer's
decision: confirm which person the row means, or reject it with reasons (audited; once).

The court publishes numbers with the birth month and day masked; the persons held are shown with
their numbers masked the same way, never in full.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from xinyong.domain.access import Scope
from xinyong.domain.errors import Conflict, DomainError, Invalid
from xinyong.services import court_candidates
from xinyong.web.console.pages import Again, Staffer, guard, page, submitted
from xinyong.web.deps import DbId, platform_of, staff_page

router = APIRouter()


@router.get("/court-candidates", response_class=HTMLResponse, **staff_page(Scope.REVIEWS_MANAGE))
async def candidates_page(request: Request) -> Response:
    """The court list's rows waiting for a reviewer, flagged ones marked."""
    me = await guard(request)
    if isinstance(me, Response):
        return me
    platform = platform_of(request)
    waiting = await run_in_threadpool(court_candidates.open_candidates, platform.read_uow())
    return page(request, "candidates.html", me=me, candidates=waiting)


async def _candidate_page(
    request: Request, me: Staffer, candidate_id: int, *, status: int = 200, alert: str | None = None
) -> Response:
    platform = platform_of(request)
    case = await run_in_threadpool(
        court_candidates.candidate_case, platform.read_uow(), candidate_id
    )
    return page(
        request,
        "candidate.html",
        status=status,
        me=me,
        case=case,
        candidate=case.candidate,
        alert=alert,
    )


def _status(exc: DomainError) -> int:
    """Decided already: 409; a decision the form did not say enough for: 422."""
    return 409 if isinstance(exc, Conflict) else 422


def _again(request: Request, candidate_id: int) -> Again:
    async def again(me: Staffer, status: int, alert: str) -> Response:
        return await _candidate_page(request, me, candidate_id, status=status, alert=alert)

    return again


@router.get(
    "/court-candidates/{candidate_id}",
    response_class=HTMLResponse,
    **staff_page(Scope.REVIEWS_MANAGE),
)
async def candidate_page(request: Request, candidate_id: DbId) -> Response:
    """One row of the court's list: what the court published, what disagrees, the persons it
    may be, and the decision (or the forms to take it)."""
    me = await guard(request)
    if isinstance(me, Response):
        return me
    return await _candidate_page(request, me, candidate_id)


@router.post(
    "/court-candidates/{candidate_id}/confirm",
    response_class=HTMLResponse,
    **staff_page(Scope.REVIEWS_MANAGE),
)
async def confirm(
    request: Request,
    candidate_id: DbId,
    subject_id: Annotated[str, Form(max_length=20)] = "",
    reasons: Annotated[str, Form(max_length=4000)] = "",
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """The row means this person (a match with inconsistencies: with the reviewer's reasons)."""
    platform = platform_of(request)

    def decide(me: Staffer) -> object:
        if not subject_id.isdigit():
            raise Invalid("subject_id: choose one of the persons this row may be")
        return court_candidates.decide_candidate(
            platform.uow(),
            candidate_id,
            subject_id=int(subject_id),
            reasons=reasons,
            actor=me.actor,
        )

    return await submitted(
        request,
        csrf,
        decide,
        again=_again(request, candidate_id),
        then=f"/console/court-candidates/{candidate_id}",
        status=_status,
    )


@router.post(
    "/court-candidates/{candidate_id}/reject",
    response_class=HTMLResponse,
    **staff_page(Scope.REVIEWS_MANAGE),
)
async def reject(
    request: Request,
    candidate_id: DbId,
    reasons: Annotated[str, Form(max_length=4000)] = "",
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """The row is none of the persons held: why."""
    platform = platform_of(request)
    return await submitted(
        request,
        csrf,
        lambda me: court_candidates.decide_candidate(
            platform.uow(), candidate_id, subject_id=None, reasons=reasons, actor=me.actor
        ),
        again=_again(request, candidate_id),
        then=f"/console/court-candidates/{candidate_id}",
        status=_status,
    )
