"""List types: what a list is, who decides it, how long a listing lasts, read from lists.toml.

The listing procedure itself (entries and their states) is in `domain/lists.py`; the grounds,
periods and publication rules in `domain/list_periods.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from xinyong.domain.calendar import Deadline
from xinyong.domain.catalog import CatalogItem, Severity, SubjectType
from xinyong.domain.errors import CatalogError, NotAllowed
from xinyong.domain.list_periods import (
    Ground,
    Period,
    PeriodRule,
    Publication,
    next_monthly_publication,
    notice_ends,
    read_grounds,
    read_period,
)

_E = TypeVar("_E", bound=StrEnum)


#: The exit ground of a good-credit entry the person refused to have recorded.
REFUSAL = "refusal"


class ListKind(StrEnum):
    SERIOUS_UNTRUSTWORTHY = "serious_untrustworthy"
    KEY_SUPERVISION = "key_supervision"
    GOOD_CREDIT = "good_credit"


class SeriousField(StrEnum):
    """The only four fields in which a serious untrustworthy list may exist."""

    HEALTH_AND_SAFETY = "health_and_safety"
    FAIR_COMPETITION_AND_ORDER = "fair_competition_and_order"
    REFUSING_LEGAL_OBLIGATIONS = "refusing_legal_obligations"
    NATIONAL_DEFENCE = "national_defence"


class Decider(StrEnum):
    """Who decides a listing: the platform's own procedure, or a court or authority it records."""

    PLATFORM = "platform"
    COURT = "court"
    AUTHORITY = "authority"

    @property
    def in_words(self) -> str:
        """The decider with its article, for a sentence: "a court", "an authority"."""
        return f"{'an' if self.value[0] in 'aeiou' else 'a'} {self.value}"


