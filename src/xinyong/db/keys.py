"""API keys: the stored half (a hash of the secret); sealing again under a new data key."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    ForeignKey,
    String,
    Table,
    Text,
    cast,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.db.base import Base
from xinyong.db.types import BigId, Json, Sealed, SealedJson, UTCDateTime
from xinyong.domain import vault
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
    #: An agency's key: the staff member it is issued to (db/agencies.py AgencyStaffRow).
    agency_staff_id: Mapped[int | None] = mapped_column(ForeignKey("agency_staff.id"))


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
            agency_staff_id=row.agency_staff_id,
        )

    def add(self, key: ApiKey) -> int:
        row = ApiKeyRow(
            prefix=key.prefix,
            secret_hash=key.secret_hash,
            label=key.label,
            department_code=key.department,
            scopes=sorted(s.value for s in key.scopes),
            created_at=key.created_at,
            agency_staff_id=key.agency_staff_id,
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


def sealed_columns() -> list[tuple[Table, list[Column[Any]]]]:
    """Every table with sealed columns (db/types.py Sealed, SealedJson), and those columns."""
    from xinyong.db.schema import metadata

    found = []
    for table in metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, Sealed | SealedJson)]
        if columns:
            found.append((table, columns))
    return found


def reseal(engine: Engine, *, chunk: int = 500) -> Iterator[tuple[str, int]]:
    """Seal again, under the current data key, every value sealed under an older one: a chunk
    of rows per short transaction (rows locked on PostgreSQL; SQLite's single writer), so the
    platform keeps serving. Yields (table, rows resealed) after each chunk."""
    keys = vault.current()
    old = [v for v in keys.data_keys if v != keys.current_version]
    if not old:
        return
    for table, columns in sealed_columns():
        key = next(iter(table.primary_key.columns))
        stale = or_(*(cast(c, Text).like(f"%sealed:{v}:%") for c in columns for v in old))
        after: Any = None
        while True:
            with engine.begin() as conn:
                query = select(key, *columns).where(stale).order_by(key).limit(chunk)
                if after is not None:
                    query = query.where(key > after)
                if engine.dialect.name == "postgresql":
                    query = query.with_for_update()
                rows = conn.execute(query).all()
                for row in rows:
                    # Read opened, written sealed again under the current key.
                    values = {c.name: row[i + 1] for i, c in enumerate(columns)}
                    conn.execute(update(table).where(key == row[0]).values(**values))
            if not rows:
                break
            after = rows[-1][0]
            yield table.name, len(rows)
