"""The person's own report: what the platform holds about them, who looked, and what it omits.

`ReportData` is what a report says; `build_report` gathers it from storage (one rule for what
may be shown: records through `CreditRecord.is_displayable_on`, list entries through their
in-force window); the renderers in `report_render.py` turn it into HTML and PDF.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.calendar import business_date
from xinyong.domain.catalog import SubjectType
from xinyong.domain.errors import Invalid
from xinyong.domain.identifiers import InvalidIdentifier, parse_citizen_id
from xinyong.domain.index import subject_key
from xinyong.domain.lists import ListEntry
from xinyong.domain.measures import applicable_measures
from xinyong.domain.policy import Policy
from xinyong.domain.querylog import QueryEntry, QueryKind
from xinyong.domain.records import RecordStatus
from xinyong.domain.reports import (
    IssuedReport,
    ReportChannel,
    code_matches,
    content_digest,
    is_report_number,
    report_number,
    verification_code,
)
from xinyong.domain.subjects import RoleKind, Subject
from xinyong.policy import PACKAGED, read_toml
from xinyong.services.report_words import (
    QueryReader,
    QueryWords,
    ReportField,
    labelled_fields,
    summary_line,
)

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


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


@dataclass(frozen=True, slots=True)
class ReportMeasure:
    code: str
    name_zh: str
    name_en: str
    category: str
    matters: tuple[str, ...]
    entry_id: int
    via_role: str | None


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


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """One look at the file: who, when, for what, on what authority, what was returned.

    The first fields are the log's own (codes); `words` says the same for a reader.
    """

    at: datetime
    who: str  # department or agency name (or code)
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
    detail: str


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


class ReportRegister(Protocol):
    """The reports the platform issued (number, whose, when, content digest): no content."""

    def add(self, report: IssuedReport) -> None: ...
    def get(self, number: str) -> IssuedReport | None: ...


@dataclass(frozen=True, slots=True)
class ReportVerification:
    """What a verification confirms about a printed report: that it was issued, when, for whom
    (masked); never what it said."""

    number: str
    generated_at: datetime
    masked_name: str
    masked_number: str


def verify_report_code(
    register: ReportRegister, subjects: SubjectLookup, secret_key: str, number: str, code: str
) -> ReportVerification | None:
    """Confirm that (number, code) is printed on a report the platform issued; None if not.

    Reveals only the moment and the masked name and number, never the report's content.
    """
    number = number.strip().upper()
    if not is_report_number(number) or len(code) > 64:
        return None
    issued = register.get(number)
    if issued is None or not code_matches(secret_key, issued, code):
        return None
    subject = subjects.get(issued.subject_id)
    return ReportVerification(
        issued.number, issued.generated_at, _masked_name(subject.name), subject.masked_number()
    )


class SubjectLookup(Protocol):
    def get(self, subject_id: int) -> Subject: ...


def _masked_name(name: str) -> str:
    """The surname and stars, as the public listing prints names."""
    return name[:1] + "*" * max(len(name) - 1, 1)


def report_channel(policy: Policy) -> ReportChannel:
    """The issuer and the channel of the policy in use (its report.toml, else the packaged one)."""
    return _channel(policy.directory)


@cache
def _channel(directory: Path) -> ReportChannel:
    file = directory / "report.toml"
    if not file.exists():  # a policy folder without it keeps the packaged defaults
        file = PACKAGED / "report.toml"
    return ReportChannel.from_policy(read_toml(file), str(file))


def _region_name(subject: Subject) -> str | None:
    """The county the number was issued in, by name (the code when the name is unknown)."""
    try:
        region = parse_citizen_id(subject.number).region
    except InvalidIdentifier:
        return subject.region_code
    if not region.known:
        return region.code
    return f"{region.name_zh} ({region.name_en})"


def report_content(data: ReportData) -> dict[str, Any]:
    """What the verification code covers: everything the report states but its own code."""
    content = asdict(data)
    content.pop("verification_code")
    return content


def build_report(
    uow: UnitOfWork, policy: Policy, subject_id: int, *, actor: str, secret_key: str
) -> ReportData:
    """Gather one person's report, number it and sign it with `secret_key`, and register it.

    Reading it is itself logged (kind `report`); the register keeps the number and the digest of
    the content, never the content.
    """
    with uow:
        subject = uow.subjects.get(subject_id)
        now = uow.now()
        today = business_date(now)
        departments = {d.code: d.name for d in uow.departments.list()}
        records: list[ReportRecord] = []
        for r in uow.records.of_subject(subject_id):
            item = policy.catalog.get(r.item_code)
            if item is None or r.status is RecordStatus.IDENTITY_HOLD:
                continue
            names = CATEGORY_NAMES.get(item.category.value, (item.category.value,) * 2)
            fields = labelled_fields(item, r.fields)
            records.append(
                ReportRecord(
                    id=r.id,
                    item_code=r.item_code,
                    item_name_zh=item.name_zh,
                    item_name_en=item.name_en,
                    category=item.category.value,
                    category_name_zh=names[0],
                    nature=item.nature.value,
                    department_name=departments.get(r.department, r.department),
                    document_number=r.document_number,
                    decision_date=r.decision_date,
                    status=r.status.value,
                    severity=r.severity,
                    shown_until=r.display_ends,
                    repair_from=r.repair_from,
                    under_objection=r.under_objection,
                    archived=not r.is_displayable_on(today),
                    summary=summary_line(fields),
                    category_name_en=names[1],
                    fields=fields,
                )
            )
        entries = uow.entries.of_subject(subject_id, policy.list_types)
        own = [e for e in entries if e.is_in_force_on(today)]
        org_entries: list[tuple[RoleKind, ListEntry]] = []
        for role in uow.subjects.roles_of(subject_id):
            if role.person_id == subject_id and role.is_current_on(today):
                org_entries.extend(
                    (role.kind, e)
                    for e in uow.entries.of_subject(role.organisation_id, policy.list_types)
                )
        seen: set[tuple[str, int]] = set()
        measures: list[ReportMeasure] = []
        for matter in policy.registry.matters:
            for match in applicable_measures(
                policy.registry,
                matter,
                own_entries=own,
                organisations_entries=org_entries,
                on=today,
            ):
                pair = (match.measure.code, match.entry.id or 0)
                if pair in seen:
                    continue
                seen.add(pair)
                m = match.measure
                measures.append(
                    ReportMeasure(
                        m.code,
                        m.name_zh,
                        m.name_en,
                        m.category.value,
                        tuple(
                            policy.registry.matters[code].name_zh
                            if code in policy.registry.matters
                            else code
                            for code in sorted(m.matters)
                        ),
                        match.entry.id or 0,
                        match.via_role.value if match.via_role else None,
                    )
                )
        cases = [
            ReportCase(
                "objection",
                o.id or 0,
                f"record {o.record_id}" if o.record_id else f"list entry {o.entry_id}",
                o.status.value,
                business_date(o.filed_at),
                None if o.outcome else o.due().day,
                o.outcome,
                o.outcome_reasons,
                record_id=o.record_id,
                entry_id=None if o.record_id else o.entry_id,
                due_official=o.due().official,
            )
            for o in uow.objections.of_subject(subject_id)
        ] + [
            ReportCase(
                "repair",
                r.id or 0,
                f"record {r.record_id}",
                r.status.value,
                business_date(r.applied_at),
                r.feedback_due.day if r.decided_at is None else None,
                r.status.value if r.decided_at else None,
                r.reasons or ("; ".join(r.missing) if r.missing else None),
                record_id=r.record_id,
                due_official=r.feedback_due.official,
            )
            for r in uow.repairs.of_subject(subject_id)
        ]
        account = uow.accounts.by_subject(subject_id)
        reader = QueryReader(policy, departments, account.id if account else None)
        key = subject_key(subject.number, organisation=subject.kind is SubjectType.ORGANISATION)
        since = policy.querylog.kept_since(now)
        queries = [
            _report_query(q, departments, reader)
            for _, q in uow.queries.for_key(key, since=since, limit=None)
        ]
        notices = [
            ReportNotice(
                n.at, n.kind.value, f"{n.entity_type.replace('_', ' ')} {n.entity_id}", n.detail
            )
            for n in uow.deadlines.notices_of(subject_id)
        ]
        number = next(
            n
            for n in (report_number(now, subject_id, attempt) for attempt in range(1000))
            if uow.reports.get(n) is None
        )
        unsigned = ReportData(
            generated_at=now,
            name=subject.name,
            masked_number=subject.masked_number(),
            birth_year=subject.birth_date.year if subject.birth_date else None,
            sex=subject.sex,
            region=_region_name(subject),
            records=tuple(records),
            entries=tuple(
                ReportEntry(
                    e.id or 0,
                    e.list_type.code,
                    e.list_type.name_zh,
                    e.list_type.name_en,
                    e.list_type.kind.value,
                    e.state.value,
                    e.decided_on,
                    e.ends_on,
                    e.exited_on,
                    e.exit_ground,
                    e.under_objection,
                    e.is_in_force_on(today),
                )
                for e in entries
                if e.state.value not in ("proposed", "withdrawn") or e.noticed_on is not None
            ),
            measures=tuple(measures),
            cases=tuple(cases),
            queries=tuple(queries),
            number=number,
            verification_code="",
            channel=report_channel(policy),
            terms=ReportTerms(
                policy.objections.centre_check_working_days,
                policy.objections.source_decide_working_days,
                policy.objections.extension_working_days,
                policy.repairs.accept_working_days,
                policy.repairs.feedback_working_days,
            ),
            categories=_categories(policy, subject.kind),
            omitted=OMITTED,
            notices=tuple(notices),
            queries_since=since,
        )
        digest = content_digest(report_content(unsigned))
        uow.reports.add(IssuedReport(number, subject_id, now, digest))
        uow.queries.add_many(
            [
                QueryEntry(
                    now,
                    key,
                    QueryKind.REPORT,
                    None,
                    actor,
                    "own report",
                    "the person's own",
                    "report",
                )
            ]
        )
        uow.audit.add(
            AuditEvent(
                EventTag.REPORT_READ, actor, "subject", str(subject_id), now, subject_id=subject_id
            )
        )
        uow.commit()
    return replace(unsigned, verification_code=verification_code(secret_key, number, digest))


def _report_query(
    q: QueryEntry, departments: Mapping[str, str], reader: QueryReader
) -> ReportQuery:
    return ReportQuery(
        q.at,
        departments.get(q.department or "", q.department or q.actor),
        q.kind,
        q.purpose,
        q.authority,
        q.returned,
        reader.words(q),
    )


def query_log_page(
    uow: UnitOfWork, policy: Policy, subject_id: int, *, page: int, size: int
) -> QueryLogPage:
    """One page of the person's query log, newest first: every entry within the log's
    retention period (`policy/rights.toml [queries]`) is on some page."""
    if page < 1 or size < 1:
        raise Invalid("page and size start at 1")
    with uow:
        subject = uow.subjects.get(subject_id)
        since = policy.querylog.kept_since(uow.now())
        departments = {d.code: d.name for d in uow.departments.list()}
        account = uow.accounts.by_subject(subject_id)
        reader = QueryReader(policy, departments, account.id if account else None)
        key = subject_key(subject.number, organisation=subject.kind is SubjectType.ORGANISATION)
        total = uow.queries.count_for_key(key, since=since)
        found = uow.queries.for_key(key, since=since, limit=size, offset=(page - 1) * size)
    return QueryLogPage(
        page, size, total, since, tuple(_report_query(q, departments, reader) for _, q in found)
    )


def _categories(policy: Policy, kind: SubjectType) -> tuple[ReportCategory, ...]:
    """The categories the catalog has items in for this kind of subject, in the standard's order."""
    present = {item.category.value for item in policy.catalog if item.subject_type is kind}
    order = {code: n for n, code in enumerate(CATEGORY_NAMES)}
    return tuple(
        ReportCategory(code, *CATEGORY_NAMES.get(code, (code, code)))
        for code in sorted(present, key=lambda code: (order.get(code, len(order)), code))
    )
