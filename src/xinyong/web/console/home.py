"""The console's front page: what this user's role lets them do, with what waits for them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from xinyong.domain.access import Scope
from xinyong.services import objections, repairs
from xinyong.web.console.pages import guard, page
from xinyong.web.deps import platform_of, staff_page

router = APIRouter()


@router.get("/", response_class=HTMLResponse, **staff_page(None))
async def home(request: Request) -> Response:
    """The pages this user may open, and how many cases wait (overdue ones counted apart)."""
    me = await guard(request)
    if isinstance(me, Response):
        return me
    platform = platform_of(request)
    today = platform.today()
    waiting = {"objections": 0, "repairs": 0, "overdue": 0}
    if me.may(Scope.OBJECTIONS_MANAGE):
        found = await run_in_threadpool(
            objections.objection_queue, platform.read_uow(), department=me.department
        )
        waiting["objections"] = len(found)
        waiting["overdue"] += sum(1 for o in found if o.is_overdue_on(today))
    if me.may(Scope.REPAIRS_MANAGE):
        found_repairs = await run_in_threadpool(
            repairs.repair_queue, platform.read_uow(), department=me.department
        )
        waiting["repairs"] = len(found_repairs)
    return page(request, "home.html", me=me, waiting=waiting, Scope=Scope)
