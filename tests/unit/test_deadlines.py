"""Deadlines on the fallback calendar, counted again when the official one covers them; the
overdue arithmetic; the query log's retention boundary.

The official 2026 arrangement (chinese-calendar): 1-7 October off, Sunday 20 September and
Saturday 10 October worked. Narrowing `official_years` makes 2026 a year "not published yet".
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from xinyong.domain import calendar
from xinyong.domain.calendar import Deadline, add_working_days
from xinyong.domain.deadlines import (
    CREDIT_CENTRE,
    Counted,
    DeadlineKind,
    Watched,
    recount,
    recounted_data,
    tells_person,
)
from xinyong.domain.errors import CatalogError
from xinyong.domain.policy import load_policy
from xinyong.domain.querylog import QueryLogRules
from xinyong.policy import PACKAGED

COVERED = calendar.official_years()
BEFORE_2026 = frozenset(y for y in COVERED if y < 2026)


@pytest.fixture
def calendar_without_2026(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(calendar, "official_years", lambda: BEFORE_2026)


def counted(kind: DeadlineKind, deadline: Deadline) -> Counted:
    return Counted(kind, "objection", 1, 7, "BJ-AMR", deadline, running=True)


def test_the_installed_calendar_covers_2026() -> None:
    assert 2026 in COVERED
    assert min(COVERED) <= 2004


def test_a_deadline_keeps_what_it_was_counted_from(calendar_without_2026: None) -> None:
    deadline = add_working_days(date(2026, 9, 30), 1)

    assert (deadline.day, deadline.official) == (date(2026, 10, 1), False)  # Thursday
    assert (deadline.start, deadline.working_days) == (date(2026, 9, 30), 1)
    assert deadline.recountable


def test_a_deadline_counted_on_the_official_calendar_is_not_recountable() -> None:
    deadline = add_working_days(date(2026, 9, 30), 1)

    assert (deadline.day, deadline.official) == (date(2026, 10, 8), True)
    assert not deadline.recountable
    assert recount(counted(DeadlineKind.OBJECTION_CHECK, deadline)) is None


def test_a_fallback_deadline_waits_while_its_year_is_still_not_covered(
    calendar_without_2026: None,
) -> None:
    deadline = add_working_days(date(2026, 9, 30), 1)

    assert recount(counted(DeadlineKind.OBJECTION_CHECK, deadline)) is None


def test_a_fallback_deadline_is_counted_again_when_the_official_calendar_arrives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(calendar, "official_years", lambda: BEFORE_2026)
    guessed = add_working_days(date(2026, 9, 30), 1)
    monkeypatch.setattr(calendar, "official_years", lambda: COVERED)

    again = recount(counted(DeadlineKind.OBJECTION_CHECK, guessed))

    assert again is not None
    assert (again.day, again.official) == (date(2026, 10, 8), True)  # after the National Day week
    assert (again.start, again.working_days) == (date(2026, 9, 30), 1)
    assert recounted_data(DeadlineKind.OBJECTION_CHECK, guessed, again) == {
        "change": "recounted",
        "deadline": "objection_check",
        "from": "2026-10-01",
        "to": "2026-10-08",
    }


def test_a_duty_may_come_earlier_but_a_defence_window_never_shrinks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # From Wednesday 16 September 2026, five working days: Monday to Friday ends on the 23rd;
    # officially Sunday the 20th is worked, so the count ends on the 22nd.
    monkeypatch.setattr(calendar, "official_years", lambda: BEFORE_2026)
    guessed = add_working_days(date(2026, 9, 16), 5)
    monkeypatch.setattr(calendar, "official_years", lambda: COVERED)
    assert guessed.day == date(2026, 9, 23)

    duty = recount(counted(DeadlineKind.OBJECTION_DECISION, guessed))
    window = recount(counted(DeadlineKind.DEFENCE, guessed))

    assert duty is not None
    assert (duty.day, duty.official) == (date(2026, 9, 22), True)
    assert window is not None
    assert (window.day, window.official) == (date(2026, 9, 23), True)


def test_the_person_is_told_of_their_deadlines_once_and_never_of_double_publicity() -> None:
    assert tells_person(DeadlineKind.OBJECTION_DECISION, "objection")
    assert tells_person(DeadlineKind.PUBLIC_NOTICE, "list_entry")
    assert tells_person(DeadlineKind.WITHDRAWAL, "record")  # the record's own withdrawal day
    assert not tells_person(DeadlineKind.WITHDRAWAL, "feed_item")  # each recipient's: not again
    assert not tells_person(DeadlineKind.DOUBLE_PUBLICITY, "record")  # a duty to the public


def test_a_deadline_whose_start_is_unknown_cannot_be_counted_again() -> None:
    unknown = Deadline(date(2027, 1, 4), official=False)

    assert not unknown.recountable
    assert recount(counted(DeadlineKind.REPAIR_FEEDBACK, unknown)) is None


@pytest.mark.parametrize("start", [date(2026, 9, d) for d in range(14, 31)])
@pytest.mark.parametrize(("first", "more"), [(0, 3), (1, 3), (2, 3), (5, 5)])
def test_an_extension_counted_from_the_start_equals_one_counted_from_the_deadline(
    start: date, first: int, more: int
) -> None:
    deadline = add_working_days(start, first)

    assert deadline.extended(more).day == add_working_days(deadline.day, more).day
    assert deadline.extended(more).working_days == first + more


def test_two_deadlines_on_the_same_day_and_standing_are_equal_however_counted() -> None:
    assert add_working_days(date(2026, 9, 30), 1) == Deadline(date(2026, 10, 8), official=True)


def watched(due: date) -> Watched:
    return Watched(
        DeadlineKind.OBJECTION_CHECK,
        "objection",
        4,
        7,
        "BJ-AMR",
        CREDIT_CENTRE,
        Deadline(due, official=True),
    )


def test_working_days_overdue_skip_the_national_day_week() -> None:
    late = watched(date(2026, 9, 30))

    assert not late.is_overdue_on(date(2026, 9, 30))
    assert late.is_overdue_on(date(2026, 10, 7))
    assert late.working_days_overdue(date(2026, 10, 7)) == 0  # a week of holidays
    assert late.working_days_overdue(date(2026, 10, 10)) == 3  # 8, 9 and Saturday 10 October
    assert late.what == "objection 4: the credit centre checks the objection"


def test_a_deadline_passed_on_a_rest_day_is_overdue_by_no_working_day() -> None:
    friday = watched(date(2026, 11, 13))

    assert friday.is_overdue_on(date(2026, 11, 14))
    assert friday.working_days_overdue(date(2026, 11, 14)) == 0
    assert friday.working_days_overdue(date(2026, 11, 16)) == 1


def test_the_query_log_keeps_entries_from_the_same_day_five_years_back_in_china() -> None:
    rules = QueryLogRules(retention_years=5)
    now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Beijing

    # Midnight of 20 November 2021 in Beijing is 16:00 UTC the day before.
    assert rules.kept_since(now) == datetime(2021, 11, 19, 16, 0, tzinfo=UTC)
    late_evening = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)  # 01:00 on the 21st in Beijing
    assert rules.kept_since(late_evening) == datetime(2021, 11, 20, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("old", "new", "section", "key"),
    [
        (  # docs/domain.md §9: the longest regime decides within 20 working days
            "extension_working_days = 3",
            "extension_working_days = 18",
            "objections",
            "centre_check_working_days + source_decide_working_days + extension_working_days",
        ),
        ("accept_working_days = 3", "accept_working_days = 4", "repairs", "accept_working_days"),
        (  # §10: acceptance within 3, feedback within 10 working days
            "feedback_working_days = 10",
            "feedback_working_days = 11",
            "repairs",
            "feedback_working_days",
        ),
        (  # §11: query logs are kept at least 5 years, 5 to 10 by local rules
            "log_retention_years = 5",
            "log_retention_years = 4",
            "queries",
            "log_retention_years",
        ),
        ("log_retention_years = 5", "log_retention_years = 11", "queries", "log_retention_years"),
    ],
    ids=["objection-too-long", "acceptance", "feedback", "log-too-short", "log-too-long"],
)
def test_a_rights_deadline_outside_the_domains_bounds_stops_the_policy(
    tmp_path: Path, old: str, new: str, section: str, key: str
) -> None:
    target = tmp_path / "policy"
    shutil.copytree(PACKAGED, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    rights = target / "rights.toml"
    text = rights.read_text(encoding="utf-8")
    assert text.count(old) == 1
    rights.write_text(text.replace(old, new), encoding="utf-8")

    with pytest.raises(CatalogError) as caught:
        load_policy(target)

    assert (caught.value.file, caught.value.item, caught.value.field) == (str(rights), section, key)
