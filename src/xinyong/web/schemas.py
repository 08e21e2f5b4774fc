"""API shapes only. Validation of records is the catalog's job, not pydantic's."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from xinyong.domain.catalog import CatalogItem, DataItem
from xinyong.domain.departments import Department
from xinyong.domain.identifiers import mask_citizen_id
from xinyong.domain.lists import ListEntry, ListType
from xinyong.domain.measures import Measure
from xinyong.domain.records import CreditRecord, Outcome
from xinyong.domain.subjects import Role, RoleKind, Subject
from xinyong.services.ports import IdentityReview

RECORD_EXAMPLE: dict[str, Any] = {
    "item": "ADM-PEN-01",
    "document_number": "京市监罚〔2026〕1024号",
    "subject_id": "11010519491231002X",
    "subject_name": "王秀英",
    "decision_date": "2026-03-02",
    "authority_name": "北京市市场监督管理局",
    "authority_uscc": "11110000000021135M",
    "penalty_type": "fine",
    "procedure": "ordinary",
    "violation": "销售过期食品",
    "legal_provision": "《中华人民共和国食品安全法》第一百二十四条",
    "fine_amount": "5000.00",
}


class RecordSubmission(BaseModel):
    """One record, flat: the common fields plus its catalog item's data items by name."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [RECORD_EXAMPLE]})

    item: str = Field(description="Catalog item code, e.g. ADM-PEN-01")
    document_number: str = Field(description="Number of the document with legal effect (文书号)")
    subject_id: str = Field(description="Citizen ID number or unified social credit code")
    subject_name: str
    decision_date: str = Field(description="YYYY-MM-DD")
    authority_name: str
    authority_uscc: str
    birth_date: str | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    consent_reference: str | None = None


class SubjectRef(BaseModel):
    id: int
    masked_number: str


class RecordPublic(BaseModel):
    id: int
    department: str
    document_number: str
    item: str
    catalog_version: str
    subject: SubjectRef
    status: str
    severity: str | None
    published: bool
    decision_date: date
    display_ends: date | None
    repair_from: date | None
    retention_ends: date | None
    publish_by: date | None
    authority_name: str
    fields: dict[str, Any]
    batch_id: int | None
    received_at: datetime
    updated_at: datetime
    revoked_at: datetime | None
    revocation_reason: str | None

    @classmethod
    def from_domain(cls, record: CreditRecord, subject_number: str) -> RecordPublic:
        return cls(
            id=record.id,
            department=record.department,
            document_number=record.document_number,
            item=record.item_code,
            catalog_version=record.catalog_version,
            subject=SubjectRef(id=record.subject_id, masked_number=mask_citizen_id(subject_number)),
            status=record.status.value,
            severity=record.severity,
            published=record.published,
            decision_date=record.decision_date,
            display_ends=record.display_ends,
            repair_from=record.repair_from,
            retention_ends=record.retention_ends,
            publish_by=record.publish_by,
            authority_name=record.authority_name,
            fields=record.fields,
            batch_id=record.batch_id,
            received_at=record.received_at,
            updated_at=record.updated_at,
            revoked_at=record.revoked_at,
            revocation_reason=record.revocation_reason,
        )


class RecordStored(BaseModel):
    outcome: Outcome
    held_for_identity_review: bool
    record: RecordPublic


class Revocation(BaseModel):
    reason: str = Field(
        min_length=5, max_length=2000, description="Why: the revoking or varying decision"
    )


class RowProblem(BaseModel):
    row: int
    field: str
    reason: str


class BatchSummary(BaseModel):
    batch_id: int | None
    rows: int
    accepted: int
    updated: int
    unchanged: int
    rejected: int
    held_for_review: int
    resumed_from_row: int
    errors: list[RowProblem]
    notes: list[str]


class DataItemPublic(BaseModel):
    name: str
    type: str
    label_zh: str
    label_en: str
    required: bool
    values: list[str] | None = None
    min: str | None = None
    max: str | None = None
    requires_consent: bool = False

    @classmethod
    def from_domain(cls, item: DataItem) -> DataItemPublic:
        return cls(
            name=item.name,
            type=item.type.value,
            label_zh=item.label_zh,
            label_en=item.label_en,
            required=item.required,
            values=list(item.values) or None,
            min=str(item.minimum) if item.minimum is not None else None,
            max=str(item.maximum) if item.maximum is not None else None,
            requires_consent=item.requires_consent,
        )


