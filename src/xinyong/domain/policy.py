"""The policy bundle: catalog, periods, bans, departments, lists and measures, loaded together."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from xinyong.domain.accounts import AccountRules
from xinyong.domain.authorisations import AuthorisationRules
from xinyong.domain.catalog import BannedFields, Catalog, CatalogItem
from xinyong.domain.catalog_files import load_catalogs
from xinyong.domain.departments import Department, read_departments
from xinyong.domain.errors import CatalogError
from xinyong.domain.feed import AcknowledgementRules
from xinyong.domain.lists import ListType, read_list_types
from xinyong.domain.measures import Registry, read_registry
from xinyong.domain.objections import ObjectionRules
from xinyong.domain.periods import PeriodPolicy, archive_years
from xinyong.domain.querylog import QueryLogRules
from xinyong.domain.rates import RateRules
from xinyong.domain.records import Gate
from xinyong.domain.repairs import RepairRules
from xinyong.domain.staff import StaffRules
from xinyong.domain.tipoffs import TipOffRules
from xinyong.policy import PACKAGED, read_toml

DEFAULT_CATALOG_VERSION = "2024.1"


class Versioned(Protocol):
    """A record, or what is told of one: its item and the catalog version it was accepted under."""

    @property
    def item_code(self) -> str: ...

    @property
    def catalog_version(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Policy:
    """Everything the rules read from policy files, checked at start-up."""

    directory: Path
    #: The configured catalog version: the one new records are accepted under.
    catalog: Catalog
    periods: PeriodPolicy
    banned: BannedFields
    departments: tuple[Department, ...]
    list_types: Mapping[str, ListType]
    registry: Registry
    objections: ObjectionRules
    repairs: RepairRules
    authorisations: AuthorisationRules
    accounts: AccountRules
    querylog: QueryLogRules
    tipoffs: TipOffRules
    staff: StaffRules
    rates: RateRules
    #: What agencies acknowledge in their feed, and by when (`rights.toml [agencies]`).
    acknowledgements: AcknowledgementRules
    #: Every catalog version the policy folder holds (the configured one too), by version.
    catalogs: Mapping[str, Catalog]

    def item_of(self, record: Versioned) -> CatalogItem | None:
        """The item `record` was accepted under, as its own catalog version states it; None when
        that version is not loaded (its folder removed) or lacks the code. Never the configured
        version's item of the same code: a record keeps its version (docs/catalog.md)."""
        catalog = self.catalogs.get(record.catalog_version)
        return catalog.get(record.item_code) if catalog is not None else None

    def gate(self, today: date) -> Gate:
        return Gate(self.catalog, self.periods, self.banned, today)

    def department(self, code: str) -> Department | None:
        return next((d for d in self.departments if d.code == code), None)

    def archive_years(self, record: Versioned) -> int:
        """The years `record` stays in the archive once out of display, by its own item."""
        return archive_years(self.item_of(record), self.periods)


def load_policy(directory: Path | None = None, *, catalog_version: str | None = None) -> Policy:
    """Load and check every policy file; a broken one raises CatalogError (file, item, field)."""
    root = directory or PACKAGED
    banned = BannedFields.from_policy(read_toml(root / "banned_fields.toml"))
    current = catalog_version or DEFAULT_CATALOG_VERSION
    catalog, catalogs = load_catalogs(root / "catalog", current, banned)
    periods = PeriodPolicy.from_policy(read_toml(root / "periods.toml"), str(root / "periods.toml"))
    lists_file = root / "lists.toml"  # a policy without lists keeps none (and so no measures)
    lists_data = read_toml(lists_file) if lists_file.exists() else {}
    list_types = read_list_types(
        lists_data, str(lists_file), frozenset(catalog.items), catalog.items
    )
    measures_file = root / "measures.toml"
    measures_data = read_toml(measures_file) if measures_file.exists() else {}
    registry = read_registry(
        measures_data, str(measures_file), {t.code: t.kind for t in list_types}
    )
    departments_file = root / "departments.toml"
    departments = read_departments(
        read_toml(departments_file), catalog, str(departments_file), frozenset(registry.matters)
    )
    if lists_file.exists():  # a policy that keeps lists must say where each serious item goes
        for item, field, reason in serious_item_problems(catalog, list_types, registry):
            raise CatalogError(str(root / "catalog"), item, field, reason)
    rights_file = root / "rights.toml"
    if not rights_file.exists():  # a policy folder without it keeps the packaged defaults
        rights_file = PACKAGED / "rights.toml"
    rights, rights_name = read_toml(rights_file), str(rights_file)
    repairs = RepairRules.from_policy(rights, rights_name)
    for code in repairs.unrepairable:  # only negative information has anything to repair
        excluded = catalog.get(code)
        if excluded is None or excluded.nature.value != "negative":
            raise CatalogError(rights_name, code, "unrepairable", "is no negative catalog item")
    tipoffs_file = root / "tipoffs.toml"  # without it, a policy routes no tip-offs (none taken)
    tipoffs = (
        TipOffRules.from_policy(
            read_toml(tipoffs_file), str(tipoffs_file), frozenset(d.code for d in departments)
        )
        if tipoffs_file.exists()
        else TipOffRules.closed()
    )
    rates_file = root / "rates.toml"
    if not rates_file.exists():  # a policy folder without it keeps the packaged limits
        rates_file = PACKAGED / "rates.toml"
    rates = RateRules.from_policy(read_toml(rates_file), str(rates_file))
    return Policy(
        root,
        catalog,
        periods,
        banned,
        tuple(departments),
        {t.code: t for t in list_types},
        registry,
        ObjectionRules.from_policy(rights, rights_name),
        repairs,
        AuthorisationRules.from_policy(rights, rights_name),
        AccountRules.from_policy(rights, rights_name),
        QueryLogRules.from_policy(rights, rights_name),
        tipoffs,
        StaffRules.from_policy(rights, rights_name),
        rates,
        AcknowledgementRules.from_policy(rights, rights_name),
        catalogs,
    )


def serious_item_problems(
    catalog: Catalog, list_types: Sequence[ListType], registry: Registry
) -> list[tuple[str, str, str]]:
    """(item, field, reason) for each catalog item whose records can be serious but that neither
    feeds a list some measure is triggered by, nor says in `no_list_reason` why it feeds none."""
    triggered = {code for m in registry.measures.values() for code in m.triggers}
    problems: list[tuple[str, str, str]] = []
    for item in catalog:
        fed = [t.code for t in list_types if item.code in t.source_items]
        if item.no_list_reason and fed:
            problems.append(
                (item.code, "no_list_reason", f"feeds {', '.join(fed)}: drop the reason")
            )
        elif item.can_be_serious and not item.no_list_reason:
            if not fed:
                problems.append(
                    (
                        item.code,
                        "no_list_reason",
                        "its records can be serious: name a list it feeds (source_items)"
                        " or say why it feeds none",
                    )
                )
            elif not any(code in triggered for code in fed):
                problems.append(
                    (item.code, "source_items", f"no measure is triggered by {', '.join(fed)}")
                )
    return problems
