"""What a personal report states (`ReportData` and its parts), and the words every report
carries: the catalog categories by the report standard's names, and what the law leaves out.
`services.reports.build_report` fills it; `services.report_render` prints it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from typing import Any

from xinyong.domain.catalog import CatalogItem
from xinyong.domain.objections import Objection
from xinyong.domain.records import CreditRecord
from xinyong.domain.reports import ReportChannel
from xinyong.services.report_words import QueryWords, ReportField, labelled_fields, summary_line


@dataclass(frozen=True, slots=True)
class ReportRecord:
    """One record as the report shows it."""

    id: int
    item_code: str
    item_name_zh: str
    item_name_en: str
    category: str  # the catalog category code, e.g. "administrative"
    category_name_zh: str
    nature: str  # "negative", "positive" or "neutral"
    department_name: str
    document_number: str
    decision_date: date
    status: str  # active, repaired, revoked, expired, ...
    severity: str | None
    shown_until: date | None  # display_ends
    repair_from: date | None
    under_objection: bool
    archived: bool  # past its display period: in the person's own archive view only
    summary: str  # the record's main facts in one line, by the catalog's labels (no ID numbers)
    category_name_en: str = ""
    fields: tuple[ReportField, ...] = ()  # every data item, labelled, values in words


@dataclass(frozen=True, slots=True)
class ReportEntry:
    id: int
    list_code: str
    list_name_zh: str
    list_name_en: str
    kind: str  # serious_untrustworthy, key_supervision, good_credit
    state: str
    decided_on: date | None
    ends_on: date | None
    exited_on: date | None
    exit_ground: str | None
    under_objection: bool
    in_force: bool
    #: The day a decided listing on a list with a public notice binds, while it has yet to:
    #: None for every other, and for one decided but not yet published (`awaiting` says so).
    binds_from: date | None = None
    #: Decided and waiting for its public notice to end (docs/lists-and-measures.md): shown, open
    #: to objection, but not yet binding.
    awaiting: bool = False


@dataclass(frozen=True, slots=True)
class ReportMeasure:
    code: str
    name_zh: str
    name_en: str
    category: str
    matters: tuple[str, ...]
    entry_id: int
    via_role: str | None
    legal_basis: tuple[str, ...] = ()  # the measure's basis, cited directly (measures.toml)
    matters_en: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReportExtension:
    """An objection's deadline extended with approval: the source department's deadline as it
    stands since, and why, who approved it and the approval's reference (each None for an
    objection extended before the platform kept them: migration e8b2d5a7c314)."""

    due: date
    due_official: bool  # False: counted Monday to Friday until the official calendar is out
    reasons: str | None
    approved_by: str | None
    approval_reference: str | None


def report_extension(objection: Objection) -> ReportExtension | None:
    """What a report says of an objection's extension (None: its deadline was not extended)."""
    if not objection.extended or objection.source_due is None:
        return None
    approval = objection.extension
    return ReportExtension(
        objection.source_due.day,
        objection.source_due.official,
        approval.reasons if approval else None,
        approval.approved_by if approval else None,
        approval.approval_reference if approval else None,
    )


@dataclass(frozen=True, slots=True)
class ReportCase:
    """An objection or a repair application and where it stands."""

    kind: str  # "objection" or "repair"
    id: int
    about: str  # e.g. "record 12" or "list entry 3"
    status: str
    filed_on: date
    due: date | None
    outcome: str | None
    reasons: str | None
    record_id: int | None = None
    entry_id: int | None = None
    due_official: bool = True  # False: counted Monday to Friday until the official calendar is out
    #: An objection's deadline extended with approval (None: not extended; a repair's never is).
    extension: ReportExtension | None = None


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """One look at the file: who, when, for what, on what authority, what was returned.

    The first fields are the log's own (codes); `words` says the same for a reader.
    """

    at: datetime
    who: str  # department or agency name (or code); else who it was, in Chinese (words.who_zh)
    kind: str  # check, screening, agency, report, ...
    purpose: str
    authority: str
    returned: str
    words: QueryWords


@dataclass(frozen=True, slots=True)
class ReportTerms:
    """The working-day deadlines a report promises for objections and repairs (rights.toml)."""

    centre_check_working_days: int
    source_decide_working_days: int
    extension_working_days: int
    repair_accept_working_days: int
    repair_feedback_working_days: int


@dataclass(frozen=True, slots=True)
class ReportCategory:
    """A catalog category the report has a section for, in the catalog's order."""

    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True, slots=True)
class ReportNotice:
    """Something the platform told the person about their file."""

    at: datetime
    kind: str  # deadline_moved
    about: str  # e.g. "objection 4"
    detail: str  # the English sentence kept with it
    #: What happened, as data (services/notice_words.py says it in the report's language).
    data: Mapping[str, object] | None = None


@dataclass(frozen=True, slots=True)
class ReportReview:
    """An identity review the person's file carries: a record of theirs withheld or flagged
    while staff decide, or a document resubmitted naming them (never the other person)."""

    id: int
    kind: str  # name, birth_date, subject, region
    about_you: bool  # False: a document now naming you, first recorded about someone else
    item_name_zh: str
    item_name_en: str
    document_number: str
    opened_on: date
    status: str  # open, resolved
    resolution: str | None  # same_person, different_person


@dataclass(frozen=True, slots=True)
class QueryLogPage:
    """One page of the person's query log within its retention period, newest first."""

    page: int
    size: int
    total: int
    since: datetime
    items: tuple[ReportQuery, ...]


