"""Print a person's own public credit information report (个人公共信用信息报告) as HTML and PDF."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, Final

from jinja2 import Environment

from xinyong.domain.calendar import CHINA_TIME
from xinyong.domain.catalog import Category
from xinyong.domain.identifiers import redact_id_numbers
from xinyong.services.documents import EXIT_GROUNDS, html_to_pdf, make_environment
from xinyong.services.reports import ReportData, ReportEntry, ReportRecord

#: English names of the catalog categories; a record carries only the Chinese one. Unknown codes
#: print as they are, in catalog order after the known ones.
CATEGORY_NAMES_EN: Final[Mapping[str, str]] = {
    Category.REGISTRATION: "Registration",
    Category.JUDICIAL: "Court judgments and enforcement",
    Category.ADMINISTRATIVE: "Administrative management",
    Category.QUALIFICATION: "Titles and professional qualifications",
    Category.ABNORMAL_OPERATION: "Abnormal operation",
    Category.SERIOUS_UNTRUSTWORTHY: "Serious untrustworthy lists",
    Category.CONTRACT_PERFORMANCE: "Contract performance",
    Category.COMMITMENT: "Credit commitments and how they were kept",
    Category.EVALUATION: "Credit evaluations",
    Category.HONOUR: "Honours for trustworthiness",
    Category.SELF_DECLARED: "Information you provided yourself",
    Category.INTELLECTUAL_PROPERTY: "Intellectual property",
    Category.SOCIAL_INSURANCE_ARREARS: "Social insurance arrears",
}
_CATEGORY_ORDER: Final = {code: n for n, code in enumerate(CATEGORY_NAMES_EN)}

#: What the codes in a report mean, in Chinese and English, by vocabulary. A code missing here
#: prints as it is (as EXIT_GROUNDS does), so a new status in a policy file never breaks a report.
TERMS: Final[Mapping[str, Mapping[str, tuple[str, str]]]] = {
    "sex": {"male": ("男", "male"), "female": ("女", "female")},
    "nature": {
        "negative": ("失信信息", "negative"),
        "positive": ("守信信息", "positive"),
        "neutral": ("一般信息", "neutral"),
    },
    "severity": {
        "minor": ("轻微", "minor"),
        "general": ("一般", "general"),
        "serious": ("严重", "serious"),
    },
    "record_status": {
        "active": ("有效", "in effect"),
        "identity_hold": ("身份核对中", "identity under review"),
        "corrected": ("已更正", "corrected"),
        "revoked": ("已撤销", "revoked"),
        "repaired": ("已修复", "repaired"),
        "expired": ("已届满", "expired"),
    },
    "list_kind": {
        "serious_untrustworthy": ("严重失信主体名单", "serious untrustworthy list"),
        "key_supervision": ("重点关注名单", "key supervision list"),
        "good_credit": ("守信激励名单", "good credit list"),
    },
    "entry_state": {
        "proposed": ("已提出", "proposed"),
        "noticed": ("已事前告知", "notice served"),
        "decided": ("已决定列入", "decided"),
        "published": ("已公示", "published"),
        "exited": ("已移出", "removed"),
        "withdrawn": ("已撤回", "withdrawn"),
    },
    "measure_category": {
        "rights_reducing": ("减损权益措施", "rights-reducing"),
        "management": ("管理措施", "management"),
        "market_social": ("市场和社会措施", "market and social"),
        "reward": ("激励措施", "reward"),
    },
    "role": {
        "legal_representative": ("法定代表人", "legal representative"),
        "principal_responsible": ("主要负责人", "principal responsible person"),
        "actual_controller": ("实际控制人", "actual controller"),
    },
    "case_kind": {
        "objection": ("异议", "objection"),
        "repair": ("信用修复", "credit repair"),
    },
    "case_status": {
        "filed": ("已受理，信用中心核查中", "filed: the credit centre is checking"),
        "forwarded": ("已转认定部门处理", "with the deciding department"),
        "decided": ("已办结", "decided"),
        "applied": ("已申请", "applied"),
        "missing_materials": ("待补正材料", "materials missing"),
        "accepted": ("已受理", "accepted"),
        "repaired": ("已修复", "repaired"),
        "refused": ("不予修复", "refused"),
    },
    "outcome": {
        "correct": ("更正", "corrected"),
        "supplement": ("补充", "supplemented"),
        "stop_display": ("停止公示", "no longer shown"),
        "remove_from_list": ("移出名单", "removed from the list"),
        "reject": ("不予更正", "not corrected"),
        "repaired": ("修复成功", "repaired"),
        "refused": ("不予修复", "refused"),
    },
    "query_kind": {
        "check": ("核查", "check"),
        "screening": ("批量筛查", "screening"),
        "agency": ("信用服务机构查询", "credit agency"),
        "report": ("本人查询报告", "your own report"),
    },
    "exit_ground": EXIT_GROUNDS,
}


@dataclass(frozen=True, slots=True)
class CategoryGroup:
    """The records of one catalog category, as section 2 prints them."""

    code: str
    name_zh: str
    name_en: str
    records: tuple[ReportRecord, ...]
    bar_percent: int  # the bar's length in the overview chart, against the largest category


def render_report_html(data: ReportData) -> str:
    """Return the person's own public credit information report as printable HTML.

    Raises ValueError when a time is naive (it could not be shown in China time) or when the ID
    number given is not masked: the report never prints a full one.
    """
    _check(data)
    return _environment().get_template("report.html").render(_context(data))


def render_report_pdf(data: ReportData) -> bytes:
    """Return the report as PDF. Raises PdfUnavailable when WeasyPrint cannot load."""
    return html_to_pdf(render_report_html(data))


def report_number(data: ReportData) -> str:
    """Return the report's number: its China-time moment and a short digest of whose it is.

    The same person's report generated at the same moment always has the same number.
    """
    moment = data.generated_at.astimezone(CHINA_TIME)
    digest = hashlib.sha256(f"{data.masked_number}|{data.generated_at.isoformat()}".encode())
    return f"GR{moment:%Y%m%d%H%M%S}{digest.hexdigest()[:6].upper()}"


def _check(data: ReportData) -> None:
    moments = [("generated_at", data.generated_at)]
    moments += [(f"query at {query.at.isoformat()}", query.at) for query in data.queries]
    for what, moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{what} must be a timezone-aware datetime")
    if "*" not in data.masked_number:
        raise ValueError("masked_number is not masked: the report never prints a full ID number")


def _context(data: ReportData) -> dict[str, Any]:
    public = [record for record in data.records if not record.archived]
    groups = _group_by_category(public)
    open_cases = [case for case in data.cases if case.outcome is None]
    return {
        "data": data,
        "report_no": report_number(data),
        "generated": data.generated_at.astimezone(CHINA_TIME),
        "groups": groups,
        "public_count": len(public),
        "archived": _newest_first(record for record in data.records if record.archived),
        "entries": sorted(
            data.entries,
            key=lambda e: (not e.in_force, -(e.decided_on or date.min).toordinal(), e.id),
        ),
        "entries_by_id": {entry.id: entry for entry in data.entries},
        "entries_in_force": sum(entry.in_force for entry in data.entries),
        "measures": data.measures,
        "positive_records": [record for record in public if record.nature == "positive"],
        "good_entries": [entry for entry in data.entries if _is_good_credit(entry)],
        "cases": sorted(data.cases, key=lambda c: (-c.filed_on.toordinal(), c.kind, c.id)),
        "open_cases": len(open_cases),
        "queries": sorted(data.queries, key=lambda q: q.at, reverse=True),
    }


def _group_by_category(records: list[ReportRecord]) -> list[CategoryGroup]:
    by_code: dict[str, list[ReportRecord]] = {}
    for record in records:
        by_code.setdefault(record.category, []).append(record)
    largest = max((len(found) for found in by_code.values()), default=1)
    codes = sorted(
        by_code, key=lambda code: (_CATEGORY_ORDER.get(code, len(_CATEGORY_ORDER)), code)
    )
    return [
        CategoryGroup(
            code=code,
            name_zh=by_code[code][0].category_name_zh or code,
            name_en=CATEGORY_NAMES_EN.get(code, code),
            records=_newest_first(by_code[code]),
            bar_percent=round(100 * len(by_code[code]) / largest),
        )
        for code in codes
    ]


def _newest_first(records: Iterable[ReportRecord]) -> tuple[ReportRecord, ...]:
    ordered = sorted(records, key=lambda r: (r.decision_date, r.id))
    return tuple(reversed(ordered))


def _is_good_credit(entry: ReportEntry) -> bool:
    return entry.kind == "good_credit"


@cache
def _environment() -> Environment:
    env = make_environment("report")
    env.filters["term"] = _term
    env.filters["iso"] = _iso
    env.filters["china_time"] = _china_time
    env.filters["redact"] = redact_id_numbers
    return env


def _term(code: str | None, vocabulary: str) -> tuple[str, str]:
    """Return what `code` means in `vocabulary`, in Chinese and English; "—" for None."""
    if code is None:
        return "—", "—"
    return TERMS[vocabulary].get(code, (code, code))


def _iso(value: date | None) -> str:
    return "—" if value is None else value.isoformat()


def _china_time(value: datetime) -> str:
    return f"{value.astimezone(CHINA_TIME):%Y-%m-%d %H:%M}"
