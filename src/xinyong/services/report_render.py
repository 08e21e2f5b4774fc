"""Print a person's own public credit information report (个人公共信用信息报告) as HTML and PDF.

One language per report: Simplified Chinese by default, English on request. The layout follows
the public credit information report standard's format for individuals (see docs/rights.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any, Final

from jinja2 import Environment

from xinyong.domain.calendar import CHINA_TIME
from xinyong.domain.identifiers import WITHHELD, WITHHELD_ZH, redact_id_numbers
from xinyong.services import notice_words
from xinyong.services.documents import EXIT_GROUNDS, make_environment
from xinyong.services.pdf import Printer, PrintWorkers, render_pdf
from xinyong.services.report_data import ReportData, ReportQuery, ReportRecord

#: What the codes in a report mean, in Chinese and English, by vocabulary. A code missing here
#: prints as it is (as EXIT_GROUNDS does), so a new status in a policy file never breaks a report.
TERMS: Final[Mapping[str, Mapping[str, tuple[str, str]]]] = {
    "sex": {"male": ("男", "male"), "female": ("女", "female")},
    "nature": {
        "negative": ("失信信息", "negative"),
        "positive": ("守信信息", "positive"),
        "neutral": ("一般信息", "neutral"),
        "unknown": ("未载明", "not stated"),  # a record of a catalog version not held
    },
    "severity": {
        "minor": ("轻微", "minor"),
        "general": ("一般", "general"),
        "serious": ("严重", "serious"),
    },
    "record_status": {
        "active": ("有效", "in effect"),
        "identity_hold": ("身份核对中", "identity under review"),
        "corrected": ("经异议停止公示", "display stopped on objection"),
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
        "challenged": ("复议或诉讼中，保持异议标注", "challenged: still marked"),
        "applied": ("已申请", "applied"),
        "missing_materials": ("待补正材料", "materials missing"),
        "accepted": ("已受理", "accepted"),
        "repaired": ("已修复", "repaired"),
        "refused": ("不予修复", "refused"),
        "not_about_subject": (
            "经身份核查不属于本人，已终止",
            "closed: the record is another person's",
        ),
    },
    "outcome": {
        "correct": ("更正", "corrected"),
        "supplement": ("补充", "supplemented"),
        "stop_display": ("停止公示", "no longer shown"),
        "remove_from_list": ("移出名单", "removed from the list"),
        "reject": ("不予更正", "not corrected"),
        "repaired": ("修复成功", "repaired"),
        "refused": ("不予修复", "refused"),
        "not_about_subject": (
            "经身份核查，该信息属于他人，终止办理",
            "closed: an identity review found the record is another person's",
        ),
    },
    "query_kind": {
        "check": ("核查", "check"),
        "screening": ("批量筛查", "screening"),
        "agency": ("信用服务机构查询", "credit agency"),
        "agency_refused": ("信用服务机构查询（已拒绝）", "credit agency (refused)"),
        "report": ("本人查询报告", "your own report"),
    },
    "exit_ground": EXIT_GROUNDS,
}


@dataclass(frozen=True, slots=True)
class CategoryGroup:
    """The records of one catalog category: one section of the report."""

    code: str
    name_zh: str
    name_en: str
    records: tuple[ReportRecord, ...]


LANGUAGES: Final = ("zh", "en")


def render_report_html(data: ReportData, lang: str = "zh") -> str:
    """Return the person's own public credit information report as printable HTML.

    `lang` is "zh" (Simplified Chinese, the default) or "en". Raises ValueError for another
    language, a naive time (it could not be shown in China time), or an ID number that is not
    masked: the report never prints a full one.
    """
    return _render(data, lang, inline_css=True)


def render_report_pdf(data: ReportData, lang: str = "zh", printer: Printer = render_pdf) -> bytes:
    """Return the report as PDF, in the packaged font (printed by `printer`: in this process,
    or by the platform's print workers).

    Raises FontUnavailable without the font package, PdfUnavailable when WeasyPrint cannot
    load, ValueError as render_report_html does.
    """
    if isinstance(printer, PrintWorkers):
        # The data crosses (it is plain, picklable, and holds no key): the template runs there.
        return printer.run(_print_report, data, lang)
    return _print_report(printer, data, lang)


def _print_report(printer: Printer, data: ReportData, lang: str) -> bytes:
    return printer(_render(data, lang, inline_css=False), stylesheet())


def prepare() -> None:
    """Load the report's template (a print worker calls it once, when it starts)."""
    _environment().get_template("report.html")


def report_number(data: ReportData) -> str:
    """Return the report's number (given when the report was built)."""
    return data.number


def _render(data: ReportData, lang: str, *, inline_css: bool) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}; got {lang!r}")
    _check(data)
    context = _context(data, lang)
    context["inline_css"] = stylesheet() if inline_css else None
    return _environment().get_template("report.html").render(context)


@cache
def stylesheet() -> str:
    """The report's print stylesheet (CSS text, read once)."""
    return (resources.files("xinyong") / "templates" / "report" / "report.css").read_text("utf-8")


def _check(data: ReportData) -> None:
    moments = [("generated_at", data.generated_at)]
    moments += [(f"query at {query.at.isoformat()}", query.at) for query in data.queries]
    moments += [(f"notice at {notice.at.isoformat()}", notice.at) for notice in data.notices]
    for what, moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{what} must be a timezone-aware datetime")
    if "*" not in data.masked_number:
        raise ValueError("masked_number is not masked: the report never prints a full ID number")


