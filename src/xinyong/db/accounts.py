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
from xinyong.domain.accounts import Account, TokenInfo, TokenKind
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
    #: `session` (a browser's), `access` (an API token, minutes) or `refresh` (its renewal).
    kind: Mapped[str] = mapped_column(String(16), server_default="session")
    #: An API login's tokens share a family: a refresh token used twice ends the whole family.
    family: Mapped[str | None] = mapped_column(String(32), index=True)
    #: When a refresh token was exchanged (it is good once).
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


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
        self,
        account_id: int,
        token_hash: str,
        *,
        at: datetime,
        expires_at: datetime,
        kind: TokenKind = TokenKind.SESSION,
        family: str | None = None,
    ) -> None:
        self.session.add(
            AccountTokenRow(
                account_id=account_id,
                token_hash=token_hash,
                created_at=at,
                expires_at=expires_at,
                kind=kind.value,
                family=family,
            )
        )
        self.session.flush()

    def token_info(self, token_hash: str) -> TokenInfo | None:
        row = self.session.scalar(
            select(AccountTokenRow).where(AccountTokenRow.token_hash == token_hash)
        )
        if row is None:
            return None
        return TokenInfo(
            row.account_id,
            TokenKind(row.kind),
            row.family,
            row.expires_at,
            row.revoked_at,
            row.used_at,
        )

    def use_token(self, token_hash: str, *, at: datetime) -> bool:
        result = self.session.execute(
            update(AccountTokenRow)
            .where(
                AccountTokenRow.token_hash == token_hash,
                AccountTokenRow.used_at.is_(None),
                AccountTokenRow.revoked_at.is_(None),
            )
            .values(used_at=at)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def revoke_family(self, family: str, *, at: datetime) -> int:
        result = self.session.execute(
            update(AccountTokenRow)
            .where(AccountTokenRow.family == family, AccountTokenRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def by_token(self, token_hash: str, *, at: datetime) -> Account | None:
        row = self.session.scalar(
            select(AccountRow)
            .join(AccountTokenRow, AccountTokenRow.account_id == AccountRow.id)
            .where(
                AccountTokenRow.token_hash == token_hash,
                AccountTokenRow.kind != TokenKind.REFRESH.value,  # renews; never authenticates
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

    def set_password(self, account_id: int, password_hash: str) -> None:
        self.session.execute(
            update(AccountRow)
            .where(AccountRow.id == account_id)
            .values(password_hash=password_hash)
        )

    def revoke_tokens_of(self, account_id: int, *, at: datetime) -> int:
        result = self.session.execute(
            update(AccountTokenRow)
            .where(AccountTokenRow.account_id == account_id, AccountTokenRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

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
