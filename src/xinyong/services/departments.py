"""Departments: the public bodies that submit records, check, decide and answer for their
findings, registered from the policy's departments file."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.departments import Department
from xinyong.domain.errors import NotFound

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


class DepartmentRepository(Protocol):
    def get(self, code: str) -> Department | None: ...
    def list(self) -> list[Department]: ...
    def upsert(self, department: Department, *, at: datetime) -> bool:
        """Store or update a department, active; return True if anything changed."""
        ...

    def deactivate_others(self, keep: Collection[str], *, at: datetime) -> tuple[str, ...]:
        """Deactivate every active department whose code is not in `keep` (never delete one:
        records, cases and keys name it); return their codes."""
        ...


def sync_departments(uow: UnitOfWork, departments: Iterable[Department], *, actor: str) -> int:
    """Store the policy's departments, and deactivate those it no longer has (they keep their
    records and cases, but submit, propose and are issued keys no more); return how many were
    added, changed or deactivated."""
    departments = list(departments)
    changed = 0
    with uow:
        at = uow.now()
        for department in departments:
            if uow.departments.upsert(department, at=at):
                changed += 1
                uow.audit.add(
                    AuditEvent(
                        EventTag.DEPARTMENTS_SYNCED,
                        actor,
                        "department",
                        department.code,
                        at,
                        data={"items": sorted(department.items)},
                    )
                )
            # An agency's licence as the policy records it (renewals: `xinyong agencies licence`).
            if department.licence is not None and uow.agencies.licence_of(department.code) is None:
                uow.agencies.set_licence(department.code, department.licence, by=actor, at=at)
                uow.audit.add(
                    AuditEvent(
                        EventTag.AGENCY_LICENSED,
                        actor,
                        "agency",
                        department.code,
                        at,
                        data={"number": department.licence.number},
                    )
                )
        for code in uow.departments.deactivate_others({d.code for d in departments}, at=at):
            changed += 1
            uow.audit.add(
                AuditEvent(
                    EventTag.DEPARTMENT_DEACTIVATED,
                    actor,
                    "department",
                    code,
                    at,
                    reason="no longer among the policy's departments",
                )
            )
        uow.commit()
    return changed


def list_departments(uow: UnitOfWork) -> list[Department]:
    with uow:
        return uow.departments.list()


def require_department(
    uow: UnitOfWork, code: str, *, action: str = "record:submit", active_only: bool = True
) -> Department:
    """The registered department with this code (inside the caller's transaction), or NotFound;
    one the policy no longer registers is refused `action` (OutsideMandate) unless not
    `active_only`: a peer's change to a record of it is its origin's to make, and reaches a copy
    held here whatever this node's policy says of the department (docs/exchange.md)."""
    department = uow.departments.get(code)
    if department is None:
        raise NotFound(f"department {code} is not registered")
    if active_only:
        department.require_active(action)
    return department
