"""The person's own report: what the platform holds about them, who looked, and what it omits.

`ReportData` is what a report says; `build_report` gathers it from storage (one rule for what
may be shown: records through `CreditRecord.is_displayable_on`, list entries through their
in-force window); the renderers in `report_render.py` turn it into HTML and PDF.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
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
from xinyong.domain.subjects import IdentityReview, RoleKind, Subject
from xinyong.policy import PACKAGED, read_toml
from xinyong.services.report_data import (
    CATEGORY_NAMES,
    OMITTED,
    QueryLogPage,
    ReportCase,
    ReportCategory,
    ReportData,
    ReportEntry,
    ReportMeasure,
    ReportNotice,
    ReportQuery,
    ReportRecord,
    ReportReview,
    ReportTerms,
    report_dict,
    report_extension,
    report_record,
)
from xinyong.services.report_words import QueryReader

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


class ReportRegister(Protocol):
    """The reports the platform issued (number, whose, when, content digest): no content."""

    def add(self, report: IssuedReport) -> None: ...
    def get(self, number: str) -> IssuedReport | None: ...
    def withdraw(self, subject_id: int, generated_at: datetime) -> list[str]:
        """Remove the subject's reports registered at `generated_at`; return their numbers."""
        ...


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


def verify_report(
    uow: UnitOfWork, secret_key: str, number: str, code: str
) -> ReportVerification | None:
    """`verify_report_code` on the platform's register of issued reports, in one read."""
    with uow:
        return verify_report_code(uow.reports, uow.subjects, secret_key, number, code)


class SubjectLookup(Protocol):
    def get(self, subject_id: int) -> Subject: ...


def _masked_name(name: str) -> str:
    """The surname and stars, as the public listing prints names."""
    return name[:1] + "*" * max(len(name) - 1, 1)


def report_channel(policy: Policy, public_url: str | None = None) -> ReportChannel:
    """The issuer and the channel of the policy in use (its report.toml, else the packaged one).

    With `public_url` (the platform's public address, `Settings.base_url`), its links are
    addresses after it, as a report prints them; without, they are as the policy states them:
    a path on the platform is then a link relative to the page it is on."""
    channel = _channel(policy.directory)
    return channel.served_at(public_url) if public_url is not None else channel


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
    content = report_dict(data)
    content.pop("verification_code")
    return content


def _gather(
    uow: UnitOfWork, policy: Policy, subject_id: int, public_url: str | None = None
) -> ReportData:
    """Everything a report states about one person today (inside the caller's transaction);
    neither numbered, nor registered, nor logged. Its links are addresses after `public_url`
    (`report_channel`)."""
    subject = uow.subjects.get(subject_id)
    now = uow.now()
    today = business_date(now)
    departments = {d.code: d.name for d in uow.departments.list()}
    records: list[ReportRecord] = []
    for r in uow.records.of_subject(subject_id):
        if r.status is not RecordStatus.IDENTITY_HOLD:  # by its own version: never left out
            name = departments.get(r.department, r.department)
            records.append(report_record(r, policy.item_of(r), name, today))
    entries = uow.entries.of_subject(subject_id, policy.list_types)
    own = [e for e in entries if e.is_in_force_on(today)]
    org_entries: list[tuple[RoleKind, ListEntry]] = []
    for role in uow.subjects.roles_of(subject_id):
        if role.person_id == subject_id and role.is_current_on(today):
            org_entries.extend(
                (role.kind, e)
                for e in uow.entries.of_subject(role.organisation_id, policy.list_types)
            )
    # Once per measure, listing and role: a measure reaching the person through two roles in
    # one organisation is stated through each, as checks return it (docs/invariant.md).
    seen: set[tuple[str, int, str | None]] = set()
    measures: list[ReportMeasure] = []
    for matter in policy.registry.matters:
        for match in applicable_measures(
            policy.registry,
            matter,
            own_entries=own,
            organisations_entries=org_entries,
            on=today,
        ):
            via = match.via_role.value if match.via_role else None
            stated = (match.measure.code, match.entry.id or 0, via)
            if stated in seen:
                continue
            seen.add(stated)
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
                    legal_basis=m.legal_basis,
                    matters_en=tuple(
                        policy.registry.matters[code].name_en
                        if code in policy.registry.matters
                        else code
                        for code in sorted(m.matters)
                    ),
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
            extension=report_extension(o),
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
            n.at,
            n.kind.value,
            f"{n.entity_type.replace('_', ' ')} {n.entity_id}",
            n.detail,
            n.data,
        )
        for n in uow.deadlines.notices_of(subject_id)
    ]
    reviews = [
        _report_review(uow, policy, review, subject_id)
        for review in uow.reviews.of_subject(subject_id)
        # About a document; a registration's name is the applicant's matter, not the file's.
        if review.record_id is not None
    ]
    unsigned = ReportData(
        generated_at=now,
        name=subject.name,
        masked_number=subject.masked_number(),
        birth_year=subject.birth_date.year if subject.birth_date else None,
        sex=subject.sex,
        region=_region_name(subject),
        records=tuple(records),
        entries=tuple(
            _report_entry(e, today)
            for e in entries
            if e.state.value not in ("proposed", "withdrawn") or e.noticed_on is not None
        ),
        measures=tuple(measures),
        cases=tuple(cases),
        queries=tuple(queries),
        number="",  # numbered when issued (build_report)
        verification_code="",
        channel=report_channel(policy, public_url),
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
        reviews=tuple(reviews),
    )
    return unsigned


