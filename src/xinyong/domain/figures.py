"""Reading figures out of policy files: each refusal names the file, the section and the key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xinyong.domain.errors import CatalogError


def whole_number(data: Mapping[str, Any], file: str, section: str, key: str) -> int:
    """The whole number ≥ 0 at `[section] key`, or CatalogError."""
    value = data.get(section, {}).get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CatalogError(file, section, key, "must be a whole number ≥ 0")
    return value


def words(data: Mapping[str, Any], file: str, section: str, key: str) -> tuple[str, ...]:
    """The non-empty list of strings at `[section] key`, or CatalogError."""
    value = data.get(section, {}).get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise CatalogError(file, section, key, "must be a non-empty list of strings")
    return tuple(value)
