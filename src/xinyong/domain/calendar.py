"""The official working-day calendar: State Council holidays and make-up working days.

chinese-calendar knows each year's arrangement once the State Council publishes it. For a year it
does not cover yet, the calendar falls back to Monday to Friday and says so on every answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

import chinese_calendar

#: Business time is China Standard Time (UTC+8, no daylight saving): dates of decisions, periods
#: and deadlines are dates in that zone.
CHINA_TIME = timezone(timedelta(hours=8), "UTC+8")


def business_date(moment: datetime) -> date:
    """Return the date in China of a timestamp: deadlines and periods count in that calendar."""
    return moment.astimezone(CHINA_TIME).date()


@dataclass(frozen=True, slots=True)
class Deadline:
    """A date reached by counting working days, and whether a fallback calendar was needed."""

    day: date
    official: bool

    @property
    def note(self) -> str:
        if self.official:
            return ""
        return "counted Monday to Friday: the official calendar for that year is not published yet"


@lru_cache(maxsize=4096)
def _official_workday(day: date) -> bool | None:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def is_working_day(day: date) -> tuple[bool, bool]:
    """Return (is a working day, answer is from the official calendar)."""
    official = _official_workday(day)
    if official is None:
        return day.weekday() < 5, False
    return official, True


def add_working_days(start: date, days: int) -> Deadline:
    """Return the day `days` working days after `start` (the start day itself is not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    day, left, official = start, days, True
    while left:
        day += timedelta(days=1)
        working, known = is_working_day(day)
        official = official and known
        if working:
            left -= 1
    return Deadline(day, official)


def working_days_between(start: date, end: date) -> int:
    """Count the working days after `start` up to and including `end`."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day)[0]:
            count += 1
    return count


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
