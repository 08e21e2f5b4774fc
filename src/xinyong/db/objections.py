"""Objections and their deadlines."""

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
    or_,
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
from xinyong.db.types import BigId, UTCDateTime
from xinyong.domain.errors import NotFound
from xinyong.domain.objections import Challenge, Extension, Objection, ObjectionStatus


class ObjectionRow(Base):
    """An objection to a record or a list entry, its deadlines and its outcome."""

    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    record_id: Mapped[int | None] = mapped_column(BigId, index=True)
    #: The subject of the record objected to (its key on PostgreSQL, docs/scale.md).
    record_subject_id: Mapped[int | None] = mapped_column(BigId)
    entry_id: Mapped[int | None] = mapped_column(BigId, index=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    ground: Mapped[str] = mapped_column(String(40))
    reasons: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    filed_by: Mapped[str] = mapped_column(String(100))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    centre_due: Mapped[date] = mapped_column(Date)
    # Each deadline keeps what it was counted from, so it can be counted again (db/deadlines.py).
    centre_due_from: Mapped[date | None] = mapped_column(Date)
    centre_due_days: Mapped[int | None] = mapped_column(Integer)
    centre_due_official: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    source_due: Mapped[date | None] = mapped_column(Date)
    source_due_from: Mapped[date | None] = mapped_column(Date)
    source_due_days: Mapped[int | None] = mapped_column(Integer)
    source_due_official: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why and on whose approval it was extended (domain/objections.py Extension); empty for one
    # extended before the approval was kept.
    extension_reasons: Mapped[str | None] = mapped_column(Text)
    extension_approved_by: Mapped[str | None] = mapped_column(String(100))
    extension_approval_reference: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(String(24))
    outcome_reasons: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    # A decision taken to reconsideration or to court (domain/objections.py Challenge).
    challenge_kind: Mapped[str | None] = mapped_column(String(16))
    challenge_reference: Mapped[str | None] = mapped_column(String(100))
    challenged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    challenged_by: Mapped[str | None] = mapped_column(String(100))
    challenged_outcome: Mapped[str | None] = mapped_column(String(24))
    challenge_concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    challenge_concluded_by: Mapped[str | None] = mapped_column(String(100))
    # Testing or expert review stops the clock (domain/objections.py Objection.pause).
    paused_since: Mapped[date | None] = mapped_column(Date)
    pause_kind: Mapped[str | None] = mapped_column(String(16))
    paused_working_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        record_reference("record_subject_id", "record_id"),
        entry_reference("subject_id", "entry_id"),
        CheckConstraint("(record_id IS NULL) = (record_subject_id IS NULL)", name="record_subject"),
    )


