"""Batch screening: many numbers checked for one matter, each logged on its subject's file.

Each number goes through the checker's lookup, as a single check does; the query log is written
a chunk at a time, and a chunk's results leave only once its log has committed.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from difflib import get_close_matches
from itertools import chain, islice
from typing import TYPE_CHECKING, TextIO

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.calendar import business_date
from xinyong.domain.checks import returned_by, subject_keys
from xinyong.domain.errors import Invalid
from xinyong.domain.identifiers import redact_id_numbers
from xinyong.domain.index import HeldKeys, Hit
from xinyong.domain.querylog import NOTHING, QueryEntry, QueryKind
from xinyong.services.audit import mandate_refusals_audited
from xinyong.services.checks import Checker

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork

#: One screened row, as the output file's columns: row, number, status ("listed", "clear" or
#: "invalid"), measures, entries, reason, under_objection ("true" when a listing it hit rests on
#: a record under objection, or is itself objected to: the check's mark; else "false"). A plain
#: tuple: a million of them are made per run.
ScreenResult = tuple[int, str, str, str, str, str, str]
SCREEN_COLUMNS = ("row", "number", "status", "measures", "entries", "reason", "under_objection")


_MARK = {True: "true", False: "false"}

#: Writes and commits a screening's query-log entries: the fields they share (`template`), and
#: each screened number's (key, what was returned).
ScreeningSink = Callable[[QueryEntry, Sequence[tuple[int, str]]], None]


@dataclass(slots=True)
class ScreenSummary:
    screened: int = 0
    listed: int = 0
    invalid: int = 0
    logged: int = 0
    seconds_lookup: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


class _ChunkWriter:
    """Writes one chunk's query log while the caller screens the next (one write at a time)."""

    def __init__(self, sink: ScreeningSink, template: QueryEntry, summary: ScreenSummary) -> None:
        self.sink = sink
        self.template = template
        self.summary = summary
        # A sink that releases the GIL while it writes (PostgreSQL's COPY) runs beside the
        # screening; one that does not (SQLite's executemany) runs in line.
        self.concurrent = bool(getattr(sink, "concurrent", False))
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="screening-log")
        self.pending: tuple[Future[None], list[ScreenResult], int] | None = None

    def _start(self, logged: list[tuple[int, str]]) -> Future[None]:
        if self.concurrent:
            return self.pool.submit(self.sink, self.template, logged)
        self.sink(self.template, logged)
        return _done()

    def hand_over(
        self, results: list[ScreenResult], logged: list[tuple[int, str]]
    ) -> Iterator[ScreenResult]:
        """Start writing this chunk's log; release the previous chunk once its log committed."""
        started = self._start(logged) if logged else None
        yield from self._release()
        if started is not None or results:
            self.pending = (started or _done(), results, len(logged))

    def finish(self) -> Iterator[ScreenResult]:
        yield from self._release()

    def close(self) -> None:
        """Wait for a write in flight (what was screened stays logged) and stop the thread."""
        self.pool.shutdown(wait=True)

    def _release(self) -> Iterator[ScreenResult]:
        if self.pending is None:
            return
        future, results, count = self.pending
        self.pending = None
        future.result()  # a failed write raises here: its answers never leave
        self.summary.logged += count
        self.summary.screened += len(results)
        yield from results


def _done() -> Future[None]:
    future: Future[None] = Future()
    future.set_result(None)
    return future


