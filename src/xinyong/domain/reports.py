"""Issued reports: the report number, the verification code, and where a reader can object.

A report's number names one report; its verification code is a keyed digest (HMAC-SHA256 with the
deployment's secret key) of the number and of a digest of the report's content. The platform
keeps the number and the content digest of every report it issues, so it can later confirm that a
printed (number, code) pair is one it issued without keeping or revealing what the report said.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

from xinyong.domain.calendar import CHINA_TIME

#: Characters of a verification code: base32 (no 0, 1, 8 or 9 to misread), in groups of four.
CODE_LENGTH: Final = 16
_CODE_GROUP: Final = 4
_NOT_CODE: Final = re.compile(r"[\s\-]")
_NUMBER: Final = re.compile(r"^GR\d{14}[0-9A-F]{6}$")


@dataclass(frozen=True, slots=True)
class IssuedReport:
    """A report the platform issued: its number, whose it is, when, and its content's digest."""

    number: str
    subject_id: int
    generated_at: datetime
    content_digest: str


@dataclass(frozen=True, slots=True)
class ReportChannel:
    """Where a person reads, verifies and objects to a report (a deployment's own addresses), and
    how many query-log lines a printed report lists before saying where the rest are."""

    issuer_zh: str
    issuer_en: str
    portal: str
    verify_url: str  # with {number} (and optionally {code}) to fill in
    counter_zh: str
    counter_en: str
    hours_zh: str
    hours_en: str
    phone: str
    query_log: str  # the portal's page of the whole query log
    query_lines: int  # the newest query-log lines a printed report (HTML, PDF) lists

    @classmethod
    def from_policy(cls, data: Mapping[str, Any], file: str) -> ReportChannel:
        """Read `[issuer]`, `[channel]` and `[printed]` of the report policy; a missing text or
        figure names the key."""
        values: dict[str, str] = {}
        for section, keys in (
            ("issuer", ("name_zh", "name_en")),
            ("channel", ("portal", "verify_url", "counter_zh", "counter_en", "hours_zh")),
            ("channel", ("hours_en", "phone", "query_log")),
        ):
            table = data.get(section)
            for key in keys:
                value = table.get(key) if isinstance(table, Mapping) else None
                if not isinstance(value, str) or not value.strip():
                    raise ValueError(f"{file}: [{section}] {key} must be a non-empty text")
                values[f"{section}.{key}"] = value.strip()
        printed = data.get("printed")
        lines = printed.get("query_lines") if isinstance(printed, Mapping) else None
        if not isinstance(lines, int) or isinstance(lines, bool) or lines < 0:
            raise ValueError(f"{file}: [printed] query_lines must be a whole number ≥ 0")
        if "{number}" not in values["channel.verify_url"]:
            raise ValueError(f"{file}: [channel] verify_url must contain {{number}}")
        for key in LINKS:
            if not values[f"channel.{key}"].startswith(("/", "http://", "https://")):
                raise ValueError(
                    f"{file}: [channel] {key} must be a path on the platform (starting with /)"
                    " or an address starting with http:// or https://"
                )
        return cls(
            issuer_zh=values["issuer.name_zh"],
            issuer_en=values["issuer.name_en"],
            portal=values["channel.portal"],
            verify_url=values["channel.verify_url"],
            counter_zh=values["channel.counter_zh"],
            counter_en=values["channel.counter_en"],
            hours_zh=values["channel.hours_zh"],
            hours_en=values["channel.hours_en"],
            phone=values["channel.phone"],
            query_log=values["channel.query_log"],
            query_lines=lines,
        )

    def verify_address(self, number: str, code: str) -> str:
        return self.verify_url.replace("{number}", number).replace("{code}", code)

    def served_at(self, public_url: str) -> ReportChannel:
        """The channel with each link that is a path on the platform (`/portal/`) made an
        address after the platform's public one (`https://credit.example.gov.cn/portal/`); a
        link that is already an address stays as it is."""
        base = public_url.rstrip("/")
        return replace(
            self,
            **{
                key: base + link if (link := getattr(self, key)).startswith("/") else link
                for key in LINKS
            },
        )


#: The links of a channel: paths on the platform, or addresses elsewhere.
LINKS: Final = ("portal", "verify_url", "query_log")


def report_number(generated_at: datetime, subject_id: int, attempt: int = 0) -> str:
    """Return the number of the report generated for `subject_id` at `generated_at` (aware).

    GR, the China-time moment to the second, and six hex digits of a digest of whose report it
    is, the exact moment and `attempt` (the issuer counts it up when a number is taken).
    """
    if generated_at.tzinfo is None or generated_at.utcoffset() is None:
        raise ValueError("generated_at must be a timezone-aware datetime")
    moment = generated_at.astimezone(CHINA_TIME)
    seed = f"{subject_id}|{generated_at.isoformat()}|{attempt}"
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return f"GR{moment:%Y%m%d%H%M%S}{digest[:6].upper()}"


def is_report_number(text: str) -> bool:
    return bool(_NUMBER.match(text))


def content_digest(content: Mapping[str, Any]) -> str:
    """Return the SHA-256 of the report's content in a canonical form (sorted keys, UTF-8)."""
    canonical = json.dumps(
        content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def verification_code(secret_key: str, number: str, digest: str) -> str:
    """Return the code printed on the report: a truncated HMAC of its number and content digest."""
    mac = hmac.new(secret_key.encode(), f"{number}\n{digest}".encode(), hashlib.sha256).digest()
    code = base64.b32encode(mac).decode()[:CODE_LENGTH]
    return "-".join(code[i : i + _CODE_GROUP] for i in range(0, CODE_LENGTH, _CODE_GROUP))


def code_matches(secret_key: str, issued: IssuedReport, code: str) -> bool:
    """Whether `code` (as typed: any case, spaces or dashes) is the code of `issued`."""
    typed = _NOT_CODE.sub("", code).upper()
    expected = _NOT_CODE.sub(
        "", verification_code(secret_key, issued.number, issued.content_digest)
    )
    return hmac.compare_digest(typed.encode(), expected.encode())
