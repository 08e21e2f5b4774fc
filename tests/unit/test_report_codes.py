"""Report numbers, verification codes and the report channel policy (domain/reports.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from xinyong.domain.reports import (
    IssuedReport,
    ReportChannel,
    code_matches,
    content_digest,
    is_report_number,
    report_number,
    verification_code,
)
from xinyong.policy import PACKAGED, read_toml

SECRET = "a-deployment-secret-of-32-characters!"
AT = datetime(2026, 11, 28, 1, 30, 5, 250000, tzinfo=UTC)  # 09:30:05 in Beijing
DIGEST = content_digest({"name": "张三", "records": [1, 2]})
ISSUED = IssuedReport(report_number(AT, 7), 7, AT, DIGEST)


def test_the_number_carries_the_beijing_moment_and_is_one_per_report() -> None:
    number = report_number(AT, 7)

    assert re.fullmatch(r"GR20261128093005[0-9A-F]{6}", number)
    assert is_report_number(number)
    assert report_number(AT, 7) == number
    assert report_number(AT, 8) != number
    assert report_number(AT, 7, attempt=1) != number
    assert not is_report_number("GR2026")


def test_a_number_needs_an_aware_moment() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        report_number(datetime(2026, 11, 28, 9, 30), 7)  # noqa: DTZ001 - the point of the test


def test_the_digest_is_of_the_content_not_of_how_it_was_written_down() -> None:
    assert content_digest({"b": 1, "a": [1, "二"]}) == content_digest({"a": [1, "二"], "b": 1})
    assert content_digest({"a": [1, "二"]}) != content_digest({"a": [1, "三"]})


def test_the_code_is_sixteen_base32_characters_in_groups_of_four() -> None:
    code = verification_code(SECRET, ISSUED.number, DIGEST)

    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", code)
    assert code == verification_code(SECRET, ISSUED.number, DIGEST)
    assert code != verification_code("another secret", ISSUED.number, DIGEST)
    assert code != verification_code(SECRET, report_number(AT, 8), DIGEST)
    assert code != verification_code(SECRET, ISSUED.number, content_digest({"name": "李四"}))


def test_a_typed_code_matches_in_any_case_with_or_without_dashes() -> None:
    code = verification_code(SECRET, ISSUED.number, DIGEST)

    assert code_matches(SECRET, ISSUED, code)
    assert code_matches(SECRET, ISSUED, code.lower().replace("-", " "))
    assert code_matches(SECRET, ISSUED, code.replace("-", ""))


def test_a_wrong_code_another_reports_code_or_another_secret_does_not_match() -> None:
    code = verification_code(SECRET, ISSUED.number, DIGEST)
    other = IssuedReport(report_number(AT, 8), 8, AT, DIGEST)

    assert not code_matches(SECRET, ISSUED, code[:-1] + ("A" if code[-1] != "A" else "B"))
    assert not code_matches(SECRET, other, code)
    assert not code_matches("another secret", ISSUED, code)
    assert not code_matches(SECRET, ISSUED, "")


def test_the_packaged_channel_reads_and_fills_in_the_verify_address() -> None:
    channel = ReportChannel.from_policy(read_toml(PACKAGED / "report.toml"), "report.toml")

    assert channel.portal.startswith("http")
    assert channel.counter_zh
    address = channel.verify_address("GR1", "ABCD-EFGH")
    assert "GR1" in address
    assert "{" not in address


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (("portal = ", "# portal = "), "[channel] portal must be a non-empty text"),
        (('name_zh = "', 'name_zh = "" # '), "[issuer] name_zh must be a non-empty text"),
        (("number={number}", "number="), "verify_url must contain {number}"),
        (("query_lines = 50", "query_lines = -1"), "[printed] query_lines must be a whole number"),
        (("query_log = ", "# query_log = "), "[channel] query_log must be a non-empty text"),
    ],
)
def test_a_broken_channel_names_the_file_and_the_key(
    tmp_path: Path, edit: tuple[str, str], reason: str
) -> None:
    text = (PACKAGED / "report.toml").read_text(encoding="utf-8").replace(*edit, 1)
    path = tmp_path / "report.toml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ValueError, match=re.escape(reason)) as caught:
        ReportChannel.from_policy(read_toml(path), str(path))
    assert str(path) in str(caught.value)
