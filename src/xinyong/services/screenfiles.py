"""A screening file on disk: read whole once before anything is screened (its text, its header,
its rows counted), then each result written beside the input of its row.

The output repeats every input column of every row, valid or not, between the row number and
the result (status, measures, entries, field, reason, and last under_objection): an invalid
number keeps what was sent.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from xinyong.domain.errors import Invalid
from xinyong.services.batchfiles import SafeCsvWriter, report_columns
from xinyong.services.screening import ScreenHeader, ScreenResult, screen_header

#: The result's columns after the input's (`field` names the number column of an invalid row;
#: `under_objection` is true when a listing hit rests on a record under objection).
RESULT_COLUMNS = ("status", "measures", "entries", "field", "reason", "under_objection")
ENCODING = "utf-8-sig"  # UTF-8, with or without a byte-order mark


@dataclass(frozen=True, slots=True)
class ScreenFile:
    """A screening file read through once: where its numbers are, how many rows, how wide."""

    path: Path
    header: ScreenHeader
    rows: int  # rows to screen: blank lines and the header are not rows
    width: int  # the most cells on any line

    @property
    def columns(self) -> list[str]:
        """The input's column names, widened to the widest line (`column_<n>` beyond)."""
        names = list(self.header.names)
        return names + [f"column_{n}" for n in range(len(names) + 1, self.width + 1)]

    def output_columns(self) -> list[str]:
        theirs = self.columns
        return [
            *report_columns(("row",), theirs),
            *theirs,
            *report_columns(RESULT_COLUMNS, theirs),
        ]


def scan(path: Path, *, column: str | None = None) -> ScreenFile:
    """Read the whole file before screening: UTF-8 CSV, a header naming the column of numbers
    (or a number on the first line), at least one row. Anything else raises Invalid, and
    nothing has been screened or logged."""
    rows = 0
    line = 0
    width = 0
    with path.open(encoding=ENCODING, newline="") as fh:
        reader = csv.reader(fh)
        try:
            first = next((cells for cells in reader if not _blank(cells)), None)
            if first is None:
                raise Invalid(f"{path.name} is empty: no header and no numbers")
            header = screen_header(first, column=column)
            width = len(first)
            if not header.has_header:
                rows = 1
            for cells in reader:
                line += 1
                if _blank(cells):
                    continue
                rows += 1
                width = max(width, len(cells))
        except UnicodeDecodeError as exc:
            raise Invalid(
                f"{path.name} is not UTF-8 text ({exc.reason}) after row {line}; nothing was"
                " screened; save it as UTF-8"
            ) from None
        except csv.Error as exc:
            raise Invalid(f"row {line + 1}: not readable as CSV ({exc})") from None
    if not rows:
        raise Invalid(f"{path.name} has a header and no rows: nothing to screen")
    return ScreenFile(path, header, rows, width)


class ScreenWriter:
    """Writes the result CSV: each result after the input of its row, kept from when the row
    was read until its result comes back (results come in input order, a chunk at a time)."""

    def __init__(self, file: ScreenFile, sink: TextIO) -> None:
        self.file = file
        self.writer = SafeCsvWriter(sink)  # formula cells escaped
        self.waiting: deque[tuple[int, list[str]]] = deque()
        self.width = len(file.columns)
        self.number_column = file.header.number_column
        self.writer.writerow(file.output_columns())

    def numbers(self, source: TextIO) -> Iterator[tuple[int, str]]:
        """(row, number) of each row of `source` (the scanned file), keeping the row's cells."""
        reader = csv.reader(source)
        column = self.file.header.column
        keep = self.waiting.append
        # The first line that is not blank, as `scan` read it: the header, or the first row.
        first = next((cells for cells in reader if not _blank(cells)), None)
        row = 0
        if first is not None and not self.file.header.has_header:
            row = 1
            keep((row, first))
            yield row, first[column]
        for cells in reader:
            row += 1
            if _blank(cells):
                continue
            keep((row, cells))
            yield row, cells[column] if column < len(cells) else ""

    def write(self, result: ScreenResult) -> None:
        row, _, status, measures, entries, reason, marked = result
        kept, cells = self.waiting.popleft()
        if kept != row:  # a result without its row would misplace every later line
            raise RuntimeError(f"result for row {row} arrived when row {kept} was expected")
        padded = cells + [""] * (self.width - len(cells))
        field = self.number_column if status == "invalid" else ""
        self.writer.writerow([row, *padded, status, measures, entries, field, reason, marked])


def _blank(cells: list[str]) -> bool:
    return not cells or all(not c.strip() for c in cells)
