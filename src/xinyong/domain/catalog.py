"""The uniform catalog: the gate through which information becomes public credit information.

Nothing outside the catalog is stored. Each item names its legal basis, who may provide it, whether
it is public, how severe a record of it is, how long it is shown and kept, and the typed data items
a record carries. The catalog is data (TOML files under `policy/catalog/<version>/`); this module
reads and checks it, and a broken file fails naming the file, the item and the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from xinyong.domain.reasons import Refused
from xinyong.domain.regions import region_contains


class Category(StrEnum):
    """The categories of the national basic catalog (2021 edition, with the 2024 additions)."""

    REGISTRATION = "registration"
    JUDICIAL = "judicial"
    ADMINISTRATIVE = "administrative"
    QUALIFICATION = "qualification"
    ABNORMAL_OPERATION = "abnormal_operation"
    SERIOUS_UNTRUSTWORTHY = "serious_untrustworthy"
    CONTRACT_PERFORMANCE = "contract_performance"
    COMMITMENT = "commitment"
    EVALUATION = "evaluation"
    HONOUR = "honour"
    SELF_DECLARED = "self_declared"
    INTELLECTUAL_PROPERTY = "intellectual_property"
    SOCIAL_INSURANCE_ARREARS = "social_insurance_arrears"


class SubjectType(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"


class Nature(StrEnum):
    """Whether a record of the item counts against, for, or neither for nor against its subject."""

    NEGATIVE = "negative"
    POSITIVE = "positive"
    NEUTRAL = "neutral"


class Severity(StrEnum):
    MINOR = "minor"
    GENERAL = "general"
    SERIOUS = "serious"


class SharingScope(StrEnum):
    """Who may receive a record: everyone, public bodies, or parties the subject authorised."""

    PUBLIC = "public"
    GOVERNMENT = "government"
    AUTHORISED = "authorised"


class FieldType(StrEnum):
    STRING = "string"
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    MONEY = "money"
    DATE = "date"
    BOOLEAN = "boolean"
    ENUM = "enum"


class DisplayRule(StrEnum):
    """How long a record is shown: by severity, for a fixed term, or while its document is valid."""

    SEVERITY = "severity"
    FIXED = "fixed"
    VALIDITY = "validity"


_TRUE = {"true", "1", "yes", "y", "是"}
#: Dates outside this span are typing errors, and some would overflow date arithmetic.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)
#: The largest magnitude a number may have (money is stored as NUMERIC(18, 2)).
MAX_DIGITS_BEFORE_POINT = 15
#: What no text the platform keeps may hold: C0 controls but tab and line breaks, DEL, C1
#: controls and lone surrogates (docs/security.md, Hostile input and output).
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def check_text(text: str) -> str:
    """Refuse control characters (NUL and the like): no document holds them."""
    if CONTROL_CHARACTERS.search(text):
        raise Refused("control_characters")
    return text


_FALSE = {"false", "0", "no", "n", "否"}

#: Fields every record carries, whatever its item, in the order batch files list them.
#: Items may not redeclare them.
COMMON_FIELD_ORDER = (
    "item",
    "document_number",
    "subject_id",
    "subject_name",
    "birth_date",
    "decision_date",
    "authority_name",
    "authority_uscc",
    "valid_from",
    "valid_until",
    "consent_reference",
)
COMMON_FIELDS = frozenset(COMMON_FIELD_ORDER)


def _banned_key(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


@dataclass(frozen=True, slots=True)
class BannedFields:
    """Statutory bans: information that may never be declared in the catalog nor stored."""

    names: frozenset[str]
    labels: Mapping[str, str]
    _seen: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    def match(self, name: str) -> str | None:
        """Return the banned concept `name` stands for, or None."""
        if name in self._seen:  # column names repeat on every row of a batch
            return self._seen[name]
        key = _banned_key(name)
        found = self.labels.get(key, key) if key in self.names else None
        if len(self._seen) < 10_000:
            self._seen[name] = found
        return found

    def match_label(self, label: str) -> str | None:
        """Return the banned concept a human label mentions (a Chinese alias inside it), or None."""
        found = self.match(label)
        if found:
            return found
        for key in self.names:
            if not key.isascii() and key in label:
                return self.labels[key]
        return None

    @classmethod
    def from_policy(cls, data: Mapping[str, Any]) -> BannedFields:
        names: set[str] = set()
        labels: dict[str, str] = {}
        for concept in data.get("banned", []):
            for alias in [concept["name"], *concept.get("aliases", [])]:
                key = _banned_key(str(alias))
                names.add(key)
                labels[key] = concept["label"]
        return cls(frozenset(names), labels)


@dataclass(frozen=True, slots=True)
class DataItem:
    """One typed field a record of a catalog item carries."""

    name: str
    type: FieldType
    label_zh: str
    label_en: str
    required: bool = True
    values: tuple[str, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    max_length: int = 200
    requires_consent: bool = False
    #: An enum value's words in Chinese and English (`value_labels_zh` / `_en` in the catalog).
    value_labels: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def value_label(self, value: str) -> tuple[str, str]:
        """Return an enum value's label (Chinese, English); a value without one reads as is."""
        return self.value_labels.get(value, (value, value.replace("_", " ")))

    def coerce(self, raw: object) -> object:
        """Return the canonical JSON-safe value of `raw`, or raise ValueError with the reason."""
        if isinstance(raw, str):
            raw = raw.strip()
        kind = self.type
        if kind in (FieldType.STRING, FieldType.TEXT):
            if not isinstance(raw, str | int) or isinstance(raw, bool):
                raise Refused("not_text")
            text = str(raw)
            limit = self.max_length if kind is FieldType.STRING else max(self.max_length, 4000)
            if len(text) > limit:
                raise Refused("too_long", count=len(text), limit=limit)
            return check_text(text)
        if kind is FieldType.ENUM:
            if str(raw) not in self.values:
                raise Refused("not_one_of", values=", ".join(self.values))
            return str(raw)
        if kind is FieldType.BOOLEAN:
            if isinstance(raw, bool):
                return raw
            text = str(raw).lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise Refused("not_boolean")
        if kind is FieldType.DATE:
            return parse_date(raw).isoformat()
        number = self._number(raw)
        if self.minimum is not None and number < self.minimum:
            raise Refused("below_minimum", minimum=self.minimum)
        if self.maximum is not None and number > self.maximum:
            raise Refused("above_maximum", maximum=self.maximum)
        if kind is FieldType.INTEGER:
            return int(number)
        if kind is FieldType.MONEY:
            return str(number.quantize(Decimal("0.01")))
        return str(number)

    def _number(self, raw: object) -> Decimal:
        if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
            raise Refused("not_a_number")
        try:
            number = Decimal(str(raw).replace(",", ""))
        except InvalidOperation:
            raise Refused("not_a_number") from None
        if not number.is_finite():
            raise Refused("not_finite")
        if number and number.adjusted() >= MAX_DIGITS_BEFORE_POINT:
            raise Refused("too_large", count=MAX_DIGITS_BEFORE_POINT)
        if self.type is FieldType.INTEGER and number != number.to_integral_value():
            raise Refused("not_whole")
        if self.type is FieldType.MONEY and number.as_tuple().exponent < -2:  # type: ignore[operator]
            raise Refused("too_many_decimals")
        return number


