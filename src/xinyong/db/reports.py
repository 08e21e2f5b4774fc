"""SQL for issued reports: the number, whose, when and the content's digest of each report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.db.base import Base
from xinyong.db.types import BigId, UTCDateTime
from xinyong.domain.reports import IssuedReport


class IssuedReportRow(Base):
    """One report the platform issued. Its content is not kept: only the digest it was signed on."""

    __tablename__ = "issued_reports"

    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject_id: Mapped[int] = mapped_column(BigId, ForeignKey("subjects.id"), index=True)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    content_digest: Mapped[str] = mapped_column(String(64))


class SqlReportRegister:
    """The register of issued reports (`services/report.py ReportRegister`)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, report: IssuedReport) -> None:
        self.session.add(
            IssuedReportRow(
                number=report.number,
                subject_id=report.subject_id,
                generated_at=report.generated_at,
                content_digest=report.content_digest,
            )
        )

    def get(self, number: str) -> IssuedReport | None:
        row = self.session.scalars(
            select(IssuedReportRow).where(IssuedReportRow.number == number)
        ).one_or_none()
        if row is None:
            return None
        return IssuedReport(row.number, row.subject_id, row.generated_at, row.content_digest)

    def withdraw(self, subject_id: int, generated_at: datetime) -> list[str]:
        numbers = list(
            self.session.scalars(
                delete(IssuedReportRow)
                .where(
                    IssuedReportRow.subject_id == subject_id,
                    IssuedReportRow.generated_at == generated_at,
                )
                .returning(IssuedReportRow.number)
            )
        )
        return sorted(numbers)
