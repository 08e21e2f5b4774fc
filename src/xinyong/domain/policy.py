"""The policy bundle: catalog, period figures, statutory bans and departments, loaded together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from xinyong.domain.catalog import BannedFields, Catalog, load_catalog
from xinyong.domain.departments import Department, read_departments
from xinyong.domain.periods import PeriodPolicy
from xinyong.domain.records import Gate
from xinyong.policy import PACKAGED, read_toml

DEFAULT_CATALOG_VERSION = "2024.1"


@dataclass(frozen=True, slots=True)
class Policy:
    """Everything the rules read from policy files, checked at start-up."""

    directory: Path
    catalog: Catalog
    periods: PeriodPolicy
    banned: BannedFields
    departments: tuple[Department, ...]

    def gate(self, today: date) -> Gate:
        return Gate(self.catalog, self.periods, self.banned, today)

    def department(self, code: str) -> Department | None:
        return next((d for d in self.departments if d.code == code), None)


def load_policy(directory: Path | None = None, *, catalog_version: str | None = None) -> Policy:
    """Load and check every policy file; a broken one raises CatalogError (file, item, field)."""
    root = directory or PACKAGED
    banned = BannedFields.from_policy(read_toml(root / "banned_fields.toml"))
    catalog = load_catalog(root / "catalog" / (catalog_version or DEFAULT_CATALOG_VERSION), banned)
    periods = PeriodPolicy.from_policy(read_toml(root / "periods.toml"), str(root / "periods.toml"))
    departments_file = root / "departments.toml"
    departments = read_departments(read_toml(departments_file), catalog, str(departments_file))
    return Policy(root, catalog, periods, banned, tuple(departments))
