"""The registered departments and the catalog items each may provide."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel

from xinyong.domain.access import Scope
from xinyong.domain.departments import Department
from xinyong.domain.keys import ApiKey
from xinyong.services import departments
from xinyong.web.deps import UowDep, caller

router = APIRouter(tags=["departments"])


class DepartmentPublic(BaseModel):
    code: str
    name: str
    uscc: str
    region_code: str
    kind: str
    items: list[str]

    @classmethod
    def from_domain(cls, d: Department) -> DepartmentPublic:
        return cls(
            code=d.code,
            name=d.name,
            uscc=d.uscc,
            region_code=d.region_code,
            kind=d.kind,
            items=sorted(d.items),
        )


@router.get("/departments")
def list_departments(
    uow: UowDep, key: Annotated[ApiKey, caller(Scope.DEPARTMENTS_READ)]
) -> list[DepartmentPublic]:
    """The registered departments and the catalog items each may provide."""
    return [DepartmentPublic.from_domain(d) for d in departments.list_departments(uow)]
