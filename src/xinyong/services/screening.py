"""Batch screening: many numbers checked for one matter, each logged on its subject's file.

Each number goes through the checker's lookup, as a single check does; the query log is written
a chunk at a time, and a chunk's results leave only once its log has committed.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.calendar import business_date
from xinyong.domain.checks import returned_by, subject_keys
from xinyong.domain.errors import Invalid, OutsideMandate
from xinyong.domain.index import person_key
from xinyong.domain.querylog import NOTHING, QueryEntry, QueryKind
from xinyong.services.audit import record_refusal
from xinyong.services.checks import Checker

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork

#: One screened row, as the output file's columns: row, number, status ("listed", "clear" or
#: "invalid"), measures, entries, reason. A plain tuple: a million of them are made per run.
ScreenResult = tuple[int, str, str, str, str, str]
SCREEN_COLUMNS = ("row", "number", "status", "measures", "entries", "reason")


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
    # Without organisations on any list, a number that is a valid citizen ID number needs no
    # second lookup as a credit code (the rare all-digit government codes).
    orgs = checker.index.holds_organisations()
    results: list[ScreenResult] = []
    logged: list[tuple[int, str]] = []
    writer = _ChunkWriter(sink, template, out)
    try:
        for row, raw in rows:
            number = raw.strip()
            key = person_key(number) if len(number) == 18 and number.isascii() else None
            if key is not None and not orgs:
                found = index_postings(key)
            else:
                try:
                    number, keys = subject_keys(raw)
                except Invalid as exc:
                    out.invalid += 1
                    results.append((row, "", "invalid", "", "", str(exc)))
                    continue
                key = keys[0]
                found = tuple(p for k in keys for p in index_postings(k))
            hits = checker.confirm(number, hits_for(found, matter, day)) if found else None
            if hits:
                out.listed += 1
                logged.append((key, returned_by(hits)))
                results.append(
                    (
                        row,
                        number,
                        "listed",
                        " ".join(sorted({h.measure.code for h in hits})),
                        " ".join(sorted({str(h.posting.entry_id) for h in hits})),
                        "",
                    )
                )
            else:
                logged.append((key, NOTHING))
                results.append((row, number, "clear", "", "", ""))
            if len(results) >= chunk:
                # The chunk's log is written on a second thread while the next chunk is screened;
                # its results leave only once that write has committed.
                yield from writer.hand_over(results, logged)
                results, logged = [], []
        yield from writer.hand_over(results, logged)
        yield from writer.finish()
    finally:
        writer.close()


NUMBER_COLUMNS = ("number", "subject", "subject_id", "id_number", "证件号码")


def read_numbers(stream: TextIO) -> Iterator[tuple[int, str]]:
    """Yield (row, number) from CSV: the column named like a number, else the first column.

    Row numbers count data rows from 1, as the output and the rejects say. A first line that is
    a number itself (no header) is read as data. Text that is not in the stream's encoding stops
    the reading with an Invalid saying how far it got (what was screened before stays logged).
    """
    reader = csv.reader(stream)
    row = 0
    try:
        header = next(reader, None)
        if header is None:
            return
        names = [h.strip().lower() for h in header]
        column = next((names.index(n) for n in NUMBER_COLUMNS if n in names), None)
        if column is None:
            column = 0
            if header and any(ch.isdigit() for ch in header[0]):
                row = 1
                yield row, header[0]
        for fields in reader:
            row += 1
            if not fields or all(not f.strip() for f in fields):
                continue
            yield row, fields[column] if column < len(fields) else ""
    except UnicodeDecodeError as exc:
        raise Invalid(
            f"the file is not UTF-8 text ({exc.reason}); nothing after row {row} was screened;"
            " save it as UTF-8"
        ) from None
    except csv.Error as exc:
        raise Invalid(f"row {row + 1}: not readable as CSV ({exc})") from None


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
    try:
        checker.require_mandate(department, matter)
    except OutsideMandate as refusal:
        record_refusal(uow, refusal, actor=actor, department=department)
        raise
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
