"""Read batch files and bodies (CSV or JSON Lines) as numbered rows, without loading them whole."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, TextIO

from xinyong.domain.catalog import CONTROL_CHARACTERS
from xinyong.domain.errors import FieldProblem, Invalid

Row = tuple[int, Mapping[str, object] | FieldProblem]

#: The most characters one CSV cell may hold: a longer one (or a quote never closed, which runs
#: on through the lines after it) stops the reading, naming the line where its row starts.
CELL_LIMIT = 1024 * 1024
csv.field_size_limit(CELL_LIMIT)


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
        line = reader.line_num + 1  # where the next row starts
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a cell beyond the size limit: nothing after it is reliable
            raise Invalid(unreadable(exc, line, number + 1)) from None
        number += 1
        if _blank_record(cells):
            continue
        if len(cells) > width:
            yield (
                number,
                FieldProblem.refused("row", number, "cell_count", count=len(cells), width=width),
            )
            continue
        row = {name: cell for name, cell in zip(names, cells, strict=False) if cell}
        # One search of the row's text first ("\n" is no control character here); the field is
        # named only when it finds one.
        clean = not CONTROL_CHARACTERS.search("\n".join((*row, *row.values())))
        if not clean and (bad := _controlled(row)):
            yield number, FieldProblem.refused(bad, number, CONTROL_REASON)
            continue
        # Empty cells say nothing: batches carry the union of every item's columns.
        yield number, row


def unreadable(exc: csv.Error, line: int, row: int) -> str:
    """Why the CSV cannot be read on from the row numbered `row`, which starts on `line` of the
    file (the header is line 1): the line a person opens the file at, the row every reason
    names."""
    if "field limit" in str(exc):
        what = (
            f"a cell holds more than {CELL_LIMIT} characters (or a quote opened there is never"
            " closed)"
        )
    else:
        what = f"not readable as CSV ({exc})"
    return f"line {line} (row {row}): {what}"


def _blank_record(cells: list[str]) -> bool:
    return not cells or (len(cells) == 1 and not cells[0].strip())


def _jsonl_rows(text: io.TextIOWrapper) -> Iterator[Row]:
    for number, line in enumerate(text, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield (
                number,
                FieldProblem.refused(
                    "row", number, "not_json", detail=f"{exc.msg} at column {exc.colno}"
                ),
            )
            continue
        except (ValueError, RecursionError) as exc:  # nested too deep, an integer too long
            kind = "nested too deeply" if isinstance(exc, RecursionError) else "a number too long"
            yield number, FieldProblem.refused("row", number, "not_json", detail=kind)
            continue
        if not isinstance(value, dict):
            yield number, FieldProblem.refused("row", number, "not_object")
            continue
        if bad := _controlled(value):
            yield number, FieldProblem.refused(bad, number, CONTROL_REASON)
            continue
        yield number, value


CONTROL_REASON = "control_character_in_file"


def _controlled(row: Mapping[str, object]) -> str | None:
    """The first field of a row whose name or value (at any depth) holds a control character:
    PostgreSQL cannot store NUL, and no document holds the others."""
    for name, value in row.items():
        if CONTROL_CHARACTERS.search(name):
            return "row"
        if _holds_control(value):
            return name
    return None


def _holds_control(value: object) -> bool:
    if isinstance(value, str):
        return CONTROL_CHARACTERS.search(value) is not None
    if isinstance(value, dict):
        return any(_holds_control(k) or _holds_control(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_control(v) for v in value)
    return False


def derived_path(source: Path, what: str, ext: str = "csv") -> Path:
    """Where a command writes what it derives from `source`: beside it, `<stem>.<what>.<ext>`.

    The one naming rule of the command line's output files (docs/command-line.md): the screening
    of `numbers.csv` is `numbers.screened.csv`, the refused rows of `BJ-AMR.jsonl` are
    `BJ-AMR.rejects.csv`. `--output` chooses another path.
    """
    return source.with_name(f"{source.stem}.{what}.{ext}")


#: What a spreadsheet reads as the start of a formula (or, tab and CR, shifts to one).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A cell as every CSV the platform writes holds it: text a spreadsheet would run as a
    formula (`=HYPERLINK(…)`, `@SUM(…)`) is written after an apostrophe, which a spreadsheet
    shows as text. Numbers are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvWriter:
    """`csv.writer` whose every cell, header included, passes `safe_cell`."""

    def __init__(self, sink: TextIO) -> None:
        self._writer = csv.writer(sink)

    def writerow(self, cells: Iterable[object]) -> None:
        self._writer.writerow([safe_cell(c) for c in cells])


#: Text encoding of every CSV the platform writes for people: UTF-8 with a byte-order mark, so
#: that a spreadsheet opens the Chinese text as Chinese.
REPORT_ENCODING = "utf-8-sig"


def report_columns(ours: Sequence[str], theirs: Sequence[str]) -> list[str]:
    """Our columns of a report that repeats the input's: each prefixed `xinyong_` if the input
    has a column of the same name (a catalog item has a data item called `reason`)."""
    taken = set(theirs)
    return [f"xinyong_{name}" if name in taken else name for name in ours]


def csv_header(path: Path, encoding: str = "utf-8-sig") -> list[str] | None:
    """The names of a CSV file's first line (None for an empty file), without reading further."""
    with path.open(encoding=encoding, newline="") as fh:
        try:
            first = next(csv.reader(fh), None)
        except csv.Error as exc:
            raise Invalid(f"the CSV header cannot be read: {exc}") from None
    return [h.strip() for h in first] if first is not None else None


