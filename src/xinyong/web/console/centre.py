"""The credit centre's console: the queues (identity reviews, the court's published list,
registrations, listings, objections, repairs, overdue deadlines, flagged agencies), the most
urgent first; the statistics, each drawn as a chart and offered as CSV."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from xinyong.bootstrap import Platform
from xinyong.domain.access import Scope
from xinyong.services import (
    agencies,
    court_candidates,
    deadlines,
    objections,
    registrations,
    repairs,
    statistics,
    subjects,
)
from xinyong.services import lists as listing
from xinyong.services.statistics import Table
from xinyong.web.console.cases import repair_due
from xinyong.web.console.charts import Series, bar_chart
from xinyong.web.console.pages import _say, csv_download, guard, page
from xinyong.web.deps import platform_of, staff_page
from xinyong.web.portal import words

router = APIRouter()

#: How far back the statistics look.
STATISTICS_DAYS = 366


def _queues(platform: Platform) -> dict[str, object]:
    accounts_days = platform.policy.accounts.registration_days
    pending = registrations.pending_registrations(platform.read_uow())
    repair_list = repairs.repair_queue(platform.read_uow(), department=None)
    return {
        "reviews": subjects.list_identity_reviews(platform.read_uow()),
        "registrations": sorted(
            ((r, r.lapses_on(accounts_days)) for r in pending), key=lambda p: p[1]
        ),
        "listings": listing.listings_in_procedure(
            platform.read_uow(), platform.policy, department=None
        ),
        "objections": objections.objection_queue(platform.read_uow(), department=None),
        "repairs": sorted(
            ((r, repair_due(r)) for r in repair_list), key=lambda p: (p[1].day, p[0].id or 0)
        ),
        "overdue": deadlines.watched_deadlines(platform.read_uow(), department=None, overdue=True),
        "court": court_candidates.open_candidates(platform.read_uow()),
        # Agencies that let acknowledgements of corrections, repairs or revocations go overdue.
        "agencies": [a for a in agencies.agency_standings(platform.read_uow()) if a.flagged],
    }


@router.get("/queues", response_class=HTMLResponse, **staff_page(Scope.REVIEWS_MANAGE))
async def queues_page(request: Request) -> Response:
    """Everything that waits for someone, the earliest deadline first."""
    me = await guard(request)
    if isinstance(me, Response):
        return me
    platform = platform_of(request)
    found = await run_in_threadpool(_queues, platform)
    return page(request, "queues.html", me=me, today=platform.today(), queues=found)


def _tables(platform: Platform) -> dict[str, Table]:
    now = platform.clock()
    found = statistics.all_tables(
        platform.read_uow(),
        platform.policy,
        since=now - timedelta(days=STATISTICS_DAYS),
        today=platform.today(),
    )
    return {t.key: t for t in found}


def _charts(request: Request, tables: dict[str, Table]) -> list[tuple[str, Markup, Table]]:
    """(key, chart, table) for each statistic, in the page's language (the chart's title is
    its SVG's first element: the page shows it as the section's heading too)."""
    records = tables["records"]
    months = sorted({str(r[0]) for r in records.rows})
    categories = sorted({str(r[2]) for r in records.rows})
    per = {(str(r[0]), str(r[2])): 0 for r in records.rows}
    for month, _, category, n in records.rows:
        per[(str(month), str(category))] += int(n)
    category_words = {c: _say(request, words.CATEGORY.get(c, c)) for c in categories}
    charts = [
        (
            "records",
            bar_chart(
                chart_id="chart-records",
                title=_say(request, "每月归集的信用记录（按类别）"),
                description=_say(request, "按决定月份统计各类别的记录数，堆叠显示。"),
                categories=months,
                series=[
                    Series(category_words[c], tuple(per.get((m, c), 0) for m in months))
                    for c in categories
                ],
            ),
            records,
        )
    ]
    publicity = tables["publicity"]
    charts.append(
        (
            "publicity",
            bar_chart(
                chart_id="chart-publicity",
                title=_say(request, "“双公示”及时率（按部门）"),
                description=_say(request, "各部门按期上网公示与逾期公示的决定数。"),
                categories=[str(r[0]) for r in publicity.rows],
                series=[
                    Series(_say(request, "按期"), tuple(int(r[1]) for r in publicity.rows)),
                    Series(_say(request, "逾期"), tuple(int(r[2]) for r in publicity.rows)),
                ],
            ),
            publicity,
        )
    )
    cases = tables["cases"]
    states = (
        _say(request, "按期办结"),
        _say(request, "逾期办结"),
        _say(request, "未办结且已逾期"),
        _say(request, "办理中"),
    )
    kinds = {"objection": _say(request, "异议"), "repair": _say(request, "信用修复")}
    charts.append(
        (
            "cases",
            bar_chart(
                chart_id="chart-cases",
                title=_say(request, "异议与信用修复的按期办结情况"),
                description=_say(request, "异议和修复申请按期办结、逾期办结和仍在办理的件数。"),
                categories=[kinds.get(str(r[0]), str(r[0])) for r in cases.rows],
                series=[
                    Series(text, tuple(int(r[1 + n]) for r in cases.rows))
                    for n, text in enumerate(states)
                ],
                stacked=False,
            ),
            cases,
        )
    )
    feedback = tables["feedback"]
    charts.append(
        (
            "feedback",
            bar_chart(
                chart_id="chart-feedback",
                title=_say(request, "联合奖惩措施反馈率（按部门）"),
                description=_say(request, "返回了措施的核查中，已反馈实施情况的比例。"),
                categories=[str(r[0]) for r in feedback.rows],
                series=[Series(_say(request, "反馈率"), tuple(int(r[3]) for r in feedback.rows))],
                unit="%",
            ),
            feedback,
        )
    )
    charts.append(("regions", _regions_chart(request, tables["regions"]), tables["regions"]))
    return charts


def _share(done: int, *others: int) -> int:
    """`done` as a whole percentage of itself and `others` (0 when there is nothing)."""
    whole = done + sum(others)
    return round(100 * done / whole) if whole else 0


def _regions_chart(request: Request, regions: Table) -> Markup:
    """Each region's rates side by side: double publicity, objections and repairs on time (an
    open case past its day counts against it), and the feedback rate."""
    rows = [tuple(int(v) for v in r[1:]) for r in regions.rows]
    rates = (
        (_say(request, "“双公示”按期"), [_share(r[0], r[1]) for r in rows]),
        (_say(request, "异议按期办结"), [_share(r[2], r[3], r[4]) for r in rows]),
        (_say(request, "修复按期办结"), [_share(r[5], r[6], r[7]) for r in rows]),
        (_say(request, "反馈率"), [_share(r[9], r[8] - r[9]) for r in rows]),
    )
    return bar_chart(
        chart_id="chart-regions",
        title=_say(request, "各地区工作评价"),
        description=_say(
            request, "按部门所在地区汇总：“双公示”及时率、异议和修复按期办结率、措施反馈率。"
        ),
        categories=[str(r[0]) for r in regions.rows],
        series=[Series(name, tuple(values)) for name, values in rates],
        unit="%",
        stacked=False,
    )


@router.get("/statistics", response_class=HTMLResponse, **staff_page(Scope.AUDIT_READ))
async def statistics_page(request: Request) -> Response:
    """The statistics of the last year, as charts with their figures and CSV files."""
    me = await guard(request)
    if isinstance(me, Response):
        return me
    tables = await run_in_threadpool(_tables, platform_of(request))
    return page(request, "statistics.html", me=me, charts=_charts(request, tables))


@router.get("/statistics/{key}.csv", **staff_page(Scope.AUDIT_READ))
async def statistics_csv(request: Request, key: str) -> Response:
    """One statistic's figures as CSV (cells a spreadsheet would run as formulas escaped)."""
    me = await guard(request)
    if isinstance(me, Response):
        return me
    tables = await run_in_threadpool(_tables, platform_of(request))
    table = tables.get(key)
    if table is None:
        return page(request, "missing.html", status=404, me=me)
    return csv_download(f"statistics-{key}.csv", table.columns, table.rows)
