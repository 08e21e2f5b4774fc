"""The batch files a synthetic run writes: one per department, in CSV or JSON Lines."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any, Literal

from xinyong.domain.catalog import COMMON_FIELD_ORDER, Catalog
from xinyong.domain.departments import Department
from xinyong.synth.world import Row

BatchFormat = Literal["csv", "jsonl"]


class BatchFiles:
    """The open batch files, one per department, and the counts of what went into them."""

    def __init__(
        self, departments: Sequence[Department], catalog: Catalog, out_dir: Path, fmt: BatchFormat
    ) -> None:
        self.format = fmt
        self.out_dir = out_dir
        self.stack = ExitStack()
        self.paths: list[Path] = []
        self.handles: dict[str, IO[str]] = {}
        self.writers: dict[str, Any] = {}  # csv writers (the type is private to _csv)
        self.by_item: Counter[str] = Counter()
        self.by_department: Counter[str] = Counter()
        self.departments = [d for d in departments if d.items]
        self.columns: dict[str, list[str]] = {}
        self.positions: dict[str, dict[str, int]] = {}
        common = list(COMMON_FIELD_ORDER)
        for department in self.departments:
            names = list(common)
            for code in sorted(department.items):
                item = catalog.get(code)
                for spec in item.fields if item is not None else ():
                    if spec.name not in names:
                        names.append(spec.name)
            self.columns[department.code] = names
            self.positions[department.code] = {name: i for i, name in enumerate(names)}

    def __enter__(self) -> BatchFiles:
        for department in self.departments:
            path = self.out_dir / f"{department.code}.{self.format}"
            handle = self.stack.enter_context(path.open("w", encoding="utf-8", newline=""))
            self.handles[department.code] = handle
            self.paths.append(path)
            if self.format == "csv":
                writer = csv.writer(handle)
                writer.writerow(self.columns[department.code])
                self.writers[department.code] = writer
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.close()

    def write(self, department: Department | None, row: Row | None) -> bool:
        """Append one row to the department's file; False if there is nothing to write."""
        if department is None or row is None:
            return False
        if self.format == "csv":
            # a row holds its item's fields only, and the header has every item's fields
            index = self.positions[department.code]
            cells: list[object] = [""] * len(index)
            for name, value in row.items():
                cells[index[name]] = (
                    ("true" if value else "false") if value is True or value is False else value
                )
            self.writers[department.code].writerow(cells)
        else:
            self.handles[department.code].write(json.dumps(row, ensure_ascii=False) + "\n")
        self.by_item[str(row["item"])] += 1
        self.by_department[department.code] += 1
        return True

    def write_all(self, records: Iterator[tuple[Department, Row]]) -> frozenset[str]:
        """Write a subject's records; return the codes of the departments that got one."""
        used: set[str] = set()
        for department, row in records:
            self.write(department, row)
            used.add(department.code)
        return frozenset(used)
