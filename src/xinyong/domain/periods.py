"""The period engine: severity class, display window, repair date and retention of a record."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from xinyong.domain.calendar import Deadline, add_months, add_working_days
from xinyong.domain.catalog import CatalogItem, DisplayRule, Nature, Severity
from xinyong.domain.errors import CatalogError
from xinyong.domain.figures import bounded, whole_number


@dataclass(frozen=True, slots=True)
class ClassRule:
    """What one severity class means: whether it is published, how long shown, when repairable."""

    published: bool
    display_months: int
    repair_after_months: int


@dataclass(frozen=True, slots=True)
class PeriodPolicy:
    """The figures of the period engine, read from the periods policy file."""

    classes: Mapping[Severity, ClassRule]
    max_retention_years: int
    double_publicity_working_days: int
    withdraw_working_days: int
    age_of_majority: int
    max_age_years: int  # a birth date further back than this is refused as implausible

    @classmethod
    def from_policy(cls, data: Mapping[str, Any], file: str = "periods.toml") -> PeriodPolicy:
        """Read the figures, each within the bounds docs/domain.md sets (`_BOUNDS`,
        `_LONGEST_DISPLAY`); a figure outside them is CatalogError naming the file and key."""
        classes: dict[Severity, ClassRule] = {}
        for severity in Severity:
            raw = data.get("severity", {}).get(severity.value)
            where = f"severity.{severity.value}"
            if not isinstance(raw, dict):
                raise CatalogError(file, where, "-", "is missing")
            if not isinstance(raw.get("published"), bool):
                raise CatalogError(file, where, "published", "must be true or false")
            longest = _LONGEST_DISPLAY[severity]
            display = bounded(
                raw.get("display_months"),
                file,
                where,
                "display_months",
                at_most=longest,
                why=f"display of a {severity.value} record ends after {longest} months at most",
            )
            repair = bounded(
                raw.get("repair_after_months"),
                file,
                where,
                "repair_after_months",
                at_most=display,
                why="repair may be applied for before display ends",
            )
            classes[severity] = ClassRule(raw["published"], display, repair)
        figures = {
            key: whole_number(data, file, section, key, at_least=low, at_most=high, why=why)
            for (section, key), (low, high, why) in _BOUNDS.items()
        }
        return cls(
            classes=classes,
            max_retention_years=figures["max_retention_years"],
            double_publicity_working_days=figures["double_publicity_working_days"],
            withdraw_working_days=figures["withdraw_working_days"],
            age_of_majority=whole_number(data, file, "subjects", "age_of_majority"),
            max_age_years=whole_number(data, file, "subjects", "max_age_years"),
        )


#: The bounds docs/domain.md sets on the period engine's figures: (section, key) → (lowest,
#: highest, why). A deployment sets its own figures within them.
_BOUNDS: Mapping[tuple[str, str], tuple[int, int, str]] = {
    ("archive", "max_retention_years"): (
        0,
        5,
        "local rules keep an archived record at most 5 years (docs/domain.md §6)",
    ),
    ("publication", "double_publicity_working_days"): (
        0,
        7,
        "double publicity puts a decision online within 7 working days (docs/domain.md §13)",
    ),
    ("revocation", "withdraw_working_days"): (
        1,
        3,
        "a revoked or varied decision's record is withdrawn within 1 to 3 working days"
        " (docs/domain.md §5)",
    ),
}
#: The longest display of each class, in months: its display ends automatically (docs/domain.md
#: §6).
_LONGEST_DISPLAY = {Severity.MINOR: 3, Severity.GENERAL: 12, Severity.SERIOUS: 36}


@dataclass(frozen=True, slots=True)
class Assessment:
    """The periods computed for one record when it is accepted."""

    severity: Severity | None
    published: bool
    display_ends: date | None
    repair_from: date | None
    retention_ends: date | None
    publish_by: Deadline | None


def assess(
    item: CatalogItem,
    fields: Mapping[str, object],
    *,
    decision_date: date,
    valid_until: date | None,
    policy: PeriodPolicy,
) -> Assessment:
    """Compute severity, publication, display window, repair date and retention for one record."""
    severity = item.severity_of(fields)
    published = item.public
    repair_from: date | None = None
    if item.display_rule is DisplayRule.SEVERITY:
        if severity is None:  # the catalog reader gives every negative item a default class
            raise ValueError(f"{item.code} is displayed by severity but has no severity class")
        rule = policy.classes[severity]
        published = published and rule.published
        display_ends: date | None = add_months(decision_date, rule.display_months)
        repair_from = add_months(decision_date, rule.repair_after_months)
    elif item.display_rule is DisplayRule.FIXED:
        display_ends = add_months(decision_date, item.display_months or 0)
    else:
        # the document's last valid day is still shown
        display_ends = valid_until + timedelta(days=1) if valid_until else None
    if item.nature is Nature.NEGATIVE and repair_from is None:
        repair_from = decision_date
    years = min(item.retention_years, policy.max_retention_years)
    retention_ends = add_months(display_ends, 12 * years) if display_ends is not None else None
    publish_by = None
    if published and item.double_publicity:
        publish_by = add_working_days(decision_date, policy.double_publicity_working_days)
    return Assessment(severity, published, display_ends, repair_from, retention_ends, publish_by)


def held_display(
    own: Assessment,
    listed: Iterable[tuple[date, date | None]],
    *,
    item: CatalogItem,
    policy: PeriodPolicy,
) -> tuple[date | None, date | None]:
    """The display and retention ends of a record that listings decided by a court or another
    authority rest on (docs/lists-and-measures.md, "A listing keeps its record shown"): shown
    until the later of its own end and the end of each listing's days in force (`listed`, as
    `ListEntry.force_window` gives them), open while one of them is open; kept for its retention
    years after that."""
    ends = own.display_ends
    for _, until in listed:
        if ends is None or until is None:
            return None, None
        ends = max(ends, until)
    if ends is None or ends == own.display_ends:
        return own.display_ends, own.retention_ends
    years = min(item.retention_years, policy.max_retention_years)
    return ends, add_months(ends, 12 * years)


def archive_years(item: CatalogItem | None, policy: PeriodPolicy) -> int:
    """The years a record of `item` stays in the archive once out of display: its item's
    retention years, at most the cap (`[archive] max_retention_years`; the cap alone for an item
    the catalog no longer holds)."""
    cap = policy.max_retention_years
    return cap if item is None else min(item.retention_years, cap)


def archived_until(retention_ends: date | None, left_display: date, years: int) -> date:
    """The retention end of a record whose display stopped early on `left_display` (repaired,
    stopped by an objection, revoked): `years` from that day, never later than the end it had
    (docs/domain.md §6: archived at most so long after display ends, then deleted)."""
    ends = add_months(left_display, 12 * years)
    return ends if retention_ends is None else min(retention_ends, ends)


def left_display_by(today: date, years: int) -> date:
    """The last day a record may have left display and be past its `years` in the archive on
    `today` (`archived_until` of that day is `today` or earlier; of the next day, later)."""
    day = add_months(today, -12 * years)
    while add_months(day + timedelta(days=1), 12 * years) <= today:
        day += timedelta(days=1)
    return day
