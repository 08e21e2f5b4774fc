"""Repair applications and their deadlines."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    select,
    true,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.db.base import (
    Base,
    deadline_values,
    entry_reference,
    record_reference,
    stored_deadline,
    subject_of_record,
)
from xinyong.db.types import BigId, Json, UTCDateTime
from xinyong.domain.errors import NotFound
from xinyong.domain.repairs import Repair, RepairStatus


class RepairRow(Base):
    """A credit repair application, routed to the authority that made the finding."""

    __tablename__ = "repairs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    record_id: Mapped[int | None] = mapped_column(BigId, index=True)
    #: The subject of the record to repair (its key on PostgreSQL, docs/scale.md).
    record_subject_id: Mapped[int | None] = mapped_column(BigId)
    entry_id: Mapped[int | None] = mapped_column(BigId, index=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    obligations_performed: Mapped[bool] = mapped_column(Boolean)
    commitment: Mapped[str] = mapped_column(Text)
    missing: Mapped[list[str]] = mapped_column(Json, default=list)
    applied_by: Mapped[str] = mapped_column(String(100))
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accept_due: Mapped[date] = mapped_column(Date)
    # Each deadline keeps what it was counted from, so it can be counted again (db/deadlines.py).
    accept_due_from: Mapped[date | None] = mapped_column(Date)
    accept_due_days: Mapped[int | None] = mapped_column(Integer)
    accept_due_official: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    feedback_due: Mapped[date] = mapped_column(Date)
    feedback_due_from: Mapped[date | None] = mapped_column(Date)
    feedback_due_days: Mapped[int | None] = mapped_column(Integer)
    feedback_due_official: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=true()
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    reasons: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        record_reference("record_subject_id", "record_id"),
        entry_reference("subject_id", "entry_id"),
        CheckConstraint("(record_id IS NULL) = (record_subject_id IS NULL)", name="record_subject"),
    )


class SqlRepairRepository:
    """Repair applications."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _to_domain(row: RepairRow) -> Repair:
        return Repair(
            id=row.id,
            subject_id=row.subject_id,
            record_id=row.record_id,
            entry_id=row.entry_id,
            department=row.department_code,
            status=RepairStatus(row.status),
            obligations_performed=row.obligations_performed,
            commitment=row.commitment,
            missing=tuple(row.missing or ()),
            applied_by=row.applied_by,
            applied_at=row.applied_at,
            accept_due=stored_deadline(
                row.accept_due, row.accept_due_official, row.accept_due_from, row.accept_due_days
            ),
            feedback_due=stored_deadline(
                row.feedback_due,
                row.feedback_due_official,
                row.feedback_due_from,
                row.feedback_due_days,
            ),
            decided_at=row.decided_at,
            decided_by=row.decided_by,
            reasons=row.reasons,
        )

    def add(self, repair: Repair) -> int:
        r = repair
        row = RepairRow(
            subject_id=r.subject_id,
            record_id=r.record_id,
            record_subject_id=subject_of_record(r.record_id),
            entry_id=r.entry_id,
            department_code=r.department,
            status=r.status.value,
            obligations_performed=r.obligations_performed,
            commitment=r.commitment,
            missing=list(r.missing),
            applied_by=r.applied_by,
            applied_at=r.applied_at,
            **deadline_values("accept_due", r.accept_due),
            **deadline_values("feedback_due", r.feedback_due),
        )
        self.session.add(row)
        self.session.flush()
        r.id = row.id
        return row.id

    def get(self, repair_id: int) -> Repair:
        row = self.session.get(RepairRow, repair_id)
        if row is None:
            raise NotFound(f"repair application {repair_id} does not exist")
        return self._to_domain(row)

    def save(self, repair: Repair) -> None:
        self.session.execute(
            update(RepairRow)
            .where(RepairRow.id == repair.id)
            .values(
                status=repair.status.value,
                obligations_performed=repair.obligations_performed,
                commitment=repair.commitment,
                missing=list(repair.missing),
                **deadline_values("accept_due", repair.accept_due),
                **deadline_values("feedback_due", repair.feedback_due),
                decided_at=repair.decided_at,
                decided_by=repair.decided_by,
                reasons=repair.reasons,
            )
        )

    def of_subject(self, subject_id: int) -> list[Repair]:
        rows = self.session.scalars(
            select(RepairRow).where(RepairRow.subject_id == subject_id).order_by(RepairRow.id)
        )
        return [self._to_domain(r) for r in rows]

    def open(self, department: str | None) -> list[Repair]:
        query = select(RepairRow).where(
            RepairRow.status.in_([RepairStatus.APPLIED.value, RepairStatus.ACCEPTED.value])
        )
        if department is not None:
            query = query.where(RepairRow.department_code == department)
        return [self._to_domain(r) for r in self.session.scalars(query.order_by(RepairRow.id))]
