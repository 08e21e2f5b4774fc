"""A notice in a person's file in their language: the same data said in Chinese and English,
every deadline and every reason a clock stops given words, and a notice without data left to its
stored sentence."""

from __future__ import annotations

from datetime import date

import pytest

from xinyong.domain.calendar import Deadline
from xinyong.domain.deadlines import (
    DeadlineKind,
    recounted_data,
    resumed_data,
    stopped_data,
)
from xinyong.domain.objections import PAUSE_KINDS
from xinyong.services import notice_words
from xinyong.services.notice_words import detail_of, say


def _due(day: date) -> Deadline:
    return Deadline(day, True, date(2026, 11, 16), 5)


def test_every_deadline_and_every_stopped_clock_has_words_in_both_languages() -> None:
    assert set(notice_words.DEADLINES) == {k.value for k in DeadlineKind}
    assert set(notice_words.PAUSES) == set(PAUSE_KINDS)
    for zh, en in (*notice_words.DEADLINES.values(), *notice_words.PAUSES.values()):
        assert zh
        assert en != zh


def test_a_stopped_clock_is_said_in_chinese_and_in_the_english_sentence_kept() -> None:
    data = stopped_data(DeadlineKind.OBJECTION_DECISION, date(2026, 11, 23), "expert_review")
    assert say(data, "zh") == (
        "认定部门处理异议的期限自 2026-11-23 起因专家评审中止计算，专家评审所用的工作日不计入期限。"
    )
    assert (
        detail_of(data)
        == say(data, "en")
        == (
            "objection decision: stopped on 2026-11-23 for expert review; the working days it takes"
            " are not counted"
        )
    )


@pytest.mark.parametrize(
    ("days", "zh", "en"),
    [
        (
            1,
            "信用中心核查异议的期限恢复计算，截止日由 2026-11-24 顺延至 2026-11-25："
            "检验检测所用的 1 个工作日不计入。",
            "objection check: moved from 2026-11-24 to 2026-11-25; 1 working day of testing not"
            " counted",
        ),
        (
            3,
            "信用中心核查异议的期限恢复计算，截止日由 2026-11-24 顺延至 2026-11-25："
            "检验检测所用的 3 个工作日不计入。",
            "objection check: moved from 2026-11-24 to 2026-11-25; 3 working days of testing not"
            " counted",
        ),
    ],
)
def test_a_clock_that_runs_again_says_where_its_day_moved_and_why(
    days: int, zh: str, en: str
) -> None:
    old, new = _due(date(2026, 11, 24)), _due(date(2026, 11, 25))
    data = resumed_data(DeadlineKind.OBJECTION_CHECK, old, new, "testing", days)
    assert (say(data, "zh"), say(data, "en")) == (zh, en)


def test_a_clock_that_runs_again_on_the_same_day_says_so() -> None:
    due = _due(date(2026, 11, 24))
    data = resumed_data(DeadlineKind.OBJECTION_CHECK, due, due, "testing", 0)
    assert say(data, "zh") == "信用中心核查异议的期限恢复计算，截止日仍为 2026-11-24。"
    assert say(data, "en") == "objection check: runs again, still 2026-11-24"


def test_a_recount_on_the_official_calendar_is_said_with_and_without_a_move() -> None:
    old, new = _due(date(2026, 10, 1)), _due(date(2026, 10, 8))
    moved = recounted_data(DeadlineKind.REPAIR_FEEDBACK, old, new)
    assert say(moved, "zh") == (
        "答复信用修复申请的截止日由 2026-10-01 改为 2026-10-08：原按周一至周五计算，"
        "现按国家公布的节假日和调休安排计算。"
    )
    assert say(moved, "en") == (
        "repair feedback: moved from 2026-10-01 to 2026-10-08; it was counted Monday to Friday"
        " and is now counted on the official calendar"
    )
    kept = recounted_data(DeadlineKind.DEFENCE, new, new)
    assert (
        say(kept, "zh")
        == "陈述、申辩的期限现按国家公布的节假日和调休安排计算，截止日仍为 2026-10-08。"
    )
    assert say(kept, "en") == "defence: 2026-10-08 is now counted on the official calendar"


def test_a_notice_without_data_or_of_an_unknown_change_is_left_to_its_sentence() -> None:
    assert say(None, "zh") is None
    assert say({}, "en") is None
    assert say({"change": "something new", "deadline": "defence"}, "zh") is None
    with pytest.raises(ValueError, match="something new"):
        detail_of({"change": "something new"})


def test_a_code_without_words_is_shown_as_it_is() -> None:
    data = {"change": "stopped", "deadline": "new_kind", "on": "2026-11-23", "why": "audit_visit"}
    assert say(data, "en") == (
        "new kind: stopped on 2026-11-23 for audit visit; the working days it takes are not counted"
    )


def test_a_case_closed_by_an_identity_review_names_the_case_the_record_and_the_review() -> None:
    data = {"change": "closed", "record": 7, "review": 3, "case": "repair", "case_id": 12}
    assert say(data, "zh") == (
        "第 12 号信用修复申请：经第 3 号身份核查，第 7 号信用记录不属于您本人，"
        "已不在您的档案中，本申请终止办理。"
    )
    assert say(data, "en") == (
        "repair 12: record 7 was found to be another person's by identity review 3; it is no"
        " longer in your file, so this case is closed without a decision"
    )