@dataclass(frozen=True, slots=True)
class ListType:
    """One list: its legal basis, criteria, period, exit grounds, remedies, and who decides."""

    code: str
    name_zh: str
    name_en: str
    kind: ListKind
    subject_type: SubjectType
    legal_basis: tuple[str, ...]
    criteria: tuple[str, ...]
    decided_by: Decider
    period_rule: PeriodRule
    exit_grounds: tuple[str, ...]
    remedies: tuple[str, ...]
    serious_field: SeriousField | None = None
    period_months: int | None = None
    max_extension_months: int | None = None
    defence_working_days: int = 0
    removal_working_days: int = 0
    source_items: frozenset[str] = frozenset()
    published: bool = True
    refusable: bool = False
    period_days: int | None = None
    min_extension_months: int | None = None
    grounds: tuple[Ground, ...] = ()
    ground_field: str | None = None
    public_notice_working_days: int = 0
    publication: Publication = Publication.ON_DECISION
    #: The kinds of department that decide this list (court and authority lists): `decided_by_kinds`
    #: in the policy, else a court for a court list, else the providers of its source items.
    decider_kinds: frozenset[str] = frozenset()
    #: A status the platform derives from the records (no department records it), and the years
    #: without a negative record in display it takes (`clean_years`).
    derived: bool = False
    clean_years: int | None = None
    #: The kinds of department competent to propose a listing on this platform-run list
    #: (`proposed_by_kinds`); the credit centre, which runs the procedure, proposes any.
    proposer_kinds: frozenset[str] = frozenset()
    #: The lightest severity class a record may have to ground a proposal (`min_basis_severity`),
    #: None where the list sets no floor.
    min_basis_severity: Severity | None = None

    def basis_too_light(self, severity: str | None) -> bool:
        """Whether a record of this severity class (None: a record with none) is below the
        list's floor, and so grounds no proposal on it."""
        if self.min_basis_severity is None:
            return False
        order = list(Severity)
        try:
            return order.index(Severity(str(severity))) < order.index(self.min_basis_severity)
        except ValueError:
            return True

    @property
    def period(self) -> Period:
        """The list's own period: what a listing gets when its ground has none of its own."""
        return Period(
            self.period_rule,
            self.period_months,
            self.period_days,
            self.max_extension_months,
            self.min_extension_months,
        )

    def ground(self, code: str) -> Ground:
        for ground in self.grounds:
            if ground.code == code:
                return ground
        known = ", ".join(g.code for g in self.grounds) or "none"
        raise NotAllowed(f"ground: not a ground of {self.code}; its grounds: {known}")

    def period_of(self, ground: str | None) -> Period:
        """The period a listing on `ground` gets (the list's own when no ground is given)."""
        return self.period if ground is None else self.ground(ground).period

    def ends_on(
        self, decided_on: date, *, months: int | None = None, ground: str | None = None
    ) -> date | None:
        """The day a listing decided on `decided_on` ends by itself (None: on an exit ground)."""
        owner = self.code if ground is None else f"{self.code} ({ground})"
        return self.period_of(ground).ends_on(decided_on, months=months, owner=owner)

    def exit_grounds_for(self, ground: str | None) -> tuple[str, ...]:
        """The exit grounds of a listing on `ground`: the list's, and the ground's own.

        A listing whose ground is not known is held to every ground the list has.
        """
        if ground is None:
            extra = [g for own in self.grounds for g in own.exit_grounds]
        else:
            extra = list(self.ground(ground).exit_grounds)
        return tuple(dict.fromkeys([*self.exit_grounds, *extra]))

    def rests_on(self, item_code: str, fields: Mapping[str, object]) -> bool:
        """Whether a record of this item with these fields can ground a listing on this list."""
        try:
            self.ground_for_record(item_code, fields)
        except NotAllowed:
            return False
        return True

    def grounded_by(
        self, item_code: str, fields: Mapping[str, object], severity: str | None
    ) -> bool:
        """Whether a record, as it stands, grounds a listing on this list: of an item it rests
        on, with a ground it names, and no lighter than its floor (a record varied below any of
        these grounds it no more: docs/lists-and-measures.md, "What ends a listing")."""
        return self.rests_on(item_code, fields) and not self.basis_too_light(severity)

    def grounded_on(
        self,
        item_code: str,
        fields: Mapping[str, object],
        severity: str | None,
        ground: str | None,
    ) -> bool:
        """Whether a record, as it stands, grounds a listing on this list on `ground` (the one
        the listing rests on; None: a listing whose ground is not known, grounded by any)."""
        return self.grounded_by(item_code, fields, severity) and (
            self.other_ground(item_code, fields, ground) is None
        )

    def other_ground(
        self, item_code: str, fields: Mapping[str, object], ground: str | None
    ) -> Ground | None:
        """The ground a record that rests on this list makes, when it is another than `ground`,
        the one a listing on it rests on (a record varied from one conduct to another); None
        when it makes the same, the list names no ground by record field, or `ground` is not
        known. Raises NotAllowed for a record the list does not rest on at all."""
        made = self.ground_for_record(item_code, fields)
        return made if ground is not None and made is not None and made.code != ground else None

    @property
    def follows_its_records(self) -> bool:
        """Whether a listing on this list follows its record to another ground of the list
        (docs/lists-and-measures.md, "A record varied to another ground"): a court's or another
        authority's, which records the decision its record carries; never the platform's own,
        whose decision was noticed, defended and taken on its ground alone."""
        return self.decided_by is not Decider.PLATFORM

    def ground_for_record(self, item_code: str, fields: Mapping[str, object]) -> Ground | None:
        """The ground a record makes, or None when this list names no ground by record field."""
        if self.source_items and item_code not in self.source_items:
            allowed = ", ".join(sorted(self.source_items))
            raise NotAllowed(f"{self.code} rests on {allowed}; a {item_code} record is none")
        if self.ground_field is None:
            return None
        value = fields.get(self.ground_field)
        for ground in self.grounds:
            if value is not None and str(value) in ground.record_values:
                return ground
        raise NotAllowed(
            f"{self.code} rests only on records whose {self.ground_field} is one of"
            f" {', '.join(sorted(v for g in self.grounds for v in g.record_values))};"
            f" this record's is {value!r}"
        )

    def publication_day(self, on_or_after: date) -> date:
        """The first day a listing decided by `on_or_after` may be published."""
        if self.publication is Publication.MONTHLY:
            return next_monthly_publication(on_or_after)
        return on_or_after

    def public_notice(self, published_on: date) -> Deadline | None:
        """The last day of the public notice a listing published on `published_on` opens, as
        counted now (None on a list without one)."""
        if not self.public_notice_working_days:
            return None
        return notice_ends(published_on, self.public_notice_working_days)

    def takes_force(self, published_on: date) -> date | None:
        """The day a listing published on `published_on` first binds, after its public notice;
        None while the notice's end is counted Monday to Friday (the official calendar for its
        year is not out): the person may object until the real end, so nothing binds before it."""
        notice = self.public_notice(published_on)
        if notice is None:
            return published_on
        return notice.day + timedelta(days=1) if notice.official else None


