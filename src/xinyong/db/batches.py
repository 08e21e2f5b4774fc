"""Batches and the rows they refused."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.db.base import Base, table_of
from xinyong.db.types import BigId, Json, UTCDateTime
from xinyong.domain.batches import Batch, BatchSource, BatchStatus
from xinyong.domain.errors import FieldProblem, NotFound


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


class BatchRejectRow(Base):
    """One refused field of one row of a batch, kept so a resumed batch loses no reason."""

    __tablename__ = "batch_rejects"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    row: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)  # in English
    #: The reason's code and parts (domain/reasons.py); none on rows refused before codes.
    code: Mapped[str | None] = mapped_column(String(40))
    parts: Mapped[dict[str, str] | None] = mapped_column(Json)


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
                insert(table_of(BatchRejectRow)),
                [
                    {
                        "batch_id": batch_id,
                        "row": p.row,
                        "field": p.field,
                        "reason": p.reason,
                        "code": p.code or None,
                        "parts": dict(p.parts) if p.parts else None,
                    }
                    for p in problems
                ],
            )

    def rejects(self, batch_id: int) -> list[FieldProblem]:
        rows = self.session.execute(
            select(
                BatchRejectRow.row,
                BatchRejectRow.field,
                BatchRejectRow.reason,
                BatchRejectRow.code,
                BatchRejectRow.parts,
            )
            .where(BatchRejectRow.batch_id == batch_id)
            .order_by(BatchRejectRow.row, BatchRejectRow.id)
        )
        return [
            FieldProblem(field, reason, row, code or "", tuple((parts or {}).items()))
            for row, field, reason, code, parts in rows
        ]
