"""Tip-offs: the public reports serious untrustworthy conduct to the authority competent for it.

A tip-off is routed by its topic to one department's queue (`policy/tipoffs.toml`); it never
becomes a record by itself: the department investigates and, if it decides, submits its own
decision like any other (docs/domain.md §14).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from xinyong.domain.errors import CatalogError, FieldChecks, Invalid, NotAllowed
from xinyong.domain.figures import whole_number
from xinyong.domain.identifiers import (
    InvalidIdentifier,
    is_credit_code,
    normalise,
    parse_citizen_id,
    redact_id_numbers,
)


@dataclass(frozen=True, slots=True)
class Topic:
    """What a tip-off is about, and the department that is competent for it."""

    code: str
    name_zh: str
    name_en: str
    department: str


@dataclass(frozen=True, slots=True)
class TipOffRules:
    """`policy/tipoffs.toml`: the topics and where each goes, and the form's limits."""

    topics: Mapping[str, Topic]
    max_chars: int
    max_per_source_per_day: int

    @property
    def is_open(self) -> bool:
        """Whether the policy routes tip-offs at all (a policy without the file takes none)."""
        return bool(self.topics)

    @classmethod
    def closed(cls) -> TipOffRules:
        """No topics: the channel is closed (a policy folder without `tipoffs.toml`)."""
        return cls(topics={}, max_chars=0, max_per_source_per_day=0)

    @classmethod
    def from_policy(
        cls, data: Mapping[str, Any], file: str, departments: Collection[str]
    ) -> TipOffRules:
        """Read the rules; a topic routed to a department that is not registered is refused."""
        topics: dict[str, Topic] = {}
        for raw in data.get("topics", []):
            code = raw.get("code") if isinstance(raw, dict) else None
            if not isinstance(code, str) or not code:
                raise CatalogError(file, "topics", "code", "every topic has a code")
            names = [raw.get(k) for k in ("name_zh", "name_en", "department")]
            if not all(isinstance(n, str) and n.strip() for n in names):
                raise CatalogError(file, code, "name_zh", "needs name_zh, name_en and department")
            if raw["department"] not in departments:
                raise CatalogError(file, code, "department", "is not a registered department")
            topics[code] = Topic(code, raw["name_zh"], raw["name_en"], raw["department"])
        if not topics:
            raise CatalogError(file, "topics", "code", "name at least one topic")
        return cls(
            topics=topics,
            max_chars=whole_number(data, file, "limits", "max_chars"),
            max_per_source_per_day=whole_number(data, file, "limits", "max_per_source_per_day"),
        )


class TipOffStatus(StrEnum):
    RECEIVED = "received"  # in the competent department's queue


#: The longest name of the person or organisation a tip-off is about, and of a contact.
MAX_NAME_CHARS = 100
MAX_CONTACT_CHARS = 100


@dataclass(slots=True)
class TipOff:
    """A report from the public: what happened, about whom, routed to one department.

    `source` is a keyed hash of where it came from (to limit how many one sender files a day),
    never the address itself. `subject_number` and `contact` are personal data.
    """

    id: int | None
    topic: str
    department: str
    subject_name: str
    subject_number: str | None
    account: str
    contact: str | None
    source: str
    received_at: datetime
    status: TipOffStatus = TipOffStatus.RECEIVED

    def __repr__(self) -> str:
        return f"TipOff(id={self.id}, topic={self.topic}, department={self.department})"

    @property
    def redacted_account(self) -> str:
        """The account with anything shaped like an ID number withheld (for queues and lists)."""
        return redact_id_numbers(self.account)


def receive_tipoff(
    *,
    topic: str,
    subject_name: str,
    subject_number: str | None,
    account: str,
    contact: str | None,
    source: str,
    at: datetime,
    rules: TipOffRules,
) -> TipOff:
    """A tip-off routed to its topic's department, or Invalid naming the field (never its value)."""
    if not rules.is_open:
        raise NotAllowed("this platform takes no tip-offs: its policy names no topics")
    fields = FieldChecks()  # every field's problem at once, in the form's order
    chosen = rules.topics.get(topic)
    if chosen is None:
        fields.found.append(Invalid(f"topic: must be one of {', '.join(rules.topics)}"))
    name = subject_name.strip()
    if not name:
        fields.found.append(Invalid("subject_name: say whom the report is about"))
    elif len(name) > MAX_NAME_CHARS:
        fields.found.append(Invalid(f"subject_name: at most {MAX_NAME_CHARS} characters"))
    number = fields.read(lambda: _subject_number(subject_number), None)
    text = account.strip()
    if not text:
        fields.found.append(Invalid("account: say what happened"))
    elif len(text) > rules.max_chars:
        fields.found.append(Invalid(f"account: at most {rules.max_chars} characters"))
    reach = (contact or "").strip() or None
    if reach is not None and len(reach) > MAX_CONTACT_CHARS:
        fields.found.append(Invalid(f"contact: at most {MAX_CONTACT_CHARS} characters"))
    fields.refuse()
    if chosen is None:  # refused above
        raise Invalid(f"topic: must be one of {', '.join(rules.topics)}")
    return TipOff(None, chosen.code, chosen.department, name, number, text, reach, source, at)


def _subject_number(raw: str | None) -> str | None:
    """A citizen ID number or credit code, normalised; Invalid when given but malformed."""
    if raw is None or not raw.strip():
        return None
    number = normalise(raw)
    if is_credit_code(number):
        return number
    try:
        return parse_citizen_id(number).number
    except InvalidIdentifier:
        raise Invalid(
            "subject_number: not a valid citizen ID number or unified social credit code"
        ) from None