_LIST_KEYS = frozenset(
    {
        "code",
        "name_zh",
        "name_en",
        "kind",
        "subject_type",
        "legal_basis",
        "criteria",
        "decided_by",
        "period_rule",
        "exit_grounds",
        "remedies",
        "serious_field",
        "period_months",
        "max_extension_months",
        "defence_working_days",
        "removal_working_days",
        "source_items",
        "published",
        "refusable",
        "period_days",
        "min_extension_months",
        "grounds",
        "ground_field",
        "public_notice_working_days",
        "publication",
        "decided_by_kinds",
        "derived",
        "clean_years",
        "proposed_by_kinds",
        "min_basis_severity",
    }
)


def _strings(raw: Any, file: str, code: str, key: str, *, required: bool = True) -> tuple[str, ...]:
    if raw is None and not required:
        return ()
    if (
        not isinstance(raw, list)
        or (required and not raw)
        or not all(isinstance(v, str) and v.strip() for v in raw)
    ):
        raise CatalogError(file, code, key, "must be a non-empty list of strings")
    return tuple(v.strip() for v in raw)


def _choice(raw: Mapping[str, Any], key: str, enum: type[_E], file: str, code: str) -> _E:
    try:
        return enum(str(raw.get(key)))
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise CatalogError(file, code, key, f"must be one of {allowed}") from None


def _flag(raw: Mapping[str, Any], key: str, default: bool, file: str, code: str) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise CatalogError(file, code, key, "must be true or false")
    return value


def _proposers(
    raw: Mapping[str, Any],
    file: str,
    code: str,
    decided_by: Decider,
    sources: frozenset[str],
    items: Mapping[str, CatalogItem] | None,
) -> frozenset[str]:
    """The kinds of department competent to propose a platform-run list: named for every such
    list, for no other, and each a provider of one of its source items (a department proposes
    on records of its own)."""
    key = "proposed_by_kinds"
    if decided_by is not Decider.PLATFORM:
        if key in raw:
            raise CatalogError(
                file, code, key, "only a platform-run list is proposed; see decided_by_kinds"
            )
        return frozenset()
    if key not in raw:
        raise CatalogError(
            file,
            code,
            key,
            "a platform-run list names the kinds of department competent to propose it",
        )
    kinds = frozenset(_strings(raw[key], file, code, key))
    if items is not None and sources:
        providers = {p for c in sources if c in items for p in items[c].providers}
        if stray := sorted(kinds - providers):
            raise CatalogError(
                file,
                code,
                key,
                f"{', '.join(stray)} provides none of {', '.join(sorted(sources))}; a department"
                " proposes on records of its own",
            )
    return kinds


