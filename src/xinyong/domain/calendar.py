"""The official working-day calendar: State Council holidays and make-up working days.

chinese-calendar knows each year's arrangement once the State Council publishes it. For a year it
does not cover yet, the calendar falls back to Monday to Friday and says so on every answer. A
deadline keeps the day it was counted from and how many working days were counted, so that it can
be counted again when a newer release covers its year (docs/rights.md, "Deadlines").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache

import chinese_calendar

#: Business time is China Standard Time (UTC+8, no daylight saving): dates of decisions, periods
#: and deadlines are dates in that zone.
CHINA_TIME = timezone(timedelta(hours=8), "UTC+8")


def business_date(moment: datetime) -> date:
    """Return the date in China of a timestamp: deadlines and periods count in that calendar."""
    return moment.astimezone(CHINA_TIME).date()


def business_day_starts(day: date) -> datetime:
    """The first moment of `day` in China: `business_date(m) >= day` exactly when
    `m >= business_day_starts(day)` (a filter on stored timestamps needs no time zone)."""
    return datetime.combine(day, time.min, tzinfo=CHINA_TIME)


@dataclass(frozen=True, slots=True)
class Deadline:
    """A date reached by counting working days, and whether a fallback calendar was needed.

    `start` and `working_days` say how it was counted (None when that is not known any more);
    two deadlines are equal when they fall on the same day with the same standing.
    """

    day: date
    official: bool
    start: date | None = field(default=None, compare=False)
    working_days: int | None = field(default=None, compare=False)

    @property
    def recountable(self) -> bool:
        """Counted on the fallback calendar, and known how: it can be counted again."""
        return not self.official and self.start is not None and self.working_days is not None

    def extended(self, days: int) -> Deadline:
        """The deadline `days` working days later, counted from where this one was counted."""
        if self.start is None or self.working_days is None:
            return add_working_days(self.day, days)
        return add_working_days(self.start, self.working_days + days)

    @property
    def note(self) -> str:
        if self.official:
            return ""
        return "counted Monday to Friday: the official calendar for that year is not published yet"


@lru_cache(maxsize=1)
def _packaged_years() -> frozenset[int]:
    found: set[int] = set()
    for year in range(1990, 2200):
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            continue
        found.add(year)
    return frozenset(found)


def official_years() -> frozenset[int]:
    """The years whose official arrangement the installed chinese-calendar carries.

    Every answer of this module goes through here, so a newer release (or a test that narrows
    the coverage) changes which deadlines are official, and nothing else.
    """
    return _packaged_years()


@lru_cache(maxsize=4096)
def _official_workday(day: date) -> bool:
    return bool(chinese_calendar.is_workday(day))


def is_working_day(day: date) -> tuple[bool, bool]:
    """Return (is a working day, answer is from the official calendar)."""
    if day.year not in official_years():
        return day.weekday() < 5, False
    return _official_workday(day), True


def add_working_days(start: date, days: int) -> Deadline:
    """Return the day `days` working days after `start` (the start day itself is not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    return _add_working_days(start, days, official_years())


@lru_cache(maxsize=16384)
def _add_working_days(start: date, days: int, years: frozenset[int]) -> Deadline:
    # A batch counts the same few periods from the same few decision dates thousands of times;
    # the answer depends on the covered years too, so they are part of the key.
    day, left, official = start, days, True
    while left:
        day += timedelta(days=1)
        known = day.year in years
        working = _official_workday(day) if known else day.weekday() < 5
        official = official and known
        if working:
            left -= 1
    return Deadline(day, official, start, days)


def working_days_between(start: date, end: date) -> int:
    """Count the working days after `start` up to and including `end`."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day)[0]:
            count += 1
    return count


@lru_cache(maxsize=4096)  # a pure function, asked the same few sums for every row of a batch
def add_months(day: date, months: int) -> date:
    """Return the same day `months` later, clamped to the month's last day (Jan 31 + 1 = Feb 28)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has at least 28 days")