def parse_date(raw: object) -> date:
    """Parse an ISO date (YYYY-MM-DD; YYYYMMDD and YYYY/MM/DD are accepted too)."""
    if isinstance(raw, date):
        raw = raw.isoformat()
    if not isinstance(raw, str):
        raise Refused("not_a_date")
    text = raw.strip().replace("/", "-")
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Refused("not_a_date") from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise Refused("date_out_of_range", first=EARLIEST_DATE.year, last=LATEST_DATE.year)
    return day


@dataclass(frozen=True, slots=True)
class SeverityRule:
    """If the field compares to the value, the record is of this class. Rules are tried in order."""

    field: str
    op: str
    value: object
    severity: Severity

    def matches(self, fields: Mapping[str, object]) -> bool:
        actual = fields.get(self.field)
        if actual is None:
            return False
        if self.op == "in":
            return str(actual) in {str(v) for v in self.value}  # type: ignore[attr-defined]
        if self.op in ("eq", "ne"):
            same = _comparable(actual) == _comparable(self.value)
            return same if self.op == "eq" else not same
        left, right = Decimal(str(actual)), Decimal(str(self.value))
        return {
            "gt": left > right,
            "gte": left >= right,
            "lt": left < right,
            "lte": left <= right,
        }[self.op]


def _comparable(value: object) -> object:
    if isinstance(value, bool):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return str(value)


@dataclass(frozen=True, slots=True)
class CatalogItem:
    """One kind of public credit information, and the rules a record of that kind follows."""

    code: str
    name_zh: str
    name_en: str
    category: Category
    subject_type: SubjectType
    nature: Nature
    legal_basis: tuple[str, ...]
    providers: frozenset[str]
    public: bool
    sharing_scope: SharingScope
    display_rule: DisplayRule
    retention_years: int
    update_frequency: str
    fields: tuple[DataItem, ...]
    default_severity: Severity | None = None
    severity_rules: tuple[SeverityRule, ...] = ()
    display_months: int | None = None
    min_subject_age: int | None = None
    double_publicity: bool = False
    description: str = ""
    no_list_reason: str = ""  # why a record that can be serious feeds no list (or "")
    #: A sub-national item's region (a province's or city's code); None for a national item.
    region: str | None = None
    #: The local regulations or rules of that region the item rests on (a local item only).
    local_basis: tuple[str, ...] = ()
    _by_name: Mapping[str, DataItem] = field(default_factory=dict, compare=False, repr=False)

    def field_named(self, name: str) -> DataItem | None:
        return self._by_name.get(name)

    def severity_of(self, fields: Mapping[str, object]) -> Severity | None:
        """Return the severity class of a record with these fields (None if not negative)."""
        if self.nature is not Nature.NEGATIVE:
            return None
        for rule in self.severity_rules:
            if rule.matches(fields):
                return rule.severity
        return self.default_severity

    @property
    def is_local(self) -> bool:
        """Whether the item is a sub-national one, added by its region's catalog."""
        return self.region is not None

    def applies_in(self, region_code: str) -> bool:
        """Whether a department of `region_code` may submit it: a national item anywhere, a
        local one only inside its region (a province's item in its cities and counties too)."""
        return self.region is None or region_contains(self.region, region_code)

    @property
    def can_be_serious(self) -> bool:
        """Whether some record of this item is of the serious class."""
        return self.default_severity is Severity.SERIOUS or any(
            r.severity is Severity.SERIOUS for r in self.severity_rules
        )

    @property
    def needs_consent(self) -> bool:
        return any(f.requires_consent for f in self.fields)


@dataclass(frozen=True, slots=True)
class Catalog:
    """One version of the catalog: its items by code."""

    version: str
    edition: str
    effective: date
    items: Mapping[str, CatalogItem]

    def get(self, code: str) -> CatalogItem | None:
        return self.items.get(code)

    def __iter__(self) -> Iterator[CatalogItem]:
        return iter(sorted(self.items.values(), key=lambda item: item.code))

    def __len__(self) -> int:
        return len(self.items)
