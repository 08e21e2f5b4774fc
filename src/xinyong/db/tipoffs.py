"""Tip-offs from the public, in the queue of the department each was routed to."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.db.base import Base
from xinyong.db.types import BigId, Sealed, UTCDateTime
from xinyong.domain.errors import NotFound
from xinyong.domain.tipoffs import TipOff, TipOffStatus


class TipOffRow(Base):
    """A report from the public; `source` is a keyed hash of where it came from, not an address."""

    __tablename__ = "tipoffs"
    __pii_columns__: ClassVar[set[str]] = {"subject_number", "contact"}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    topic: Mapped[str] = mapped_column(String(40))
    department: Mapped[str] = mapped_column(String(32), index=True)
    subject_name: Mapped[str] = mapped_column(String(100))
    subject_number: Mapped[str | None] = mapped_column(Sealed)
    account: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(Sealed)
    source: Mapped[str] = mapped_column(String(64), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))


def _to_domain(row: TipOffRow) -> TipOff:
    return TipOff(
        row.id,
        row.topic,
        row.department,
        row.subject_name,
        row.subject_number,
        row.account,
        row.contact,
        row.source,
        row.received_at,
        TipOffStatus(row.status),
    )


class SqlTipOffRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, tipoff: TipOff) -> int:
        row = TipOffRow(
            topic=tipoff.topic,
            department=tipoff.department,
            subject_name=tipoff.subject_name,
            subject_number=tipoff.subject_number,
            account=tipoff.account,
            contact=tipoff.contact,
            source=tipoff.source,
            received_at=tipoff.received_at,
            status=tipoff.status.value,
        )
        self.session.add(row)
        self.session.flush()
        tipoff.id = row.id
        return row.id

    def get(self, tipoff_id: int) -> TipOff:
        row = self.session.get(TipOffRow, tipoff_id)
        if row is None:
            raise NotFound(f"tip-off {tipoff_id} does not exist")
        return _to_domain(row)

    def of_department(self, department: str | None, *, limit: int, offset: int) -> list[TipOff]:
        query = select(TipOffRow).order_by(TipOffRow.id.desc()).limit(limit).offset(offset)
        if department is not None:
            query = query.where(TipOffRow.department == department)
        return [_to_domain(row) for row in self.session.scalars(query)]

    def count_from(self, source: str, *, since: datetime) -> int:
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(TipOffRow)
                .where(TipOffRow.source == source, TipOffRow.received_at >= since)
            )
            or 0
        )
