"""SQL repositories: translate between rows and domain objects, next to the queries."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from xinyong.db.base import Base
from xinyong.db.rows import (
    ApiKeyRow,
    AuditEventRow,
    BatchRejectRow,
    BatchRow,
    CreditRecordRow,
    DepartmentRow,
    IdentityReviewRow,
    ListEntryRow,
    ObjectionRow,
    RecordRevisionRow,
    RepairRow,
    SubjectRoleRow,
    SubjectRow,
)
from xinyong.domain.access import ApiKey, Scope
from xinyong.domain.audit import AuditEvent
from xinyong.domain.catalog import SubjectType
from xinyong.domain.departments import Department
from xinyong.domain.errors import FieldProblem, NotFound
from xinyong.domain.ingestion import Batch, BatchSource, BatchStatus
from xinyong.domain.records import CreditRecord, RecordStatus
from xinyong.domain.subjects import IdentityConflict, Role, RoleKind, Subject
from xinyong.services.ports import IdentityReview, NewRecord, StoredState

# SQLite allows 32 766 bound parameters per statement; stay well below for IN lists.
_IN_CHUNK = 5000


def _table(row: type[Base]) -> Table:
    return cast(Table, row.__table__)


def _chunks_ids(values: Sequence[int]) -> list[Sequence[int]]:
    return [values[i : i + _IN_CHUNK] for i in range(0, len(values), _IN_CHUNK)]


def _chunks(values: Sequence[str]) -> list[Sequence[str]]:
    return [values[i : i + _IN_CHUNK] for i in range(0, len(values), _IN_CHUNK)]


class SqlSubjectRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _to_domain(row: SubjectRow) -> Subject:
        return Subject(
            id=row.id,
            kind=SubjectType(row.kind),
            number=row.number,
            name=row.name,
            birth_date=row.birth_date,
            sex=row.sex,
            region_code=row.region_code,
        )

    def find_by_numbers(self, numbers: Collection[str]) -> dict[str, Subject]:
        out: dict[str, Subject] = {}
        for part in _chunks(sorted(numbers)):
            for row in self.session.scalars(select(SubjectRow).where(SubjectRow.number.in_(part))):
                out[row.number] = self._to_domain(row)
        return out

    def get_by_number(self, number: str) -> Subject | None:
        row = self.session.scalar(select(SubjectRow).where(SubjectRow.number == number))
        return self._to_domain(row) if row else None

    def get(self, subject_id: int) -> Subject:
        row = self.session.get(SubjectRow, subject_id)
        if row is None:
            raise NotFound(f"subject {subject_id} does not exist")
        return self._to_domain(row)

    def add_many(self, subjects: Sequence[Subject], *, at: datetime) -> None:
        if not subjects:
            return
        values = [
            {
                "kind": s.kind.value,
                "number": s.number,
                "name": s.name,
                "birth_date": s.birth_date,
                "sex": s.sex,
                "region_code": s.region_code,
                "created_at": at,
            }
            for s in subjects
        ]
        # A plain executemany, then one query for the ids: RETURNING row by row is far slower.
        self.session.execute(insert(_table(SubjectRow)), values)
        ids = self._ids_of([s.number for s in subjects])
        for subject in subjects:
            subject.id = ids[subject.number]

    def _ids_of(self, numbers: Sequence[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for part in _chunks(numbers):
            query = select(SubjectRow.number, SubjectRow.id).where(SubjectRow.number.in_(part))
            for number, subject_id in self.session.execute(query):
                out[number] = subject_id
        return out

    def add_role(self, role: Role) -> None:
        self.session.add(
            SubjectRoleRow(
                organisation_id=role.organisation_id,
                person_id=role.person_id,
                kind=role.kind.value,
                since=role.since,
                until=role.until,
            )
        )
        self.session.flush()

    def roles_of(self, subject_id: int) -> list[Role]:
        rows = self.session.scalars(
            select(SubjectRoleRow).where(
                (SubjectRoleRow.person_id == subject_id)
                | (SubjectRoleRow.organisation_id == subject_id)
            )
        )
        return [
            Role(r.organisation_id, r.person_id, RoleKind(r.kind), r.since, r.until) for r in rows
        ]


def _record_values(record: NewRecord, at: datetime) -> dict[str, Any]:
    s = record.submission
    a = s.assessment
    return {
        "department_code": s.department,
        "document_number": s.document_number,
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
        "publish_by": a.publish_by.day if a.publish_by else None,
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


class SqlRecordRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

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
            under_objection=row.under_objection,
        )

    def find_states(
        self, department: str, document_numbers: Collection[str]
    ) -> dict[str, StoredState]:
        out: dict[str, StoredState] = {}
        columns = (
            CreditRecordRow.document_number,
            CreditRecordRow.id,
            CreditRecordRow.content_hash,
            CreditRecordRow.status,
        )
        for part in _chunks(sorted(document_numbers)):
            query = select(*columns).where(
                CreditRecordRow.department_code == department,
                CreditRecordRow.document_number.in_(part),
            )
            for number, record_id, digest, status in self.session.execute(query):
                out[number] = StoredState(record_id, digest, RecordStatus(status))
        return out

    def add_many(self, records: Sequence[NewRecord], *, at: datetime) -> None:
        if records:
            # A Core insert: one executemany, none of the ORM's per-object bookkeeping.
            self.session.execute(
                insert(_table(CreditRecordRow)), [_record_values(r, at) for r in records]
            )

    def replace(self, record_id: int, record: NewRecord, *, at: datetime) -> None:
        row = self.session.get(CreditRecordRow, record_id)
        if row is None:
            raise NotFound(f"record {record_id} does not exist")
        self.session.add(
            RecordRevisionRow(
                record_id=row.id,
                content_hash=row.content_hash,
                original=row.original,
                fields=row.fields,
                batch_id=row.batch_id,
                received_at=row.received_at,
                superseded_at=at,
            )
        )
        values = _record_values(record, at)
        for key, value in values.items():
            setattr(row, key, value)
        self.session.flush()

    def get(self, record_id: int) -> CreditRecord:
        row = self.session.get(CreditRecordRow, record_id)
        if row is None:
            raise NotFound(f"record {record_id} does not exist")
        return self._to_domain(row)

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
                revoked_at=record.revoked_at,
                revocation_reason=record.revocation_reason,
                updated_at=record.updated_at,
                under_objection=record.under_objection,
            )
        )

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
                CreditRecordRow.status == RecordStatus.ACTIVE.value,
                or_(CreditRecordRow.display_ends.is_(None), CreditRecordRow.display_ends > day),
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
        """Active records whose display period has ended by `day` (the sweep's work)."""
        rows = self.session.scalars(
            select(CreditRecordRow)
            .where(
                CreditRecordRow.status == RecordStatus.ACTIVE.value,
                CreditRecordRow.display_ends <= day,
            )
            .order_by(CreditRecordRow.id)
            .limit(limit)
        )
        return [self._to_domain(row) for row in rows]

    def delete_past_retention(self, day: date) -> list[tuple[int, int]]:
        """Delete records (and their revisions) whose retention ended; return (id, subject)."""
        rows = self.session.execute(
            select(CreditRecordRow.id, CreditRecordRow.subject_id).where(
                CreditRecordRow.retention_ends <= day
            )
        ).all()
        ids = [int(r[0]) for r in rows]
        # Cases and listings keep their own files; they lose the link to the deleted record.
        for part in _chunks_ids(ids):
            for table, column in (
                (ListEntryRow, ListEntryRow.source_record_id),
                (ObjectionRow, ObjectionRow.record_id),
                (RepairRow, RepairRow.record_id),
            ):
                self.session.execute(update(table).where(column.in_(part)).values({column: None}))
            self.session.execute(
                delete(IdentityReviewRow).where(IdentityReviewRow.record_id.in_(part))
            )
            self.session.execute(
                delete(RecordRevisionRow).where(RecordRevisionRow.record_id.in_(part))
            )
            self.session.execute(delete(CreditRecordRow).where(CreditRecordRow.id.in_(part)))
        return [(int(r[0]), int(r[1])) for r in rows]

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(CreditRecordRow)) or 0)


class SqlBatchRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _to_domain(row: BatchRow) -> Batch:
        return Batch(
            id=row.id,
            department=row.department_code,
            source=BatchSource(row.source),
            filename=row.filename,
            sha256=row.sha256,
            status=BatchStatus(row.status),
            rows_done=row.rows_done,
            accepted=row.accepted,
            updated=row.updated,
            unchanged=row.unchanged,
            rejected=row.rejected,
            held=row.held,
            actor=row.actor,
            received_at=row.received_at,
            completed_at=row.completed_at,
        )

    def open(
        self,
        department: str,
        *,
        source: BatchSource,
        filename: str | None,
        sha256: str | None,
        actor: str,
        at: datetime,
    ) -> Batch:
        row = BatchRow(
            department_code=department,
            source=source.value,
            filename=filename,
            sha256=sha256,
            status=BatchStatus.OPEN.value,
            rows_done=0,
            accepted=0,
            updated=0,
            unchanged=0,
            rejected=0,
            held=0,
            actor=actor,
            received_at=at,
        )
        self.session.add(row)
        self.session.flush()
        return self._to_domain(row)

    def find_open(self, department: str, sha256: str) -> Batch | None:
        row = self.session.scalar(
            select(BatchRow)
            .where(
                BatchRow.department_code == department,
                BatchRow.sha256 == sha256,
                BatchRow.status == BatchStatus.OPEN.value,
            )
            .order_by(BatchRow.id.desc())
            .limit(1)
        )
        return self._to_domain(row) if row else None

    def get(self, batch_id: int) -> Batch:
        row = self.session.get(BatchRow, batch_id)
        if row is None:
            raise NotFound(f"batch {batch_id} does not exist")
        return self._to_domain(row)

    def save_progress(self, batch: Batch) -> None:
        self.session.execute(
            update(BatchRow)
            .where(BatchRow.id == batch.id)
            .values(
                status=batch.status.value,
                rows_done=batch.rows_done,
                accepted=batch.accepted,
                updated=batch.updated,
                unchanged=batch.unchanged,
                rejected=batch.rejected,
                held=batch.held,
                completed_at=batch.completed_at,
            )
        )

    def add_rejects(self, batch_id: int, problems: Sequence[FieldProblem]) -> None:
        if problems:
            self.session.execute(
                insert(_table(BatchRejectRow)),
                [
                    {"batch_id": batch_id, "row": p.row, "field": p.field, "reason": p.reason}
                    for p in problems
                ],
            )

    def rejects(self, batch_id: int) -> list[FieldProblem]:
        rows = self.session.execute(
            select(BatchRejectRow.row, BatchRejectRow.field, BatchRejectRow.reason)
            .where(BatchRejectRow.batch_id == batch_id)
            .order_by(BatchRejectRow.row, BatchRejectRow.id)
        )
        return [FieldProblem(field, reason, row) for row, field, reason in rows]


class SqlIdentityReviewRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _to_domain(row: IdentityReviewRow) -> IdentityReview:
        return IdentityReview(
            id=row.id,
            subject_id=row.subject_id,
            record_id=row.record_id,
            kind=row.kind,
            known_value=row.known_value,
            submitted_value=row.submitted_value,
            status=row.status,
            created_at=row.created_at,
            resolution=row.resolution,
            note=row.note,
        )

    def add(
        self, *, subject_id: int, record_id: int, conflict: IdentityConflict, at: datetime
    ) -> int:
        row = IdentityReviewRow(
            subject_id=subject_id,
            record_id=record_id,
            kind=conflict.kind.value,
            known_value=conflict.known,
            submitted_value=conflict.submitted,
            status="open",
            created_at=at,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def list(
        self, *, status: str | None = "open", limit: int = 100, offset: int = 0
    ) -> list[IdentityReview]:
        query = select(IdentityReviewRow).order_by(IdentityReviewRow.id)
        if status:
            query = query.where(IdentityReviewRow.status == status)
        rows = self.session.scalars(query.limit(limit).offset(offset))
        return [self._to_domain(r) for r in rows]

    def get(self, review_id: int) -> IdentityReview:
        row = self.session.get(IdentityReviewRow, review_id)
        if row is None:
            raise NotFound(f"identity review {review_id} does not exist")
        return self._to_domain(row)

    def resolve(self, review_id: int, *, resolution: str, note: str, by: str, at: datetime) -> None:
        row = self.session.get(IdentityReviewRow, review_id)
        if row is None:
            raise NotFound(f"identity review {review_id} does not exist")
        row.status = "resolved"
        row.resolution = resolution
        row.note = note
        row.resolved_by = by
        row.resolved_at = at
        self.session.flush()


class SqlDepartmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _to_domain(row: DepartmentRow) -> Department:
        return Department(
            row.code, row.name, row.uscc, row.region_code, row.kind, frozenset(row.items)
        )

    def get(self, code: str) -> Department | None:
        row = self.session.get(DepartmentRow, code)
        return self._to_domain(row) if row else None

    def list(self) -> list[Department]:
        rows = self.session.scalars(select(DepartmentRow).order_by(DepartmentRow.code))
        return [self._to_domain(r) for r in rows]

    def upsert(self, department: Department, *, at: datetime) -> bool:
        row = self.session.get(DepartmentRow, department.code)
        values = {
            "name": department.name,
            "uscc": department.uscc,
            "region_code": department.region_code,
            "kind": department.kind,
            "items": sorted(department.items),
        }
        if row is None:
            self.session.add(DepartmentRow(code=department.code, updated_at=at, **values))
            self.session.flush()
            return True
        if all(getattr(row, key) == value for key, value in values.items()):
            return False
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = at
        self.session.flush()
        return True


class SqlApiKeyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _to_domain(row: ApiKeyRow) -> ApiKey:
        return ApiKey(
            id=row.id,
            prefix=row.prefix,
            secret_hash=row.secret_hash,
            label=row.label,
            department=row.department_code,
            scopes=frozenset(Scope(s) for s in row.scopes if s in Scope._value2member_map_),
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )

    def add(self, key: ApiKey) -> int:
        row = ApiKeyRow(
            prefix=key.prefix,
            secret_hash=key.secret_hash,
            label=key.label,
            department_code=key.department,
            scopes=sorted(s.value for s in key.scopes),
            created_at=key.created_at,
        )
        self.session.add(row)
        self.session.flush()
        key.id = row.id
        return row.id

    def by_prefix(self, prefix: str) -> ApiKey | None:
        row = self.session.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == prefix))
        return self._to_domain(row) if row else None

    def list(self) -> list[ApiKey]:
        return [
            self._to_domain(r)
            for r in self.session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id))
        ]

    def revoke(self, prefix: str, *, at: datetime) -> bool:
        result = self.session.execute(
            update(ApiKeyRow)
            .where(ApiKeyRow.prefix == prefix, ApiKeyRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


class SqlAuditLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, event: AuditEvent) -> None:
        self.session.execute(
            insert(AuditEventRow),
            [
                {
                    "at": event.at,
                    "tag": event.tag.value,
                    "actor": event.actor,
                    "entity_type": event.entity_type,
                    "entity_id": event.entity_id,
                    "subject_id": event.subject_id,
                    "reason": event.reason,
                    "data": event.data,
                }
            ],
        )

    def count(self, tag: str | None = None) -> int:
        query = select(func.count()).select_from(AuditEventRow)
        if tag:
            query = query.where(AuditEventRow.tag == tag)
        return int(self.session.scalar(query) or 0)

    def count_since(self, tag: str, *, subject_id: int, since: datetime) -> int:
        query = (
            select(func.count())
            .select_from(AuditEventRow)
            .where(
                AuditEventRow.tag == tag,
                AuditEventRow.subject_id == subject_id,
                AuditEventRow.at >= since,
            )
        )
        return int(self.session.scalar(query) or 0)