def screen(
    checker: Checker,
    rows: Iterable[tuple[int, str]],
    matter: str,
    *,
    department: str,
    actor: str,
    screening_id: int,
    sink: ScreeningSink,
    chunk: int = 50_000,
    summary: ScreenSummary | None = None,
) -> Iterator[ScreenResult]:
    """Screen numbers against the index for one matter; log every valid one, a chunk at a time.

    Results are yielded in input order. Each chunk's query-log entries are written (and committed
    by `sink`) before that chunk's results are yielded, so no answer leaves without its log entry.
    """
    # NumPy loads with a server's first screening, not with every process that starts.
    from xinyong.services.bulk_keys import NOT_A_KEY, NOWHERE

    checker.require_matter(matter)
    checker.sync()
    out = summary if summary is not None else ScreenSummary()
    day = business_date(checker.clock())
    template = QueryEntry(
        at=checker.clock(),
        subject_key=0,
        kind=QueryKind.SCREENING,
        department=department,
        actor=actor,
        purpose=matter,
        authority=f"measure registry screening: {matter}",
        returned="",
        screening_id=screening_id,
    )
    hits_for = checker.triggers.hits
    index_postings = checker.index.finder()
    postings_at = checker.index.locator()
    held_keys = checker.index.held_keys()  # as the finder and the locator see the index
    # Without organisations on any list, a number that is a valid citizen ID number needs no
    # second lookup as a credit code (the rare all-digit government codes).
    orgs = checker.index.holds_organisations()
    results: list[ScreenResult] = []
    logged: list[tuple[int, str]] = []
    #: Rows whose key the index holds, waiting for the chunk's one read that confirms them:
    #: (place in `results`, number, key, hits before confirmation).
    found_in_chunk: list[tuple[int, str, int, list[Hit]]] = []
    writer = _ChunkWriter(sink, template, out)

    def settle() -> None:
        """Confirm the chunk's hits with one read, and fill in their rows."""
        checker.prefetch([h.posting.subject_id for *_, hits in found_in_chunk for h in hits])
        for place, number, key, unconfirmed in found_in_chunk:
            hits = checker.confirm(number, unconfirmed)
            if hits:
                out.listed += 1
                logged.append((key, returned_by(hits)))
                measures = " ".join(sorted({h.measure.code for h in hits}))
                entries = " ".join(sorted({str(h.posting.entry_id) for h in hits}))
                marked = _MARK[any(h.posting.under_objection for h in hits)]
                line = results[place][0]
                results[place] = (line, number, "listed", measures, entries, "", marked)
            else:
                logged.append((key, NOTHING))
        found_in_chunk.clear()

    try:
        for row, raw, number, key, place in _keyed_rows(rows, held_keys):
            if key != NOT_A_KEY and not orgs:
                found = postings_at(key, place) if place != NOWHERE else ()
            else:
                try:
                    number, keys = subject_keys(raw)
                except Invalid as exc:
                    out.invalid += 1
                    results.append((row, "", "invalid", "", "", str(exc), "false"))
                    continue
                key = keys[0]
                found = tuple(p for k in keys for p in index_postings(k))
            hits = hits_for(found, matter, day) if found else None
            if hits:
                found_in_chunk.append((len(results), number, key, hits))
            else:
                logged.append((key, NOTHING))
            results.append((row, number, "clear", "", "", "", "false"))
            if len(results) >= chunk:
                # The chunk's log is written on a second thread while the next chunk is screened;
                # its results leave only once that write has committed.
                settle()
                yield from writer.hand_over(results, logged)
                results, logged = [], []
        settle()
        yield from writer.hand_over(results, logged)
        yield from writer.finish()
    finally:
        writer.close()


def _keyed_rows(
    rows: Iterable[tuple[int, str]], held_keys: HeldKeys
) -> Iterator[tuple[int, str, str, int, int]]:
    """Each row as (row, raw, number, key, place): the number stripped, its person key
    (NOT_A_KEY if it is not a well-formed citizen ID number) and where the index holds that
    key's postings (bulk_keys.locate), computed a block of rows at a time."""
    from xinyong.services.bulk_keys import KEY_BLOCK, locate, person_keys

    it = iter(rows)
    while block := list(islice(it, KEY_BLOCK)):
        numbers = [raw.strip() for _, raw in block]
        keys = person_keys(numbers)
        places = locate(held_keys, keys)
        for (row, raw), number, key, place in zip(
            block, numbers, keys.tolist(), places.tolist(), strict=True
        ):
            yield row, raw, number, key, place


#: Names of the column that holds the numbers, in order of preference (compared in lower case).
NUMBER_COLUMNS = ("number", "subject", "subject_id", "id_number", "证件号码")


@dataclass(frozen=True, slots=True)
class ScreenHeader:
    """A screening file's first line read: its columns' names and which one holds the numbers.

    Without a header (the first line is a number) the columns are named `number`, `column_2`, …
    """

    names: tuple[str, ...]
    column: int
    has_header: bool

    @property
    def number_column(self) -> str:
        return self.names[self.column]


