"""Batch screening: many numbers checked for one matter, each logged on its subject's file."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from typing import TextIO

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.errors import Invalid
from xinyong.services.checks import Checker, ScreeningSink, ScreenResult, ScreenSummary, screen
from xinyong.services.ports import UnitOfWork

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
    checker.require_matter(matter)
    summary = summary if summary is not None else ScreenSummary()
    uow = uow_factory()
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
