"""The listing procedure's printed documents: prior notice with repair notice, and the decision;
gathered for one entry (`document_of`) and printed here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from jinja2 import Environment, PackageLoader, StrictUndefined

from xinyong.domain.calendar import CHINA_TIME, add_months
from xinyong.domain.catalog import Severity, SubjectType
from xinyong.domain.errors import Conflict
from xinyong.domain.identifiers import mask_citizen_id, normalise
from xinyong.domain.lists import Decider, EntryState, ListEntry, ListKind, ListType, PeriodRule
from xinyong.domain.measures import Measure
from xinyong.domain.policy import Policy
from xinyong.services.audit import misroutes_audited
from xinyong.services.lists import owned
from xinyong.services.pdf import FontUnavailable, PdfUnavailable, Printer, render_pdf

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork

__all__ = [
    "CHINA_TIME",
    "EXIT_GROUNDS",
    "FontUnavailable",
    "ListingDocument",
    "PdfUnavailable",
    "html_to_pdf",
    "make_environment",
    "render_decision_html",
    "render_notice_html",
]

#: The repair ground's code in lists.toml: a list that names it may be left early by repairing.
REPAIR_GROUND: Final = "repair"

#: What each exit-ground code of lists.toml means, in Chinese and English. A code missing here is
#: printed as it is, so a new ground in a policy file never breaks a document.
EXIT_GROUNDS: Final[Mapping[str, tuple[str, str]]] = {
    "expiry": ("列入期限届满", "the listing period has ended"),
    "repair": ("依法完成信用修复", "credit repaired under the rules"),
    "revocation": (
        "据以列入的决定被撤销或者变更，或者列入错误经纠正",
        "the decision it rests on is revoked or varied, or a wrong listing is corrected",
    ),
    "identity_review": (
        "据以列入的记录因身份核查暂不作为依据",
        "the record it rests on is withheld for an identity review",
    ),
    "performance": (
        "已履行生效法律文书确定的义务或者已执行完毕",
        "the obligation in the judgment has been performed or enforced",
    ),
    "settlement": (
        "执行和解协议经申请执行人确认履行完毕",
        "an enforcement settlement has been performed, as the creditor confirms",
    ),
    "creditor_consent": (
        "申请执行人书面申请删除，经人民法院审查同意",
        "the creditor asked in writing for deletion and the court agreed",
    ),
    "no_property_found": (
        "终结本次执行程序后两次以上查询未发现可供执行的财产",
        "two or more searches after the enforcement round found no property",
    ),
    "suspension": ("人民法院裁定中止执行", "the court suspended enforcement"),
    "non_enforcement": ("人民法院裁定不予执行", "the court ruled not to enforce"),
    "termination": ("人民法院裁定终结执行", "the court terminated enforcement"),
    "early_withdrawal": (
        "缴清税款、滞纳金和罚款，经税务机关确认提前停止公布",
        "tax, late fees and fines paid, and the tax authority ended publication early",
    ),
    "duty_performed": (
        "改正并履行兵役义务，经兵役机关确认",
        "the military service duty is performed, as the military service organ confirms",
    ),
    "correction": (
        "已补正材料、纠正承诺不实行为，经原承诺受理部门确认",
        "materials supplied and the broken commitment corrected, as the department confirms",
    ),
    "repayment": (
        "已退回骗取的社会保险基金并缴纳罚款",
        "the social insurance money is repaid and the fine paid",
    ),
    "refusal": ("本人拒绝记录", "the person refuses to have it recorded"),
    "serious_listing": ("被列入严重失信主体名单", "put on a serious untrustworthy list"),
    "new_negative_record": ("出现新的不良信用记录", "a new negative record"),
}

_NOTICE_STATES: Final = frozenset(
    {EntryState.NOTICED, EntryState.DECIDED, EntryState.PUBLISHED, EntryState.EXITED}
)
_DECISION_STATES: Final = frozenset({EntryState.DECIDED, EntryState.PUBLISHED, EntryState.EXITED})


@dataclass(frozen=True, slots=True)
class ListingDocument:
    """What a listing document says, and to whom: one subject's entry on one list.

    `subject_number` is the full citizen ID number or credit code; documents print it masked,
    and it is left out of the repr so that it never reaches a log.
    """

    entry: ListEntry
    subject_name: str = field(repr=False)
    subject_number: str = field(repr=False)
    proposer: str
    measures: tuple[Measure, ...]
    issued_at: datetime
    platform: str = "xinyong 信用平台"
    #: Months after the decision from which the person may apply for repair (the period policy's
    #: figure for the list's severity); None: the document states the conditions without a date.
    repair_after_months: int | None = None

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise ValueError("issued_at must be a timezone-aware datetime")


def render_notice_html(doc: ListingDocument) -> str:
    """Return the prior notice with the credit repair notice served with it (两书同达), as HTML."""
    entry = doc.entry
    _require_platform_listing(entry, "prior notice")
    if entry.state not in _NOTICE_STATES:
        raise Conflict(
            f"listing {entry.id} is {entry.state.value}: a prior notice is printed only once it"
            " has been served (noticed, decided, published or exited)"
        )
    if entry.noticed_on is None or entry.defence_deadline is None:
        raise Conflict(f"listing {entry.id} has no notice date or defence deadline recorded")
    context = _common_context(doc, kind="N")
    context.update(
        noticed_on=entry.noticed_on,
        deadline=entry.defence_deadline,
        defence_days=entry.list_type.defence_working_days,
        period=_period_rule_text(entry.list_type),
    )
    return _environment().get_template("notice.html").render(context)


def render_decision_html(doc: ListingDocument) -> str:
    """Return the listing decision (列入决定书) as HTML."""
    entry = doc.entry
    _require_platform_listing(entry, "listing decision")
    if entry.state not in _DECISION_STATES:
        raise Conflict(
            f"listing {entry.id} is {entry.state.value}: a decision is printed only for a listing"
            " that is decided, published or exited"
        )
    if entry.decided_on is None:
        raise Conflict(f"listing {entry.id} has no decision date recorded")
    repair_from = None
    if doc.repair_after_months is not None and REPAIR_GROUND in entry.list_type.exit_grounds:
        repair_from = add_months(entry.decided_on, doc.repair_after_months)
    context = _common_context(doc, kind="D")
    context.update(
        decided_on=entry.decided_on,
        reasons=entry.decision_reasons or "",
        ends_on=entry.ends_on,
        repair_from=repair_from,
        exit_ground=_exit_ground(entry.exit_ground) if entry.exit_ground else None,
    )
    return _environment().get_template("decision.html").render(context)


def html_to_pdf(html: str, printer: Printer = render_pdf) -> bytes:
    """Render a document's HTML to PDF in the packaged Chinese font; it fetches no URL.

    Raises FontUnavailable (a PdfUnavailable) without the font package, PdfUnavailable when
    WeasyPrint or its system libraries cannot be loaded.
    """
    return printer(html, "")


def make_environment(folder: str) -> Environment:
    """Return a new Jinja environment for the printed templates under `templates/<folder>`.

    Autoescaped and strict about undefined names, with the `day` filter; a caller may add filters
    of its own, so each call builds a fresh environment (cache it where it is used).
    """
    env = Environment(
        loader=PackageLoader("xinyong", f"templates/{folder}"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["day"] = _day
    return env


@cache
def _environment() -> Environment:
    return make_environment("documents")


def _require_platform_listing(entry: ListEntry, what: str) -> None:
    if entry.list_type.decided_by is not Decider.PLATFORM:
        raise Conflict(
            f"{entry.list_type.code} is decided by {entry.list_type.decided_by.in_words}, whose"
            f" own documents are served; the platform issues no {what} for it"
        )
    if entry.id is None:
        raise Conflict(f"an unsaved listing has no document number; save it before the {what}")


def _common_context(doc: ListingDocument, *, kind: str) -> dict[str, Any]:
    """The values both documents print; the full subject number is deliberately not among them."""
    entry, list_type = doc.entry, doc.entry.list_type
    organisation = list_type.subject_type is SubjectType.ORGANISATION
    return {
        "doc_no": f"{list_type.code}-{entry.id:06d}-{kind}",
        "platform": doc.platform,
        "issued": doc.issued_at.astimezone(CHINA_TIME),
        "subject_name": doc.subject_name,
        "masked_number": mask_citizen_id(normalise(doc.subject_number)),
        "number_label": (
            ("统一社会信用代码", "Unified social credit code")
            if organisation
            else ("公民身份号码", "Citizen ID number")
        ),
        "proposer": doc.proposer,
        "entry": entry,
        "list_type": list_type,
        "measures": doc.measures,
        "exit_grounds": [_exit_ground(code) for code in list_type.exit_grounds],
        "repairable": REPAIR_GROUND in list_type.exit_grounds,
        "repair_after_months": doc.repair_after_months,
    }


def _exit_ground(code: str) -> tuple[str, str]:
    return EXIT_GROUNDS.get(code, (code, code))


def _period_rule_text(list_type: ListType) -> tuple[str, str]:
    """Say how long a listing on this list lasts, before a decision has fixed its end."""
    months = list_type.period_months or 0
    if list_type.period_rule is PeriodRule.FIXED:
        return f"{months} 个月", f"{months} months"
    if list_type.period_rule is PeriodRule.EXTENDABLE:
        more = list_type.max_extension_months or 0
        return (
            f"{months} 个月，可以延长，最长再延长 {more} 个月",
            f"{months} months, which may be extended by up to {more} months",
        )
    return "无固定期限，出现移出情形时移出", "no fixed period: until an exit ground arises"


def _day(value: date) -> str:
    """Print a date as 2026年10月10日 (2026-10-10); a datetime also gets its time of day."""
    text = f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, datetime):
        return f"{text} {value:%H:%M} ({value:%Y-%m-%d %H:%M} {value.tzname()})"
    return f"{text} ({value.isoformat()})"


def document_of(
    uow: UnitOfWork,
    policy: Policy,
    entry_id: int,
    *,
    department: str | None,
    actor: str,
    refusals: UnitOfWork | None = None,
) -> ListingDocument:
    """Everything a notice or decision prints about one entry (rendered above); a department's
    reach for another department's entry is audited as `services.lists.get_entry`'s is."""
    with misroutes_audited(refusals or uow, actor=actor, department=department), uow:
        entry, owner = owned(uow, policy, entry_id, department, action="listing:document")
        subject = uow.subjects.get(entry.subject_id)
        proposer = uow.departments.get(owner) if owner else None
        now = uow.now()
    list_type = entry.list_type
    measures = tuple(m for m in policy.registry.measures.values() if list_type.code in m.triggers)
    repair = None
    if list_type.kind is ListKind.SERIOUS_UNTRUSTWORTHY:
        repair = policy.periods.classes[Severity.SERIOUS].repair_after_months
    return ListingDocument(
        entry=entry,
        subject_name=subject.name,
        subject_number=subject.number,
        proposer=proposer.name if proposer else entry.proposed_by,
        measures=tuple(sorted(measures, key=lambda m: m.code)),
        issued_at=now,
        repair_after_months=repair,
    )
