"""English names for Chinese administrative regions, from the regions policy file."""

from __future__ import annotations

from functools import cache
from typing import Any

from xinyong.policy import PACKAGED, read_toml


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
    base = county
    for suffix in table["county"]["suffixes"]:
        if base.endswith(suffix) and len(base) > len(suffix) + 1:
            base = base[: -len(suffix)]
            break
    if not base or base == "市辖":
        return province_en
    return f"{province_en} {_romanise(base)}"
