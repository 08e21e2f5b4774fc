"""Sub-national catalog items (`catalog/<version>/local/<region>.toml`): each rests on a local
regulation or rule of its region, and only that region's departments submit it (docs/catalog.md,
"Local items"). Reading the files is `domain/catalog_files.py`; this module holds the rules."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from xinyong.domain.catalog import CatalogItem
from xinyong.domain.errors import CatalogError
from xinyong.domain.regions import historic_names, is_province_or_city, region_name

#: The keys only an item of a local catalog carries.
LOCAL_KEYS = frozenset({"region", "local_basis"})
#: What a place name ends with; a rule's title may name the place with or without it
#: (《北京市社会信用条例》, 《深圳经济特区社会信用条例》). Longest first.
_SUFFIXES = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "特别行政区",
    "自治区",
    "自治州",
    "地区",
    "省",
    "市",
    "盟",
)
_TITLE = re.compile(r"《([^《》]+)》")
#: How the titles of national laws, regulations and rules begin.
_NATIONAL = ("中华人民共和国", "全国人民代表大会", "国务院")


def check_local_region(file: str, region: str) -> None:
    """Refuse a local catalog file whose name is not the code of a province or city."""
    if not is_province_or_city(region):
        raise CatalogError(
            file,
            "-",
            "region",
            f"{region!r} is not the code of a province (xx0000) or city (xxxx00) that has"
            " existed: name a local catalog file local/<region_code>.toml",
        )


def place_names(region: str) -> frozenset[str]:
    """The names a local rule of `region` or of a region containing it may be titled with: the
    province's and (for a city) the city's, every name each has had, with and without its
    suffix."""
    codes = {region[:2] + "0000", region}
    names: set[str] = set()
    for code in codes:
        province, history = historic_names(code)
        for name in {province, *(h.name for h in history)}:
            if not name or "辖" in name:  # 市辖区, 省直辖县级行政单位: no place of its own
                continue
            names.add(name)
            core = next((name[: -len(s)] for s in _SUFFIXES if name.endswith(s)), name)
            if len(core) >= 2:
                names.add(core)
    return frozenset(names)


def localise(item: CatalogItem, raw: Mapping[str, Any], *, region: str, file: str) -> CatalogItem:
    """Return `item` as a local item of `region`, checking what a local item must say: its region
    (the file's), and a local basis of at least one regulation or rule of that region."""

    def fail(field: str, reason: str) -> CatalogError:
        return CatalogError(file, item.code, field, reason)

    named = raw.get("region")
    if named != region:
        raise fail(
            "region",
            f"must name the file's region, {region!r}"
            + ("" if named is None else f"; got {named!r}"),
        )
    basis = raw.get("local_basis")
    if (
        not isinstance(basis, list)
        or not basis
        or not all(isinstance(b, str) and b.strip() for b in basis)
    ):
        raise fail(
            "local_basis",
            "a local item must cite at least one local regulation or rule of its region",
        )
    names = place_names(region)
    where = region_name(region)[0]
    for citation in basis:
        title = _TITLE.search(citation)
        if title is None:
            raise fail(
                "local_basis",
                f"{citation.strip()!r}: cite the local regulation or rule by its title in 《》",
            )
        if title.group(1).startswith(_NATIONAL) or not any(n in title.group(1) for n in names):
            raise fail(
                "local_basis",
                f"《{title.group(1)}》 is no regulation or rule of {where} ({region}) nor of a"
                " region containing it: a national law alone is not a local basis (cite it in"
                " legal_basis)",
            )
    return dataclasses.replace(item, region=region, local_basis=tuple(b.strip() for b in basis))
