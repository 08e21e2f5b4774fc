"""Administrative region codes: every code that has ever existed, and English names for them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from xinyong.policy import PACKAGED, read_toml


@dataclass(frozen=True, slots=True)
class CountyName:
    """One name a 6-digit region code has carried, and the years it was in use (None: open)."""

    name: str
    since: int | None
    until: int | None

    def in_use_in(self, year: int) -> bool:
        return (self.since is None or year >= self.since) and (
            self.until is None or year <= self.until
        )


@lru_cache(maxsize=8192)
def historic_names(code: str) -> tuple[str, tuple[CountyName, ...]]:
    """Return the province of a 6-digit code and every name the code has had.

    The table is python-stdnum's `cn/loc`: each code that has ever existed, with the years
    each name was in use (`[1983-1989]南头区办事处,[1990-]南山区`). No names means the table
    does not know the code; the province may still be known from its first two digits.
    """
    from stdnum import numdb  # loaded on first use: `xinyong --help` loads no stdnum

    found = numdb.get("cn/loc").info(code)
    info = {key: value for _part, props in found for key, value in props.items()}
    names: list[CountyName] = []
    for entry in info["county"].split(",") if "county" in info else []:
        if not entry.startswith("["):
            names.append(CountyName(entry, None, None))
            continue
        span, name = entry[1:].split("]")
        start, end = span.split("-")
        names.append(CountyName(name, int(start) if start else None, int(end) if end else None))
    return info.get("province", ""), tuple(names)


def is_known_region(code: str) -> bool:
    """Whether `code` is a 6-digit administrative code that has existed at any time."""
    return len(code) == 6 and code.isdigit() and bool(historic_names(code)[1])


@cache
def _table() -> dict[str, Any]:
    return read_toml(PACKAGED / "regions.toml")


def _romanise(name: str) -> str:
    readings: dict[str, str] = _table()["readings"]
    if name in readings:
        return readings[name]
    from pypinyin import lazy_pinyin  # loaded on first use: its dictionaries are slow to load

    return "".join(lazy_pinyin(name)).capitalize()


@cache
def english_region_name(province: str, county: str) -> str:
    """Return e.g. "Beijing Chaoyang" for 北京市, 朝阳区."""
    table = _table()
    province_en = table["provinces"].get(province) or _romanise(province.rstrip("省市"))
    if county == province:  # a province-level code (440000) names the province itself
        return province_en
    base = county
    for suffix in table["county"]["suffixes"]:
        if base.endswith(suffix) and len(base) > len(suffix) + 1:
            base = base[: -len(suffix)]
            break
    if not base or base == "市辖":
        return province_en
    return f"{province_en} {_romanise(base)}"


@dataclass(frozen=True, slots=True)
class Province:
    """A province-level region: the first two digits of every code within it."""

    code: str
    name_zh: str
    name_en: str


@cache
def provinces() -> tuple[Province, ...]:
    """Every province-level region the code table knows, by code (a search filters by them)."""
    found: list[Province] = []
    for number in range(11, 100):
        code = f"{number:02d}"
        province, names = historic_names(f"{code}0000")
        if not province or not names:
            continue
        name = names[-1].name  # its current name (the table's own spelling)
        found.append(Province(code, name, english_region_name(name, name)))
    return tuple(found)


def is_province_or_city(code: str) -> bool:
    """Whether `code` is the code of a province (xx0000) or a city (xxxx00) that has existed."""
    return is_known_region(code) and code.endswith("00")


def region_prefix(code: str) -> str:
    """The digits every code inside a province (its first 2) or a city (its first 4) starts
    with; a county's code is its own."""
    if code.endswith("0000"):
        return code[:2]
    return code[:4] if code.endswith("00") else code


def region_contains(code: str, other: str) -> bool:
    """Whether region `other` is `code` or lies inside it (a province holds its cities and
    counties, a city its counties)."""
    return other.startswith(region_prefix(code))


@cache
def region_name(code: str) -> tuple[str, str]:
    """Return a region's current name in Chinese and English: 北京市 / Beijing, 广东省深圳市 /
    Guangdong Shenzhen. A code the table does not know reads as itself."""
    province, names = historic_names(code)
    if not province or not names:
        return code, code
    county = names[-1].name
    if code.endswith("0000") or "辖" in county:  # 110100 市辖区 is Beijing itself
        return province, english_region_name(province, province)
    return f"{province}{county}", english_region_name(province, county)
