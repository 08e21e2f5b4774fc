"""Reading figures out of policy files: each refusal names the file, the section and the key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xinyong.domain.errors import CatalogError


def whole_number(
    data: Mapping[str, Any],
    file: str,
    section: str,
    key: str,
    *,
    at_least: int = 0,
    at_most: int | None = None,
    why: str = "",
) -> int:
    """The whole number at `[section] key`, from `at_least` to `at_most` (no upper bound when
    None), or CatalogError naming the file, the section and the key (and `why` the bounds)."""
    return bounded(
        data.get(section, {}).get(key),
        file,
        section,
        key,
        at_least=at_least,
        at_most=at_most,
        why=why,
    )


def bounded(
    value: object,
    file: str,
    section: str,
    key: str,
    *,
    at_least: int = 0,
    at_most: int | None = None,
    why: str = "",
) -> int:
    """`value` if it is a whole number from `at_least` to `at_most`, else CatalogError."""
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or value < at_least
        or (at_most is not None and value > at_most)
    ):
        span = f"≥ {at_least}" if at_most is None else f"from {at_least} to {at_most}"
        raise CatalogError(
            file, section, key, f"must be a whole number {span}" + (f": {why}" if why else "")
        )
    return value


def words(data: Mapping[str, Any], file: str, section: str, key: str) -> tuple[str, ...]:
    """The non-empty list of strings at `[section] key`, or CatalogError."""
    value = data.get(section, {}).get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise CatalogError(file, section, key, "must be a non-empty list of strings")
    return tuple(value)
