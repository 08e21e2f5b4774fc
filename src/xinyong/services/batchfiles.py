"""Read batch files and bodies (CSV or JSON Lines) as numbered rows, without loading them whole."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
from collections.abc import Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from xinyong.domain.errors import FieldProblem, Invalid

Row = tuple[int, Mapping[str, object] | FieldProblem]

csv.field_size_limit(1024 * 1024)


class BatchFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"

    @classmethod
    def from_name(cls, name: str) -> BatchFormat:
        suffix = Path(name).suffix.lower()
        if suffix in (".jsonl", ".ndjson"):
            return cls.JSONL
        if suffix in (".csv", ".txt"):
            return cls.CSV
        raise Invalid(f"cannot tell the format of {Path(name).name}: use .csv or .jsonl")

    @classmethod
    def from_media_type(cls, content_type: str) -> BatchFormat | None:
        media = content_type.split(";", 1)[0].strip().lower()
        if media in ("text/csv", "application/csv"):
            return cls.CSV
        if media in (
            "application/x-ndjson",
            "application/jsonl",
            "application/x-jsonlines",
            "application/jsonlines",
            "application/ndjson",
        ):
            return cls.JSONL
        return None


def fingerprint(path: Path, encoding: str = "utf-8-sig") -> tuple[str, int]:
    """Return the file's SHA-256 and line count, checking that it decodes in `encoding`."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
            try:
                line += decoder.decode(block).count("\n")
            except UnicodeDecodeError:
                raise Invalid(
                    f"{path.name} is not {encoding} text near line {line}; if it is GB18030/GBK,"
                    " pass --encoding gb18030"
                ) from None
    return digest.hexdigest(), line - 1


def read_rows(stream: BinaryIO, fmt: BatchFormat, encoding: str = "utf-8-sig") -> Iterator[Row]:
    """Yield (row number, row) pairs; a row that cannot be parsed comes as a FieldProblem.

    CSV rows are numbered from 1 for the first line after the header; JSON Lines from 1 for the
    first line. Blank lines are skipped but keep their numbers.
    """
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        if fmt is BatchFormat.CSV:
            yield from _csv_rows(text)
        else:
            yield from _jsonl_rows(text)
    finally:
        text.detach()  # the caller opened the stream and closes it


def _csv_rows(text: io.TextIOWrapper) -> Iterator[Row]:
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise Invalid(f"the CSV header cannot be read: {exc}") from None
    names = [h.strip() for h in header]
    if len(set(names)) != len(names) or not all(names):
        raise Invalid("the CSV header has a blank or repeated column name")
    width = len(names)
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a cell beyond the size limit: nothing after it is reliable
            raise Invalid(f"the CSV cannot be read after row {number}: {exc}") from None
        number += 1
        if not cells or (len(cells) == 1 and not cells[0].strip()):
            continue
        if len(cells) > width:
            yield (
                number,
                FieldProblem("row", f"has {len(cells)} cells; the header has {width}", number),
            )
            continue
        # Empty cells say nothing: batches carry the union of every item's columns.
        yield number, {name: cell for name, cell in zip(names, cells, strict=False) if cell}


def _jsonl_rows(text: io.TextIOWrapper) -> Iterator[Row]:
    for number, line in enumerate(text, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield (
                number,
                FieldProblem("row", f"not valid JSON: {exc.msg} at column {exc.colno}", number),
            )
            continue
        except (ValueError, RecursionError) as exc:  # nested too deep, an integer too long
            kind = "nested too deeply" if isinstance(exc, RecursionError) else "a number too long"
            yield number, FieldProblem("row", f"not valid JSON: {kind}", number)
            continue
        if not isinstance(value, dict):
            yield number, FieldProblem("row", "must be a JSON object", number)
            continue
        yield number, value


def write_rejects(
    source: Path,
    fmt: BatchFormat,
    problems: list[FieldProblem],
    target: Path,
    encoding: str = "utf-8-sig",
) -> int:
    """Write the rejected rows of `source` to `target` as CSV with their reasons; return the count.

    Reasons are joined per row; the row's own cells follow so that a department can fix and resend.
    """
    by_row: dict[int, list[str]] = {}
    for p in problems:
        by_row.setdefault(p.row, []).append(f"{p.field}: {p.reason}")
    if not by_row:
        target.unlink(missing_ok=True)
        return 0
    with source.open("rb") as fh, target.open("w", encoding="utf-8-sig", newline="") as out:
        writer: csv.DictWriter[str] | None = None
        for number, row in read_rows(fh, fmt, encoding):
            if number not in by_row:
                continue
            cells = row if isinstance(row, Mapping) else {}
            if writer is None:
                columns = (
                    ["row", "errors", *[str(k) for k in cells]] if cells else ["row", "errors"]
                )
                writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
                writer.writeheader()
            writer.writerow(
                {
                    "row": number,
                    "errors": "; ".join(by_row[number]),
                    **{str(k): v for k, v in cells.items()},
                }
            )
    return len(by_row)
