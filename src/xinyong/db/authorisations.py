"""Authorisations a person granted to a party."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    String,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.db.base import Base
from xinyong.db.types import BigId, UTCDateTime
from xinyong.domain.authorisations import Authorisation
from xinyong.domain.errors import NotFound


class AuthorisationRow(Base):
    """A person's authorisation of a party (a credit reporting agency, a bank) to query them."""

    __tablename__ = "authorisations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    grantee: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    purpose: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(32))
    expires_on: Mapped[date] = mapped_column(Date)
    granted_by: Mapped[str] = mapped_column(String(100))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SqlAuthorisationRepository:
    """Authorisations, by subject."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _to_domain(row: AuthorisationRow) -> Authorisation:
        return Authorisation(
            row.id,
            row.subject_id,
            row.grantee,
            row.purpose,
            row.scope,
            row.expires_on,
            row.granted_by,
            row.granted_at,
            row.revoked_at,
        )

    def add(self, authorisation: Authorisation) -> int:
        a = authorisation
        row = AuthorisationRow(
            subject_id=a.subject_id,
            grantee=a.grantee,
            purpose=a.purpose,
            scope=a.scope,
            expires_on=a.expires_on,
            granted_by=a.granted_by,
            granted_at=a.granted_at,
        )
        self.session.add(row)
        self.session.flush()
        a.id = row.id
        return row.id

    def get(self, authorisation_id: int) -> Authorisation:
        row = self.session.get(AuthorisationRow, authorisation_id)
        if row is None:
            raise NotFound(f"authorisation {authorisation_id} does not exist")
        return self._to_domain(row)

    def of_subject(self, subject_id: int) -> list[Authorisation]:
        rows = self.session.scalars(
            select(AuthorisationRow)
            .where(AuthorisationRow.subject_id == subject_id)
            .order_by(AuthorisationRow.id)
        )
        return [self._to_domain(r) for r in rows]

    def save(self, authorisation: Authorisation) -> None:
        self.session.execute(
            update(AuthorisationRow)
            .where(AuthorisationRow.id == authorisation.id)
            .values(revoked_at=authorisation.revoked_at)
        )