class SqlObjectionRepository:
    """Objections, with the deadline days as stored."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _to_domain(row: ObjectionRow) -> Objection:
        return Objection(
            id=row.id,
            subject_id=row.subject_id,
            record_id=row.record_id,
            entry_id=row.entry_id,
            department=row.department_code,
            ground=row.ground,
            reasons=row.reasons,
            status=ObjectionStatus(row.status),
            filed_by=row.filed_by,
            filed_at=row.filed_at,
            centre_due=stored_deadline(
                row.centre_due, row.centre_due_official, row.centre_due_from, row.centre_due_days
            ),
            source_due=(
                stored_deadline(
                    row.source_due,
                    row.source_due_official,
                    row.source_due_from,
                    row.source_due_days,
                )
                if row.source_due
                else None
            ),
            extended=row.extended,
            extension=(
                Extension(
                    row.extension_reasons or "",
                    row.extension_approved_by,
                    row.extension_approval_reference or "",
                )
                if row.extension_approved_by
                else None
            ),
            outcome=row.outcome,
            outcome_reasons=row.outcome_reasons,
            decided_at=row.decided_at,
            decided_by=row.decided_by,
            challenge=(
                Challenge(
                    row.challenge_kind,
                    row.challenge_reference or "",
                    row.challenged_at,
                    row.challenged_by or "",
                    row.challenged_outcome or "",
                    row.challenge_concluded_at,
                    row.challenge_concluded_by,
                )
                if row.challenge_kind and row.challenged_at
                else None
            ),
            paused_since=row.paused_since,
            pause_kind=row.pause_kind,
            paused_working_days=row.paused_working_days or 0,
        )

    @staticmethod
    def _values(o: Objection) -> dict[str, object]:
        return {
            "status": o.status.value,
            **deadline_values("centre_due", o.centre_due),
            **deadline_values("source_due", o.source_due),
            "extended": o.extended,
            "extension_reasons": e.reasons if (e := o.extension) else None,
            "extension_approved_by": e.approved_by if e else None,
            "extension_approval_reference": e.approval_reference if e else None,
            "outcome": o.outcome,
            "outcome_reasons": o.outcome_reasons,
            "decided_at": o.decided_at,
            "decided_by": o.decided_by,
            "challenge_kind": c.kind if (c := o.challenge) else None,
            "challenge_reference": c.reference if c else None,
            "challenged_at": c.at if c else None,
            "challenged_by": c.by if c else None,
            "challenged_outcome": c.challenged_outcome if c else None,
            "challenge_concluded_at": c.concluded_at if c else None,
            "challenge_concluded_by": c.concluded_by if c else None,
            "paused_since": o.paused_since,
            "pause_kind": o.pause_kind,
            "paused_working_days": o.paused_working_days,
        }

    def add(self, objection: Objection) -> int:
        o = objection
        row = ObjectionRow(
            subject_id=o.subject_id,
            record_id=o.record_id,
            record_subject_id=subject_of_record(o.record_id),
            entry_id=o.entry_id,
            department_code=o.department,
            ground=o.ground,
            reasons=o.reasons,
            filed_by=o.filed_by,
            filed_at=o.filed_at,
            **self._values(o),
        )
        self.session.add(row)
        self.session.flush()
        o.id = row.id
        return row.id

    def get(self, objection_id: int) -> Objection:
        row = self.session.get(ObjectionRow, objection_id)
        if row is None:
            raise NotFound(f"objection {objection_id} does not exist")
        return self._to_domain(row)

    def save(self, objection: Objection) -> None:
        self.session.execute(
            update(ObjectionRow)
            .where(ObjectionRow.id == objection.id)
            .values(**self._values(objection))
        )

    def of_subject(self, subject_id: int) -> list[Objection]:
        rows = self.session.scalars(
            select(ObjectionRow)
            .where(ObjectionRow.subject_id == subject_id)
            .order_by(ObjectionRow.id)
        )
        return [self._to_domain(r) for r in rows]

    def open(self, department: str | None) -> list[Objection]:
        query = select(ObjectionRow).where(ObjectionRow.status != ObjectionStatus.DECIDED.value)
        if department is not None:
            query = query.where(ObjectionRow.department_code == department)
        return [self._to_domain(r) for r in self.session.scalars(query.order_by(ObjectionRow.id))]

    def may_hold_marks(self, subject_id: int) -> bool:
        """Whether anything here may keep a mark on the subject's listings: an objection of
        theirs not decided, or a record of theirs under objection. Both read by the subject's
        index (on PostgreSQL, in its one partition of `credit_records`)."""
        from xinyong.db.records import CreditRecordRow  # records import this module's rows

        open_objection = select(ObjectionRow.id).where(
            ObjectionRow.subject_id == subject_id,
            ObjectionRow.status != ObjectionStatus.DECIDED.value,
        )
        marked_record = select(CreditRecordRow.id).where(
            CreditRecordRow.subject_id == subject_id, CreditRecordRow.under_objection.is_(True)
        )
        found = self.session.scalar(select(or_(open_objection.exists(), marked_record.exists())))
        return bool(found)
