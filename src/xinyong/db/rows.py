"""Tables as SQLAlchemy 2 declarative rows: rows are for storage, domain classes for rules."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from xinyong.db.base import Base
from xinyong.db.types import BigId, Json, UTCDateTime


class SubjectRow(Base):
    """A person or organisation; one row per citizen ID number or credit code."""

    __tablename__ = "subjects"
    __pii_columns__: ClassVar[set[str]] = {"number", "name", "birth_date"}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    number: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(8))
    region_code: Mapped[str | None] = mapped_column(String(6))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("kind IN ('person', 'organisation')", name="kind"),)


class SubjectRoleRow(Base):
    """A person's role in an organisation (legal representative, responsible person, controller)."""

    __tablename__ = "subject_roles"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (UniqueConstraint("organisation_id", "person_id", "kind", "since"),)


class DepartmentRow(Base):
    """A public body that provides records."""

    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    region_code: Mapped[str] = mapped_column(String(6))
    kind: Mapped[str] = mapped_column(String(40))
    items: Mapped[list[str]] = mapped_column(Json, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BatchRow(Base):
    """One submission of many rows (a file or an API batch), and how far it has been stored."""

    __tablename__ = "batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str | None] = mapped_column(String(500))
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    held: Mapped[int] = mapped_column(Integer, default=0)
    actor: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CreditRecordRow(Base):
    """A stored record, keyed by (department, document number), with its provenance."""

    __tablename__ = "credit_records"
    __pii_columns__: ClassVar[set[str]] = {"original", "fields"}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    document_number: Mapped[str] = mapped_column(String(100))
    item_code: Mapped[str] = mapped_column(String(40), index=True)
    catalog_version: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    severity: Mapped[str | None] = mapped_column(String(8))
    published: Mapped[bool] = mapped_column(Boolean)
    decision_date: Mapped[date] = mapped_column(Date)
    display_ends: Mapped[date | None] = mapped_column(Date)
    repair_from: Mapped[date | None] = mapped_column(Date)
    retention_ends: Mapped[date | None] = mapped_column(Date)
    publish_by: Mapped[date | None] = mapped_column(Date)
    authority_name: Mapped[str] = mapped_column(String(200))
    authority_uscc: Mapped[str] = mapped_column(String(18))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    fields: Mapped[dict[str, Any]] = mapped_column(Json)
    original: Mapped[dict[str, Any]] = mapped_column(Json)
    content_hash: Mapped[str] = mapped_column(String(32))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), index=True)
    source_row: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    under_objection: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (
        UniqueConstraint("department_code", "document_number"),
        CheckConstraint(
            "status IN ('active', 'identity_hold', 'corrected', 'revoked', 'repaired', 'expired')",
            name="status",
        ),
    )


class RecordRevisionRow(Base):
    """An earlier version of a record, kept when a resubmission changed it."""

    __tablename__ = "record_revisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("credit_records.id"), index=True)
    content_hash: Mapped[str] = mapped_column(String(32))
    original: Mapped[dict[str, Any]] = mapped_column(Json)
    fields: Mapped[dict[str, Any]] = mapped_column(Json)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IdentityReviewRow(Base):
    """A submission whose name or birth date conflicts with the known subject, held for review."""

    __tablename__ = "identity_reviews"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("credit_records.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    known_value: Mapped[str] = mapped_column(String(200))
    submitted_value: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)
    resolution: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(100))


class ApiKeyRow(Base):
    """An API key: only a hash of the secret is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    department_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    scopes: Mapped[list[str]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEventRow(Base):
    """Who did what, when and why: written in the same transaction as the change it describes."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    tag: Mapped[str] = mapped_column(String(64), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)

    __table_args__ = (Index("ix_audit_events_entity", "entity_type", "entity_id"),)


class BatchRejectRow(Base):
    """One refused field of one row of a batch, kept so a resumed batch loses no reason."""

    __tablename__ = "batch_rejects"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    row: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)