class CatalogItemPublic(BaseModel):
    code: str
    name_zh: str
    name_en: str
    category: str
    subject_type: str
    nature: str
    legal_basis: list[str]
    providers: list[str]
    public: bool
    sharing_scope: str
    display_rule: str
    display_months: int | None
    retention_years: int
    update_frequency: str
    default_severity: str | None
    min_subject_age: int | None
    fields: list[DataItemPublic]

    @classmethod
    def from_domain(cls, item: CatalogItem) -> CatalogItemPublic:
        return cls(
            code=item.code,
            name_zh=item.name_zh,
            name_en=item.name_en,
            category=item.category.value,
            subject_type=item.subject_type.value,
            nature=item.nature.value,
            legal_basis=list(item.legal_basis),
            providers=sorted(item.providers),
            public=item.public,
            sharing_scope=item.sharing_scope.value,
            display_rule=item.display_rule.value,
            display_months=item.display_months,
            retention_years=item.retention_years,
            update_frequency=item.update_frequency,
            default_severity=item.default_severity.value if item.default_severity else None,
            min_subject_age=item.min_subject_age,
            fields=[DataItemPublic.from_domain(f) for f in item.fields],
        )


class DepartmentPublic(BaseModel):
    code: str
    name: str
    uscc: str
    region_code: str
    kind: str
    items: list[str]

    @classmethod
    def from_domain(cls, d: Department) -> DepartmentPublic:
        return cls(
            code=d.code,
            name=d.name,
            uscc=d.uscc,
            region_code=d.region_code,
            kind=d.kind,
            items=sorted(d.items),
        )


class IdentityReviewPublic(BaseModel):
    id: int
    subject_id: int
    record_id: int
    kind: str
    known_value: str
    submitted_value: str
    status: str
    created_at: datetime
    resolution: str | None
    note: str | None

    @classmethod
    def from_domain(cls, r: IdentityReview) -> IdentityReviewPublic:
        return cls(
            id=r.id,
            subject_id=r.subject_id,
            record_id=r.record_id,
            kind=r.kind,
            known_value=r.known_value,
            submitted_value=r.submitted_value,
            status=r.status,
            created_at=r.created_at,
            resolution=r.resolution,
            note=r.note,
        )


class ReviewDecision(BaseModel):
    same_person: bool = Field(description="True: the submission is about the known subject")
    note: str = Field(min_length=5, max_length=2000)


class ListTypePublic(BaseModel):
    code: str
    name_zh: str
    name_en: str
    kind: str
    subject_type: str
    serious_field: str | None
    legal_basis: list[str]
    criteria: list[str]
    decided_by: str
    period_rule: str
    period_months: int | None
    max_extension_months: int | None
    defence_working_days: int
    removal_working_days: int
    exit_grounds: list[str]
    remedies: list[str]
    source_items: list[str]
    published: bool
    refusable: bool

    @classmethod
    def from_domain(cls, t: ListType) -> ListTypePublic:
        return cls(
            code=t.code,
            name_zh=t.name_zh,
            name_en=t.name_en,
            kind=t.kind.value,
            subject_type=t.subject_type.value,
            serious_field=t.serious_field.value if t.serious_field else None,
            legal_basis=list(t.legal_basis),
            criteria=list(t.criteria),
            decided_by=t.decided_by.value,
            period_rule=t.period_rule.value,
            period_months=t.period_months,
            max_extension_months=t.max_extension_months,
            defence_working_days=t.defence_working_days,
            removal_working_days=t.removal_working_days,
            exit_grounds=list(t.exit_grounds),
            remedies=list(t.remedies),
            source_items=sorted(t.source_items),
            published=t.published,
            refusable=t.refusable,
        )


class MeasurePublic(BaseModel):
    code: str
    name_zh: str
    name_en: str
    category: str
    legal_basis: list[str]
    implementing_unit: str
    triggers: list[str]
    matters: list[str]
    reaches_roles: list[str]

    @classmethod
    def from_domain(cls, m: Measure) -> MeasurePublic:
        return cls(
            code=m.code,
            name_zh=m.name_zh,
            name_en=m.name_en,
            category=m.category.value,
            legal_basis=list(m.legal_basis),
            implementing_unit=m.implementing_unit,
            triggers=sorted(m.triggers),
            matters=sorted(m.matters),
            reaches_roles=sorted(r.value for r in m.reaches_roles),
        )


