"""Password rules: length, common and breached passwords, the person's ID number and name,
trivial runs; each refusal names the field and the reason, never the password."""

from __future__ import annotations

import pytest

from xinyong.domain.policy import Policy
from xinyong.services.passwords import WeakPassword, check_password

NUMBER = "11010519491231002X"
NAME = "王秀英"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "at least 10 characters"),
        ("1234567890", "common passwords"),
        ("qwertyuiop", "common passwords"),
        ("password123", "common passwords"),
        (" " * 10, "a run of repeated"),
        ("ababababababab", "a run of repeated"),
        ("0987654321", "common passwords"),
        ("9876543210", "a run of"),
        ("zxcvbnm,./", "a run of"),
        (NUMBER, "your ID number"),
        (NUMBER.lower() + "!", "your ID number"),
        ("my 19491231 day", "your ID number"),
        ("secret 31002x", "your ID number"),
        ("王秀英的密码很长很长很长", "your name"),
        ("WangXiuYing!!", "your name"),
        ("xiuying 2026 spring", "your name"),
        ("monkey12345", "too easy to guess"),
    ],
)
def test_a_weak_password_is_refused_with_the_reason_and_never_repeated(
    policy: Policy, password: str, reason: str
) -> None:
    with pytest.raises(WeakPassword) as refused:
        check_password(policy.accounts, password, number=NUMBER, name=NAME)
    assert refused.value.detail.startswith("password: ")
    assert reason in refused.value.detail
    assert password.strip() not in refused.value.detail[len("password: ") :] or not password.strip()


@pytest.mark.parametrize(
    "password",
    ["correct horse battery", "lantern orchard quietly", "纸上得来终觉浅，绝知此事要躬行"],
)
def test_a_long_unusual_phrase_passes(policy: Policy, password: str) -> None:
    check_password(policy.accounts, password, number=NUMBER, name=NAME)


def test_without_a_number_or_name_only_those_rules_are_skipped(policy: Policy) -> None:
    check_password(policy.accounts, "wang xiuying 1949 1231")  # staff: nothing to compare
    with pytest.raises(WeakPassword, match="new_password: is one of the most common"):
        check_password(policy.accounts, "1234567890", field="new_password")