class ListEntryRow(Base):
    """One subject on one list, and where its listing procedure stands."""

    __tablename__ = "list_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    list_code: Mapped[str] = mapped_column(String(40), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    department_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    proposed_by: Mapped[str] = mapped_column(String(100))
    grounds: Mapped[str] = mapped_column(Text)
    basis_records: Mapped[list[int]] = mapped_column(Json, default=list)
    source_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("credit_records.id"), unique=True
    )
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    noticed_on: Mapped[date | None] = mapped_column(Date)
    defence_deadline: Mapped[date | None] = mapped_column(Date)
    deadline_official: Mapped[bool] = mapped_column(Boolean, default=True)
    defence: Mapped[str | None] = mapped_column(Text)
    decided_on: Mapped[date | None] = mapped_column(Date)
    decision_reasons: Mapped[str | None] = mapped_column(Text)
    ends_on: Mapped[date | None] = mapped_column(Date)
    published_on: Mapped[date | None] = mapped_column(Date)
    exited_on: Mapped[date | None] = mapped_column(Date)
    exit_ground: Mapped[str | None] = mapped_column(String(40))
    under_objection: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(
            "state IN ('proposed', 'noticed', 'decided', 'published', 'exited', 'withdrawn')",
            name="state",
        ),
    )


class ChangeRow(Base):
    """The ordered change log: one row per change a check must see, numbered by `seq`.

    Writers append under a lock (PostgreSQL: an advisory lock; SQLite: its single writer), so
    sequence numbers become visible in order and a follower that has read up to N missed nothing.
    """

    __tablename__ = "changes"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"))
    entity_id: Mapped[int | None] = mapped_column(BigInteger)


class QueryRow(Base):
    """The query log: one row each time someone looked at a subject's file, and on what authority.

    `subject_key` is the number's key (see domain.index.subject_key), so that a screened person
    without any record still finds, later, who looked them up.
    """

    __tablename__ = "queries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    subject_key: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    department_code: Mapped[str | None] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(String(64))
    authority: Mapped[str] = mapped_column(String(200))
    returned: Mapped[str] = mapped_column(Text)
    screening_id: Mapped[int | None] = mapped_column(BigInteger)


class CheckFeedbackRow(Base):
    """What a department did after a check: applied the measure or not, and why."""

    __tablename__ = "check_feedback"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    query_id: Mapped[int] = mapped_column(ForeignKey("queries.id"), index=True)
    measure_code: Mapped[str] = mapped_column(String(40))
    applied: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("query_id", "measure_code"),)


class ScreeningRow(Base):
    """One batch screening: a department's list of numbers checked for one matter."""

    __tablename__ = "screenings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    matter: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    screened: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)


# -- the person's rights (accounts, authorisations, objections, repairs, the feed) -------------


class AccountRow(Base):
    """A person's real-name account: one per citizen ID number; only a hash of the password."""

    __tablename__ = "accounts"
    __pii_columns__: ClassVar[set[str]] = {"phone"}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), unique=True)
    phone: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccountTokenRow(Base):
    """A login: a session for the web (cookie) or a token for the API; only its hash is kept."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AgencyRow(Base):
    """An account acting for a person under a recorded power of attorney."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agent_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    principal_subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    power_of_attorney: Mapped[str] = mapped_column(String(200))
    valid_until: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuthorisationRow(Base):
    """A person's authorisation of a party (a credit reporting agency, a bank) to query them."""

    __tablename__ = "authorisations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    grantee: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    purpose: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(32))
    expires_on: Mapped[date] = mapped_column(Date)
    granted_by: Mapped[str] = mapped_column(String(100))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ObjectionRow(Base):
    """An objection to a record or a list entry, its deadlines and its outcome."""

    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("credit_records.id"), index=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("list_entries.id"), index=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    ground: Mapped[str] = mapped_column(String(40))
    reasons: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    filed_by: Mapped[str] = mapped_column(String(100))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    centre_due: Mapped[date] = mapped_column(Date)
    source_due: Mapped[date | None] = mapped_column(Date)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str | None] = mapped_column(String(24))
    outcome_reasons: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(100))


class EvidenceRow(Base):
    """A file filed with an objection or a repair application; kept with the case."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_type: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[int] = mapped_column(BigInteger, index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RepairRow(Base):
    """A credit repair application, routed to the authority that made the finding."""

    __tablename__ = "repairs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("credit_records.id"), index=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("list_entries.id"), index=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    obligations_performed: Mapped[bool] = mapped_column(Boolean)
    commitment: Mapped[str] = mapped_column(Text)
    missing: Mapped[list[str]] = mapped_column(Json, default=list)
    applied_by: Mapped[str] = mapped_column(String(100))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accept_due: Mapped[date] = mapped_column(Date)
    feedback_due: Mapped[date] = mapped_column(Date)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    reasons: Mapped[str | None] = mapped_column(Text)


class FeedItemRow(Base):
    """A notice to a party that once received an item: corrected, revoked, repaired, expired.

    Numbered by `seq`; a party reads its own items after the last one it has seen.
    """

    __tablename__ = "feed_items"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    subject_key: Mapped[int] = mapped_column(BigInteger)
    detail: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