class RoleCreate(BaseModel):
    """A person's role in an organisation. Numbers travel in the body, never in a URL."""

    organisation_uscc: str = Field(max_length=40)
    person_id_number: str = Field(max_length=40)
    kind: RoleKind
    since: date
    until: date | None = None


class RolePublic(BaseModel):
    organisation_id: int
    person_id: int
    kind: RoleKind
    since: date
    until: date | None

    @classmethod
    def from_domain(cls, r: Role) -> RolePublic:
        return cls(
            organisation_id=r.organisation_id,
            person_id=r.person_id,
            kind=r.kind,
            since=r.since,
            until=r.until,
        )


class ProposalCreate(BaseModel):
    """A proposal to list a subject on a platform-run list, on the records it rests on."""

    list_type: str = Field(max_length=40, description="List type code, e.g. FOOD-DRUG-SERIOUS")
    subject: str = Field(max_length=40, description="Citizen ID number or credit code")
    grounds: str = Field(max_length=4000)
    basis_records: list[int] = Field(min_length=1, max_length=100)


class DecidedListingCreate(BaseModel):
    """A listing a court or another authority decided, to be recorded on its list."""

    list_type: str = Field(max_length=40)
    subject: str = Field(max_length=40)
    grounds: str = Field(max_length=4000)
    decided_on: date
    months: int | None = Field(default=None, ge=1, le=600)


class DefenceCreate(BaseModel):
    text: str = Field(max_length=20000)


class DecisionCreate(BaseModel):
    reasons: str = Field(max_length=20000)
    months: int | None = Field(
        default=None, ge=1, le=600, description="Listing period; default the list's own"
    )


class ExitCreate(BaseModel):
    ground: str = Field(max_length=40, description="One of the list type's exit grounds")
    note: str = Field(default="", max_length=4000)


class ListEntryPublic(BaseModel):
    id: int
    list_type: str
    list_name_zh: str
    list_name_en: str
    subject: SubjectRef
    state: str
    department: str | None
    grounds: str
    basis_records: list[int]
    proposed_at: datetime | None
    noticed_on: date | None
    defence_deadline: date | None
    defence_deadline_official: bool | None
    defence: str | None
    decided_on: date | None
    decision_reasons: str | None
    ends_on: date | None
    published_on: date | None
    exited_on: date | None
    exit_ground: str | None
    under_objection: bool

    @classmethod
    def from_domain(
        cls, entry: ListEntry, subject: Subject, department: str | None
    ) -> ListEntryPublic:
        deadline = entry.defence_deadline
        return cls(
            id=entry.id or 0,
            list_type=entry.list_type.code,
            list_name_zh=entry.list_type.name_zh,
            list_name_en=entry.list_type.name_en,
            subject=SubjectRef(id=subject.id or 0, masked_number=subject.masked_number()),
            state=entry.state.value,
            department=department,
            grounds=entry.grounds,
            basis_records=list(entry.basis_records),
            proposed_at=entry.proposed_at,
            noticed_on=entry.noticed_on,
            defence_deadline=deadline.day if deadline else None,
            defence_deadline_official=deadline.official if deadline else None,
            defence=entry.defence,
            decided_on=entry.decided_on,
            decision_reasons=entry.decision_reasons,
            ends_on=entry.ends_on,
            published_on=entry.published_on,
            exited_on=entry.exited_on,
            exit_ground=entry.exit_ground,
            under_objection=entry.under_objection,
        )


class CheckCreate(BaseModel):
    """Which measures apply to this subject for this matter? The number travels in the body."""

    subject: str = Field(max_length=40, description="Citizen ID number or credit code")
    matter: str = Field(max_length=64, description="A matter of the registry, e.g. flight")


class TriggerPublic(BaseModel):
    """The list entry that triggers a measure, and how it reaches the checked subject."""

    type: str = "list_entry"
    id: int
    list_type: str
    list_name_zh: str
    list_legal_basis: list[str]
    via_role: str | None
    in_force_from: date
    in_force_until: date | None


