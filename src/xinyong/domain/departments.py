"""Departments: the public bodies that submit records and the catalog items each may provide."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from xinyong.domain.catalog import Catalog
from xinyong.domain.errors import CatalogError
from xinyong.domain.identifiers import InvalidIdentifier, parse_credit_code


@dataclass(frozen=True, slots=True)
class Department:
    """A public body (court, tax bureau, market regulator, …) that provides credit information."""

    code: str
    name: str
    uscc: str
    region_code: str
    kind: str
    items: frozenset[str]

    def can_submit(self, item_code: str) -> bool:
        return item_code in self.items


def read_departments(data: Mapping[str, Any], catalog: Catalog, file: str) -> list[Department]:
    """Read `[[departments]]` and check each against the catalog's providers."""
    out: list[Department] = []
    seen: set[str] = set()
    for raw in data.get("departments", []):
        code = str(raw.get("code", ""))
        if not code or code in seen:
            raise CatalogError(file, code or "?", "code", "must be present and unique")
        seen.add(code)
        for key in ("name", "uscc", "region_code", "kind"):
            if not isinstance(raw.get(key), str) or not raw[key]:
                raise CatalogError(file, code, key, "must be a non-empty string")
        try:
            uscc = parse_credit_code(raw["uscc"]).code
        except InvalidIdentifier as exc:
            raise CatalogError(file, code, "uscc", exc.reason) from None
        if not raw["region_code"].isdigit() or len(raw["region_code"]) != 6:
            raise CatalogError(
                file, code, "region_code", "must be a 6-digit administrative region code"
            )
        items = raw.get("items", [])
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise CatalogError(file, code, "items", "must be a list of catalog item codes")
        for item_code in items:
            item = catalog.get(item_code)
            if item is None:
                raise CatalogError(
                    file, code, "items", f"{item_code} is not in catalog {catalog.version}"
                )
            if raw["kind"] not in item.providers:
                raise CatalogError(
                    file, code, "items", f"a {raw['kind']} department may not provide {item_code}"
                )
        out.append(
            Department(code, raw["name"], uscc, raw["region_code"], raw["kind"], frozenset(items))
        )
    return out
