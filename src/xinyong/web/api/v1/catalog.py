"""The catalog in force: what may be submitted, by whom, on which legal basis, with which fields."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel

from xinyong.domain.access import Scope
from xinyong.domain.catalog import CatalogItem, DataItem
from xinyong.domain.errors import NotFound
from xinyong.domain.keys import ApiKey
from xinyong.domain.regions import region_name
from xinyong.web.deps import PolicyDep, caller

router = APIRouter(tags=["catalog"])


class DataItemPublic(BaseModel):
    name: str
    type: str
    label_zh: str
    label_en: str
    required: bool
    values: list[str] | None = None
    min: str | None = None
    max: str | None = None
    requires_consent: bool = False

    @classmethod
    def from_domain(cls, item: DataItem) -> DataItemPublic:
        return cls(
            name=item.name,
            type=item.type.value,
            label_zh=item.label_zh,
            label_en=item.label_en,
            required=item.required,
            values=list(item.values) or None,
            min=str(item.minimum) if item.minimum is not None else None,
            max=str(item.maximum) if item.maximum is not None else None,
            requires_consent=item.requires_consent,
        )


class CatalogRegionPublic(BaseModel):
    """The province or city whose own rule a local item rests on."""

    code: str
    name_zh: str
    name_en: str

    @classmethod
    def of(cls, code: str) -> CatalogRegionPublic:
        name_zh, name_en = region_name(code)
        return cls(code=code, name_zh=name_zh, name_en=name_en)


class CatalogItemPublic(BaseModel):
    code: str
    name_zh: str
    name_en: str
    category: str
    subject_type: str
    nature: str
    legal_basis: list[str]
    providers: list[str]
    public: bool
    sharing_scope: str
    display_rule: str
    display_months: int | None
    retention_years: int
    update_frequency: str
    default_severity: str | None
    min_subject_age: int | None
    fields: list[DataItemPublic]
    #: A sub-national item: true, with its region and the local rules it rests on.
    local: bool = False
    region: CatalogRegionPublic | None = None
    local_basis: list[str] = []

    @classmethod
    def from_domain(cls, item: CatalogItem) -> CatalogItemPublic:
        return cls(
            code=item.code,
            name_zh=item.name_zh,
            name_en=item.name_en,
            category=item.category.value,
            subject_type=item.subject_type.value,
            nature=item.nature.value,
            legal_basis=list(item.legal_basis),
            providers=sorted(item.providers),
            public=item.public,
            sharing_scope=item.sharing_scope.value,
            display_rule=item.display_rule.value,
            display_months=item.display_months,
            retention_years=item.retention_years,
            update_frequency=item.update_frequency,
            default_severity=item.default_severity.value if item.default_severity else None,
            min_subject_age=item.min_subject_age,
            fields=[DataItemPublic.from_domain(f) for f in item.fields],
            local=item.is_local,
            region=CatalogRegionPublic.of(item.region) if item.region else None,
            local_basis=list(item.local_basis),
        )


Reader = Annotated[ApiKey, caller(Scope.CATALOG_READ)]


@router.get("/catalog")
def list_catalog(policy: PolicyDep, key: Reader) -> list[CatalogItemPublic]:
    """Every item of the catalog in force: what may be submitted, on which legal basis (a
    region's own items too, each with its region and local basis)."""
    return [CatalogItemPublic.from_domain(item) for item in policy.catalog]


@router.get("/catalog/{code}")
def show_catalog_item(code: str, policy: PolicyDep, key: Reader) -> CatalogItemPublic:
    """One catalog item with its typed data items."""
    item = policy.catalog.get(code)
    if item is None:
        raise NotFound(f"code: no such item in catalog {policy.catalog.version}")
    return CatalogItemPublic.from_domain(item)
