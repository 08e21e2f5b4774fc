"""API keys: the stored half (a hash of the secret)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    String,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.db.base import Base
from xinyong.db.types import BigId, Json, UTCDateTime
from xinyong.domain.access import Scope
from xinyong.domain.keys import ApiKey


class ApiKeyRow(Base):
    """An API key: only a hash of the secret is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    department_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    scopes: Mapped[list[str]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SqlApiKeyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _to_domain(row: ApiKeyRow) -> ApiKey:
        return ApiKey(
            id=row.id,
            prefix=row.prefix,
            secret_hash=row.secret_hash,
            label=row.label,
            department=row.department_code,
            scopes=frozenset(Scope(s) for s in row.scopes if s in Scope._value2member_map_),
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )

    def add(self, key: ApiKey) -> int:
        row = ApiKeyRow(
            prefix=key.prefix,
            secret_hash=key.secret_hash,
            label=key.label,
            department_code=key.department,
            scopes=sorted(s.value for s in key.scopes),
            created_at=key.created_at,
        )
        self.session.add(row)
        self.session.flush()
        key.id = row.id
        return row.id

    def by_prefix(self, prefix: str) -> ApiKey | None:
        row = self.session.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == prefix))
        return self._to_domain(row) if row else None

    def list(self) -> list[ApiKey]:
        return [
            self._to_domain(r)
            for r in self.session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id))
        ]

    def revoke(self, prefix: str, *, at: datetime) -> bool:
        result = self.session.execute(
            update(ApiKeyRow)
            .where(ApiKeyRow.prefix == prefix, ApiKeyRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
