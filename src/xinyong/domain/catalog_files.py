"""Reading the catalog's files (`policy/catalog/<version>/*.toml`, and a region's own items in
`local/<region_code>.toml`): each item and its fields are checked as they are read, and a broken
file fails naming the file, the item and the field (docs/catalog.md). The catalog itself, and
what its items mean, is `domain/catalog.py`; what a local item must say,
`domain/local_catalog.py`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from xinyong.domain.catalog import (
    COMMON_FIELDS,
    BannedFields,
    Catalog,
    CatalogItem,
    Category,
    DataItem,
    DisplayRule,
    FieldType,
    Nature,
    Severity,
    SeverityRule,
    SharingScope,
    SubjectType,
)
from xinyong.domain.errors import CatalogError
from xinyong.domain.local_catalog import LOCAL_KEYS, check_local_region, localise
from xinyong.policy import read_toml

_E = TypeVar("_E", bound=StrEnum)
_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+$")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_OPS = ("eq", "ne", "in", "gt", "gte", "lt", "lte")
_NUMERIC_OPS = ("gt", "gte", "lt", "lte")
_RULE_KEYS = frozenset({"field", "op", "value", "class"})
_SEVERITY_KEYS = frozenset({"default", "rules"})
_DISPLAY_KEYS = frozenset({"rule", "months"})
_FIELD_KEYS = frozenset(
    {
        "name",
        "type",
        "values",
        "min",
        "max",
        "required",
        "max_length",
        "label_zh",
        "label_en",
        "requires_consent",
        "value_labels_zh",
        "value_labels_en",
    }
)
_ITEM_KEYS = frozenset(
    {
        "code",
        "name_zh",
        "name_en",
        "category",
        "subject_type",
        "nature",
        "legal_basis",
        "providers",
        "public",
        "sharing_scope",
        "display",
        "retention_years",
        "update_frequency",
        "severity",
        "fields",
        "min_subject_age",
        "description",
        "double_publicity",
        "no_list_reason",
    }
)


class _Reader:
    """Reads one catalog file, raising CatalogError with file, item and field on the first fault."""

    def __init__(self, file: str, banned: BannedFields) -> None:
        self.file = file
        self.banned = banned

    def fail(self, item: str, fld: str, reason: str) -> CatalogError:
        return CatalogError(self.file, item, fld, reason)

    def text(self, data: Mapping[str, Any], item: str, key: str, *, required: bool = True) -> str:
        value = data.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(item, key, "must be a non-empty string")
        return value.strip()

    def known_keys(
        self, data: Mapping[str, Any], item: str, allowed: frozenset[str], where: str = ""
    ) -> None:
        """Refuse a key the format does not know: a misspelt key must not drop a protection."""
        for key in data:
            if key not in allowed:
                raise self.fail(
                    item, f"{where}{key}", "is not a key of the catalog format (misspelt?)"
                )

    def flag(
        self, data: Mapping[str, Any], item: str, key: str, default: bool, *, where: str = ""
    ) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(item, f"{where}{key}", "must be true or false")
        return value

    def choice(self, data: Mapping[str, Any], item: str, key: str, enum: type[_E]) -> _E:
        value = data.get(key)
        try:
            return enum(str(value))
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            raise self.fail(item, key, f"must be one of {allowed}; got {value!r}") from None

    def item(self, data: Mapping[str, Any]) -> CatalogItem:
        code = data.get("code")
        if not isinstance(code, str) or not _CODE.match(code):
            raise self.fail(
                str(code), "code", "must look like ADM-PEN-01 (capitals, digits, dashes)"
            )
        local = sorted(LOCAL_KEYS & data.keys())
        if local:  # a national file's item: the key would be dropped, the item apply everywhere
            raise self.fail(
                code, local[0], "only an item of a local catalog (local/<region_code>.toml) has it"
            )
        self.known_keys(data, code, _ITEM_KEYS)
        name_zh = self.text(data, code, "name_zh")
        name_en = self.text(data, code, "name_en")
        category = self.choice(data, code, "category", Category)
        subject_type = self.choice(data, code, "subject_type", SubjectType)
        nature = self.choice(data, code, "nature", Nature)
        basis = data.get("legal_basis")
        if (
            not isinstance(basis, list)
            or not basis
            or not all(isinstance(b, str) and b.strip() for b in basis)
        ):
            raise self.fail(code, "legal_basis", "must cite at least one law, regulation or policy")
        providers = data.get("providers")
        if (
            not isinstance(providers, list)
            or not providers
            or not all(isinstance(p, str) for p in providers)
        ):
            raise self.fail(code, "providers", "must name at least one kind of department")
        public = data.get("public")
        if not isinstance(public, bool):
            raise self.fail(code, "public", "must be true or false")
        scope = self.choice(data, code, "sharing_scope", SharingScope)
        if public and scope is not SharingScope.PUBLIC:
            raise self.fail(code, "sharing_scope", "a public item must have sharing_scope = public")
        display = data.get("display", {})
        if not isinstance(display, dict):
            raise self.fail(code, "display", "must be a table")
        self.known_keys(display, code, _DISPLAY_KEYS, "display.")
        if "rule" in display:
            rule = self._display_rule(display, code)
        else:
            rule = DisplayRule.SEVERITY if nature is Nature.NEGATIVE else DisplayRule.VALIDITY
        months = display.get("months")
        if rule is DisplayRule.FIXED and (not isinstance(months, int) or months <= 0):
            raise self.fail(
                code, "display.months", "a fixed display rule needs a positive number of months"
            )
        if rule is DisplayRule.SEVERITY and nature is not Nature.NEGATIVE:
            raise self.fail(
                code, "display.rule", "only negative items are displayed by severity class"
            )
        retention = data.get("retention_years")
        if not isinstance(retention, int) or retention < 0:
            raise self.fail(code, "retention_years", "must be a whole number of years, 0 or more")
        frequency = self.text(data, code, "update_frequency")
        fields = self._fields(data, code)
        if category is Category.EVALUATION:
            self._evaluation(code, public=public, fields=fields)
        default_severity, rules = self._severity(data, code, nature, {f.name: f for f in fields})
        reason = self.text(data, code, "no_list_reason", required=False)
        serious = default_severity is Severity.SERIOUS or any(
            r.severity is Severity.SERIOUS for r in rules
        )
        if reason and not serious:
            raise self.fail(
                code, "no_list_reason", "only an item whose records can be serious needs a reason"
            )
        min_age = data.get("min_subject_age")
        if min_age is not None and (not isinstance(min_age, int) or not 0 <= min_age <= 120):
            raise self.fail(code, "min_subject_age", "must be an age in years")
        return CatalogItem(
            code=code,
            name_zh=name_zh,
            name_en=name_en,
            category=category,
            subject_type=subject_type,
            nature=nature,
            legal_basis=tuple(b.strip() for b in basis),
            providers=frozenset(providers),
            public=public,
            sharing_scope=scope,
            display_rule=rule,
            display_months=months if isinstance(months, int) else None,
            retention_years=retention,
            update_frequency=frequency,
            fields=fields,
            default_severity=default_severity,
            severity_rules=rules,
            min_subject_age=min_age,
            double_publicity=self.flag(data, code, "double_publicity", False),
            description=self.text(data, code, "description", required=False),
            no_list_reason=reason,
            _by_name={f.name: f for f in fields},
        )

    def _evaluation(self, code: str, *, public: bool, fields: tuple[DataItem, ...]) -> None:
        """An evaluation is made under published criteria, which each record names (a required
        `criteria_reference`: no opaque scores), and is not published: a negative one would need
        prior notice to the person first, which the platform does not give (docs/catalog.md)."""
        criteria = next((f for f in fields if f.name == "criteria_reference"), None)
        if criteria is None or not criteria.required:
            raise self.fail(
                code,
                "fields",
                "an evaluation names the published criteria it applied: add a required"
                " criteria_reference field",
            )
        if public:
            raise self.fail(
                code, "public", "an evaluation is not published (a negative one needs prior notice)"
            )

    def _display_rule(self, display: Mapping[str, Any], code: str) -> DisplayRule:
        try:
            return DisplayRule(display["rule"])
        except ValueError:
            allowed = ", ".join(r.value for r in DisplayRule)
            raise self.fail(code, "display.rule", f"must be one of {allowed}") from None

    def _severity(
        self, data: Mapping[str, Any], code: str, nature: Nature, fields: Mapping[str, DataItem]
    ) -> tuple[Severity | None, tuple[SeverityRule, ...]]:
        spec = data.get("severity")
        if nature is not Nature.NEGATIVE:
            if spec is not None:
                raise self.fail(code, "severity", "only negative items have a severity class")
            return None, ()
        if not isinstance(spec, dict):
            raise self.fail(
                code, "severity", "a negative item needs a severity table with a default"
            )
        self.known_keys(spec, code, _SEVERITY_KEYS, "severity.")
        default = self.choice(spec, code, "default", Severity)
        rules: list[SeverityRule] = []
        for index, raw in enumerate(spec.get("rules", [])):
            where = f"severity.rules[{index}]"
            if not isinstance(raw, dict) or raw.get("op") not in _OPS:
                raise self.fail(code, where, f"op must be one of {', '.join(_OPS)}")
            self.known_keys(raw, code, _RULE_KEYS, f"{where}.")
            if "field" not in raw or "value" not in raw:
                raise self.fail(code, where, "needs field, op, value and class")
            target = fields.get(str(raw["field"]))
            if target is None:
                raise self.fail(code, where, f"rule reads undeclared field {raw['field']!r}")
            op, value = raw["op"], raw["value"]
            if op == "in" and not isinstance(value, list):
                raise self.fail(code, where, "op 'in' needs a list value")
            numeric = target.type in (FieldType.INTEGER, FieldType.DECIMAL, FieldType.MONEY)
            if op in _NUMERIC_OPS and (
                not numeric or isinstance(value, bool) or not isinstance(value, int | float)
            ):
                raise self.fail(
                    code, where, f"op {op!r} compares numbers; {target.name} is {target.type.value}"
                )
            if target.type is FieldType.ENUM:
                for candidate in value if isinstance(value, list) else [value]:
                    if str(candidate) not in target.values:
                        raise self.fail(
                            code, where, f"{candidate!r} is not a value of {target.name}"
                        )
            try:
                severity = Severity(str(raw.get("class")))
            except ValueError:
                raise self.fail(code, where, "class must be minor, general or serious") from None
            rules.append(SeverityRule(target.name, op, value, severity))
        return default, tuple(rules)

    def _fields(self, data: Mapping[str, Any], code: str) -> tuple[DataItem, ...]:
        raw_fields = data.get("fields")
        if not isinstance(raw_fields, list) or not raw_fields:
            raise self.fail(code, "fields", "must declare at least one data item")
        seen: set[str] = set()
        out: list[DataItem] = []
        for index, raw in enumerate(raw_fields):
            if not isinstance(raw, dict):
                raise self.fail(code, f"fields[{index}]", "must be a table")
            name = raw.get("name")
            where = f"fields[{index}]" if not isinstance(name, str) else f"fields.{name}"
            if not isinstance(name, str) or not _FIELD_NAME.match(name):
                raise self.fail(code, where, "name must be lower_snake_case")
            self.known_keys(raw, code, _FIELD_KEYS, f"{where}.")
            banned = self.banned.match(name) or self.banned.match_label(
                f"{raw.get('label_zh', '')} {raw.get('label_en', '')}"
            )
            if banned:
                raise self.fail(code, where, f"{banned} may never be collected (statutory ban)")
            if name in COMMON_FIELDS:
                raise self.fail(code, where, "is a field every record carries; do not redeclare it")
            if name in seen:
                raise self.fail(code, where, "is declared twice")
            seen.add(name)
            out.append(self._data_item(raw, code, where, name))
        return tuple(out)

    def _data_item(self, raw: Mapping[str, Any], code: str, where: str, name: str) -> DataItem:
        try:
            kind = FieldType(str(raw.get("type")))
        except ValueError:
            allowed = ", ".join(t.value for t in FieldType)
            raise self.fail(code, f"{where}.type", f"must be one of {allowed}") from None
        values = raw.get("values", [])
        if kind is FieldType.ENUM and (not isinstance(values, list) or not values):
            raise self.fail(code, f"{where}.values", "an enum needs a list of values")
        bounds: dict[str, Decimal | None] = {}
        for key in ("min", "max"):
            value = raw.get(key)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                raise self.fail(code, f"{where}.{key}", "must be a number")
            bounds[key] = Decimal(str(value)) if value is not None else None
        required = self.flag(raw, code, "required", True, where=f"{where}.")
        max_length = raw.get("max_length", 200)
        if not isinstance(max_length, int) or max_length <= 0:
            raise self.fail(code, f"{where}.max_length", "must be a positive whole number")
        return DataItem(
            name=name,
            type=kind,
            value_labels=self._value_labels(raw, code, where, tuple(str(v) for v in values)),
            label_zh=self.text(raw, code, "label_zh"),
            label_en=self.text(raw, code, "label_en"),
            required=required,
            values=tuple(str(v) for v in values),
            minimum=bounds["min"],
            maximum=bounds["max"],
            max_length=max_length,
            requires_consent=self.flag(raw, code, "requires_consent", False, where=f"{where}."),
        )

    def _value_labels(
        self, raw: Mapping[str, Any], code: str, where: str, values: tuple[str, ...]
    ) -> dict[str, tuple[str, str]]:
        """An enum's value labels: Chinese for every value (when given), English optional."""
        zh = raw.get("value_labels_zh")
        en = raw.get("value_labels_en", {})
        if zh is None:
            if "value_labels_en" in raw:
                raise self.fail(code, f"{where}.value_labels_en", "needs value_labels_zh too")
            return {}
        for key, table in (("value_labels_zh", zh), ("value_labels_en", en)):
            if not isinstance(table, Mapping) or not all(
                isinstance(v, str) and v.strip() for v in table.values()
            ):
                raise self.fail(code, f"{where}.{key}", "must map each value to a label")
            unknown = sorted(set(table) - set(values))
            if unknown:
                raise self.fail(code, f"{where}.{key}", f"labels unknown values {unknown}")
        missing = [v for v in values if v not in zh]
        if missing:
            raise self.fail(code, f"{where}.value_labels_zh", f"has no label for {missing}")
        return {v: (zh[v], en.get(v, v.replace("_", " "))) for v in values}


