"""Credit records and the earlier versions a resubmission replaced."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    any_,
    case,
    delete,
    false,
    func,
    not_,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.db.base import (
    Base,
    among,
    deadline_of,
    deadline_values,
    in_chunks,
    record_reference,
    table_of,
)
from xinyong.db.lists import ListEntryRow
from xinyong.db.objections import ObjectionRow
from xinyong.db.repairs import RepairRow
from xinyong.db.subjects import IdentityReviewRow, SqlSubjectRepository, SubjectRow
from xinyong.db.types import BigId, SealedJson, UTCDateTime
from xinyong.domain.calendar import business_day_starts
from xinyong.domain.catalog import SubjectType
from xinyong.domain.errors import NotFound
from xinyong.domain.records import CreditRecord, RecordStatus, Submission
from xinyong.domain.subjects import Subject
from xinyong.services.records import STOPPED, Expired, NewRecord, StoredState


class CreditRecordRow(Base):
    """A stored record, keyed by (department, document number), with its provenance."""

    __tablename__ = "credit_records"
    __pii_columns__: ClassVar[set[str]] = {"original", "fields"}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    document_number: Mapped[str] = mapped_column(String(100))
    #: The document number's identifying form (`domain.records.document_key`): one record per key.
    document_key: Mapped[str] = mapped_column(String(100))
    item_code: Mapped[str] = mapped_column(String(40), index=True)
    catalog_version: Mapped[str] = mapped_column(String(20))
    #: Whom it is about; on PostgreSQL the column the table is hashed by (docs/scale.md).
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    status: Mapped[str] = mapped_column(String(16), index=True)
    severity: Mapped[str | None] = mapped_column(String(8))
    published: Mapped[bool] = mapped_column(Boolean)
    decision_date: Mapped[date] = mapped_column(Date)
    display_ends: Mapped[date | None] = mapped_column(Date)
    repair_from: Mapped[date | None] = mapped_column(Date)
    retention_ends: Mapped[date | None] = mapped_column(Date)
    publish_by: Mapped[date | None] = mapped_column(Date)
    # What the double-publicity deadline was counted from, so it can be counted again.
    publish_by_from: Mapped[date | None] = mapped_column(Date)
    publish_by_days: Mapped[int | None] = mapped_column(Integer)
    publish_by_official: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    authority_name: Mapped[str] = mapped_column(String(200))
    authority_uscc: Mapped[str] = mapped_column(String(18))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    #: Strings that hold a citizen ID number are sealed (db/types.py SealedJson).
    fields: Mapped[dict[str, Any]] = mapped_column(SealedJson)
    original: Mapped[dict[str, Any]] = mapped_column(SealedJson)
    content_hash: Mapped[str] = mapped_column(String(32))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), index=True)
    source_row: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    withdraw_by: Mapped[date | None] = mapped_column(Date)
    withdraw_by_from: Mapped[date | None] = mapped_column(Date)  # counted from, as `publish_by`
    withdraw_by_days: Mapped[int | None] = mapped_column(Integer)
    withdraw_by_official: Mapped[bool] = mapped_column(Boolean, server_default=true())
    under_objection: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: A copy of a peer's record: the mark its origin's last event gave it (services/inbound.py).
    marked_at_origin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (
        # Every reference to a record names its subject too: on PostgreSQL the table is hashed
        # by subject, and a partitioned table's unique keys must hold that column. One record
        # per document is kept by `record_documents`.
        UniqueConstraint("subject_id", "id"),
        Index("ix_credit_records_document", "department_code", "document_key"),
        CheckConstraint(
            "status IN ('active', 'identity_hold', 'corrected', 'revoked', 'repaired', 'expired')",
            name="status",
        ),
    )


class RecordDocumentRow(Base):
    """The record that holds each document of a department: one record per document key, over
    every partition of `credit_records` (written with the record, `db/record_sets.py`)."""

    __tablename__ = "record_documents"

    department_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    document_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    subject_id: Mapped[int] = mapped_column(BigId)
    record_id: Mapped[int] = mapped_column(BigId)

    __table_args__ = (
        record_reference("subject_id", "record_id"),
        # Found by record (retention, the reference's checks when a record goes or moves).
        Index("ix_record_documents_record", "record_id", "subject_id"),
    )


class RecordRevisionRow(Base):
    """An earlier version of a record, kept when a resubmission changed it. `subject_id` is the
    person it was about when it was replaced, and stays so: it is their history (on PostgreSQL
    revisions are hashed by it). The record is referred to by its subject now
    (`record_subject_id`), which follows the record when an identity review moves it."""

    __tablename__ = "record_revisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_id: Mapped[int] = mapped_column(BigId)
    record_id: Mapped[int] = mapped_column(BigId, index=True)
    content_hash: Mapped[str] = mapped_column(String(32))
    original: Mapped[dict[str, Any]] = mapped_column(SealedJson)
    fields: Mapped[dict[str, Any]] = mapped_column(SealedJson)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    record_subject_id: Mapped[int] = mapped_column(BigId)

    __table_args__ = (record_reference("record_subject_id", "record_id"),)


def record_values(record: NewRecord, at: datetime) -> dict[str, Any]:
    s = record.submission
    a = s.assessment
    return {
        "department_code": s.department,
        "document_number": s.document_number,
        "document_key": s.document_key,
        "item_code": s.item.code,
        "catalog_version": s.catalog_version,
        "subject_id": record.subject_id,
        "status": record.status.value,
        "severity": a.severity.value if a.severity else None,
        "published": a.published,
        "decision_date": s.decision_date,
        "display_ends": a.display_ends,
        "repair_from": a.repair_from,
        "retention_ends": a.retention_ends,
        **deadline_values("publish_by", a.publish_by),
        "authority_name": s.authority_name,
        "authority_uscc": s.authority_uscc,
        "valid_from": s.valid_from,
        "valid_until": s.valid_until,
        "fields": s.fields,
        "original": s.original,
        "content_hash": s.content_hash,
        "batch_id": record.batch_id,
        "source_row": s.row,
        "received_at": at,
        "updated_at": at,
    }


def pending_values(record: NewRecord, at: datetime) -> dict[str, Any]:
    """A resubmission held for review, as JSON: `replace_with` applies it later."""
    return {
        key: value.isoformat() if isinstance(value, date) else value
        for key, value in record_values(record, at).items()
    }


def displayable_on(day: date) -> ColumnElement[bool]:
    """`CreditRecord.is_displayable_on(day)` as SQL: active, and its display not ended by `day`.

    The one expiry rule, for queries that filter in the database;
    `tests/integration/test_records.py` proves the two forms agree on every boundary day.
    """
    return and_(
        CreditRecordRow.status == RecordStatus.ACTIVE.value,
        or_(CreditRecordRow.display_ends.is_(None), CreditRecordRow.display_ends > day),
    )


def shown_between(start: date, day: date) -> ColumnElement[bool]:
    """`domain.lists.shown_between(record.shown_window(), start, day)` as SQL: the record was in
    display on some day of [start, day] (`tests/integration/test_records.py` proves the two
    agree on the boundaries). A record that stopped early stopped on the business date of its
    `updated_at`, compared here with the moment that date begins, so no time zone is needed."""
    row = CreditRecordRow
    reaches = or_(row.display_ends.is_(None), row.display_ends > start)
    stopped_after_start = row.updated_at >= business_day_starts(start + timedelta(days=1))
    return and_(
        row.status != RecordStatus.REVOKED.value,
        row.decision_date <= day,
        or_(
            and_(row.status == RecordStatus.ACTIVE.value, reaches),
            and_(
                row.status != RecordStatus.ACTIVE.value,
                or_(row.decision_date > start, and_(reaches, stopped_after_start)),
            ),
        ),
    )


class SqlRecordRepository:
    def __init__(self, session: Session) -> None:
        from xinyong.db.record_sets import Prepared  # it builds on this module's table

        self.session = session
        self._prepared = Prepared()

    @staticmethod
    def _to_domain(row: CreditRecordRow) -> CreditRecord:
        return CreditRecord(
            id=row.id,
            department=row.department_code,
            document_number=row.document_number,
            item_code=row.item_code,
            catalog_version=row.catalog_version,
            subject_id=row.subject_id,
            status=RecordStatus(row.status),
            severity=row.severity,
            published=row.published,
            decision_date=row.decision_date,
            display_ends=row.display_ends,
            repair_from=row.repair_from,
            retention_ends=row.retention_ends,
            publish_by=row.publish_by,
            authority_name=row.authority_name,
            fields=dict(row.fields),
            content_hash=row.content_hash,
            batch_id=row.batch_id,
            received_at=row.received_at,
            updated_at=row.updated_at,
            revoked_at=row.revoked_at,
            revocation_reason=row.revocation_reason,
            withdraw_by=deadline_of(row, "withdraw_by"),
            under_objection=row.under_objection,
            marked_at_origin=row.marked_at_origin,
            publish_by_official=row.publish_by_official,
        )

    def find_states(
        self, department: str, document_keys: Collection[str]
    ) -> dict[str, StoredState]:
        out: dict[str, StoredState] = {}
        d, c = RecordDocumentRow, CreditRecordRow
        columns = (
            d.document_key,
            c.id,
            c.content_hash,
            c.status,
            c.subject_id,
            c.batch_id,
            c.source_row,
        )
        # By the documents' key, then each record by its own (one partition each on PostgreSQL).
        for among_keys in among(self.session, d.document_key, sorted(document_keys)):
            query = (
                select(*columns)
                .join(c, and_(c.subject_id == d.subject_id, c.id == d.record_id))
                .where(d.department_code == department, among_keys)
            )
            for key, record_id, digest, status, subject_id, batch, row in self.session.execute(
                query
            ):
                out[key] = StoredState(
                    record_id, digest, RecordStatus(status), subject_id, batch, row
                )
        return out

    def write_set(
        self,
        new: Sequence[NewRecord],
        changed: Sequence[tuple[int, NewRecord]],
        *,
        at: datetime,
    ) -> None:
        from xinyong.db.record_sets import store_set  # it builds on this module's table

        store_set(self.session, self._prepared, new, changed, at)

    def prepare(self, submissions: Sequence[Submission]) -> None:
        self._prepared.prepare(self.session.get_bind().dialect, submissions)

    def _replace_row(self, record_id: int, values: dict[str, Any], *, at: datetime) -> None:
        row = self.session.get(CreditRecordRow, record_id)
        if row is None:
            raise NotFound(f"record {record_id} does not exist")
        self.session.add(
            RecordRevisionRow(
                subject_id=row.subject_id,
                record_subject_id=row.subject_id,
                record_id=row.id,
                content_hash=row.content_hash,
                original=row.original,
                fields=row.fields,
                batch_id=row.batch_id,
                received_at=row.received_at,
                superseded_at=at,
            )
        )
        self.session.flush()  # kept under its subject now, whoever the record is about later
        for key, value in values.items():
            setattr(row, key, value)
        self.session.flush()

    def replace_with(self, record_id: int, pending: dict[str, Any], *, at: datetime) -> None:
        """Apply a held resubmission (`pending_values`), keeping the old version as a revision."""
        columns = table_of(CreditRecordRow).c
        values = {
            key: date.fromisoformat(value)
            if value is not None and isinstance(columns[key].type, Date)
            else value
            for key, value in pending.items()
        }
        values["received_at"] = at
        values["updated_at"] = at
        values["status"] = RecordStatus.ACTIVE.value
        self._replace_row(record_id, values, at=at)

    def get(self, record_id: int) -> CreditRecord:
        row = self.session.get(CreditRecordRow, record_id)
        if row is None:
            raise NotFound(f"record {record_id} does not exist")
        return self._to_domain(row)

    def original(self, record_id: int) -> dict[str, object]:
        row = self.session.get(CreditRecordRow, record_id)
        if row is None:
            raise NotFound(f"record {record_id} does not exist")
        return dict(row.original)

    def active_of_items(self, items: Collection[str]) -> list[CreditRecord]:
        rows = self.session.scalars(
            select(CreditRecordRow)
            .where(
                CreditRecordRow.item_code.in_(sorted(items)),
                CreditRecordRow.status == RecordStatus.ACTIVE.value,
            )
            .order_by(CreditRecordRow.id)
        )
        return [self._to_domain(row) for row in rows]

    def save_status(self, record: CreditRecord) -> None:
        self.session.execute(
            update(CreditRecordRow)
            .where(CreditRecordRow.id == record.id)
            .values(
                status=record.status.value,
                display_ends=record.display_ends,
                retention_ends=record.retention_ends,
                revoked_at=record.revoked_at,
                revocation_reason=record.revocation_reason,
                **deadline_values("withdraw_by", record.withdraw_by),
                updated_at=record.updated_at,
                under_objection=record.under_objection,
                marked_at_origin=record.marked_at_origin,
            )
        )

    def first_decided(self) -> dict[int, tuple[date | None, date | None]]:
        unrevoked = case(
            (CreditRecordRow.status != RecordStatus.REVOKED.value, CreditRecordRow.decision_date)
        )
        rows = self.session.execute(
            select(CreditRecordRow.subject_id, func.min(unrevoked), SubjectRow.birth_date)
            .join(SubjectRow, SubjectRow.id == CreditRecordRow.subject_id)
            .where(SubjectRow.kind == SubjectType.PERSON.value)
            .group_by(CreditRecordRow.subject_id, SubjectRow.birth_date)
        )
        return {subject_id: (first, born) for subject_id, first, born in rows}

    def negative_shown_between(self, items: Collection[str], start: date, day: date) -> set[int]:
        rows = self.session.execute(
            select(CreditRecordRow.subject_id)
            .join(SubjectRow, SubjectRow.id == CreditRecordRow.subject_id)
            .where(
                SubjectRow.kind == SubjectType.PERSON.value,
                CreditRecordRow.item_code.in_(sorted(items)),
                shown_between(start, day),
            )
            .distinct()
        )
        return set(rows.scalars())

    def of_subject(self, subject_id: int) -> list[CreditRecord]:
        rows = self.session.scalars(
            select(CreditRecordRow)
            .where(CreditRecordRow.subject_id == subject_id)
            .order_by(CreditRecordRow.decision_date, CreditRecordRow.id)
        )
        return [self._to_domain(row) for row in rows]

    def published(
        self, day: date, *, item: str | None, limit: int, offset: int
    ) -> list[tuple[CreditRecord, Subject]]:
        """Published records shown on `day`, newest first, with their subjects."""
        query = (
            select(CreditRecordRow, SubjectRow)
            .join(SubjectRow, SubjectRow.id == CreditRecordRow.subject_id)
            .where(
                CreditRecordRow.published.is_(True),
                displayable_on(day),
                CreditRecordRow.decision_date <= day,
            )
            .order_by(CreditRecordRow.decision_date.desc(), CreditRecordRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
        if item:
            query = query.where(CreditRecordRow.item_code == item)
        return [
            (self._to_domain(row), SqlSubjectRepository._to_domain(subject))
            for row, subject in self.session.execute(query)
        ]

    def past_display(self, day: date, *, limit: int) -> list[CreditRecord]:
        """Active records no longer displayable on `day`: their period ended (the sweep's work)."""
        rows = self.session.scalars(
            select(CreditRecordRow)
            .where(
                CreditRecordRow.status == RecordStatus.ACTIVE.value,
                not_(displayable_on(day)),
            )
            .order_by(CreditRecordRow.id)
            .limit(limit)
        )
        return [self._to_domain(row) for row in rows]

    def expire_past_display(
        self, day: date, *, at: datetime, limit: int, after: int = 0
    ) -> list[Expired]:
        due = (
            select(CreditRecordRow.id)
            .where(
                CreditRecordRow.id > after,
                CreditRecordRow.status == RecordStatus.ACTIVE.value,
                not_(displayable_on(day)),
            )
            .order_by(CreditRecordRow.id)
            .limit(limit)
        )
        # One statement: the ids due and their move. `CreditRecord.expire`: only a record still
        # active and past its display moves. The condition is repeated on the row being
        # updated, so that on PostgreSQL a change committed meanwhile (a status, a display
        # extended) is read again before the row moves: the concurrent change wins.
        ids: ColumnElement[bool] = CreditRecordRow.id.in_(due.scalar_subquery())
        if self.session.get_bind().dialect.name == "postgresql":
            # `= ANY(ARRAY(…))`: the ids looked up in the primary key. An `IN (…)` is planned
            # as a join that reads the whole table for every chunk.
            ids = CreditRecordRow.id == any_(func.array(due.scalar_subquery()))
        rows = self.session.execute(
            update(CreditRecordRow)
            .where(
                ids,
                CreditRecordRow.status == RecordStatus.ACTIVE.value,
                not_(displayable_on(day)),
            )
            .values(status=RecordStatus.EXPIRED.value, updated_at=at)
            .returning(CreditRecordRow.id, CreditRecordRow.subject_id, CreditRecordRow.display_ends)
            .execution_options(synchronize_session=False)
        )
        return sorted((Expired(int(r[0]), int(r[1]), r[2]) for r in rows), key=lambda e: e.id)

    def delete_past_retention(
        self, day: date, *, stopped_before: Mapping[datetime, Collection[str]]
    ) -> list[tuple[int, int]]:
        row, stopped = CreditRecordRow, [s.value for s in STOPPED]
        cut = [and_(row.item_code.in_(i), row.updated_at < c) for c, i in stopped_before.items()]
        past = or_(row.retention_ends <= day, and_(row.status.in_(stopped), or_(false(), *cut)))
        rows = self.session.execute(select(row.id, row.subject_id).where(past)).all()
        ids = [int(r[0]) for r in rows]
        # Cases and listings keep their own files; they lose the link to the deleted record.
        for part in in_chunks(ids):
            for table, column, its_subject in (
                (ListEntryRow, ListEntryRow.source_record_id, ListEntryRow.source_subject_id),
                (ObjectionRow, ObjectionRow.record_id, ObjectionRow.record_subject_id),
                (RepairRow, RepairRow.record_id, RepairRow.record_subject_id),
            ):
                self.session.execute(
                    update(table).where(column.in_(part)).values({column: None, its_subject: None})
                )
            self.session.execute(
                delete(IdentityReviewRow).where(IdentityReviewRow.record_id.in_(part))
            )
            for held in (RecordRevisionRow, RecordDocumentRow):
                self.session.execute(delete(held).where(held.record_id.in_(part)))
            self.session.execute(delete(CreditRecordRow).where(CreditRecordRow.id.in_(part)))
        return [(int(r[0]), int(r[1])) for r in rows]

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(CreditRecordRow)) or 0)
