"""The period engine: severity class, publication, display window, repair date, retention."""

from __future__ import annotations

import copy
import dataclasses
from datetime import date, timedelta
from typing import Any

import pytest

from xinyong.domain.catalog import CatalogItem, Severity
from xinyong.domain.errors import CatalogError
from xinyong.domain.periods import (
    PeriodPolicy,
    archive_years,
    archived_until,
    assess,
    held_display,
    left_display_by,
)
from xinyong.domain.policy import Policy
from xinyong.policy import PACKAGED, read_toml

DECIDED = date(2026, 4, 1)  # NDRC Order 36 of 2025 takes effect
ORDINARY_FINE = {"penalty_type": "fine", "procedure": "ordinary", "fine_amount": "5000.00"}


def item(policy: Policy, code: str) -> CatalogItem:
    found = policy.catalog.get(code)
    assert found is not None, code
    return found


@pytest.mark.parametrize(
    ("fields", "severity", "published", "display_ends", "repair_from"),
    [
        (
            {**ORDINARY_FINE, "procedure": "simplified"},
            Severity.MINOR,
            False,
            date(2026, 7, 1),
            DECIDED,
        ),
        (ORDINARY_FINE, Severity.GENERAL, True, date(2027, 4, 1), date(2026, 7, 1)),
        (
            {**ORDINARY_FINE, "fine_amount": "50000.00"},
            Severity.SERIOUS,
            True,
            date(2029, 4, 1),
            date(2027, 4, 1),
        ),
    ],
    ids=["minor", "general", "serious"],
)
def test_each_severity_class_sets_publication_display_and_repair(
    policy: Policy,
    fields: dict[str, object],
    severity: Severity,
    published: bool,
    display_ends: date,
    repair_from: date,
) -> None:
    result = assess(
        item(policy, "ADM-PEN-01"),
        fields,
        decision_date=DECIDED,
        valid_until=None,
        policy=policy.periods,
    )

    assert result.severity is severity
    assert result.published is published
    assert result.display_ends == display_ends
    assert result.repair_from == repair_from


def test_shipped_figures_are_3_12_and_36_months_with_repair_after_0_3_and_12(
    policy: Policy,
) -> None:
    classes = policy.periods.classes

    assert [classes[s].display_months for s in Severity] == [3, 12, 36]
    assert [classes[s].repair_after_months for s in Severity] == [0, 3, 12]
    assert [classes[s].published for s in Severity] == [False, True, True]


def test_a_warning_is_minor_whatever_the_procedure(policy: Policy) -> None:
    fields = {**ORDINARY_FINE, "penalty_type": "warning", "fine_amount": None}

    assert item(policy, "ADM-PEN-01").severity_of(fields) is Severity.MINOR


def test_severity_rules_are_tried_in_order(policy: Policy) -> None:
    # a simplified-procedure fine above the threshold: the first matching rule (minor) wins
    fields = {**ORDINARY_FINE, "procedure": "simplified", "fine_amount": "60000.00"}

    assert item(policy, "ADM-PEN-01").severity_of(fields) is Severity.MINOR


def test_retention_runs_from_the_end_of_display(policy: Policy) -> None:
    result = assess(
        item(policy, "ADM-PEN-01"),
        ORDINARY_FINE,
        decision_date=DECIDED,
        valid_until=None,
        policy=policy.periods,
    )

    assert result.retention_ends == date(2032, 4, 1)


def test_retention_is_capped_by_the_archive_rule(policy: Policy) -> None:
    long_kept = dataclasses.replace(item(policy, "ADM-PEN-01"), retention_years=10)

    result = assess(
        long_kept, ORDINARY_FINE, decision_date=DECIDED, valid_until=None, policy=policy.periods
    )

    assert policy.periods.max_retention_years == 5
    assert result.retention_ends == date(2032, 4, 1)


