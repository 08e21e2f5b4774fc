"""The measure registry: each reward or punishment, its legal basis, triggers and matters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from xinyong.domain.access import Scope
from xinyong.domain.keys import ApiKey
from xinyong.domain.measures import Measure
from xinyong.web.deps import PolicyDep, caller

router = APIRouter(tags=["lists and measures"])


class MeasurePublic(BaseModel):
    code: str
    name_zh: str
    name_en: str
    category: str
    legal_basis: list[str]
    implementing_unit: str
    triggers: list[str]
    matters: list[str]
    reaches_roles: list[str]

    @classmethod
    def from_domain(cls, m: Measure) -> MeasurePublic:
        return cls(
            code=m.code,
            name_zh=m.name_zh,
            name_en=m.name_en,
            category=m.category.value,
            legal_basis=list(m.legal_basis),
            implementing_unit=m.implementing_unit,
            triggers=sorted(m.triggers),
            matters=sorted(m.matters),
            reaches_roles=sorted(r.value for r in m.reaches_roles),
        )


@router.get("/measures")
def list_measures(
    policy: PolicyDep,
    key: Annotated[ApiKey, caller(Scope.LISTS_READ)],
    matter: Annotated[
        str | None, Query(max_length=64, description="Only measures for this matter")
    ] = None,
) -> list[MeasurePublic]:
    """The measure registry: each reward or punishment, its legal basis, triggers and matters."""
    return [MeasurePublic.from_domain(m) for m in policy.registry.listing(matter)]