def _context(data: ReportData, lang: str) -> dict[str, Any]:
    zh = lang == "zh"
    public = [record for record in data.records if not record.archived]
    # a challenged objection is open again, with its first outcome shown
    open_cases = [c for c in data.cases if c.outcome is None or c.status == "challenged"]
    queries = sorted(data.queries, key=lambda q: q.at, reverse=True)
    return {
        "data": data,
        "zh": zh,
        "lang": lang,
        "t": (lambda chinese, english: chinese) if zh else (lambda chinese, english: english),
        "report_no": data.number,
        "code": data.verification_code,
        "verify_address": data.channel.verify_address(data.number, data.verification_code),
        "generated": data.generated_at.astimezone(CHINA_TIME),
        "groups": _group_by_category(data, public),
        "public_count": len(public),
        "archived": _newest_first(record for record in data.records if record.archived),
        "entries": sorted(
            data.entries,
            key=lambda e: (not e.in_force, -(e.decided_on or date.min).toordinal(), e.id),
        ),
        "entries_by_id": {entry.id: entry for entry in data.entries},
        "entries_in_force": sum(entry.in_force for entry in data.entries),
        "measures": data.measures,
        "cases": sorted(data.cases, key=lambda c: (-c.filed_on.toordinal(), c.kind, c.id)),
        "open_cases": len(open_cases),
        "notices": [(n.at, notice_words.say(n.data, lang) or n.detail) for n in data.notices],
        "queries": queries,
        "printed_queries": queries[: data.channel.query_lines],
        "more_queries": _more_queries(queries[data.channel.query_lines :]),
        "numeral": _numeral if zh else str,
        "colon": "：" if zh else ": ",
        "gap": "\u3000" if zh else " \u2003 ",  # between facts on one line
    }


@dataclass(frozen=True, slots=True)
class MoreQueries:
    """The query-log lines a printed report leaves out (older than those it lists): how many,
    since when, and how many of them by each kind of reader."""

    count: int
    since: datetime
    departments: int  # checks and screenings by departments
    agencies: int  # credit agencies' queries, answered or refused
    own: int  # the person's own reads of their report (or their agent's)


#: Which kind of reader each query-log kind is, for `MoreQueries`.
_READERS: Final[Mapping[str, str]] = {
    "check": "departments",
    "screening": "departments",
    "agency": "agencies",
    "agency_refused": "agencies",
    "report": "own",
}


def _more_queries(left_out: list[ReportQuery]) -> MoreQueries | None:
    """What a printed report says of the lines it leaves out (None when it leaves none)."""
    if not left_out:
        return None
    counts = Counter(_READERS.get(q.kind) for q in left_out)
    return MoreQueries(
        len(left_out), left_out[-1].at, counts["departments"], counts["agencies"], counts["own"]
    )


def _group_by_category(data: ReportData, records: list[ReportRecord]) -> list[CategoryGroup]:
    """One group per category of the report (empty ones too), then any other category found."""
    by_code: dict[str, list[ReportRecord]] = {}
    for record in records:
        by_code.setdefault(record.category, []).append(record)
    groups = [
        CategoryGroup(c.code, c.name_zh, c.name_en, _newest_first(by_code.pop(c.code, [])))
        for c in data.categories
    ]
    for code in sorted(by_code):
        first = by_code[code][0]
        groups.append(
            CategoryGroup(
                code,
                first.category_name_zh or code,
                first.category_name_en or code,
                _newest_first(by_code[code]),
            )
        )
    return groups


def _newest_first(records: Iterable[ReportRecord]) -> tuple[ReportRecord, ...]:
    ordered = sorted(records, key=lambda r: (r.decision_date, r.id))
    return tuple(reversed(ordered))


_DIGITS: Final = "零一二三四五六七八九"


def _numeral(n: int) -> str:
    """Write 1 to 99 in Chinese numerals, as section headings are numbered (一、二、… 十一)."""
    tens, ones = divmod(n, 10)
    if not 0 < n < 100:
        return str(n)
    if tens == 0:
        return _DIGITS[ones]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


@cache
def _environment() -> Environment:
    env = make_environment("report")
    env.filters["term"] = _term
    env.filters["day"] = _day
    env.filters["moment"] = _moment
    env.filters["redact"] = _redact
    return env


def _redact(text: str, lang: str) -> str:
    """Return `text` with anything shaped like an ID number withheld, saying so in `lang`."""
    return redact_id_numbers(text, WITHHELD_ZH if lang == "zh" else WITHHELD)


def _term(code: str | None, vocabulary: str, lang: str) -> str:
    """Return what `code` means in `vocabulary`, in `lang`; "—" for None."""
    if code is None:
        return "—"
    zh, en = TERMS[vocabulary].get(code, (code, code.replace("_", " ")))
    return zh if lang == "zh" else en


def _day(value: date | None, lang: str) -> str:
    """A date as 2026年11月28日, or 2026-11-28 in English; "—" for None."""
    if value is None:
        return "—"
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return value.isoformat()


def _moment(value: datetime, lang: str) -> str:
    """A moment in Beijing time to the minute: 2026年11月28日 09:30, or 2026-11-28 09:30."""
    china = value.astimezone(CHINA_TIME)
    if lang == "zh":
        return f"{china.year}年{china.month}月{china.day}日 {china:%H:%M}"
    return f"{china:%Y-%m-%d %H:%M}"
