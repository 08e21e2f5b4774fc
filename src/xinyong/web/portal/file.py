"""The person's own file: what the platform holds (or that it holds nothing), the measures in force
with their legal basis, and objecting to a record or a listing from the page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from xinyong.domain.errors import Invalid
from xinyong.domain.objections import Objection
from xinyong.domain.policy import Policy
from xinyong.services import notice_words, objections
from xinyong.services.ports import UnitOfWork
from xinyong.services.report_data import ReportNotice
from xinyong.services.reports import read_own_file
from xinyong.web import i18n
from xinyong.web.deps import PolicyDep, UowDep, person_page
from xinyong.web.portal.pages import (
    PortalRoute,
    Problems,
    Visitor,
    guard,
    page,
    problems_of,
    submitted,
    withheld,
)

router = APIRouter(route_class=PortalRoute)

OBJECTION_FIELDS = ("ground", "reasons")


async def file_page(
    request: Request,
    uow: UnitOfWork,
    policy: Policy,
    person: Visitor,
    *,
    status: int = 200,
    problems: Problems | None = None,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    data = await run_in_threadpool(read_own_file, uow, policy, person.subject_id)
    shown = [r for r in data.records if not r.archived]
    return page(
        request,
        "me.html",
        status=status,
        private=True,
        chrome=person.chrome,
        data=data,
        records=shown,
        archived=[r for r in data.records if r.archived],
        entries=[e for e in data.entries if e.in_force or e.awaiting or e.state == "noticed"],
        holds_nothing=not data.records and not data.entries,
        grounds=policy.objections.grounds,
        notice_text=_notice_text,
        problems=problems or Problems(),
        typed=typed or {},
    )


@router.get("/me", response_class=HTMLResponse, **person_page())
async def my_file(request: Request, uow: UowDep, policy: PolicyDep) -> Response:
    """The signed-in person's file: records (with objection forms), lists, measures in force."""
    person = await guard(request)
    if isinstance(person, Response):
        return person
    return await file_page(request, uow, policy, person)


@router.post("/me/objections", response_class=HTMLResponse, **person_page())
async def object_to(
    request: Request,
    uow: UowDep,
    policy: PolicyDep,
    ground: Annotated[str, Form(max_length=40)] = "",
    reasons: Annotated[str, Form(max_length=20000)] = "",
    record_id: Annotated[int | None, Form(ge=1, le=2**63 - 1)] = None,
    entry_id: Annotated[int | None, Form(ge=1, le=2**63 - 1)] = None,
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """File an objection to one of the person's own records or listings; the objection's page
    shows its deadlines."""

    def work(person: Visitor) -> Objection:
        if (record_id is None) == (entry_id is None):
            raise Invalid("an objection is against one record or one list entry")
        return objections.file_objection(
            uow,
            policy,
            subject_id=person.subject_id,
            record_id=record_id,
            entry_id=entry_id,
            ground=ground,
            reasons=reasons,
            actor=person.actor,
        )

    form = f"record-{record_id}" if record_id else f"entry-{entry_id}"
    return await submitted(
        request,
        csrf,
        work,
        again=lambda person, exc: file_page(
            request,
            uow,
            policy,
            person,
            status=422,
            problems=problems_of(request, exc, OBJECTION_FIELDS, form=form),
            typed={"reasons": withheld(request, reasons), "ground": ground},
        ),
        then=lambda objection: f"/portal/me/objections/{objection.id}?filed=1",
    )


def _notice_text(notice: ReportNotice) -> str:
    """A notice in the page's language (the English sentence it keeps, if it keeps no data)."""
    return notice_words.say(notice.data, i18n.current()) or notice.detail
