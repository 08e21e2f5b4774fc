"""Lists: serious untrustworthy, key supervision and good credit; the listing procedure as states.

A platform-run listing moves proposed → noticed → decided → published → exited, each step a
checked transition: no decision before the notice was served and the defence window (working
days, official calendar) has passed, never for a minor, never without a legal basis. Lists a
court or another authority decides are recorded as decided; the platform does not re-run them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from xinyong.domain.calendar import Deadline, add_months, add_working_days
from xinyong.domain.catalog import SubjectType
from xinyong.domain.errors import CatalogError, Conflict, NotAllowed

_E = TypeVar("_E", bound=StrEnum)


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


class PeriodRule(StrEnum):
    FIXED = "fixed"
    EXTENDABLE = "extendable"
    UNTIL_EXIT = "until_exit"


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

    def ends_on(self, decided_on: date, *, months: int | None = None) -> date | None:
        """The day a listing decided on `decided_on` ends by itself (None: on an exit ground)."""
        if self.period_rule is PeriodRule.UNTIL_EXIT:
            return None
        base = self.period_months or 0
        if months is None:
            return add_months(decided_on, base)
        longest = base + (self.max_extension_months or 0)
        if self.period_rule is PeriodRule.FIXED and months != base:
            raise NotAllowed(f"{self.code} has a fixed period of {base} months")
        if not 0 < months <= longest:
            raise NotAllowed(f"{self.code} lasts at most {longest} months; {months} asked")
        return add_months(decided_on, months)


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


def read_list_types(
    data: Mapping[str, Any], file: str, catalog_codes: frozenset[str]
) -> list[ListType]:
    """Read `[[lists]]` from a policy file, refusing a list outside the law's bounds."""
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
        period_rule = _choice(raw, "period_rule", PeriodRule, file, code)
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
        for key in ("defence_working_days", "removal_working_days"):
            if key in raw and (not isinstance(raw[key], int) or raw[key] < 0):
                raise CatalogError(file, code, key, "must be a whole number of working days")
        if kind is ListKind.SERIOUS_UNTRUSTWORTHY and serious is None:
            raise CatalogError(
                file,
                code,
                "serious_field",
                "a serious untrustworthy list must name one of the four fields",
            )
        months = raw.get("period_months")
        if period_rule is not PeriodRule.UNTIL_EXIT and (
            not isinstance(months, int) or months <= 0
        ):
            raise CatalogError(
                file, code, "period_months", "a fixed or extendable period needs months"
            )
        extension = raw.get("max_extension_months")
        if period_rule is PeriodRule.EXTENDABLE and (
            not isinstance(extension, int) or extension <= 0
        ):
            raise CatalogError(
                file, code, "max_extension_months", "an extendable period needs months"
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
                period_rule=period_rule,
                exit_grounds=_strings(raw.get("exit_grounds"), file, code, "exit_grounds"),
                remedies=_strings(raw.get("remedies"), file, code, "remedies", required=False),
                serious_field=serious,
                period_months=months if isinstance(months, int) else None,
                max_extension_months=extension if isinstance(extension, int) else None,
                defence_working_days=int(raw.get("defence_working_days", 0)),
                removal_working_days=int(raw.get("removal_working_days", 0)),
                source_items=sources,
                published=published,
                refusable=refusable,
            )
        )
    return out


class EntryState(StrEnum):
    PROPOSED = "proposed"
    NOTICED = "noticed"
    DECIDED = "decided"
    PUBLISHED = "published"
    EXITED = "exited"
    WITHDRAWN = "withdrawn"


class IllegalTransition(Conflict):
    """A listing step asked for in a state that does not allow it."""


class MinorNeverListed(NotAllowed):
    def __init__(self) -> None:
        super().__init__("minors are never listed")