def read_list_types(
    data: Mapping[str, Any],
    file: str,
    catalog_codes: frozenset[str],
    items: Mapping[str, CatalogItem] | None = None,
) -> list[ListType]:
    """Read `[[lists]]` from a policy file, refusing a list outside the law's bounds.

    `items` (the catalog's items by code) lets the loader check `ground_field` against the
    source items' fields; without it only the item codes are checked.
    """
    out: list[ListType] = []
    seen: set[str] = set()
    for raw in data.get("lists", []):
        code = str(raw.get("code", ""))
        if not code or code in seen:
            raise CatalogError(file, code or "?", "code", "must be present and unique")
        seen.add(code)
        for key in raw:
            if key not in _LIST_KEYS:
                raise CatalogError(file, code, key, "is not a key of the list format (misspelt?)")
        kind = _choice(raw, "kind", ListKind, file, code)
        subject_type = _choice(raw, "subject_type", SubjectType, file, code)
        decided_by = _choice(raw, "decided_by", Decider, file, code)
        period = read_period(raw, file, code)
        serious = (
            _choice(raw, "serious_field", SeriousField, file, code)
            if "serious_field" in raw
            else None
        )
        published = _flag(raw, "published", kind is not ListKind.KEY_SUPERVISION, file, code)
        refusable = _flag(raw, "refusable", False, file, code)
        if kind is ListKind.KEY_SUPERVISION and published:
            raise CatalogError(file, code, "published", "key-supervision lists are never published")
        if refusable and kind is not ListKind.GOOD_CREDIT:
            raise CatalogError(file, code, "refusable", "only good-credit entries may be refused")
        for key in ("defence_working_days", "removal_working_days", "public_notice_working_days"):
            value = raw.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise CatalogError(file, code, key, "must be a whole number of working days")
        publication = (
            _choice(raw, "publication", Publication, file, code)
            if "publication" in raw
            else Publication.ON_DECISION
        )
        if not published and (
            publication is not Publication.ON_DECISION or raw.get("public_notice_working_days")
        ):
            raise CatalogError(
                file, code, "publication", "a list that is not published has no publication rule"
            )
        if kind is ListKind.SERIOUS_UNTRUSTWORTHY and serious is None:
            raise CatalogError(
                file,
                code,
                "serious_field",
                "a serious untrustworthy list must name one of the four fields",
            )
        if decided_by is Decider.PLATFORM and not raw.get("defence_working_days"):
            raise CatalogError(
                file,
                code,
                "defence_working_days",
                "a platform-run list must give the person a defence window",
            )
        sources = frozenset(
            _strings(raw.get("source_items"), file, code, "source_items", required=False)
        )
        unknown = sources - catalog_codes
        if unknown:
            raise CatalogError(
                file, code, "source_items", f"not in the catalog: {', '.join(sorted(unknown))}"
            )
        visible = [items[c] for c in sorted(sources) if items is not None and c in items]
        ground_field, grounds = read_grounds(raw, file, code, period, visible)
        exit_grounds = _strings(raw.get("exit_grounds"), file, code, "exit_grounds")
        if refusable and REFUSAL not in exit_grounds:
            raise CatalogError(
                file, code, "exit_grounds", f"a refusable entry exits on {REFUSAL!r}"
            )
        deciders = frozenset(
            _strings(raw.get("decided_by_kinds"), file, code, "decided_by_kinds", required=False)
        )
        if not deciders and decided_by is Decider.COURT:
            deciders = frozenset({"court"})
        elif not deciders and decided_by is Decider.AUTHORITY and items is not None:
            deciders = frozenset(p for c in sources if c in items for p in items[c].providers)
        proposers = _proposers(raw, file, code, decided_by, sources, items)
        floor = (
            _choice(raw, "min_basis_severity", Severity, file, code)
            if "min_basis_severity" in raw
            else None
        )
        derived = _flag(raw, "derived", False, file, code)
        if derived and decided_by is not Decider.AUTHORITY:
            raise CatalogError(file, code, "derived", "only an authority-style status is derived")
        clean_years = raw.get("clean_years")
        if derived and (
            isinstance(clean_years, bool) or not isinstance(clean_years, int) or clean_years <= 0
        ):
            raise CatalogError(file, code, "clean_years", "a derived status needs its years")
        out.append(
            ListType(
                code=code,
                name_zh=str(raw.get("name_zh", "")),
                name_en=str(raw.get("name_en", "")),
                kind=kind,
                subject_type=subject_type,
                legal_basis=_strings(raw.get("legal_basis"), file, code, "legal_basis"),
                criteria=_strings(raw.get("criteria"), file, code, "criteria"),
                decided_by=decided_by,
                period_rule=period.rule,
                exit_grounds=exit_grounds,
                remedies=_strings(raw.get("remedies"), file, code, "remedies", required=False),
                serious_field=serious,
                period_months=period.months,
                max_extension_months=period.max_extension_months,
                defence_working_days=int(raw.get("defence_working_days", 0)),
                removal_working_days=int(raw.get("removal_working_days", 0)),
                source_items=sources,
                published=published,
                refusable=refusable,
                period_days=period.days,
                min_extension_months=period.min_extension_months,
                grounds=grounds,
                ground_field=ground_field,
                public_notice_working_days=int(raw.get("public_notice_working_days", 0)),
                publication=publication,
                decider_kinds=deciders,
                derived=derived,
                clean_years=clean_years if derived else None,
                proposer_kinds=proposers,
                min_basis_severity=floor,
            )
        )
    return out
