"""Credit reporting agencies as supervised bodies: their licences, the agency blacklist, their
staff (each agency key is issued to one) and the staff blacklist."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.db.base import Base
from xinyong.db.types import BigId, UTCDateTime
from xinyong.domain.agencies import AgencyStaffMember, Blacklisting, Licence


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


class _Listed:
    """The columns of a blacklisting, an agency's or a staff member's: listed from `listed_on`
    on a ground, until lifted with a reason."""

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ground: Mapped[str] = mapped_column(Text)
    listed_on: Mapped[date] = mapped_column(Date)
    listed_by: Mapped[str] = mapped_column(String(100))
    listed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by: Mapped[str | None] = mapped_column(String(100))
    lift_reason: Mapped[str | None] = mapped_column(Text)


class AgencyBlacklistingRow(_Listed, Base):
    """An agency on the agency blacklist, from `listed_on` until lifted."""

    __tablename__ = "agency_blacklistings"

    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)


class AgencyStaffRow(Base):
    """A staff member of an agency, by the agency's own staff number (never an ID number)."""

    __tablename__ = "agency_staff"
    __table_args__ = (UniqueConstraint("department_code", "staff_number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    staff_number: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    registered_by: Mapped[str] = mapped_column(String(100))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The day they left the agency; null while they work there.
    left_on: Mapped[date | None] = mapped_column(Date)


class AgencyStaffBlacklistingRow(_Listed, Base):
    """A staff member of an agency on the staff blacklist, from `listed_on` until lifted."""

    __tablename__ = "agency_staff_blacklistings"

    staff_id: Mapped[int] = mapped_column(ForeignKey("agency_staff.id"), index=True)


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
        return _blacklisting(row, row.department_code)

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
        _lifted(self.session.get(AgencyBlacklistingRow, blacklisting.id), blacklisting)

    def blacklistings(self) -> list[Blacklisting]:
        rows = self.session.scalars(
            select(AgencyBlacklistingRow).order_by(AgencyBlacklistingRow.id)
        )
        return [self._to_domain(r) for r in rows]

    # --- staff, and the staff blacklist ----------------------------------------------------

    @staticmethod
    def _member(row: AgencyStaffRow) -> AgencyStaffMember:
        return AgencyStaffMember(
            row.id,
            row.department_code,
            row.staff_number,
            row.name,
            row.registered_by,
            row.registered_at,
            row.left_on,
        )

    def add_staff(self, member: AgencyStaffMember) -> int:
        row = AgencyStaffRow(
            department_code=member.agency,
            staff_number=member.number,
            name=member.name,
            registered_by=member.registered_by,
            registered_at=member.registered_at,
        )
        self.session.add(row)
        self.session.flush()
        member.id = row.id
        return row.id

    def save_staff_departure(self, member: AgencyStaffMember) -> None:
        row = self.session.get(AgencyStaffRow, member.id)
        if row is None:
            raise LookupError(f"agency staff {member.id} was never added")
        row.left_on = member.left_on

    def staff_member(self, agency: str, number: str) -> AgencyStaffMember | None:
        row = self.session.scalar(
            select(AgencyStaffRow).where(
                AgencyStaffRow.department_code == agency, AgencyStaffRow.staff_number == number
            )
        )
        return self._member(row) if row else None

    def staff_by_id(self, staff_id: int) -> AgencyStaffMember | None:
        row = self.session.get(AgencyStaffRow, staff_id)
        return self._member(row) if row else None

    def staff_of(self, agency: str) -> list[AgencyStaffMember]:
        rows = self.session.scalars(
            select(AgencyStaffRow)
            .where(AgencyStaffRow.department_code == agency)
            .order_by(AgencyStaffRow.staff_number)
        )
        return [self._member(r) for r in rows]

    def active_staff_blacklisting(self, staff_id: int) -> Blacklisting | None:
        found = self.session.execute(
            select(AgencyStaffBlacklistingRow, AgencyStaffRow.department_code)
            .join(AgencyStaffRow, AgencyStaffRow.id == AgencyStaffBlacklistingRow.staff_id)
            .where(
                AgencyStaffBlacklistingRow.staff_id == staff_id,
                AgencyStaffBlacklistingRow.lifted_at.is_(None),
            )
            .order_by(AgencyStaffBlacklistingRow.id.desc())
            .limit(1)
        ).first()
        if found is None:
            return None
        row, agency = found
        return _blacklisting(row, agency, staff=row.staff_id)

    def add_staff_blacklisting(self, blacklisting: Blacklisting) -> int:
        if blacklisting.staff is None:
            raise ValueError("a staff blacklisting names its staff member")
        row = AgencyStaffBlacklistingRow(
            staff_id=blacklisting.staff,
            ground=blacklisting.ground,
            listed_on=blacklisting.listed_on,
            listed_by=blacklisting.listed_by,
            listed_at=blacklisting.listed_at,
        )
        self.session.add(row)
        self.session.flush()
        blacklisting.id = row.id
        return row.id

    def save_staff_blacklisting(self, blacklisting: Blacklisting) -> None:
        _lifted(self.session.get(AgencyStaffBlacklistingRow, blacklisting.id), blacklisting)


def _blacklisting(row: _Listed, agency: str, *, staff: int | None = None) -> Blacklisting:
    return Blacklisting(
        row.id,
        agency,
        row.ground,
        row.listed_on,
        row.listed_by,
        row.listed_at,
        row.lifted_at,
        row.lifted_by,
        row.lift_reason,
        staff=staff,
    )


def _lifted(row: _Listed | None, blacklisting: Blacklisting) -> None:
    """Store a blacklisting's lifting on its row."""
    if row is None:
        raise LookupError(f"blacklisting {blacklisting.id} was never added")
    row.lifted_at = blacklisting.lifted_at
    row.lifted_by = blacklisting.lifted_by
    row.lift_reason = blacklisting.lift_reason
