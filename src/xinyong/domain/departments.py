"""Departments: the public bodies that submit records and check, and their mandates: which catalog
items each may provide, for which deciding authorities it submits, which matters it may check."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from xinyong.domain.agencies import Licence, read_licence
from xinyong.domain.catalog import Catalog
from xinyong.domain.errors import CatalogError, OutsideMandate
from xinyong.domain.identifiers import InvalidIdentifier, parse_credit_code


def _folded(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split())


@dataclass(frozen=True, slots=True)
class Authority:
    """A deciding authority, by its name and unified social credit code."""

    name: str
    uscc: str

    def is_(self, name: str, uscc: str) -> bool:
        """The same authority: the same credit code, and the same name (spacing and full-width
        forms aside)."""
        return self.uscc == uscc.strip().upper() and _folded(self.name) == _folded(name)


@dataclass(frozen=True, slots=True)
class Department:
    """A public body (court, tax bureau, market regulator, …) that provides credit information
    or checks before it acts, and its mandate."""

    code: str
    name: str
    uscc: str
    region_code: str
    kind: str
    items: frozenset[str]
    #: The matters it may check (and screen) before it acts (docs/domain.md §8).
    matters: frozenset[str] = frozenset()
    #: Other deciding authorities it is registered to submit decisions for (its own always).
    submits_for: tuple[Authority, ...] = ()
    #: A credit reporting agency's licence as the policy file records it (domain/agencies.py);
    #: `departments sync` registers it, and the centre records renewals.
    licence: Licence | None = None
    #: Whether the policy still registers it. A department the policy drops stays stored (its
    #: records, cases and keys name it) but acts on no mandate: it submits nothing, proposes or
    #: records no listing, and no key is issued to it (`require_active`).
    active: bool = True
    #: `decides_for`'s answers by (name, credit code): a batch's rows name the same few
    #: authorities, row after row.
    _decides: dict[tuple[str, str], bool] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def require_active(self, action: str) -> None:
        """Refuse `action` of a department the policy no longer registers: its mandate is gone
        with it, whatever it held before."""
        if not self.active:
            raise OutsideMandate(
                f"department: {self.code} is no longer among the policy's departments and acts"
                " on no mandate",
                action=action,
            )

    def can_submit(self, item_code: str) -> bool:
        return item_code in self.items

    def may_check(self, matter: str) -> bool:
        return matter in self.matters

    def decides_for(self, name: str, uscc: str) -> bool:
        """Whether a decision by this authority is one the department may submit."""
        found = self._decides.get((name, uscc))
        if found is None:
            own = Authority(self.name, self.uscc)
            found = any(a.is_(name, uscc) for a in (own, *self.submits_for))
            if len(self._decides) < 1024:
                self._decides[name, uscc] = found
        return found


def read_departments(
    data: Mapping[str, Any], catalog: Catalog, file: str, known_matters: frozenset[str]
) -> list[Department]:
    """Read `[[departments]]` and check each against the catalog's providers and the registry's
    matters."""
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
            if not item.applies_in(raw["region_code"]):
                raise CatalogError(
                    file,
                    code,
                    "items",
                    f"{item_code} is a local item of region {item.region}; a department of"
                    f" region {raw['region_code']} is outside it",
                )
        matters = raw.get("matters", [])
        if not isinstance(matters, list) or not all(isinstance(m, str) for m in matters):
            raise CatalogError(file, code, "matters", "must be a list of matter codes")
        unknown = set(matters) - known_matters
        if unknown:
            raise CatalogError(
                file, code, "matters", f"not in the measure registry: {', '.join(sorted(unknown))}"
            )
        out.append(
            Department(
                code,
                raw["name"],
                uscc,
                raw["region_code"],
                raw["kind"],
                frozenset(items),
                frozenset(matters),
                _authorities(raw.get("submits_for", []), file, code),
                read_licence(raw["licence"], file, code) if "licence" in raw else None,
            )
        )
    return out


def _authorities(raw: object, file: str, code: str) -> tuple[Authority, ...]:
    if not isinstance(raw, list):
        raise CatalogError(file, code, "submits_for", "must be a list of {name, uscc} tables")
    out: list[Authority] = []
    for entry in raw:
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(k), str) and entry[k] for k in ("name", "uscc")
        ):
            raise CatalogError(file, code, "submits_for", "each entry needs a name and a uscc")
        try:
            uscc = parse_credit_code(entry["uscc"]).code
        except InvalidIdentifier as exc:
            raise CatalogError(file, code, "submits_for", exc.reason) from None
        out.append(Authority(entry["name"], uscc))
    return tuple(out)
