"""Report numbers, verification codes and the report channel policy (domain/reports.py)."""

from __future__ import annotations

import inspect
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from xinyong.domain.reports import (
    LINKS,
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

    assert channel.portal == "/portal/"
    assert channel.counter_zh
    address = channel.verify_address("GR1", "ABCD-EFGH")
    assert "GR1" in address
    assert "{" not in address


def test_the_packaged_channel_names_no_host_and_no_port_its_links_follow_the_public_address() -> (
    None
):
    """The packaged links used to be http://127.0.0.1:8000/…, printed whatever address the
    platform was served at."""
    channel = ReportChannel.from_policy(read_toml(PACKAGED / "report.toml"), "report.toml")
    assert all(getattr(channel, key).startswith("/") for key in LINKS)

    served = channel.served_at("https://gov.example.cn:8443/xinyong/")

    assert served.portal == "https://gov.example.cn:8443/xinyong/portal/"
    assert served.query_log == "https://gov.example.cn:8443/xinyong/portal/me/queries"
    assert served.verify_address("GR1", "ABCD") == (
        "https://gov.example.cn:8443/xinyong/portal/public/reports?number=GR1&code=ABCD"
    )
    assert (served.counter_zh, served.phone) == (channel.counter_zh, channel.phone)


def test_a_link_the_policy_gives_as_a_whole_address_is_printed_as_it_is() -> None:
    data = read_toml(PACKAGED / "report.toml")
    data["channel"]["portal"] = "https://portal.example.cn/"
    channel = ReportChannel.from_policy(data, "report.toml")

    served = channel.served_at("https://platform.example.cn")

    assert served.portal == "https://portal.example.cn/"
    assert served.query_log == "https://platform.example.cn/portal/me/queries"


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (("portal = ", "# portal = "), "[channel] portal must be a non-empty text"),
        (('name_zh = "', 'name_zh = "" # '), "[issuer] name_zh must be a non-empty text"),
        (("number={number}", "number="), "verify_url must contain {number}"),
        (("query_lines = 50", "query_lines = -1"), "[printed] query_lines must be a whole number"),
        (("query_log = ", "# query_log = "), "[channel] query_log must be a non-empty text"),
        (('query_log = "/', 'query_log = "'), "[channel] query_log must be a path on the"),
        (('portal = "/', 'portal = "ftp://x/'), "[channel] portal must be a path on the"),
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


# The platform's public address, after which a report prints its links


@pytest.fixture
def no_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """XINYONG_PUBLIC_URL unset, and unset again after the test whatever `xinyong serve` set."""
    monkeypatch.setenv("XINYONG_PUBLIC_URL", "http://recorded.invalid")
    monkeypatch.delenv("XINYONG_PUBLIC_URL")
    monkeypatch.chdir(Path(__file__).parent)  # no developer's .env


@pytest.mark.usefixtures("no_public_url")
def test_the_public_address_defaults_to_where_xinyong_serve_listens_by_default() -> None:
    from xinyong.cli import serve
    from xinyong.config import SERVE_HOST, SERVE_PORT, Settings

    defaults = {name: p.default for name, p in inspect.signature(serve.serve).parameters.items()}
    assert (defaults["host"], defaults["port"]) == (SERVE_HOST, SERVE_PORT)
    assert Settings(_env_file=None).base_url() == f"http://{SERVE_HOST}:{SERVE_PORT}"  # type: ignore[call-arg]
    given = Settings(_env_file=None, public_url="https://credit.example.cn/x/")  # type: ignore[call-arg]
    assert given.base_url() == "https://credit.example.cn/x"


@pytest.mark.parametrize(
    "url", ["credit.example.cn", "ftp://credit.example.cn", "https://", "https://x.cn/?a=1"]
)
def test_a_public_address_that_is_no_web_address_is_refused(url: str) -> None:
    from pydantic import ValidationError

    from xinyong.config import Settings

    with pytest.raises(ValidationError, match="public_url"):
        Settings(_env_file=None, public_url=url)  # type: ignore[call-arg]


@pytest.mark.usefixtures("no_public_url")
def test_xinyong_serve_makes_the_address_it_binds_the_public_one_unless_one_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvicorn

    from xinyong.cli import serve
    from xinyong.config import get_settings

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    serve.serve_app("127.0.0.2", 9123, workers=1)
    assert get_settings().base_url() == "http://127.0.0.2:9123"  # as the server's workers read it

    monkeypatch.setenv("XINYONG_PUBLIC_URL", "https://credit.example.cn")
    serve.serve_app("0.0.0.0", 9124, workers=1)  # noqa: S104 - never bound: uvicorn is replaced
    assert get_settings().base_url() == "https://credit.example.cn"