@dataclass(slots=True)
class ListEntry:
    """One subject on one list, and where its procedure stands."""

    id: int | None
    list_type: ListType
    subject_id: int
    state: EntryState
    proposed_by: str
    grounds: str
    basis_records: tuple[int, ...] = ()
    proposed_at: datetime | None = None
    noticed_on: date | None = None
    defence_deadline: Deadline | None = None
    defence: str | None = None
    decided_on: date | None = None
    decision_reasons: str | None = None
    ends_on: date | None = None
    published_on: date | None = None
    exited_on: date | None = None
    exit_ground: str | None = None
    under_objection: bool = False

    def _require(self, *states: EntryState, action: str) -> None:
        if self.state not in states:
            allowed = " or ".join(s.value for s in states)
            raise IllegalTransition(
                f"cannot {action} a listing that is {self.state.value}; it must be {allowed}"
            )

    def serve_notice(self, *, on: date) -> Deadline:
        """Serve the prior notice (with the repair notice); the defence window starts."""
        self._require(EntryState.PROPOSED, action="serve notice on")
        self.noticed_on = on
        self.defence_deadline = add_working_days(on, self.list_type.defence_working_days)
        self.state = EntryState.NOTICED
        return self.defence_deadline

    def state_defence(self, text: str, *, on: date) -> None:
        self._require(EntryState.NOTICED, action="record a defence for")
        if self.defence_deadline and on > self.defence_deadline.day:
            raise IllegalTransition(f"the defence window closed on {self.defence_deadline.day}")
        self.defence = text

    def decide(self, *, reasons: str, on: date, months: int | None = None) -> None:
        """Decide the listing: only after the notice and once the defence window has passed."""
        self._require(EntryState.NOTICED, action="decide")
        if self.defence_deadline is None or on <= self.defence_deadline.day:
            deadline = self.defence_deadline.day if self.defence_deadline else "?"
            raise IllegalTransition(f"the defence window runs to {deadline}; decide after it")
        self.decided_on = on
        self.decision_reasons = reasons
        self.ends_on = self.list_type.ends_on(on, months=months)
        self.state = EntryState.DECIDED

    def publish(self, *, on: date) -> None:
        self._require(EntryState.DECIDED, action="publish")
        if not self.list_type.published:
            raise IllegalTransition(f"{self.list_type.code} is not a published list")
        self.published_on = on
        self.state = EntryState.PUBLISHED

    def exit(self, *, ground: str, on: date) -> None:
        self._require(EntryState.DECIDED, EntryState.PUBLISHED, action="end")
        if ground == "expiry":
            if self.ends_on is None or on < self.ends_on:
                raise IllegalTransition(f"this listing's period does not end by {on}")
        elif ground not in self.list_type.exit_grounds:
            allowed = ", ".join(self.list_type.exit_grounds)
            raise IllegalTransition(
                f"{ground!r} is not an exit ground of {self.list_type.code}: {allowed}"
            )
        self.exited_on = on
        self.exit_ground = ground
        self.state = EntryState.EXITED

    def withdraw(self, *, on: date) -> None:
        self._require(EntryState.PROPOSED, EntryState.NOTICED, action="withdraw")
        self.exited_on = on
        self.state = EntryState.WITHDRAWN

    def force_window(self) -> tuple[date, date | None] | None:
        """The days this listing is in force: [start, until), until None when open-ended.

        None when it never was in force (proposed, noticed or withdrawn). An exit ends it on the
        exit day, a period on its last day; whichever comes first.
        """
        if self.decided_on is None or self.state not in (
            EntryState.DECIDED,
            EntryState.PUBLISHED,
            EntryState.EXITED,
        ):
            return None
        ends = [d for d in (self.ends_on, self.exited_on) if d is not None]
        if self.state is EntryState.EXITED and self.exited_on is None:
            return None
        return self.decided_on, min(ends) if ends else None

    def is_in_force_on(self, day: date) -> bool:
        """The one rule for lists: decided by `day`, not exited by then, and its period not over."""
        window = self.force_window()
        if window is None:
            return False
        start, until = window
        return start <= day and (until is None or day < until)


def propose_listing(
    list_type: ListType,
    *,
    subject_id: int,
    subject_age: int | None,
    grounds: str,
    basis_records: tuple[int, ...],
    proposed_by: str,
    at: datetime,
    age_of_majority: int,
) -> ListEntry:
    """Open a platform-run listing procedure, refusing what the law never allows."""
    if list_type.decided_by is not Decider.PLATFORM:
        raise NotAllowed(
            f"{list_type.code} is decided by a {list_type.decided_by.value}; record its decision"
        )
    if subject_age is not None and subject_age < age_of_majority:
        raise MinorNeverListed
    if not list_type.legal_basis:
        raise NotAllowed(f"{list_type.code} has no legal basis")
    if not basis_records:
        raise NotAllowed("a proposal must rest on at least one record")
    return ListEntry(
        id=None,
        list_type=list_type,
        subject_id=subject_id,
        state=EntryState.PROPOSED,
        proposed_by=proposed_by,
        grounds=grounds,
        basis_records=basis_records,
        proposed_at=at,
    )


def record_decided_listing(
    list_type: ListType,
    *,
    subject_id: int,
    subject_age: int | None,
    grounds: str,
    decided_on: date,
    recorded_by: str,
    at: datetime,
    months: int | None = None,
    age_of_majority: int,
) -> ListEntry:
    """Record a listing a court or authority decided; the platform does not re-run its procedure."""
    if list_type.decided_by is Decider.PLATFORM:
        raise NotAllowed(f"{list_type.code} is run by the platform's procedure; propose it instead")
    if subject_age is not None and subject_age < age_of_majority:
        raise MinorNeverListed
    entry = ListEntry(
        id=None,
        list_type=list_type,
        subject_id=subject_id,
        state=EntryState.DECIDED,
        proposed_by=recorded_by,
        grounds=grounds,
        proposed_at=at,
        decided_on=decided_on,
        ends_on=list_type.ends_on(decided_on, months=months),
    )
    return entry
