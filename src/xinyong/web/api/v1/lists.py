"""List types and the measure registry, read-only (the policy in force)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from xinyong.domain.access import ApiKey, Scope
from xinyong.domain.errors import NotFound
from xinyong.web.deps import PolicyDep, caller
from xinyong.web.schemas import ListTypePublic, MeasurePublic

router = APIRouter(tags=["lists and measures"])

Reader = Annotated[ApiKey, caller(Scope.LISTS_READ)]


@router.get("/lists/types")
def list_list_types(policy: PolicyDep, key: Reader) -> list[ListTypePublic]:
    """Every list type: its legal basis, criteria, period, exit grounds and who decides."""
    return [ListTypePublic.from_domain(t) for t in policy.list_types.values()]


@router.get("/lists/types/{code}")
def show_list_type(code: str, policy: PolicyDep, key: Reader) -> ListTypePublic:
    """One list type."""
    list_type = policy.list_types.get(code)
    if list_type is None:
        raise NotFound(f"no list type {code}")
    return ListTypePublic.from_domain(list_type)


@router.get("/measures")
def list_measures(
    policy: PolicyDep,
    key: Reader,
    matter: Annotated[
        str | None, Query(max_length=64, description="Only measures for this matter")
    ] = None,
) -> list[MeasurePublic]:
    """The measure registry: each reward or punishment, its legal basis, triggers and matters."""
    return [MeasurePublic.from_domain(m) for m in policy.registry.listing(matter)]
