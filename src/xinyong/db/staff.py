"""Staff users of the consoles and their sessions (only hashes of passwords and tokens; the TOTP
secret sealed under the data key, docs/at-rest.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.db.base import Base
from xinyong.db.types import BigId, Json, Sealed, UTCDateTime
from xinyong.domain.access import Role
from xinyong.domain.errors import NotFound
from xinyong.domain.staff import StaffUser


class StaffRow(Base):
    """A department's or the credit centre's user: a role, a password hash, a sealed TOTP secret."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    #: The department's other role, where its mandate covers both (a list of role values).
    also_roles: Mapped[list[str] | None] = mapped_column(Json)
    department_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str] = mapped_column(Sealed)  # sealed at rest, as identifiers are
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StaffSessionRow(Base):
    """A console login: pending until its code is given (`confirmed`), then a session."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SqlStaffRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _to_domain(row: StaffRow) -> StaffUser:
        return StaffUser(
            id=row.id,
            username=row.username,
            name=row.name,
            role=Role(row.role),
            department=row.department_code,
            password_hash=row.password_hash,
            totp_secret=row.totp_secret,
            created_at=row.created_at,
            created_by=row.created_by,
            enrolled_at=row.enrolled_at,
            last_step=row.last_step,
            failed_logins=row.failed_logins,
            locked_until=row.locked_until,
            disabled_at=row.disabled_at,
            also=tuple(Role(r) for r in row.also_roles or ()),
        )

    def add(self, staff: StaffUser) -> int:
        row = StaffRow(
            username=staff.username,
            name=staff.name,
            role=staff.role.value,
            also_roles=[r.value for r in staff.also],
            department_code=staff.department,
            password_hash=staff.password_hash,
            totp_secret=staff.totp_secret,
            created_at=staff.created_at,
            created_by=staff.created_by,
            failed_logins=0,
        )
        self.session.add(row)
        self.session.flush()
        staff.id = row.id
        return row.id

    def get(self, staff_id: int) -> StaffUser:
        row = self.session.get(StaffRow, staff_id)
        if row is None:
            raise NotFound(f"staff user {staff_id} does not exist")
        return self._to_domain(row)

    def by_username(self, username: str) -> StaffUser | None:
        row = self.session.scalar(select(StaffRow).where(StaffRow.username == username))
        return self._to_domain(row) if row else None

    def list(self) -> list[StaffUser]:
        rows = self.session.scalars(select(StaffRow).order_by(StaffRow.username))
        return [self._to_domain(row) for row in rows]

    def save(self, staff: StaffUser) -> None:
        row = self.session.get(StaffRow, staff.id)
        if row is None:
            raise NotFound(f"staff user {staff.id} does not exist")
        row.enrolled_at = staff.enrolled_at
        row.last_step = staff.last_step
        row.failed_logins = staff.failed_logins
        row.locked_until = staff.locked_until
        row.disabled_at = staff.disabled_at
        self.session.flush()

    def add_session(
        self, staff_id: int, token_hash: str, *, at: datetime, expires_at: datetime
    ) -> None:
        self.session.add(
            StaffSessionRow(
                staff_id=staff_id,
                token_hash=token_hash,
                created_at=at,
                expires_at=expires_at,
                confirmed=False,
            )
        )
        self.session.flush()

    def live_session(self, token_hash: str, *, at: datetime) -> tuple[StaffUser, bool] | None:
        found = self.session.execute(
            select(StaffRow, StaffSessionRow.confirmed)
            .join(StaffSessionRow, StaffSessionRow.staff_id == StaffRow.id)
            .where(
                StaffSessionRow.token_hash == token_hash,
                StaffSessionRow.revoked_at.is_(None),
                StaffSessionRow.expires_at > at,
                StaffRow.disabled_at.is_(None),
            )
        ).first()
        if found is None:
            return None
        return self._to_domain(found[0]), bool(found[1])

    def confirm_session(self, token_hash: str, *, at: datetime, expires_at: datetime) -> None:
        self.session.execute(
            update(StaffSessionRow)
            .where(StaffSessionRow.token_hash == token_hash, StaffSessionRow.revoked_at.is_(None))
            .values(confirmed=True, expires_at=expires_at)
        )

    def revoke_sessions(self, staff_id: int, *, at: datetime) -> None:
        self.session.execute(
            update(StaffSessionRow)
            .where(StaffSessionRow.staff_id == staff_id, StaffSessionRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    def revoke_session(self, token_hash: str, *, at: datetime) -> None:
        self.session.execute(
            update(StaffSessionRow)
            .where(StaffSessionRow.token_hash == token_hash, StaffSessionRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )
