"""`xinyong deadlines`: every running working-day deadline, and the recount on the official
calendar (credit-centre staff)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from xinyong.cli import context
from xinyong.cli.context import console

if TYPE_CHECKING:  # the platform's modules load when a command runs: `--help` stays fast
    from xinyong.domain.calendar import Deadline

app = typer.Typer(help="Working-day deadlines: the overdue view, the recount.")

#: How a deadline counted on the fallback calendar is marked wherever a command shows it.
FALLBACK_MARK = "(Mon–Fri: official calendar not out yet)"


def shown(deadline: Deadline) -> str:
    """A deadline's day, marked when it is counted Monday to Friday."""
    day = deadline.day.isoformat()
    return day if deadline.official else f"{day} {FALLBACK_MARK}"


@app.command("list")
def list_deadlines(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only those past their day")] = False,
    kind: Annotated[
        list[str] | None,
        typer.Option(help="Only this kind (repeatable): double_publicity, objection_check, ..."),
    ] = None,
    department: Annotated[str | None, typer.Option(help="Only this department's cases")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 1000,
) -> None:
    """Running deadlines, the earliest due first, with who must act and how many working days
    each is overdue."""
    from xinyong.domain.deadlines import WATCHED, DeadlineKind
    from xinyong.services import deadlines

    wanted: list[DeadlineKind] = []
    for name in kind or ():
        try:
            wanted.append(DeadlineKind(name))
        except ValueError:
            context.fail(f"--kind {name!r}: one of {', '.join(k.value for k in WATCHED)}")
    p = context.platform()
    today = p.today()
    with context.domain_errors():
        found = deadlines.watched_deadlines(
            p.uow(), kinds=wanted, department=department, overdue=overdue, limit=limit
        )
    table = Table("kind", "what", "must act", "due", "overdue (working days)")
    for w in found:
        late = str(w.working_days_overdue(today)) if w.is_overdue_on(today) else ""
        table.add_row(w.kind.value, w.what, w.must_act, shown(w.due), late)
    console.print(table if found else "no running deadlines" + (" overdue" if overdue else ""))


@app.command("recount")
def recount(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Count again every deadline counted Monday to Friday whose days the official calendar
    now covers (after installing a newer chinese-calendar); tell whom each moved deadline
    concerns. `xinyong sweep` runs this too."""
    from xinyong.services import deadlines

    p = context.platform()
    with context.domain_errors():
        summary = deadlines.recount_deadlines(p.uow(), p.policy, actor=context.CLI_ACTOR)
    if as_json:
        typer.echo(json.dumps(asdict(summary)))
        return
    console.print(
        f"{summary.recounted} deadlines counted again on the official calendar"
        f" ({summary.moved} moved; {summary.people_told} people and"
        f" {summary.departments_told} departments told); {summary.waiting} still counted"
        f" Monday to Friday; {summary.unknown} cannot be counted again"
    )
