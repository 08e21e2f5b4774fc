"""How long a listing lasts, per list and per listing ground, and when a published list takes force.

A list type has one period rule; a list whose legal basis gives different periods to different
grounds (the court's list: "able to perform but refuses" has none, the others two years extendable
by one to three) declares `[[lists.grounds]]`, each with its own rule or the list's. A ground may
also name the values of a field of the source record that make it (`ground_field`), so the record
a listing rests on decides its ground, and a record whose value makes no ground grounds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from xinyong.domain.calendar import Deadline, add_months, add_working_days, is_working_day
from xinyong.domain.catalog import CatalogItem, FieldType
from xinyong.domain.errors import CatalogError, NotAllowed

_GROUND_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
PERIOD_KEYS = frozenset(
    {"period_rule", "period_months", "period_days", "max_extension_months", "min_extension_months"}
)
_GROUND_KEYS = PERIOD_KEYS | {"code", "name_zh", "record_values", "exit_grounds"}


class PeriodRule(StrEnum):
    FIXED = "fixed"
    EXTENDABLE = "extendable"
    UNTIL_EXIT = "until_exit"


class Publication(StrEnum):
    """When a published list goes out: as each listing is decided, or in a monthly batch."""

    ON_DECISION = "on_decision"
    MONTHLY = "monthly"


@dataclass(frozen=True, slots=True)
class Period:
    """A period rule with its figures: months or days from the start, and the allowed extension."""

    rule: PeriodRule
    months: int | None = None
    days: int | None = None
    max_extension_months: int | None = None
    min_extension_months: int | None = None

    def ends_on(self, start: date, *, months: int | None, owner: str) -> date | None:
        """The day a listing that started on `start` ends by itself (None: on an exit ground).

        `months` is the whole period a decision set (the base, or the base plus an extension);
        None takes the base. A fixed or open-ended period refuses any other length.
        """
        if self.rule is PeriodRule.UNTIL_EXIT:
            if months is not None:
                raise NotAllowed(f"{owner} has no fixed period; it ends on an exit ground")
            return None
        if self.days is not None:
            if months is not None:
                raise NotAllowed(f"{owner} lasts {self.days} days; a length in months is not one")
            return start + timedelta(days=self.days)
        base = self.months or 0
        if months is None or months == base:
            return add_months(start, base)
        if self.rule is PeriodRule.FIXED:
            raise NotAllowed(f"{owner} has a fixed period of {base} months")
        shortest = base + (self.min_extension_months or 1)
        longest = base + (self.max_extension_months or 0)
        if not shortest <= months <= longest:
            raise NotAllowed(
                f"{owner} lasts {base} months, or {shortest} to {longest} months when extended;"
                f" {months} asked"
            )
        return add_months(start, months)

    def ends_from(self, start: date) -> frozenset[date]:
        """Every day a period of this rule started on `start` may end on: its own length, and
        each length a decision may extend it to; none when it ends only on an exit ground."""
        if self.rule is PeriodRule.UNTIL_EXIT:
            return frozenset()
        if self.days is not None:
            return frozenset({start + timedelta(days=self.days)})
        base = self.months or 0
        lengths = {base}
        if self.rule is PeriodRule.EXTENDABLE:
            lowest = base + (self.min_extension_months or 1)
            lengths.update(range(lowest, base + (self.max_extension_months or 0) + 1))
        return frozenset(add_months(start, m) for m in lengths)

    def moved_to(self, start: date, *, ends_on: date, counted_from: date) -> date:
        """The end of a period counted from `counted_from` to `ends_on` once it runs from `start`
        instead: a fixed period counted again from `start`, a length a decision chose moved
        along with it (by the days from `counted_from` to `start`)."""
        fixed = (
            self.ends_on(start, months=None, owner="") if self.rule is PeriodRule.FIXED else None
        )
        return fixed if fixed is not None else ends_on + (start - counted_from)

    def describe(self) -> str:
        if self.rule is PeriodRule.UNTIL_EXIT:
            return "until an exit ground"
        length = f"{self.days} days" if self.days is not None else f"{self.months} months"
        if self.rule is PeriodRule.EXTENDABLE:
            low = self.min_extension_months or 1
            return f"{length}, extendable by {low} to {self.max_extension_months} months"
        return length


@dataclass(frozen=True, slots=True)
class Ground:
    """One ground a list may be entered on, with its period and the record values that make it."""

    code: str
    name_zh: str
    period: Period
    record_values: frozenset[str] = frozenset()
    exit_grounds: tuple[str, ...] = ()


def _whole(raw: Mapping[str, Any], key: str, file: str, owner: str, where: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise CatalogError(file, owner, f"{where}{key}", "must be a whole number greater than 0")
    return value


def read_period(raw: Mapping[str, Any], file: str, owner: str, where: str = "") -> Period:
    """Read `period_rule` and its figures from a list or a ground, refusing what does not fit."""
    try:
        rule = PeriodRule(str(raw.get("period_rule")))
    except ValueError:
        allowed = ", ".join(r.value for r in PeriodRule)
        raise CatalogError(
            file, owner, f"{where}period_rule", f"must be one of {allowed}"
        ) from None
    months = _whole(raw, "period_months", file, owner, where)
    days = _whole(raw, "period_days", file, owner, where)
    longest = _whole(raw, "max_extension_months", file, owner, where)
    shortest = _whole(raw, "min_extension_months", file, owner, where)
    if rule is PeriodRule.UNTIL_EXIT:
        given = [k for k in sorted(PERIOD_KEYS - {"period_rule"}) if raw.get(k) is not None]
        if given:
            raise CatalogError(
                file, owner, f"{where}{given[0]}", "an until_exit period has no length"
            )
        return Period(rule)
    if (months is None) == (days is None):
        raise CatalogError(
            file,
            owner,
            f"{where}period_months",
            "a fixed or extendable period needs months (or, if fixed, days), not both",
        )
    if rule is PeriodRule.EXTENDABLE:
        if days is not None:
            raise CatalogError(
                file, owner, f"{where}period_days", "an extendable period is counted in months"
            )
        if longest is None:
            raise CatalogError(
                file, owner, f"{where}max_extension_months", "an extendable period needs months"
            )
        if shortest is not None and shortest > longest:
            raise CatalogError(
                file,
                owner,
                f"{where}min_extension_months",
                "must not exceed max_extension_months",
            )
    elif longest is not None or shortest is not None:
        key = "max_extension_months" if longest is not None else "min_extension_months"
        raise CatalogError(file, owner, f"{where}{key}", "only an extendable period is extended")
    return Period(rule, months, days, longest, shortest)


def read_grounds(
    raw_list: Mapping[str, Any],
    file: str,
    code: str,
    default: Period,
    sources: Sequence[CatalogItem],
) -> tuple[str | None, tuple[Ground, ...]]:
    """Read `ground_field` and `[[lists.grounds]]` of one list.

    A ground without a `period_rule` takes the list's period. With `ground_field`, every ground
    names the values of that field of the source records that make it; the field must be an enum
    of every source item the loader could see, and a value may make only one ground.
    """
    raw_grounds = raw_list.get("grounds", [])
    field = raw_list.get("ground_field")
    if not isinstance(raw_grounds, list) or not all(isinstance(g, dict) for g in raw_grounds):
        raise CatalogError(file, code, "grounds", "must be a list of [[lists.grounds]] tables")
    if field is not None and (not isinstance(field, str) or not raw_grounds):
        raise CatalogError(
            file, code, "ground_field", "names a record field, and needs [[lists.grounds]]"
        )
    for item in sources:
        declared = item.field_named(field) if field else None
        if field and (declared is None or declared.type is not FieldType.ENUM):
            raise CatalogError(
                file, code, "ground_field", f"{field!r} is not an enum field of {item.code}"
            )
    grounds: list[Ground] = []
    taken: dict[str, str] = {}
    for index, raw in enumerate(raw_grounds):
        ground_code = raw.get("code")
        where = f"grounds.{ground_code}." if isinstance(ground_code, str) else f"grounds[{index}]."
        if not isinstance(ground_code, str) or not _GROUND_CODE.match(ground_code):
            raise CatalogError(file, code, f"{where}code", "must be lower_snake_case")
        if any(g.code == ground_code for g in grounds):
            raise CatalogError(file, code, f"{where}code", "is declared twice")
        for key in raw:
            if key not in _GROUND_KEYS:
                raise CatalogError(
                    file, code, f"{where}{key}", "is not a key of a list ground (misspelt?)"
                )
        name = raw.get("name_zh")
        if not isinstance(name, str) or not name.strip():
            raise CatalogError(file, code, f"{where}name_zh", "must say the ground in words")
        period = read_period(raw, file, code, where) if "period_rule" in raw else default
        if "period_rule" not in raw and any(k in raw for k in PERIOD_KEYS):
            raise CatalogError(
                file, code, f"{where}period_rule", "a ground with its own figures names its rule"
            )
        values = raw.get("record_values", [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise CatalogError(file, code, f"{where}record_values", "must be a list of strings")
        if field and not values:
            raise CatalogError(
                file, code, f"{where}record_values", f"must name the {field} values that make it"
            )
        if values and not field:
            raise CatalogError(file, code, f"{where}record_values", "needs the list's ground_field")
        for value in values:
            for item in sources:
                declared = item.field_named(str(field))
                if declared is not None and value not in declared.values:
                    raise CatalogError(
                        file,
                        code,
                        f"{where}record_values",
                        f"{value!r} is not a value of {item.code}.{field}",
                    )
            if value in taken:
                raise CatalogError(
                    file,
                    code,
                    f"{where}record_values",
                    f"{value!r} already makes the ground {taken[value]}",
                )
            taken[value] = ground_code
        extra = raw.get("exit_grounds", [])
        if not isinstance(extra, list) or not all(isinstance(g, str) and g for g in extra):
            raise CatalogError(file, code, f"{where}exit_grounds", "must be a list of strings")
        grounds.append(Ground(ground_code, name.strip(), period, frozenset(values), tuple(extra)))
    return (field if grounds else None), tuple(grounds)


def first_working_day_of_month(year: int, month: int) -> date:
    day = date(year, month, 1)
    while not is_working_day(day)[0]:
        day += timedelta(days=1)
    return day


def next_monthly_publication(on_or_after: date) -> date:
    """The first working day of a month that falls on or after `on_or_after`."""
    first = first_working_day_of_month(on_or_after.year, on_or_after.month)
    if first >= on_or_after:
        return first
    year, month = divmod(on_or_after.year * 12 + on_or_after.month, 12)
    return first_working_day_of_month(year, month + 1)


def notice_ends(published_on: date, working_days: int) -> Deadline:
    """The last day of a public notice of `working_days` that starts with publication, and
    whether it was counted on the official calendar (a listing binds only after a notice whose
    end is official: `ListEntry.binds_from`)."""
    return add_working_days(published_on, working_days)
