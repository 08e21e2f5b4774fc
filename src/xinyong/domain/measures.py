"""The measure registry and the check: which rewards or punishments apply to a subject for a matter.

Measures come only from the registry, each with its legal basis cited directly. A check is a pure
function of the registry, the subject's lists in force and the matter; an organisation's listing
reaches a person who answers for it only where the measure itself says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from xinyong.domain.errors import CatalogError, NotFound
from xinyong.domain.list_types import ListKind
from xinyong.domain.lists import ListEntry
from xinyong.domain.subjects import RoleKind


class MeasureCategory(StrEnum):
    """Rights-reducing measures by public bodies need a direct legal basis; market and social
    measures are voluntary; rewards are measures too."""

    RIGHTS_REDUCING = "rights_reducing"
    MANAGEMENT = "management"
    MARKET_SOCIAL = "market_social"
    REWARD = "reward"


@dataclass(frozen=True, slots=True)
class Matter:
    """Something a department grants or sells: a permit, a procurement, a flight ticket."""

    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True, slots=True)
class Measure:
    """One reward or punishment, the lists that trigger it and the matters it applies to."""

    code: str
    name_zh: str
    name_en: str
    category: MeasureCategory
    legal_basis: tuple[str, ...]
    implementing_unit: str
    triggers: frozenset[str]
    matters: frozenset[str]
    reaches_roles: frozenset[RoleKind] = frozenset()

    def applies_to(self, matter: str) -> bool:
        return matter in self.matters


@dataclass(frozen=True, slots=True)
class Registry:
    """The measures in force and the matters they speak of."""

    measures: Mapping[str, Measure]
    matters: Mapping[str, Matter]

    def for_matter(self, matter: str) -> list[Measure]:
        return [m for m in self.measures.values() if m.applies_to(matter)]

    def listing(self, matter: str | None = None) -> list[Measure]:
        """The measures for `matter` (all when None), by code; an unknown matter is NotFound."""
        if matter is not None and matter not in self.matters:
            raise NotFound(f"no such matter; matters are {', '.join(sorted(self.matters))}")
        found = self.for_matter(matter) if matter else list(self.measures.values())
        return sorted(found, key=lambda m: m.code)


_MEASURE_KEYS = frozenset(
    {
        "code",
        "name_zh",
        "name_en",
        "category",
        "legal_basis",
        "implementing_unit",
        "triggers",
        "matters",
        "reaches_roles",
    }
)


#: The measure categories that burden the subject: a good-credit list never triggers one.
_PUNITIVE = frozenset({MeasureCategory.RIGHTS_REDUCING, MeasureCategory.MANAGEMENT})


def _check_triggers(
    file: str,
    code: str,
    category: MeasureCategory,
    triggers: frozenset[str],
    list_kinds: Mapping[str, ListKind],
) -> None:
    """Refuse a trigger that is no known list, or a list of the wrong kind for the category: a
    reward rests on good-credit lists only, a rights-reducing or management measure on none
    (market and social measures may follow either: private actors weigh both)."""
    if not triggers or not triggers <= frozenset(list_kinds):
        unknown = ", ".join(sorted(triggers - frozenset(list_kinds))) or "none given"
        raise CatalogError(file, code, "triggers", f"must name known lists; unknown: {unknown}")
    good = {t for t in triggers if list_kinds[t] is ListKind.GOOD_CREDIT}
    if category is MeasureCategory.REWARD and good != triggers:
        wrong = ", ".join(sorted(triggers - good))
        raise CatalogError(
            file, code, "triggers", f"a reward is triggered by good-credit lists only, not {wrong}"
        )
    if category in _PUNITIVE and good:
        raise CatalogError(
            file,
            code,
            "triggers",
            f"a {category.value} measure is never triggered by a good-credit list:"
            f" {', '.join(sorted(good))}",
        )


def read_registry(
    data: Mapping[str, Any], file: str, list_kinds: Mapping[str, ListKind]
) -> Registry:
    """Read `[[matters]]` and `[[measures]]`; every trigger must be a list of a kind that fits
    the measure's category (`list_kinds`: each list's code and kind), every matter known, and
    every measure name its implementing unit."""
    matters: dict[str, Matter] = {}
    for raw_matter in data.get("matters", []):
        key = str(raw_matter.get("code", ""))
        if not key or key in matters:
            raise CatalogError(file, key or "?", "code", "a matter code must be present and unique")
        matters[key] = Matter(
            key, str(raw_matter.get("name_zh", "")), str(raw_matter.get("name_en", ""))
        )
    measures: dict[str, Measure] = {}
    for raw in data.get("measures", []):
        code = str(raw.get("code", ""))
        if not code or code in measures:
            raise CatalogError(file, code or "?", "code", "must be present and unique")
        for key in raw:
            if key not in _MEASURE_KEYS:
                raise CatalogError(
                    file, code, key, "is not a key of the measure format (misspelt?)"
                )
        basis = raw.get("legal_basis")
        if (
            not isinstance(basis, list)
            or not all(isinstance(b, str) and b.strip() for b in basis)
            or not basis
        ):
            raise CatalogError(
                file, code, "legal_basis", "a measure must cite its legal basis directly"
            )
        try:
            category = MeasureCategory(raw.get("category"))
            roles = frozenset(RoleKind(r) for r in raw.get("reaches_roles", []))
        except ValueError as exc:
            raise CatalogError(file, code, "category/reaches_roles", str(exc)) from None
        triggers = frozenset(raw.get("triggers", []))
        _check_triggers(file, code, category, triggers, list_kinds)
        unit = raw.get("implementing_unit")
        if not isinstance(unit, str) or not unit.strip():
            raise CatalogError(
                file, code, "implementing_unit", "a measure must name the units that implement it"
            )
        applies = frozenset(raw.get("matters", []))
        if not applies or not applies <= set(matters):
            unknown = ", ".join(sorted(applies - set(matters))) or "none given"
            raise CatalogError(
                file, code, "matters", f"must name known matters; unknown: {unknown}"
            )
        measures[code] = Measure(
            code=code,
            name_zh=str(raw.get("name_zh", "")),
            name_en=str(raw.get("name_en", "")),
            category=category,
            legal_basis=tuple(str(b) for b in basis),
            implementing_unit=unit.strip(),
            triggers=triggers,
            matters=applies,
            reaches_roles=roles,
        )
    return Registry(measures, matters)


@dataclass(frozen=True, slots=True)
class Match:
    """A measure that applies, with the listing that triggers it and how it reaches the subject."""

    measure: Measure
    entry: ListEntry
    via_role: RoleKind | None = None

    @property
    def under_objection(self) -> bool:
        return self.entry.under_objection


def applicable_measures(
    registry: Registry,
    matter: str,
    *,
    own_entries: Iterable[ListEntry],
    organisations_entries: Sequence[tuple[RoleKind, ListEntry]] = (),
    on: date,
) -> list[Match]:
    """Return the measures that apply to a subject for a matter on a day.

    `own_entries` are the subject's listings; `organisations_entries` the listings of organisations
    the subject answers for, with the role. Only listings in force count.
    """
    measures = registry.for_matter(matter)
    matches: list[Match] = []
    for entry in own_entries:
        if not entry.is_in_force_on(on):
            continue
        matches.extend(Match(m, entry) for m in measures if entry.list_type.code in m.triggers)
    for role, entry in organisations_entries:
        if not entry.is_in_force_on(on):
            continue
        matches.extend(
            Match(m, entry, via_role=role)
            for m in measures
            if entry.list_type.code in m.triggers and role in m.reaches_roles
        )
    return sorted(matches, key=lambda match: (match.measure.code, match.entry.list_type.code))
