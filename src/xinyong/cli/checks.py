"""`xinyong check` and `xinyong screen`: measures for one subject, or for a file of numbers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from xinyong.cli import context
from xinyong.cli.context import console

if TYPE_CHECKING:
    from xinyong.bootstrap import Platform
    from xinyong.services.checks import Checker


def _checker(platform: Platform, quiet: bool) -> Checker:
    if quiet:
        return platform.checker()
    with context.errors.status("building the listing index"):
        return platform.checker()


def check(
    matter: Annotated[str, typer.Option(help="The matter, e.g. flight")],
    department: Annotated[str, typer.Option(help="The checking department's code")],
    number: Annotated[
        str | None,
        typer.Argument(
            help="The subject's number; leave it out to read numbers from standard input, one a"
            " line (recommended: an argument shows in the process list)",
            show_default=False,
        ),
    ] = None,
    subject: Annotated[str | None, typer.Option(hidden=True, help="Same as NUMBER")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a number")] = False,
) -> None:
    """Which measures apply to a subject for a matter; each check is logged on the subject's file.

    The number comes as an argument, or from standard input, one a line for many
    (`xinyong check --matter flight --department D < numbers.txt`); at a terminal it is asked
    for without echo. Exit 0 when every number was checked, 1 when some line was not a valid
    number (each named by its line on standard error), 2 when nothing could be checked.
    """
    one = number or subject
    stdin = sys.stdin
    if one is None and stdin.isatty():
        one = typer.prompt("Citizen ID number or credit code", hide_input=True)
    p = context.platform()
    try:
        checker = _checker(p, as_json)
        if one is not None:
            with context.domain_errors():
                _check_one(p, checker, one, matter, department, as_json)
            return
        refused = _check_lines(p, checker, stdin, matter, department, as_json)
    finally:
        p.close()
    if refused:
        raise typer.Exit(1)


def _check_lines(
    p: Platform, checker: Checker, lines: TextIO, matter: str, department: str, as_json: bool
) -> int:
    """Check each number of `lines`; return how many lines were refused as invalid."""
    from xinyong.domain.errors import Invalid

    refused = checked = 0
    with context.domain_errors():
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            checked += 1
            try:
                _check_one(p, checker, line.strip(), matter, department, as_json)
            except Invalid as exc:
                # The next number may be good: name the line and the reason, never the number.
                context.errors.print(f"line {n}: {exc.detail}", highlight=False)
                refused += 1
    if not checked:
        context.fail("no number given: pass one as an argument or one a line on standard input")
    return refused


def _check_one(
    p: Platform, checker: Checker, raw: str, matter: str, department: str, as_json: bool
) -> None:
    from xinyong.domain.identifiers import mask_number
    from xinyong.services.checks import run_check

    query_id, answer = run_check(
        p.uow(),
        checker,
        raw,
        matter,
        department=department,
        actor=context.CLI_ACTOR,
        log=p.query_writer().write,  # as the server logs a check: never behind a batch
    )
    shown = mask_number(answer.number)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "check": query_id,
                    "subject": shown,
                    "matter": matter,
                    "measures": [
                        {
                            "code": h.measure.code,
                            "legal_basis": list(h.measure.legal_basis),
                            "entry": h.posting.entry_id,
                            "list": h.posting.list_code,
                            "via_role": h.posting.role.value if h.posting.role else None,
                            "under_objection": h.posting.under_objection,
                        }
                        for h in answer.hits
                    ],
                },
                ensure_ascii=False,
            )
        )
        return
    console.print(f"check {query_id}: {shown} for {matter}", highlight=False)
    if not answer.hits:
        console.print("no measure applies")
    for h in answer.hits:
        objection = " [yellow](under objection)[/]" if h.posting.under_objection else ""
        console.print(
            f"• [bold]{h.measure.code}[/] {h.measure.name_zh} — {h.measure.name_en}{objection}\n"
            f"  triggered by entry {h.posting.entry_id} on {h.posting.list_code}"
            + (f" via {h.posting.role.value}" if h.posting.role else "")
            + f"\n  basis: {'; '.join(h.measure.legal_basis)}",
            highlight=False,
        )


def screen(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV with a column of numbers")
    ],
    matter: Annotated[str, typer.Option(help="The matter, e.g. flight")],
    department: Annotated[str, typer.Option(help="The screening department's code")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            "--out",
            dir_okay=False,
            help="Result CSV (default FILE-STEM.screened.csv)",
        ),
    ] = None,
    column: Annotated[
        str | None, typer.Option(help="The column of numbers, if not named number, subject, …")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Screen a CSV of numbers for one matter: a result line per row, each number logged.

    The file is read through first: a header without a column of numbers, text that is not
    UTF-8 or a file without rows stops the command before anything is screened. The result
    (FILE-STEM.screened.csv beside the file) repeats each row's input, then its status
    (listed, clear or invalid), measures, entries, for an invalid row the field and reason, and
    last under_objection (true when a listing it hit is marked under objection).
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from xinyong.services.batchfiles import REPORT_ENCODING
    from xinyong.services.screenfiles import ENCODING, ScreenWriter, scan
    from xinyong.services.screening import ScreenSummary, run_screening

    target = context.output_path(file, "screened", output)
    with context.domain_errors():
        scanned = scan(file, column=column)
    p = context.platform()
    checker = _checker(p, as_json)
    summary = ScreenSummary()
    progress = Progress(
        TextColumn("[bold]screening"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeElapsedColumn(),
        console=context.errors,
        disable=as_json,
    )
    with (
        context.domain_errors(),
        progress,
        file.open(encoding=ENCODING, newline="") as source,
        target.open("w", encoding=REPORT_ENCODING, newline="") as sink,
    ):
        task = progress.add_task("screen", total=scanned.rows)
        out = ScreenWriter(scanned, sink)
        results = run_screening(
            checker,
            p.uow,
            p.screening_sink(),
            out.numbers(source),
            matter,
            department=department,
            actor=context.CLI_ACTOR,
            summary=summary,
        )
        # A row counts once its result is written, and results leave only after their
        # query-log entries committed: the bar never runs ahead of what is done.
        for n, r in enumerate(results, 1):
            out.write(r)
            if n % 1000 == 0:
                progress.update(task, completed=n)
        progress.update(task, completed=summary.screened)
    p.close()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "screened": summary.screened,
                    "listed": summary.listed,
                    "invalid": summary.invalid,
                    "logged": summary.logged,
                    "out": str(target),
                }
            )
        )
        return
    console.print(
        f"{summary.screened} screened: {summary.listed} with measures, {summary.invalid} invalid;"
        f" {summary.logged} query-log entries written; results in {target}",
        highlight=False,
    )
