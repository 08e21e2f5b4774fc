"""The official working-day calendar and month arithmetic.

The 2026 arrangement is the State Council General Office's holiday notice for 2026, as
chinese-calendar carries it: National Day and its week off run 1-7 October 2026 (Mid-Autumn falls on
25 September), with Sunday 20 September and Saturday 10 October worked.
"""

from __future__ import annotations

from datetime import date

import pytest

from xinyong.domain.calendar import (
    add_months,
    add_working_days,
    is_working_day,
    working_days_between,
)


@pytest.mark.parametrize("day", range(1, 8))
def test_national_day_week_2026_is_an_official_holiday(day: int) -> None:
    assert is_working_day(date(2026, 10, day)) == (False, True)


def test_saturday_10_october_2026_is_an_official_make_up_working_day() -> None:
    saturday = date(2026, 10, 10)

    assert saturday.weekday() == 5
    assert is_working_day(saturday) == (True, True)


def test_sunday_20_september_2026_is_an_official_make_up_working_day() -> None:
    assert is_working_day(date(2026, 9, 20)) == (True, True)


def test_the_sunday_after_the_make_up_saturday_is_a_rest_day() -> None:
    assert is_working_day(date(2026, 10, 11)) == (False, True)


def test_working_days_skip_the_national_day_week() -> None:
    deadline = add_working_days(date(2026, 9, 30), 1)

    assert deadline.day == date(2026, 10, 8)
    assert deadline.official
    assert deadline.note == ""


def test_working_days_count_the_make_up_saturday() -> None:
    # 29 and 30 Sep, 8 and 9 Oct, Saturday 10 Oct, then Monday 12 and Tuesday 13 Oct
    assert add_working_days(date(2026, 9, 28), 7).day == date(2026, 10, 13)
    assert add_working_days(date(2026, 10, 9), 1).day == date(2026, 10, 10)


def test_zero_working_days_is_the_start_day_even_on_a_holiday() -> None:
    assert add_working_days(date(2026, 10, 3), 0).day == date(2026, 10, 3)


def test_negative_working_days_are_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        add_working_days(date(2026, 10, 3), -1)


def test_working_days_between_counts_days_after_start_up_to_end() -> None:
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 12)) == 4
    assert working_days_between(date(2026, 10, 12), date(2026, 10, 12)) == 0


def test_a_year_the_official_calendar_does_not_cover_falls_back_to_monday_to_friday() -> None:
    national_day_2030 = date(2030, 10, 1)  # a Tuesday; the 2030 arrangement is not published

    assert national_day_2030.weekday() == 1
    assert is_working_day(national_day_2030) == (True, False)
    assert is_working_day(date(2030, 10, 5)) == (False, False)


def test_a_deadline_counted_on_the_fallback_calendar_says_so() -> None:
    deadline = add_working_days(date(2030, 1, 4), 1)  # Friday

    assert deadline.day == date(2030, 1, 7)
    assert not deadline.official
    assert "Monday to Friday" in deadline.note


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2025, 11, 15), 3, date(2026, 2, 15)),
        (date(2026, 4, 1), 36, date(2029, 4, 1)),
        (date(2026, 4, 1), 0, date(2026, 4, 1)),
    ],
)
def test_add_months_keeps_the_day_and_clamps_to_the_month_end(
    start: date, months: int, expected: date
) -> None:
    assert add_months(start, months) == expected