def screen_header(first: Sequence[str], *, column: str | None = None) -> ScreenHeader:
    """Read the first line of a screening file, before any row is screened.

    It is a header if it names the column of numbers (`column`, or one of NUMBER_COLUMNS), or
    else the first number of a file without a header (a first cell with six digits or more).
    Anything else is one Invalid naming what was expected, what was found and, for a misspelt
    name, the name it resembles.
    """
    names = tuple(_column_name(n, i) for i, n in enumerate(first))
    lower = [n.lower() for n in names]
    wanted = (column.strip().lower(),) if column else NUMBER_COLUMNS
    found = next((lower.index(w) for w in wanted if w in lower), None)
    if found is not None:
        return ScreenHeader(names, found, has_header=True)
    if not column and first and sum(ch.isdigit() for ch in first[0]) >= 6:
        width = len(first)
        return ScreenHeader(
            ("number", *(f"column_{i}" for i in range(2, width + 1))), 0, has_header=False
        )
    shown = ", ".join(redact_id_numbers(n)[:40] for n in names) or "nothing"
    close = [m for n in lower for m in get_close_matches(n, wanted, n=1, cutoff=0.7)]
    hint = f"; did you mean {close[0]}?" if close else ""
    if column:
        raise Invalid(f"header: no column {column} (--column); the columns are {shown}{hint}")
    raise Invalid(
        f"header: no column of numbers; name it one of {', '.join(NUMBER_COLUMNS)}, give"
        f" --column, or start the file with a number (no header); the first line has {shown}"
        f"{hint}"
    )


def _column_name(name: str, index: int) -> str:
    return name.strip() or f"column_{index + 1}"


def read_numbers(stream: TextIO, *, column: str | None = None) -> Iterator[tuple[int, str]]:
    """Check the header and the first row at once, then yield (row, number) from CSV.

    Row numbers count the lines after the header from 1, blank ones included, as the output
    says. An empty stream, a header without rows, or a header without a column of numbers
    raises Invalid here, before anything is screened. Text that is not in the stream's
    encoding stops the reading later with an Invalid saying how far it got (what was screened
    before stays logged).
    """
    reader = csv.reader(stream)
    try:
        first = next((r for r in reader if any(f.strip() for f in r)), None)
        if first is None:
            raise Invalid("the file is empty: no header and no numbers")
        header = screen_header(first, column=column)
        rows = _numbers(reader, header.column, start=0 if header.has_header else 1)
        head = [(1, first[0])] if not header.has_header else []
        head += list(islice(rows, 1))
    except UnicodeDecodeError as exc:
        raise _not_utf8(exc, 0) from None
    except csv.Error as exc:
        raise Invalid(f"row 1: not readable as CSV ({exc})") from None
    if not head:
        raise Invalid("the file has a header and no rows: nothing to screen")
    return chain(head, rows)


def _numbers(reader: Iterator[list[str]], column: int, *, start: int) -> Iterator[tuple[int, str]]:
    row = start
    try:
        for fields in reader:
            row += 1
            if not fields or all(not f.strip() for f in fields):
                continue
            yield row, fields[column] if column < len(fields) else ""
    except UnicodeDecodeError as exc:
        raise _not_utf8(exc, row) from None
    except csv.Error as exc:
        raise Invalid(f"row {row + 1}: not readable as CSV ({exc})") from None


def _not_utf8(exc: UnicodeDecodeError, row: int) -> Invalid:
    return Invalid(
        f"the file is not UTF-8 text ({exc.reason}); nothing after row {row} was screened;"
        " save it as UTF-8"
    )


def run_screening(
    checker: Checker,
    uow_factory: Callable[[], UnitOfWork],
    sink: ScreeningSink,
    rows: Iterable[tuple[int, str]],
    matter: str,
    *,
    department: str,
    actor: str,
    summary: ScreenSummary | None = None,
) -> Iterator[ScreenResult]:
    """Open a screening, screen every row, then record its counts and audit it.

    What was screened before a crash stays logged (each chunk commits); the screening's counts
    are written when it completes.
    """
    summary = summary if summary is not None else ScreenSummary()
    uow = uow_factory()
    with mandate_refusals_audited(uow, actor=actor, department=department):
        checker.require_mandate(department, matter)
    with uow:
        if uow.departments.get(department) is None:
            raise Invalid(f"department: {department} is not a known department")
        screening_id = uow.queries.open_screening(
            department=department, matter=matter, actor=actor, at=uow.now()
        )
        uow.commit()
    yield from screen(
        checker,
        rows,
        matter,
        department=department,
        actor=actor,
        screening_id=screening_id,
        sink=sink,
        summary=summary,
    )
    with uow:
        uow.queries.close_screening(
            screening_id,
            screened=summary.screened,
            matched=summary.listed,
            rejected=summary.invalid,
        )
        uow.audit.add(
            AuditEvent(
                EventTag.SCREENING_RUN,
                actor,
                "screening",
                str(screening_id),
                uow.now(),
                data={
                    "matter": matter,
                    "screened": summary.screened,
                    "listed": summary.listed,
                    "invalid": summary.invalid,
                },
            )
        )
        uow.commit()
