"""The person's own report: what the platform holds about them, who looked, what it omits."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from functools import partial
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from xinyong.domain.access import Scope
from xinyong.domain.calendar import business_date
from xinyong.domain.keys import ApiKey
from xinyong.services import accounts, report_render
from xinyong.services.report_data import report_dict
from xinyong.services.reports import build_report, query_log_page
from xinyong.web.deps import PlatformDep, PolicyDep, SettingsDep, UowDep, caller

router = APIRouter(tags=["the person"])

Person = Annotated[ApiKey, caller(Scope.ME)]
OnBehalfOf = Annotated[
    int | None,
    Query(ge=1, le=2**63 - 1, description="A principal's subject id, for an agent"),
]


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
    platform: PlatformDep,
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
    private = {"Cache-Control": "no-store"}  # a person's file is never cached
    if format == "pdf":
        # Read, issued and printed in a print worker (`Platform.report_pdf`).
        pdf, generated_at = await run_in_threadpool(
            partial(platform.report_pdf, actor=key.actor, lang=lang), subject_id
        )
        stamp = business_date(generated_at).isoformat()
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="report-{stamp}.pdf"',
                **private,
            },
        )
    data = await run_in_threadpool(
        partial(
            build_report,
            actor=key.actor,
            secret_key=settings.secret_key,
            public_url=settings.base_url(),
            reads=platform.read_uow(),  # the file is read without holding the checks' writer up
            log=platform.query_writer().write,  # and its read logged by the checks' writer
        ),
        uow,
        policy,
        subject_id,
    )
    if format == "html":
        return Response(
            report_render.render_report_html(data, lang), media_type="text/html", headers=private
        )
    body = json.dumps(report_dict(data), default=str, ensure_ascii=False)
    return Response(body, media_type="application/json", headers=private)


class QueryPublic(BaseModel):
    at: datetime
    who: str
    kind: str
    purpose: str
    authority: str
    returned: str


class QueryLogPagePublic(BaseModel):
    page: int
    size: int
    total: int  # entries within the retention period, on all pages
    since: datetime  # the retention period starts here; older entries are deleted
    items: list[QueryPublic]


@router.get("/me/queries")
def my_queries(
    uow: UowDep,
    policy: PolicyDep,
    key: Person,
    response: Response,
    on_behalf_of: OnBehalfOf = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 100,
) -> QueryLogPagePublic:
    """Who looked at your file, newest first, a page at a time: every entry within the query
    log's retention period is on some page (`total` counts them; `since` is where the period
    starts). Older entries are deleted by the daily sweep."""
    subject_id = accounts.acting_for(uow, key, on_behalf_of)
    found = query_log_page(uow, policy, subject_id, page=page, size=size)
    response.headers["Cache-Control"] = "no-store"  # a person's file is never cached
    return QueryLogPagePublic(
        page=found.page,
        size=found.size,
        total=found.total,
        since=found.since,
        items=[QueryPublic(**asdict(q)) for q in found.items],
    )
