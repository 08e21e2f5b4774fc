"""Document numbers in each department's style: 京朝罚〔2025〕12号, 京朝执字〔2025〕第00012号."""

from __future__ import annotations

from datetime import date

from xinyong.domain.catalog import CatalogItem, Category, Nature
from xinyong.domain.departments import Department
from xinyong.synth import tables
from xinyong.synth.places import province_names


class DocumentNumbers:
    """Numbers each department's decisions in series per year, so they are unique within it."""

    def __init__(self) -> None:
        self.words = tables.documents()
        self.counters: dict[tuple[str, int], int] = {}
        self.prefixes: dict[str, tuple[str, bool]] = {}

    def number(self, department: Department, item: CatalogItem, decided: date) -> str:
        """A document number in the department's style, unique within the department."""
        prefix, court = self.prefix(department)
        key = (department.code, decided.year)
        serial = self.counters[key] = self.counters.get(key, 0) + 1
        if court:
            series = "执" if item.nature is Nature.NEGATIVE else "民"
            if "刑事" in item.name_zh:
                series = "刑"
            return f"{prefix}{series}字〔{decided.year}〕第{serial:05d}号"
        return f"{prefix}{self.series(item)}〔{decided.year}〕{serial}号"

    def series(self, item: CatalogItem) -> str:
        """The document series an item's decisions are numbered in (罚 for penalties, …)."""
        found = next(
            (series for word, series in self.words.name_series if word in item.name_zh), None
        )
        if found is not None:
            return found
        if item.category is Category.ADMINISTRATIVE:
            return "罚" if item.nature is Nature.NEGATIVE else "许"
        if item.category is Category.INTELLECTUAL_PROPERTY and item.nature is Nature.NEGATIVE:
            return "罚"
        return self.words.category_series.get(item.category, "")

    def prefix(self, department: Department) -> tuple[str, bool]:
        """The department's abbreviation (京朝 for a Chaoyang court), and whether it is a court."""
        known = self.prefixes.get(department.code)
        if known is not None:
            return known
        rest = department.name.removeprefix(province_names().get(department.region_code[:2], ""))
        local = ""
        for marker in ("区", "县"):
            head, found, tail = rest.partition(marker)
            if found and 1 <= len(head) <= 4 and not head.startswith("第"):
                local, rest = head[0], tail
                break
        court = "法院" in department.name
        if court:
            short = local or next(
                (s for word, s in self.words.court_short if word in rest), rest[:1]
            )
        else:
            short = self.words.department_short.get(department.kind, "")
            if not short:
                for suffix in self.words.name_suffixes:
                    if rest.endswith(suffix) and len(rest) > len(suffix):
                        rest = rest[: -len(suffix)]
                        break
                short = rest[:2]
            short = local + short
        prefix = tables.places().province_short.get(department.region_code[:2], "") + short
        self.prefixes[department.code] = (prefix, court)
        return prefix, court