def count_rows(path: Path, fmt: BatchFormat, encoding: str = "utf-8-sig") -> int:
    """How many rows `read_rows` will yield (blank lines and the CSV header are not rows): the
    total of a progress bar that counts rows as they are handled."""
    with path.open("rb") as fh:
        return _count(fh, fmt, encoding)


def _count(stream: BinaryIO, fmt: BatchFormat, encoding: str) -> int:
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        if fmt is BatchFormat.JSONL:
            return sum(1 for line in text if line.strip())
        reader = csv.reader(text)
        next(reader, None)
        rows = counted = 0
        line = reader.line_num + 1
        try:
            for cells in reader:
                rows += 1
                counted += not _blank_record(cells)
                line = reader.line_num + 1
        except csv.Error as exc:
            raise Invalid(unreadable(exc, line, rows + 1)) from None
        return counted
    finally:
        text.detach()


def check_body(
    stream: BinaryIO,
    fmt: BatchFormat,
    header_problems: Callable[[list[str]], list[str]],
    encoding: str = "utf-8-sig",
) -> int:
    """Read a batch body through before anything of it is stored; return its number of rows.

    It must decode in `encoding` to its last byte, and hold at least one row; a CSV body's
    header must name its columns once each and pass `header_problems` (the catalog's check of
    the columns). Each failure is an `Invalid` naming what and where, and nothing was stored.
    The stream is left at its start.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    try:
        while block := stream.read(1 << 20):
            pending = len(decoder.getstate()[0])  # bytes of a character the last block cut
            try:
                line += decoder.decode(block).count("\n")
            except UnicodeDecodeError as exc:
                line += block[: max(0, exc.start - pending)].count(b"\n")
                raise
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise Invalid(
            f"body: not {_ENCODING_NAMES.get(encoding, encoding)} text near line {line};"
            " nothing was stored"
        ) from None
    stream.seek(0)
    if fmt is BatchFormat.CSV:
        text = io.TextIOWrapper(stream, encoding=encoding, newline="")
        try:
            header = next(csv.reader(text), None)
        except csv.Error as exc:
            raise Invalid(f"header: cannot be read ({exc}); nothing was stored") from None
        finally:
            text.detach()
        stream.seek(0)
        if header is None:
            raise Invalid("body: empty, no header and no rows; nothing was stored")
        names = [h.strip() for h in header]
        if len(set(names)) != len(names) or not all(names):
            raise Invalid("header: a blank or repeated column name; nothing was stored")
        if problems := header_problems(names):
            raise Invalid("header: " + "; ".join(problems) + "; nothing was stored")
    try:
        rows = _count(stream, fmt, encoding)
    except Invalid as exc:
        raise Invalid(f"{exc.detail}; nothing was stored") from None
    stream.seek(0)
    if not rows:
        raise Invalid("body: no rows; nothing was stored")
    return rows


_ENCODING_NAMES = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8"}


REJECTS_COLUMNS = ("row", "field", "reason", "code")


def write_rejects(
    source: Path,
    fmt: BatchFormat,
    problems: list[FieldProblem],
    target: Path,
    encoding: str = "utf-8-sig",
) -> int:
    """Write the refused rows of `source` to `target`; return how many rows were refused.

    Each refused row keeps its input, every cell of it (a CSV row under the file's own header,
    cells beyond the header as `column_<n>`; a JSON line's every key, or the line itself as
    `line` when it is not a JSON object), after its row number, the fields at fault, the
    reasons (`field: reason`, joined by `; `) and their stable codes (`field: code`, likewise;
    domain/reasons.py). The department fixes the cells and sends the rows again.
    """
    by_row: dict[int, list[FieldProblem]] = {}
    for p in problems:
        by_row.setdefault(p.row, []).append(p)
    if not by_row:
        target.unlink(missing_ok=True)
        return 0
    with source.open("rb") as fh:
        text = io.TextIOWrapper(fh, encoding=encoding, newline="")
        if fmt is BatchFormat.CSV:
            columns, kept = _refused_csv(text, by_row.keys())
        else:
            columns, kept = _refused_lines(text, by_row.keys())
        text.detach()
    with target.open("w", encoding=REPORT_ENCODING, newline="") as out:
        writer = SafeCsvWriter(out)
        writer.writerow([*report_columns(REJECTS_COLUMNS, columns), *columns])
        for number in sorted(by_row):
            found = by_row[number]
            cells = kept.get(number, {})
            writer.writerow(
                [
                    number,
                    "; ".join(dict.fromkeys(p.field for p in found)),
                    "; ".join(f"{p.field}: {p.reason}" for p in found),
                    "; ".join(f"{p.field}: {p.code}" for p in found if p.code),
                    *(cells.get(c, "") for c in columns),
                ]
            )
    return len(by_row)


def _refused_csv(
    text: io.TextIOWrapper, refused: Collection[int]
) -> tuple[list[str], dict[int, dict[str, str]]]:
    """The header (widened for rows with more cells) and the cells of the refused rows, numbered
    as `read_rows` numbers them."""
    reader = csv.reader(text)
    header = [h.strip() for h in next(reader, [])]
    kept: dict[int, list[str]] = {}
    for number, cells in enumerate(reader, start=1):
        if number in refused:
            kept[number] = cells
    width = max([len(header), *(len(c) for c in kept.values())])
    columns = header + [f"column_{n}" for n in range(len(header) + 1, width + 1)]
    return columns, {n: dict(zip(columns, cells, strict=False)) for n, cells in kept.items()}


def _refused_lines(
    text: io.TextIOWrapper, refused: Collection[int]
) -> tuple[list[str], dict[int, dict[str, str]]]:
    """Every key of the refused JSON lines, in order of appearance, and their values as text."""
    kept: dict[int, dict[str, str]] = {}
    columns: dict[str, None] = {}
    for number, line in enumerate(text, start=1):
        if number not in refused:
            continue
        try:
            value = json.loads(line)
        except (ValueError, RecursionError):
            value = None
        if isinstance(value, dict):
            cells = {str(k): _cell(v) for k, v in value.items()}
        else:
            cells = {"line": line.rstrip("\r\n")}
        columns.update(dict.fromkeys(cells))
        kept[number] = cells
    return list(columns), kept


def _cell(value: object) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