def build_report(
    uow: UnitOfWork,
    policy: Policy,
    subject_id: int,
    *,
    actor: str,
    secret_key: str,
    public_url: str,
    reads: UnitOfWork | None = None,
    log: Callable[[QueryEntry], object] | None = None,
) -> ReportData:
    """Gather one person's report, number it and sign it with `secret_key`, and register it.

    Its links (where to read it, verify it, object, read the whole query log) are addresses
    after `public_url`, the platform's public address (`Settings.base_url`).

    Reading it is itself logged (kind `report`); the register keeps the number and the digest of
    the content, never the content. The report is gathered in `reads` when given (a unit of work
    beside the writers: on SQLite it takes no write lock, so the checks' query log is not held
    up while a file is read), then numbered and registered in one short transaction of `uow`.
    The read is logged by `log` when given, once the report is registered: the check path's
    group-committing writer (`QueryLogWriter.write`), so that no check's log line waits for
    this transaction's lock on the query log; else in that transaction.
    """
    if reads is not None:
        with reads:
            gathered = _gather(reads, policy, subject_id, public_url)
    with uow:
        if reads is None:
            gathered = _gather(uow, policy, subject_id, public_url)
        now = gathered.generated_at
        subject = uow.subjects.get(subject_id)
        key = subject_key(subject.number, organisation=subject.kind is SubjectType.ORGANISATION)
        number = next(
            n
            for n in (report_number(now, subject_id, attempt) for attempt in range(1000))
            if uow.reports.get(n) is None
        )
        unsigned = replace(gathered, number=number)
        digest = content_digest(report_content(unsigned))
        uow.reports.add(IssuedReport(number, subject_id, now, digest))
        read = QueryEntry(
            now, key, QueryKind.REPORT, None, actor, "own report", "the person's own", "report"
        )
        if log is None:
            uow.queries.add_many([read])
        uow.audit.add(
            AuditEvent(
                EventTag.REPORT_READ, actor, "subject", str(subject_id), now, subject_id=subject_id
            )
        )
        uow.commit()
    if log is not None:
        log(read)
    return replace(unsigned, verification_code=verification_code(secret_key, number, digest))


def withdraw_unprinted(
    uow: UnitOfWork, subject_id: int, generated_at: datetime, *, actor: str, reason: str
) -> list[str]:
    """Take back the report `build_report` registered for `subject_id` at `generated_at` when it
    was not printed after all (a failed print, a worker killed, a read that could not be
    logged): the register holds the reports that left the platform, so the verification page
    never confirms one that nobody received. Audited with `reason`; returns the numbers taken
    back (none when the report was never registered: a print stopped before it)."""
    with uow:
        numbers = uow.reports.withdraw(subject_id, generated_at)
        if numbers:
            uow.audit.add(
                AuditEvent(
                    EventTag.REPORT_WITHDRAWN,
                    actor,
                    "subject",
                    str(subject_id),
                    uow.now(),
                    subject_id=subject_id,
                    reason=reason,
                    data={"numbers": numbers},
                )
            )
        uow.commit()
    return numbers


def _report_entry(e: ListEntry, today: date) -> ReportEntry:
    """Return the report's line for a listing (whether it awaits force decided once)."""
    awaiting = e.awaits_force_on(today)
    return ReportEntry(
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
        e.binds_from if awaiting else None,
        awaiting,
    )


def _report_review(
    uow: UnitOfWork, policy: Policy, review: IdentityReview, subject_id: int
) -> ReportReview:
    if review.record_id is None:
        raise ValueError("a review about a registration is not in the file's report")
    record = uow.records.get(review.record_id)
    item = policy.item_of(record)
    return ReportReview(
        id=review.id,
        kind=review.kind,
        about_you=review.subject_id == subject_id,
        item_name_zh=item.name_zh if item else record.item_code,
        item_name_en=item.name_en if item else record.item_code,
        document_number=record.document_number,
        opened_on=business_date(review.created_at),
        status=review.status.value,
        resolution=review.resolution.value if review.resolution else None,
    )


def _report_query(
    q: QueryEntry, departments: Mapping[str, str], reader: QueryReader
) -> ReportQuery:
    words = reader.words(q)
    # A department or agency by its name; anyone else as the reader says it (the person, their
    # agent, platform staff), never by an actor string (an account id, a key's prefix).
    who = departments.get(q.department, q.department) if q.department else words.who_zh
    return ReportQuery(q.at, who, q.kind, q.purpose, q.authority, q.returned, words)


def read_own_file(uow: UnitOfWork, policy: Policy, subject_id: int) -> ReportData:
    """What the platform holds on a person, for their own pages: what their report would say,
    but not a report (no number, nothing registered), and not a look at the file by anyone
    else (nothing in the query log)."""
    with uow:
        return _gather(uow, policy, subject_id)


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