@dataclass(frozen=True, slots=True)
class ReportData:
    """Everything one personal report states."""

    generated_at: datetime  # aware UTC; shown in China time
    name: str
    masked_number: str
    birth_year: int | None  # the number hides the month and day, and so does the report
    sex: str | None
    region: str | None
    records: tuple[ReportRecord, ...]
    entries: tuple[ReportEntry, ...]
    measures: tuple[ReportMeasure, ...]
    cases: tuple[ReportCase, ...]
    queries: tuple[ReportQuery, ...]
    number: str  # the report number (domain/reports.py report_number)
    verification_code: str  # HMAC of the number and the content's digest
    channel: ReportChannel
    terms: ReportTerms
    categories: tuple[ReportCategory, ...] = ()
    omitted: tuple[tuple[str, str], ...] = ()  # what the law keeps out, and why (zh, en)
    #: What the platform told the person about their file (a deadline that moved, ...).
    notices: tuple[ReportNotice, ...] = ()
    #: `queries` holds every entry made since this moment (the log's retention period).
    queries_since: datetime | None = None
    #: Identity reviews about records of the person's, or documents now naming them.
    reviews: tuple[ReportReview, ...] = ()


#: The catalog categories' names in the report standard's wording (Chinese, English), in the
#: standard's order; a category the catalog adds later prints by its code, after these.
CATEGORY_NAMES: dict[str, tuple[str, str]] = {
    "registration": ("登记注册基本信息", "Registration"),
    "judicial": ("司法判决及执行信息", "Court judgments and enforcement"),
    "administrative": ("行政管理信息", "Administrative management"),
    "qualification": ("职称和职业资格信息", "Titles and professional qualifications"),
    "abnormal_operation": ("经营（活动）异常名录信息", "Abnormal operation"),
    "serious_untrustworthy": ("严重失信主体名单信息", "Serious untrustworthy lists"),
    "contract_performance": ("合同履行信息", "Contract performance"),
    "commitment": ("信用承诺及履行情况信息", "Credit commitments and how they were kept"),
    "evaluation": ("信用评价结果信息", "Credit evaluations"),
    "honour": ("诚实守信相关荣誉信息", "Honours for trustworthiness"),
    "self_declared": ("自愿提供的信用信息", "Information you provided yourself"),
    "intellectual_property": ("知识产权信息", "Intellectual property"),
    "social_insurance_arrears": ("社会保险欠费信息", "Social insurance arrears"),
}
CATEGORY_NAMES_ZH: dict[str, str] = {code: names[0] for code, names in CATEGORY_NAMES.items()}

#: The section of the records whose catalog version the platform no longer holds (its folder
#: removed from the policy): each is shown by its item code and its data as stored, never left out.
UNCATALOGUED = (
    "uncatalogued",
    "所依据目录版本未载入的信息",
    "Records of a catalog version not held",
)


def report_record(
    record: CreditRecord, item: CatalogItem | None, department_name: str, today: date
) -> ReportRecord:
    """One record as the report shows it, by the item of its own catalog version
    (`Policy.item_of`); without that item, by its item code and its data as stored."""
    if item is None:
        category, category_zh, category_en = UNCATALOGUED
        name_zh = name_en = record.item_code
        nature = "unknown"
    else:
        category = item.category.value
        category_zh, category_en = CATEGORY_NAMES.get(category, (category,) * 2)
        name_zh, name_en, nature = item.name_zh, item.name_en, item.nature.value
    fields = labelled_fields(item, record.fields)
    return ReportRecord(
        id=record.id,
        item_code=record.item_code,
        item_name_zh=name_zh,
        item_name_en=name_en,
        category=category,
        category_name_zh=category_zh,
        nature=nature,
        department_name=department_name,
        document_number=record.document_number,
        decision_date=record.decision_date,
        status=record.status.value,
        severity=record.severity,
        shown_until=record.display_ends,
        repair_from=record.repair_from,
        under_objection=record.under_objection,
        archived=not record.is_displayable_on(today),
        summary=summary_line(fields),
        category_name_en=category_en,
        fields=fields,
    )


#: What a report leaves out, and why (stated on every report), in Chinese and in English.
OMITTED: tuple[tuple[str, str], ...] = (
    (
        "超过公示期限的信息不向他人展示，仅在本人档案中列出，保存期满后删除。",
        "Records past their display period are shown to no one but you; they stay in your"
        " archive until their retention period ends, then are deleted.",
    ),
    (
        "已修复、已撤销的信息不再公示、共享或用于奖惩，仅在本人档案中列出。",
        "Repaired and revoked records are published, shared and used for nothing; they appear"
        " only in your archive.",
    ),
    (
        "宗教信仰、基因、指纹、血型、疾病和病史等法律禁止采集的信息从不采集。",
        "Religion, genes, fingerprints, blood type, medical history and other information the"
        " law forbids are never collected.",
    ),
    (
        "报告不打印完整身份证号码和出生月、日：身份号码隐去第 11 至 14 位，出生日期只印年份。",
        "Your full ID number and your birth month and day are not printed: the number hides its"
        " 11th to 14th characters, and only the year of birth is shown.",
    ),
)


def report_dict(data: ReportData) -> dict[str, Any]:
    """The report as plain dicts and tuples, as `dataclasses.asdict` gives it, without copying
    each value: every value in a report is immutable (text, numbers, dates), and a person
    checked thousands of times has thousands of query-log lines, which `asdict` deep-copied one
    by one while the server's checks waited for the interpreter."""
    found: dict[str, Any] = _plain(data)
    return found


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind in (str, int, bool, float) or value is None:
        return value
    if is_dataclass(value) and not isinstance(value, type):
        return {name: _plain(getattr(value, name)) for name in _field_names(kind)}
    if kind is tuple or kind is list:
        return kind(_plain(item) for item in value)
    if kind is dict:
        return {_plain(k): _plain(v) for k, v in value.items()}
    return value  # a date, a datetime: immutable, as they are


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(kind: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(f.name for f in fields(kind))
    return names
