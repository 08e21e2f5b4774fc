"""Departments, registered from the policy file."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import (
    Boolean,
    String,
    select,
    true,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.db.base import Base
from xinyong.db.types import Json, UTCDateTime
from xinyong.domain.departments import Authority, Department


class DepartmentRow(Base):
    """A public body that provides records."""

    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    region_code: Mapped[str] = mapped_column(String(6))
    kind: Mapped[str] = mapped_column(String(40))
    items: Mapped[list[str]] = mapped_column(Json, default=list)
    #: The matters it may check, and the other authorities it submits for ([name, uscc] pairs).
    matters: Mapped[list[str]] = mapped_column(Json, default=list)
    submits_for: Mapped[list[list[str]]] = mapped_column(Json, default=list)
    #: False once the policy no longer registers it: kept (records and cases name it), but it
    #: acts on no mandate (domain/departments.py `Department.active`).
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SqlDepartmentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _to_domain(row: DepartmentRow) -> Department:
        return Department(
            row.code,
            row.name,
            row.uscc,
            row.region_code,
            row.kind,
            frozenset(row.items),
            frozenset(row.matters or ()),
            tuple(Authority(name, uscc) for name, uscc in row.submits_for or ()),
            active=row.active,
        )

    def get(self, code: str) -> Department | None:
        row = self.session.get(DepartmentRow, code)
        return self._to_domain(row) if row else None

    def list(self) -> list[Department]:
        rows = self.session.scalars(select(DepartmentRow).order_by(DepartmentRow.code))
        return [self._to_domain(r) for r in rows]

    def upsert(self, department: Department, *, at: datetime) -> bool:
        row = self.session.get(DepartmentRow, department.code)
        values = {
            "name": department.name,
            "uscc": department.uscc,
            "region_code": department.region_code,
            "kind": department.kind,
            "items": sorted(department.items),
            "matters": sorted(department.matters),
            "submits_for": [[a.name, a.uscc] for a in department.submits_for],
            "active": True,  # in the policy: registered again if it had been dropped
        }
        if row is None:
            self.session.add(DepartmentRow(code=department.code, updated_at=at, **values))
            self.session.flush()
            return True
        if all(getattr(row, key) == value for key, value in values.items()):
            return False
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = at
        self.session.flush()
        return True

    def deactivate_others(self, keep: Collection[str], *, at: datetime) -> tuple[str, ...]:
        rows = self.session.scalars(
            select(DepartmentRow).where(DepartmentRow.active.is_(True)).order_by(DepartmentRow.code)
        )
        dropped = [row for row in rows if row.code not in keep]
        for row in dropped:
            row.active = False
            row.updated_at = at
        self.session.flush()
        return tuple(row.code for row in dropped)