def read_catalog_file(
    path: Path, banned: BannedFields, *, region: str | None = None
) -> list[CatalogItem]:
    """Read and check one catalog file of `[[items]]`; with `region`, a local catalog file of
    that region (`local/<region>.toml`), whose items each rest on a local rule."""
    if region is not None:
        check_local_region(str(path), region)
    try:
        data = read_toml(path)
    except ValueError as exc:
        raise CatalogError(str(path), "-", "-", str(exc)) from None
    items = data.get("items")
    if not isinstance(items, list) or not items:
        raise CatalogError(str(path), "-", "items", "the file declares no [[items]]")
    reader = _Reader(str(path), banned)
    if region is None:
        return [reader.item(raw) for raw in items]
    out: list[CatalogItem] = []
    for raw in items:
        if not isinstance(raw, dict):
            raise CatalogError(str(path), "-", "items", "each [[items]] entry must be a table")
        item = reader.item({k: v for k, v in raw.items() if k not in LOCAL_KEYS})
        out.append(localise(item, raw, region=region, file=str(path)))
    return out


def load_catalog(directory: Path, banned: BannedFields) -> Catalog:
    """Load one catalog version: `manifest.toml`, every other `*.toml` file in `directory`, and
    the sub-national items of `local/<region_code>.toml`."""
    manifest_path = directory / "manifest.toml"
    if not manifest_path.is_file():
        raise CatalogError(str(manifest_path), "-", "-", "the catalog manifest is missing")
    try:
        manifest = read_toml(manifest_path)
    except ValueError as exc:
        raise CatalogError(str(manifest_path), "-", "-", str(exc)) from None
    for key in ("version", "edition", "effective"):
        if key not in manifest:
            raise CatalogError(str(manifest_path), "-", key, "is required")
    effective = manifest["effective"]
    if not isinstance(effective, date):
        raise CatalogError(str(manifest_path), "-", "effective", "must be a TOML date")
    items: dict[str, CatalogItem] = {}
    for path in sorted(directory.glob("*.toml")):
        if path.name == "manifest.toml":
            continue
        for item in read_catalog_file(path, banned):
            if item.code in items:
                raise CatalogError(str(path), item.code, "code", "is declared in two places")
            items[item.code] = item
    if not items:
        raise CatalogError(str(directory), "-", "-", "the catalog holds no items")
    for path in sorted((directory / "local").glob("*.toml")):  # sub-national items: they add
        for item in read_catalog_file(path, banned, region=path.stem):
            if item.code in items:
                reason = (
                    "is declared in two places"
                    if items[item.code].is_local
                    else "is a national item: a local catalog may only add items"
                )
                raise CatalogError(str(path), item.code, "code", reason)
            items[item.code] = item
    return Catalog(str(manifest["version"]), str(manifest["edition"]), effective, items)


def load_catalogs(
    folder: Path, current: str, banned: BannedFields
) -> tuple[Catalog, dict[str, Catalog]]:
    """Load the configured catalog version (`current`, a folder name) and every version `folder`
    holds (each `<version>/manifest.toml`, the configured one too), by the version its manifest
    names.
    A record keeps the version it was accepted under and is read by it, so an earlier version
    stays loaded after a newer one is configured (docs/catalog.md)."""
    catalog = load_catalog(folder / current, banned)
    versions = {catalog.version: catalog}
    for directory in sorted(folder.iterdir()):
        if directory.name == current or not (directory / "manifest.toml").is_file():
            continue
        other = load_catalog(directory, banned)
        if other.version in versions:
            raise CatalogError(
                str(directory / "manifest.toml"), "-", "version",
                f"{other.version} is the version of another folder too",
            )  # fmt: skip
        versions[other.version] = other
    return catalog, versions