class CheckMeasure(BaseModel):
    code: str
    name_zh: str
    name_en: str
    category: str
    legal_basis: list[str]
    implementing_unit: str
    under_objection: bool
    triggered_by: TriggerPublic


class CheckResult(BaseModel):
    id: int = Field(description="The check's id: give feedback on it, find it in the query log")
    subject: str = Field(description="The checked number, masked")
    matter: str
    checked_on: date
    measures: list[CheckMeasure]


class FeedbackCreate(BaseModel):
    measure: str = Field(max_length=40)
    applied: bool
    reason: str | None = Field(default=None, max_length=4000)


class FeedbackPublic(BaseModel):
    check: int
    measure: str
    applied: bool
    reason: str | None
    at: datetime


# -- the person's rights -------------------------------------------------------------------------


class AccountCreate(BaseModel):
    """Real-name registration: the number and name must match what the platform holds."""

    number: str = Field(max_length=40, description="Your citizen ID number")
    name: str = Field(max_length=100)
    phone: str = Field(max_length=20)
    password: str = Field(min_length=1, max_length=200)


class AccountPublic(BaseModel):
    id: int
    subject_id: int
    created_at: datetime


class SessionCreate(BaseModel):
    number: str = Field(max_length=40)
    password: str = Field(max_length=200)
    kind: Literal["web", "api"] = Field(
        default="api", description="web: a session cookie (hours); api: a bearer token (days)"
    )


class SessionPublic(BaseModel):
    token: str = Field(description="Shown once: `Authorization: Bearer <token>`")
    expires_at: datetime


class AuthorisationCreate(BaseModel):
    grantee: str = Field(max_length=32, description="The party's code, e.g. AGENCY-BAIHANG")
    purpose: str = Field(max_length=200)
    scope: str = Field(max_length=32, description="report, records or lists")
    expires_on: date


class AuthorisationPublic(BaseModel):
    id: int
    grantee: str
    purpose: str
    scope: str
    expires_on: date
    granted_at: datetime
    revoked_at: datetime | None
    live: bool


class ObjectionCreate(BaseModel):
    record_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    entry_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    ground: str = Field(max_length=40)
    reasons: str = Field(max_length=20000)


class ObjectionPublic(BaseModel):
    id: int
    record_id: int | None
    entry_id: int | None
    department: str
    ground: str
    reasons: str
    status: str
    filed_at: datetime
    due: date
    due_official: bool
    overdue: bool
    extended: bool
    outcome: str | None
    outcome_reasons: str | None


class ObjectionDecision(BaseModel):
    outcome: str = Field(max_length=24)
    reasons: str = Field(max_length=20000)


class RepairCreate(BaseModel):
    record_id: int = Field(ge=1, le=2**63 - 1)
    obligations_performed: bool
    commitment: str = Field(max_length=20000, description="Your signed credit commitment")


class RepairPublic(BaseModel):
    id: int
    record_id: int | None
    department: str
    status: str
    missing: list[str]
    applied_at: datetime
    accept_due: date
    feedback_due: date
    overdue: bool
    reasons: str | None


class RepairDecision(BaseModel):
    repaired: bool
    reasons: str = Field(max_length=20000)


class AgencyQueryCreate(BaseModel):
    subject: str = Field(max_length=40)
    purpose: str = Field(max_length=200)
    scope: str = Field(default="report", max_length=32)


class AgencyRecord(BaseModel):
    id: int
    item: str
    department: str
    document_number: str
    decision_date: date
    shown_until: date | None
    under_objection: bool


class AgencyEntry(BaseModel):
    id: int
    list_type: str
    decided_on: date | None
    ends_on: date | None
    under_objection: bool


class AgencyAnswerPublic(BaseModel):
    query: int
    authorisation: int
    subject: str
    records: list[AgencyRecord]
    entries: list[AgencyEntry]


class FeedItemPublic(BaseModel):
    seq: int
    kind: str
    entity_type: str
    entity_id: int
    detail: str
    at: datetime


class PublicRecord(BaseModel):
    """A published record, de-identified."""

    id: int
    item: str
    item_name_zh: str
    subject_name: str
    subject_number: str
    department: str
    document_number: str
    decision_date: date
    shown_until: date | None
    under_objection: bool
