"""The catalog and the departments that provide it, read-only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from xinyong.domain.access import ApiKey, Scope
from xinyong.domain.errors import NotFound
from xinyong.services import admin
from xinyong.web.deps import PolicyDep, UowDep, caller
from xinyong.web.schemas import CatalogItemPublic, DepartmentPublic

router = APIRouter(tags=["catalog"])


@router.get("/catalog")
def list_catalog(
    policy: PolicyDep, key: Annotated[ApiKey, caller(Scope.CATALOG_READ)]
) -> list[CatalogItemPublic]:
    """Every item of the catalog in force: what may be submitted, on which legal basis."""
    return [CatalogItemPublic.from_domain(item) for item in policy.catalog]


@router.get("/catalog/{code}")
def show_catalog_item(
    code: str, policy: PolicyDep, key: Annotated[ApiKey, caller(Scope.CATALOG_READ)]
) -> CatalogItemPublic:
    """One catalog item with its typed data items."""
    item = policy.catalog.get(code)
    if item is None:
        raise NotFound(f"{code} is not in catalog {policy.catalog.version}")
    return CatalogItemPublic.from_domain(item)


@router.get("/departments")
def list_departments(
    uow: UowDep, key: Annotated[ApiKey, caller(Scope.DEPARTMENTS_READ)]
) -> list[DepartmentPublic]:
    """The registered departments and the catalog items each may provide."""
    return [DepartmentPublic.from_domain(d) for d in admin.list_departments(uow)]