def test_a_record_out_of_display_early_is_archived_its_years_from_that_day(
    policy: Policy,
) -> None:
    fine = item(policy, "ADM-PEN-01")
    assert archive_years(fine, policy.periods) == 5
    assert archive_years(dataclasses.replace(fine, retention_years=3), policy.periods) == 3
    assert archive_years(dataclasses.replace(fine, retention_years=10), policy.periods) == 5
    assert archive_years(None, policy.periods) == 5  # an item no longer in the catalog: the cap
    capped = dataclasses.replace(policy.periods, max_retention_years=2)
    assert archive_years(fine, capped) == 2

    # repaired on 1 December 2026, shown until 2028 had it not been: kept until 2031
    assert archived_until(date(2033, 11, 3), date(2026, 12, 1), 5) == date(2031, 12, 1)
    # never later than the end it had (it stopped after its display had ended)
    assert archived_until(date(2032, 9, 1), date(2030, 1, 4), 5) == date(2032, 9, 1)
    # an open-ended record stopped is archived its years too
    assert archived_until(None, date(2026, 12, 1), 3) == date(2029, 12, 1)


@pytest.mark.parametrize("today", [date(2031, 12, 1), date(2033, 2, 28), date(2033, 3, 1)])
@pytest.mark.parametrize("years", [3, 5])
def test_the_last_stop_day_whose_archive_ended_agrees_with_the_archive_end(
    today: date, years: int
) -> None:
    last = left_display_by(today, years)
    for offset in range(-3, 4):  # across the boundary, 29 February included
        day = last + timedelta(days=offset)
        assert (archived_until(None, day, years) <= today) is (day <= last), day
    assert left_display_by(date(2033, 2, 28), 5) == date(2028, 2, 29)


def test_public_penalty_is_published_within_seven_working_days(policy: Policy) -> None:
    # 29 and 30 Sep, 8, 9 and Saturday 10 Oct (make-up day), 12 and 13 Oct 2026
    result = assess(
        item(policy, "ADM-PEN-01"),
        ORDINARY_FINE,
        decision_date=date(2026, 9, 28),
        valid_until=None,
        policy=policy.periods,
    )

    assert result.publish_by is not None
    assert result.publish_by.day == date(2026, 10, 13)
    assert result.publish_by.official


def test_a_minor_penalty_has_no_publication_deadline(policy: Policy) -> None:
    result = assess(
        item(policy, "ADM-PEN-01"),
        {**ORDINARY_FINE, "procedure": "simplified"},
        decision_date=DECIDED,
        valid_until=None,
        policy=policy.periods,
    )

    assert not result.published
    assert result.publish_by is None


def test_double_publicity_applies_only_to_its_categories(policy: Policy) -> None:
    result = assess(
        item(policy, "JUD-DEBTOR-01"),
        {"dishonest_conduct": "able_but_refuses"},
        decision_date=DECIDED,
        valid_until=None,
        policy=policy.periods,
    )

    assert result.severity is Severity.SERIOUS
    assert result.published
    assert result.publish_by is None


def test_a_shared_only_item_is_never_published_whatever_its_class(policy: Policy) -> None:
    result = assess(
        item(policy, "JUD-CRIM-01"),
        {"penalty": "fixed_term_imprisonment"},
        decision_date=DECIDED,
        valid_until=None,
        policy=policy.periods,
    )

    assert result.severity is Severity.SERIOUS
    assert not result.published


def test_a_licence_is_shown_through_its_last_valid_day(policy: Policy) -> None:
    result = assess(
        item(policy, "ADM-LIC-01"),
        {},
        decision_date=DECIDED,
        valid_until=date(2027, 6, 30),
        policy=policy.periods,
    )

    assert result.severity is None
    assert result.display_ends == date(2027, 7, 1)
    assert result.repair_from is None
    assert result.retention_ends == date(2032, 7, 1)


def test_a_licence_without_an_end_date_stays_shown(policy: Policy) -> None:
    result = assess(
        item(policy, "ADM-LIC-01"),
        {},
        decision_date=DECIDED,
        valid_until=None,
        policy=policy.periods,
    )

    assert result.display_ends is None
    assert result.retention_ends is None


def test_an_honour_is_shown_for_its_fixed_term(policy: Policy) -> None:
    honour = item(policy, "HON-MORAL-01")

    result = assess(honour, {}, decision_date=DECIDED, valid_until=None, policy=policy.periods)

    assert honour.display_months == 36
    assert result.severity is None
    assert result.published
    assert result.display_ends == date(2029, 4, 1)
    assert result.retention_ends == date(2032, 4, 1)


def shipped_periods() -> dict[str, Any]:
    return copy.deepcopy(read_toml(PACKAGED / "periods.toml"))


