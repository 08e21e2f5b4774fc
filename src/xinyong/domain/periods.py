"""The period engine: severity class, display window, repair date and retention of a record."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from xinyong.domain.calendar import Deadline, add_months, add_working_days
from xinyong.domain.catalog import CatalogItem, DisplayRule, Nature, Severity
from xinyong.domain.errors import CatalogError


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
        classes: dict[Severity, ClassRule] = {}
        for severity in Severity:
            raw = data.get("severity", {}).get(severity.value)
            if not isinstance(raw, dict):
                raise CatalogError(file, f"severity.{severity.value}", "-", "is missing")
            try:
                classes[severity] = ClassRule(
                    published=bool(raw["published"]),
                    display_months=int(raw["display_months"]),
                    repair_after_months=int(raw["repair_after_months"]),
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise CatalogError(
                    file, f"severity.{severity.value}", str(exc), "is missing or not a number"
                ) from None
        try:
            return cls(
                classes=classes,
                max_retention_years=int(data["archive"]["max_retention_years"]),
                double_publicity_working_days=int(
                    data["publication"]["double_publicity_working_days"]
                ),
                withdraw_working_days=int(data["revocation"]["withdraw_working_days"]),
                age_of_majority=int(data["subjects"]["age_of_majority"]),
                max_age_years=int(data["subjects"]["max_age_years"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CatalogError(file, "-", str(exc), "is missing or not a number") from None


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
