"""Registrations waiting for (or past) real-name verification."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.db.base import Base
from xinyong.db.subjects import number_hash
from xinyong.db.types import BigId, Sealed, UTCDateTime
from xinyong.domain.accounts import Registration, RegistrationStatus
from xinyong.domain.errors import NotFound


class RegistrationRow(Base):
    """A request for an account; it opens one only once the identity is verified."""

    __tablename__ = "registrations"
    __pii_columns__: ClassVar[set[str]] = {"number", "name", "phone"}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(Sealed)
    #: The number's keyed hash (docs/at-rest.md): what a registration is looked up by.
    number_hash: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(Sealed)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    reasons: Mapped[str | None] = mapped_column(Text)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


def _to_domain(row: RegistrationRow) -> Registration:
    return Registration(
        row.id,
        row.number,
        row.name,
        row.phone,
        row.password_hash,
        row.created_at,
        RegistrationStatus(row.status),
        row.decided_at,
        row.decided_by,
        row.reasons,
        row.account_id,
    )


class SqlRegistrationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, registration: Registration) -> int:
        row = RegistrationRow(
            number=registration.number,
            number_hash=number_hash(registration.number),
            name=registration.name,
            phone=registration.phone,
            password_hash=registration.password_hash,
            created_at=registration.created_at,
            status=registration.status.value,
        )
        self.session.add(row)
        self.session.flush()
        registration.id = row.id
        return row.id

    def get(self, registration_id: int) -> Registration:
        row = self.session.get(RegistrationRow, registration_id)
        if row is None:
            raise NotFound(f"registration {registration_id} does not exist")
        return _to_domain(row)

    def save(self, registration: Registration) -> None:
        row = self.session.get(RegistrationRow, registration.id)
        if row is None:
            raise NotFound(f"registration {registration.id} does not exist")
        row.status = registration.status.value
        row.decided_at = registration.decided_at
        row.decided_by = registration.decided_by
        row.reasons = registration.reasons
        row.account_id = registration.account_id
        self.session.flush()

    def pending(self, *, limit: int) -> list[Registration]:
        rows = self.session.scalars(
            select(RegistrationRow)
            .where(RegistrationRow.status == RegistrationStatus.PENDING.value)
            .order_by(RegistrationRow.id)
            .limit(limit)
        )
        return [_to_domain(row) for row in rows]

    def latest_for(self, number: str) -> Registration | None:
        row = self.session.scalar(
            select(RegistrationRow)
            .where(
                RegistrationRow.number_hash == number_hash(number),
                RegistrationRow.status != RegistrationStatus.VERIFIED.value,
            )
            .order_by(RegistrationRow.id.desc())
            .limit(1)
        )
        return _to_domain(row) if row else None
