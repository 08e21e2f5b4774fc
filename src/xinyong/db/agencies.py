"""Credit reporting agencies as supervised bodies: their licences and the agency blacklist."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.db.base import Base
from xinyong.db.types import BigId, UTCDateTime
from xinyong.domain.agencies import Blacklisting, Licence


class AgencyLicenceRow(Base):
    """An agency's current licence for personal credit reporting (earlier ones: the audit)."""

    __tablename__ = "agency_licences"

    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), primary_key=True)
    number: Mapped[str] = mapped_column(String(100))
    authority: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AgencyBlacklistingRow(Base):
    """An agency on the agency blacklist, from `listed_on` until lifted."""

    __tablename__ = "agency_blacklistings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    ground: Mapped[str] = mapped_column(Text)
    listed_on: Mapped[date] = mapped_column(Date)
    listed_by: Mapped[str] = mapped_column(String(100))
    listed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by: Mapped[str | None] = mapped_column(String(100))
    lift_reason: Mapped[str | None] = mapped_column(Text)


class SqlAgencyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def licence_of(self, agency: str) -> Licence | None:
        row = self.session.get(AgencyLicenceRow, agency)
        if row is None:
            return None
        return Licence(row.number, row.authority, row.valid_from, row.valid_until)

    def set_licence(self, agency: str, licence: Licence, *, by: str, at: datetime) -> bool:
        row = self.session.get(AgencyLicenceRow, agency)
        if row is not None and (
            row.number,
            row.authority,
            row.valid_from,
            row.valid_until,
        ) == (licence.number, licence.authority, licence.valid_from, licence.valid_until):
            return False
        if row is None:
            row = AgencyLicenceRow(department_code=agency)
            self.session.add(row)
        row.number = licence.number
        row.authority = licence.authority
        row.valid_from = licence.valid_from
        row.valid_until = licence.valid_until
        row.recorded_by = by
        row.recorded_at = at
        self.session.flush()
        return True

    @staticmethod
    def _to_domain(row: AgencyBlacklistingRow) -> Blacklisting:
        return Blacklisting(
            row.id,
            row.department_code,
            row.ground,
            row.listed_on,
            row.listed_by,
            row.listed_at,
            row.lifted_at,
            row.lifted_by,
            row.lift_reason,
        )

    def active_blacklisting(self, agency: str) -> Blacklisting | None:
        row = self.session.scalar(
            select(AgencyBlacklistingRow)
            .where(
                AgencyBlacklistingRow.department_code == agency,
                AgencyBlacklistingRow.lifted_at.is_(None),
            )
            .order_by(AgencyBlacklistingRow.id.desc())
            .limit(1)
        )
        return self._to_domain(row) if row else None

    def add_blacklisting(self, blacklisting: Blacklisting) -> int:
        row = AgencyBlacklistingRow(
            department_code=blacklisting.agency,
            ground=blacklisting.ground,
            listed_on=blacklisting.listed_on,
            listed_by=blacklisting.listed_by,
            listed_at=blacklisting.listed_at,
        )
        self.session.add(row)
        self.session.flush()
        blacklisting.id = row.id
        return row.id

    def save_blacklisting(self, blacklisting: Blacklisting) -> None:
        row = self.session.get(AgencyBlacklistingRow, blacklisting.id)
        if row is None:
            raise LookupError(f"blacklisting {blacklisting.id} was never added")
        row.lifted_at = blacklisting.lifted_at
        row.lifted_by = blacklisting.lifted_by
        row.lift_reason = blacklisting.lift_reason

    def blacklistings(self) -> list[Blacklisting]:
        rows = self.session.scalars(
            select(AgencyBlacklistingRow).order_by(AgencyBlacklistingRow.id)
        )
        return [self._to_domain(r) for r in rows]
