"""Where subjects come from: the home province, provinces by population, counties by year."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from stdnum import numdb

from xinyong.domain.departments import Department
from xinyong.synth import tables
from xinyong.synth.draws import Draw


@dataclass(frozen=True, slots=True)
class County:
    """A county-level region code and the years it was issued (first, last) in citizen numbers."""

    code: str
    spans: tuple[tuple[int, int], ...]
    name: str

    def issued_in(self, year: int) -> bool:
        return any(first <= year <= last for first, last in self.spans)


def _spans(county: str) -> tuple[tuple[int, int], ...]:
    """Years a county code was in use, read the way stdnum.cn.ric.get_birth_place reads them."""
    spans: list[tuple[int, int]] = []
    for entry in county.split(","):
        if not entry.startswith("["):
            return ((0, 9999),)
        years, _, _ = entry[1:].partition("]")
        first, _, last = years.partition("-")
        spans.append((int(first) if first else 0, int(last) if last else 9999))
    return tuple(spans)


@cache
def counties() -> dict[str, tuple[County, ...]]:
    """County-level region codes by province, from python-stdnum's table of region codes."""
    weights = tables.places().province_weights
    out: dict[str, tuple[County, ...]] = {}
    for length, low, high, _props, children in numdb.get("cn/loc").prefixes:
        if length != 2 or low != high or low not in weights:
            continue
        found: dict[str, str] = {}
        for c_length, c_low, c_high, c_props, _ in children:
            if (
                c_length == 4
                and c_low == c_high
                and not c_low.endswith("00")
                and "county" in c_props
            ):
                found[low + c_low] = c_props["county"]
        out[low] = tuple(
            County(code, _spans(name), name.rpartition("]")[2])
            for code, name in sorted(found.items())
        )
    return out


@cache
def province_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for length, low, _high, props, _children in numdb.get("cn/loc").prefixes:
        if length == 2 and "province" in props:
            names[low] = props["province"]
    return names


class Places:
    """The home province (where most departments are), and county codes valid in a given year."""

    def __init__(self, departments: Sequence[Department], rng: random.Random) -> None:
        self.rng = rng
        weights = tables.places().province_weights
        home = Counter(d.region_code[:2] for d in departments).most_common(1)
        self.home = home[0][0] if home and home[0][0] in weights else "11"
        others = {code: float(w) for code, w in weights.items() if code != self.home}
        share_home = tables.figures().home_province_share
        share = sum(others.values()) * share_home / (1 - share_home)
        self.home_name = province_names().get(self.home, "")
        #: Provinces of birth: the home one, then the others by population.
        self.provinces = Draw([(self.home, share), *others.items()])
        self._county_cache: dict[tuple[str, int], tuple[str, ...]] = {}

    def county(self, province: str, year: int) -> str:
        """A county code of the province that was issued in `year`."""
        key = (province, year)
        codes = self._county_cache.get(key)
        if codes is None:
            codes = tuple(c.code for c in counties().get(province, ()) if c.issued_in(year))
            if not codes:  # a province founded after the birth year: fall back to the home one
                codes = tuple(c.code for c in counties()[self.home] if c.issued_in(year))
            self._county_cache[key] = codes
        return self.rng.choice(codes)

    @staticmethod
    def name_of(region: str) -> str:
        """The province and county names of a county code (an empty county name if unknown)."""
        county = next((c.name for c in counties().get(region[:2], ()) if c.code == region), "")
        return province_names().get(region[:2], "") + county
