"""`xinyong check` and `xinyong screen`: measures for one subject, or for a file of numbers."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from xinyong.cli import context
from xinyong.cli.context import console

if TYPE_CHECKING:
    from xinyong.bootstrap import Platform
    from xinyong.services.checks import Checker


def _checker(platform: Platform, quiet: bool) -> Checker:
    if quiet:
        return platform.checker()
    with console.status("building the listing index"):
        return platform.checker()


def check(
    matter: Annotated[str, typer.Option(help="The matter, e.g. flight")],
    department: Annotated[str, typer.Option(help="The checking department's code")],
    subject: Annotated[
        str,
        typer.Option(prompt="Citizen ID number or credit code", hide_input=True, help="Asked for"),
    ],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Which measures apply to this subject for this matter (logged on the subject's file)."""
    from xinyong.domain.identifiers import mask_number
    from xinyong.services.checks import run_check

    p = context.platform()
    checker = _checker(p, as_json)
    with context.domain_errors():
        query_id, answer = run_check(
            p.uow(),
            checker,
            subject,
            matter,
            department=department,
            actor=context.CLI_ACTOR,
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
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV of numbers")],
    matter: Annotated[str, typer.Option(help="The matter, e.g. flight")],
    department: Annotated[str, typer.Option(help="The screening department's code")],
    out: Annotated[Path | None, typer.Option(help="Result CSV (default FILE.screened.csv)")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Screen a CSV of numbers for one matter: a result row per input row, each logged."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from xinyong.services.screening import (
        SCREEN_COLUMNS,
        ScreenSummary,
        read_numbers,
        run_screening,
    )

    p = context.platform()
    target = out or file.with_name(file.stem + ".screened.csv")
    with file.open("rb") as f:
        total = max(0, sum(1 for _ in f) - 1)
    checker = _checker(p, as_json)
    summary = ScreenSummary()
    progress = Progress(
        TextColumn("[bold]screening"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=context.errors,
        disable=as_json,
    )
    with (
        context.domain_errors(),
        progress,
        file.open(encoding="utf-8-sig", newline="") as source,
        target.open("w", encoding="utf-8", newline="") as sink,
    ):
        task = progress.add_task("screen", total=total)
        writer = csv.writer(sink)
        writer.writerow(SCREEN_COLUMNS)
        results = run_screening(
            checker,
            p.uow,
            p.screening_sink(),
            read_numbers(source),
            matter,
            department=department,
            actor=context.CLI_ACTOR,
            summary=summary,
        )
        for n, r in enumerate(results, 1):
            writer.writerow(r)
            if n % 10_000 == 0:
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
