"""The public's pages: search of what is published, exemplars of trustworthiness, the lists'
criteria and the measure registry in plain language, the tip-off form, and the check of a
printed report's number and verification code.

A search term travels in the address only in its published form: a full ID number typed into the
form (which posts) or into the address is turned into its masked form at once, and the visitor
is sent there. The tip-off form never shows back a number it was given.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from xinyong.domain.errors import DomainError, TooManyAttempts
from xinyong.domain.lists import ListKind
from xinyong.domain.publication import read_term
from xinyong.domain.rates import Action, RateLimited
from xinyong.domain.regions import provinces
from xinyong.services import publication, reports, tipoffs
from xinyong.services.publication import SearchFilter
from xinyong.web.deps import PUBLIC, PolicyDep, SettingsDep, TodayDep, UowDep
from xinyong.web.portal.pages import (
    PortalRoute,
    Problems,
    in_language,
    page,
    problems_of,
    see_other,
    visitor,
    withheld,
)
from xinyong.web.throttle import throttle_of

router = APIRouter(route_class=PortalRoute)

#: Results on one page.
PER_PAGE = 20
TIPOFF_FIELDS = ("topic", "subject_name", "subject_number", "account", "contact")

Text = Annotated[str, Query(max_length=100)]


def _search_url(**params: str | int | None) -> str:
    kept = {k: v for k, v in params.items() if v not in (None, "", 1) or k == "kind"}
    return "/portal/public" + (f"?{urlencode(kept)}" if kept else "")


@router.post("/public/search", response_class=HTMLResponse, **PUBLIC)
async def search_form(
    request: Request,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    q: Annotated[str, Form(max_length=100)] = "",
    region: Annotated[str, Form(max_length=2)] = "",
    category: Annotated[str, Form(max_length=40)] = "",
    list_type: Annotated[str, Form(max_length=40)] = "",
    kind: Annotated[str, Form(max_length=8)] = "records",
    lang: Annotated[str, Form(max_length=2)] = "",
) -> Response:
    """The search form posts here, so that a full ID number never travels in an address; the
    visitor is sent to the results with the number in its published (masked) form. A term that
    cannot be searched is answered here (422), with anything shaped like a number hidden."""
    try:
        term = read_term(q)
    except DomainError:
        return await public_search(
            in_language(request, lang, page="/portal/public"), uow, policy, today, q=q,
            region=region,
            category=category, list_type=list_type, kind=kind,
        )  # fmt: skip
    return see_other(
        _search_url(
            q=term.shown if term else "",
            region=region,
            category=category,
            list=list_type,
            kind=kind,
            lang=lang,
        )
    )


@router.get("/public", response_class=HTMLResponse, **PUBLIC)
async def public_search(
    request: Request,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    q: Text = "",
    region: Annotated[str, Query(max_length=2)] = "",
    category: Annotated[str, Query(max_length=40)] = "",
    list_type: Annotated[str, Query(alias="list", max_length=40)] = "",
    kind: Annotated[str, Query(max_length=8)] = "records",
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    """Published records and listings, de-identified: search by name, masked number or credit
    code, filter by region, category and list type, a page at a time."""
    problems = Problems()
    listings = kind == "lists" or bool(list_type)
    results: publication.ResultPage[object] | None = None
    shown = q
    try:
        term = read_term(q)
        shown = term.shown if term else ""
        if term is not None and term.shown != " ".join(q.split()):
            # A full number in the address: go to its published form (this page never shows it).
            lang = request.query_params.get("lang", "")
            return see_other(
                _search_url(
                    q=term.shown,
                    region=region,
                    category=category,
                    list=list_type,
                    kind=kind,
                    page=page_number,
                    lang=lang,
                )
            )
        found = SearchFilter(term, region or None, category or None, list_type or None)
        if listings:
            results = await run_in_threadpool(
                lambda: publication.search_listings(
                    uow, policy, today, found, page=page_number, size=PER_PAGE
                )
            )
        else:
            results = await run_in_threadpool(
                lambda: publication.search_records(
                    uow, policy, today, found, page=page_number, size=PER_PAGE
                )
            )
    except DomainError as exc:
        shown = withheld(request, q)
        problems = problems_of(request, exc, ("q", "region", "category", "list_type"))
    categories = sorted({item.category.value for item in policy.catalog})
    return page(
        request,
        "public.html",
        status=422 if problems else 200,
        chrome=(await visitor(request)).chrome,
        q=shown,
        region=region,
        category=category,
        list_type=list_type,
        kind="lists" if listings else "records",
        results=results,
        provinces=provinces(),
        categories=categories,
        lists=[policy.list_types[c] for c in publication.published_lists(policy)],
        problems=problems,
        page_url=lambda n: _search_url(
            q=shown, region=region, category=category, list=list_type, kind=kind, page=n
        ),
    )


@router.get("/public/exemplars", response_class=HTMLResponse, **PUBLIC)
async def exemplars(
    request: Request,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    """Exemplars of trustworthiness: good-credit entries in force and published (an entry its
    subject refused has ended and is not shown)."""
    results = await run_in_threadpool(
        lambda: publication.search_listings(
            uow,
            policy,
            today,
            SearchFilter(),
            page=page_number,
            size=PER_PAGE,
            kind=ListKind.GOOD_CREDIT,
        )
    )
    return page(
        request,
        "exemplars.html",
        chrome=(await visitor(request)).chrome,
        results=results,
        page_url=lambda n: f"/portal/public/exemplars?page={n}",
    )


@router.get("/public/lists", response_class=HTMLResponse, **PUBLIC)
async def list_criteria(request: Request, policy: PolicyDep) -> Response:
    """Each list in plain language: its kind, legal basis, criteria, period, how one leaves it,
    and the remedies."""
    return page(
        request,
        "criteria.html",
        chrome=(await visitor(request)).chrome,
        list_types=list(policy.list_types.values()),
    )


@router.get("/public/measures", response_class=HTMLResponse, **PUBLIC)
async def measure_registry(request: Request, policy: PolicyDep) -> Response:
    """The measure registry: each reward or punishment, its legal basis, the lists that trigger
    it and the matters it applies to."""
    registry = policy.registry
    return page(
        request,
        "measures.html",
        chrome=(await visitor(request)).chrome,
        measures=sorted(registry.measures.values(), key=lambda m: (m.category.value, m.code)),
        matters=registry.matters,
        list_types=policy.list_types,
    )


@router.get("/public/reports", response_class=HTMLResponse, **PUBLIC)
async def verify_report(
    request: Request,
    uow: UowDep,
    settings: SettingsDep,
    number: Annotated[str, Query(max_length=40)] = "",
    code: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """Confirm a printed report by the number and verification code on each of its pages (the
    address printed on the report leads here with both filled in). The answer says whether the
    platform issued it, when and for whom (masked), never what it said, and not which of the two
    is wrong."""
    number, code = number.strip(), code.strip()
    confirmed, problems, limited = None, Problems(), None
    if number and code:

        def verify() -> reports.ReportVerification | None:
            throttle_of(request).enforce(request, Action.REPORT_VERIFICATION)
            return reports.verify_report(uow, settings.secret_key, number, code)

        try:
            confirmed = await run_in_threadpool(verify)
        except RateLimited as exc:
            problems, limited = problems_of(request, exc), exc
    shown = page(
        request,
        "report_verify.html",
        status=429 if limited else 200,
        chrome=(await visitor(request)).chrome,
        asked=bool(number and code) and limited is None,
        confirmed=confirmed,
        # Typed back, but never an ID number typed into the wrong box.
        number=withheld(request, number),
        code=withheld(request, code),
        problems=problems,
    )
    if limited is not None:
        shown.headers["Retry-After"] = str(limited.retry_after)
    return shown


@router.get("/public/tipoff", response_class=HTMLResponse, **PUBLIC)
async def tipoff_form(request: Request, policy: PolicyDep) -> Response:
    """The form to report serious untrustworthy conduct to the competent authority."""
    return page(
        request,
        "tipoff.html",
        chrome=(await visitor(request)).chrome,
        rules=policy.tipoffs,
        problems=Problems(),
        typed={},
    )


@router.post("/public/tipoff", response_class=HTMLResponse, **PUBLIC)
async def file_tipoff(
    request: Request,
    uow: UowDep,
    policy: PolicyDep,
    settings: SettingsDep,
    topic: Annotated[str, Form(max_length=40)] = "",
    subject_name: Annotated[str, Form(max_length=200)] = "",
    account: Annotated[str, Form(max_length=20000)] = "",
    subject_number: Annotated[str, Form(max_length=40)] = "",
    contact: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Take a tip-off and route it to its topic's department; the visitor is told where it went
    and its reference, never what it said."""
    address = request.client.host if request.client else "unknown"
    chrome = (await visitor(request)).chrome
    try:
        filed = await run_in_threadpool(
            lambda: tipoffs.file_tipoff(
                uow,
                policy,
                topic=topic,
                subject_name=subject_name,
                subject_number=subject_number or None,
                account=account,
                contact=contact or None,
                source=tipoffs.sender_of(settings.secret_key, address),
            )
        )
    except DomainError as exc:
        problems = problems_of(request, exc, TIPOFF_FIELDS)
        # Filled in again, with anything shaped like an ID number withheld; never the number.
        typed = {
            "topic": topic,
            "subject_name": withheld(request, subject_name),
            "account": withheld(request, account),
            "contact": withheld(request, contact),
        }
        status = 429 if isinstance(exc, TooManyAttempts) else 422
        return page(
            request,
            "tipoff.html",
            status=status,
            chrome=chrome,
            rules=policy.tipoffs,
            problems=problems,
            typed=typed,
        )
    topic_of = policy.tipoffs.topics[filed.topic]
    department = policy.department(filed.department)
    return page(
        request,
        "tipoff_sent.html",
        status=201,
        chrome=chrome,
        tipoff=filed,
        topic=topic_of,
        department=department.name if department else filed.department,
    )