def test_figures_come_from_the_policy_file(policy: Policy) -> None:
    data = shipped_periods()
    data["severity"]["general"]["display_months"] = 6
    data["archive"]["max_retention_years"] = 2
    local = PeriodPolicy.from_policy(data)

    result = assess(
        item(policy, "ADM-PEN-01"),
        ORDINARY_FINE,
        decision_date=DECIDED,
        valid_until=None,
        policy=local,
    )

    assert result.display_ends == date(2026, 10, 1)
    assert result.retention_ends == date(2028, 10, 1)


def test_a_periods_file_missing_a_class_names_it() -> None:
    data = shipped_periods()
    del data["severity"]["general"]

    with pytest.raises(CatalogError) as caught:
        PeriodPolicy.from_policy(data, "local/periods.toml")

    assert caught.value.file == "local/periods.toml"
    assert caught.value.item == "severity.general"


def test_a_periods_file_with_a_bad_figure_names_the_class() -> None:
    data = shipped_periods()
    data["severity"]["serious"]["display_months"] = "three years"

    with pytest.raises(CatalogError) as caught:
        PeriodPolicy.from_policy(data)

    assert caught.value.item == "severity.serious"


@pytest.mark.parametrize(
    ("section", "key", "low", "high"),
    [
        ("revocation", "withdraw_working_days", 1, 3),  # docs/domain.md §5: 1-3 working days
        ("publication", "double_publicity_working_days", 0, 7),  # §13: within 7 working days
        ("archive", "max_retention_years", 0, 5),  # §6: kept at most 5 years
    ],
)
def test_a_figure_outside_the_domains_bounds_is_refused_naming_file_and_key(
    section: str, key: str, low: int, high: int
) -> None:
    for lawful in (low, high):
        data = shipped_periods()
        data[section][key] = lawful
        assert getattr(PeriodPolicy.from_policy(data), key) == lawful
    for unlawful in (low - 1, high + 1):
        data = shipped_periods()
        data[section][key] = unlawful

        with pytest.raises(CatalogError) as caught:
            PeriodPolicy.from_policy(data, "local/periods.toml")

        error = caught.value
        assert (error.file, error.item, error.field) == ("local/periods.toml", section, key)
        assert f"from {low} to {high}" in error.reason


@pytest.mark.parametrize(("severity", "longest"), [("minor", 3), ("general", 12), ("serious", 36)])
def test_a_class_shown_longer_than_the_domain_allows_is_refused(
    severity: str, longest: int
) -> None:
    """docs/domain.md §6: display ends automatically after 3 months, 1 year, 3 years; and a
    repair is applied for while the record is shown."""
    data = shipped_periods()
    data["severity"][severity]["display_months"] = longest + 1
    with pytest.raises(CatalogError) as caught:
        PeriodPolicy.from_policy(data)
    assert (caught.value.item, caught.value.field) == (f"severity.{severity}", "display_months")

    data = shipped_periods()
    data["severity"][severity]["repair_after_months"] = longest + 1
    with pytest.raises(CatalogError) as caught:
        PeriodPolicy.from_policy(data)
    assert (caught.value.item, caught.value.field) == (
        f"severity.{severity}",
        "repair_after_months",
    )


def test_a_decided_listing_holds_its_record_shown_to_its_own_end_or_the_day_it_ended(
    policy: Policy,
) -> None:
    """docs/lists-and-measures.md, "A listing keeps its record shown"."""
    penalty = item(policy, "ADM-PEN-01")
    own = assess(
        penalty, ORDINARY_FINE, decision_date=DECIDED, valid_until=None, policy=policy.periods
    )

    def held(*windows: tuple[date, date | None]) -> tuple[date | None, date | None]:
        return held_display(own, windows, item=penalty, policy=policy.periods)

    assert held() == (own.display_ends, own.retention_ends)
    assert own.display_ends is not None
    shorter = (DECIDED, date(own.display_ends.year - 1, 1, 1))
    assert held(shorter) == (own.display_ends, own.retention_ends)
    longer = (DECIDED, date(own.display_ends.year + 2, 1, 1))
    assert held(shorter, longer) == (
        date(own.display_ends.year + 2, 1, 1),
        date(own.display_ends.year + 7, 1, 1),
    )
    assert held(longer, (DECIDED, None)) == (None, None)  # open-ended: shown while it stands
