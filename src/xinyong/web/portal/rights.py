"""The person's rights over their file: a defence against a listing in its notice window, refusal
of a good-credit entry, authorisations (grant, list, revoke; purposes from the published
vocabulary), and the query log (who looked, and why), a page at a time."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from xinyong.domain.calendar import add_months
from xinyong.domain.errors import Invalid
from xinyong.domain.policy import Policy
from xinyong.services import authorisations
from xinyong.services import lists as listing
from xinyong.services.ports import UnitOfWork
from xinyong.services.reports import query_log_page
from xinyong.web.deps import DbId, PolicyDep, TodayDep, UowDep, person_page
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

GRANT_FIELDS = ("grantee", "purpose", "scope", "expires_on")
#: Query log entries on one page.
QUERIES_PER_PAGE = 20


async def _lists_page(
    request: Request,
    uow: UnitOfWork,
    policy: Policy,
    person: Visitor,
    *,
    today: date,
    status: int = 200,
    problems: Problems | None = None,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    views = await run_in_threadpool(listing.entries_of, uow, policy, person.subject_id)
    return page(
        request,
        "lists.html",
        status=status,
        private=True,
        chrome=person.chrome,
        # As the report: a proposal the person was not yet told of is not theirs to see yet.
        entries=[
            v.entry
            for v in views
            if v.entry.noticed_on is not None
            or v.entry.state.value not in ("proposed", "withdrawn")
        ],
        today=today,
        done=request.query_params.get("done"),
        problems=problems or Problems(),
        typed=typed or {},
    )


@router.get("/me/lists", response_class=HTMLResponse, **person_page())
async def my_lists(request: Request, uow: UowDep, policy: PolicyDep, today: TodayDep) -> Response:
    """Every listing about the person: proposals with their defence window (and the form to
    state a defence), listings in force, good-credit entries they may refuse."""
    person = await guard(request)
    if isinstance(person, Response):
        return person
    return await _lists_page(request, uow, policy, person, today=today)


@router.post("/me/lists/{entry_id}/defence", response_class=HTMLResponse, **person_page())
async def state_defence(
    entry_id: DbId,
    request: Request,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    defence: Annotated[str, Form(max_length=20000)] = "",
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """State a defence against a proposed listing, within the window its notice opened."""
    return await submitted(
        request,
        csrf,
        lambda person: listing.state_own_defence(
            uow, policy, entry_id, defence, subject_id=person.subject_id, actor=person.actor
        ),
        again=lambda person, exc: _lists_page(
            request,
            uow,
            policy,
            person,
            today=today,
            status=422,
            problems=problems_of(request, exc, ("defence",), form=f"entry-{entry_id}"),
            typed={"defence": withheld(request, defence)},
        ),
        then="/portal/me/lists?done=defence",
    )


@router.post("/me/lists/{entry_id}/refusal", response_class=HTMLResponse, **person_page())
async def refuse_entry(
    entry_id: DbId,
    request: Request,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Refuse a good-credit entry (an honour, volunteering, a donation): it ends today."""
    return await submitted(
        request,
        csrf,
        lambda person: listing.refuse_entry(
            uow, policy, entry_id, subject_id=person.subject_id, actor=person.actor
        ),
        again=lambda person, exc: _lists_page(
            request,
            uow,
            policy,
            person,
            today=today,
            status=422,
            problems=problems_of(request, exc, form=f"entry-{entry_id}"),
        ),
        then="/portal/me/lists?done=refusal",
    )


async def _authorisations_page(
    request: Request,
    uow: UnitOfWork,
    policy: Policy,
    person: Visitor,
    *,
    today: date,
    status: int = 200,
    problems: Problems | None = None,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    granted = await run_in_threadpool(authorisations.authorisations_of, uow, person.subject_id)
    parties = await run_in_threadpool(authorisations.authorisable_parties, uow)
    return page(
        request,
        "authorisations.html",
        status=status,
        private=True,
        chrome=person.chrome,
        granted=sorted(granted, key=lambda a: a.id or 0, reverse=True),
        parties=parties,
        party_names={p.code: p.name for p in parties},
        purposes=list(policy.authorisations.purposes.values()),
        scopes=policy.authorisations.scopes,
        today=today,
        latest=add_months(today, policy.authorisations.max_months),
        done=request.query_params.get("done"),
        problems=problems or Problems(),
        typed=typed or {},
    )


@router.get("/me/authorisations", response_class=HTMLResponse, **person_page())
async def my_authorisations(
    request: Request, uow: UowDep, policy: PolicyDep, today: TodayDep
) -> Response:
    """Who the person has authorised to query their file, for which published purpose, until
    when; the form to grant one, and a button to revoke each."""
    person = await guard(request)
    if isinstance(person, Response):
        return person
    return await _authorisations_page(request, uow, policy, person, today=today)


@router.post("/me/authorisations", response_class=HTMLResponse, **person_page())
async def grant(
    request: Request,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    grantee: Annotated[str, Form(max_length=32)] = "",
    purpose: Annotated[str, Form(max_length=40)] = "",
    scope: Annotated[str, Form(max_length=32)] = "",
    expires_on: Annotated[date | None, Form()] = None,
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Authorise a party to query the person's file for one published purpose."""

    def work(person: Visitor) -> object:
        if expires_on is None:
            raise Invalid("expires_on: choose the last day it is valid")
        return authorisations.grant_authorisation(
            uow,
            policy,
            subject_id=person.subject_id,
            grantee=grantee,
            purpose=purpose,
            scope=scope,
            expires_on=expires_on,
            actor=person.actor,
        )

    typed = {"grantee": grantee, "purpose": purpose, "scope": scope}
    return await submitted(
        request,
        csrf,
        work,
        again=lambda person, exc: _authorisations_page(
            request,
            uow,
            policy,
            person,
            today=today,
            status=422,
            problems=problems_of(request, exc, GRANT_FIELDS, form="grant"),
            typed={**typed, "expires_on": expires_on.isoformat() if expires_on else ""},
        ),
        then="/portal/me/authorisations?done=granted",
    )


@router.post(
    "/me/authorisations/{authorisation_id}/revocation", response_class=HTMLResponse, **person_page()
)
async def revoke(
    authorisation_id: DbId,
    request: Request,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    csrf: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Withdraw an authorisation: the party's next query is refused."""
    return await submitted(
        request,
        csrf,
        lambda person: authorisations.revoke_authorisation(
            uow,
            subject_id=person.subject_id,
            authorisation_id=authorisation_id,
            actor=person.actor,
        ),
        again=lambda person, exc: _authorisations_page(
            request,
            uow,
            policy,
            person,
            today=today,
            status=422,
            problems=problems_of(request, exc, form=f"authorisation-{authorisation_id}"),
        ),
        then="/portal/me/authorisations?done=revoked",
    )


@router.get("/me/queries", response_class=HTMLResponse, **person_page())
async def my_queries(
    request: Request,
    uow: UowDep,
    policy: PolicyDep,
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
) -> Response:
    """Who looked at the person's file, when, why and on what authority, newest first."""
    person = await guard(request)
    if isinstance(person, Response):
        return person
    found = await run_in_threadpool(
        lambda: query_log_page(
            uow, policy, person.subject_id, page=page_number, size=QUERIES_PER_PAGE
        )
    )
    pages = max(1, -(-found.total // found.size))
    return page(
        request,
        "queries.html",
        private=True,
        chrome=person.chrome,
        log=found,
        pages=pages,
    )
