"""People's accounts, their session tokens, and agents acting under a power of attorney."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import (
    Date,
    ForeignKey,
    String,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.db.base import Base
from xinyong.db.types import BigId, Sealed, UTCDateTime
from xinyong.domain.accounts import Account
from xinyong.domain.errors import NotFound


class AccountRow(Base):
    """A person's real-name account: one per citizen ID number; only a hash of the password."""

    __tablename__ = "accounts"
    __pii_columns__: ClassVar[set[str]] = {"phone"}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), unique=True)
    phone: Mapped[str] = mapped_column(Sealed)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AccountTokenRow(Base):
    """A login: a session for the web (cookie) or a token for the API; only its hash is kept."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AgencyRow(Base):
    """An account acting for a person under a recorded power of attorney."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agent_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    principal_subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    power_of_attorney: Mapped[str] = mapped_column(String(200))
    valid_until: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SqlAccountRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _to_domain(row: AccountRow) -> Account:
        return Account(
            row.id, row.subject_id, row.phone, row.password_hash, row.created_at, row.disabled_at
        )

    def add(self, account: Account) -> int:
        row = AccountRow(
            subject_id=account.subject_id,
            phone=account.phone,
            password_hash=account.password_hash,
            created_at=account.created_at,
        )
        self.session.add(row)
        self.session.flush()
        account.id = row.id
        return row.id

    def get(self, account_id: int) -> Account:
        row = self.session.get(AccountRow, account_id)
        if row is None:
            raise NotFound(f"account {account_id} does not exist")
        return self._to_domain(row)

    def by_subject(self, subject_id: int) -> Account | None:
        row = self.session.scalar(select(AccountRow).where(AccountRow.subject_id == subject_id))
        return self._to_domain(row) if row else None

    def add_token(
        self, account_id: int, token_hash: str, *, at: datetime, expires_at: datetime
    ) -> None:
        self.session.add(
            AccountTokenRow(
                account_id=account_id, token_hash=token_hash, created_at=at, expires_at=expires_at
            )
        )
        self.session.flush()

    def by_token(self, token_hash: str, *, at: datetime) -> Account | None:
        row = self.session.scalar(
            select(AccountRow)
            .join(AccountTokenRow, AccountTokenRow.account_id == AccountRow.id)
            .where(
                AccountTokenRow.token_hash == token_hash,
                AccountTokenRow.revoked_at.is_(None),
                AccountTokenRow.expires_at > at,
                AccountRow.disabled_at.is_(None),
            )
        )
        return self._to_domain(row) if row else None

    def revoke_token(self, token_hash: str, *, at: datetime) -> bool:
        result = self.session.execute(
            update(AccountTokenRow)
            .where(AccountTokenRow.token_hash == token_hash, AccountTokenRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def add_agency(
        self,
        *,
        agent_account_id: int,
        principal_subject_id: int,
        power_of_attorney: str,
        valid_until: date,
        by: str,
        at: datetime,
    ) -> int:
        row = AgencyRow(
            agent_account_id=agent_account_id,
            principal_subject_id=principal_subject_id,
            power_of_attorney=power_of_attorney,
            valid_until=valid_until,
            recorded_by=by,
            recorded_at=at,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def principals_of(self, agent_account_id: int, *, on: date) -> list[int]:
        return list(
            self.session.scalars(
                select(AgencyRow.principal_subject_id).where(
                    AgencyRow.agent_account_id == agent_account_id,
                    AgencyRow.revoked_at.is_(None),
                    AgencyRow.valid_until >= on,
                )
            )
        )
