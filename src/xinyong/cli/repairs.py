"""`xinyong repairs`: the repair queue, acceptance and decisions."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from xinyong.cli import context
from xinyong.cli.context import console
from xinyong.cli.deadlines import shown

app = typer.Typer(help="Credit repair applications: the queue and decisions.")


@app.command("list")
def list_repairs(
    department: Annotated[str | None, typer.Option(help="Only this department's cases")] = None,
) -> None:
    """Open repair applications, the nearest feedback deadline first."""
    from xinyong.services import repairs

    p = context.platform()
    cases = repairs.repair_queue(p.uow(), department=department)
    table = Table("id", "record", "department", "status", "accept by", "feedback by", "missing")
    for r in cases:
        table.add_row(
            str(r.id),
            str(r.record_id),
            r.department,
            r.status.value,
            shown(r.accept_due),
            shown(r.feedback_due),
            "; ".join(r.missing),
        )
    console.print(table if cases else "no open repair applications")


@app.command("accept")
def accept_repair(repair: int) -> None:
    """Take up a complete repair application."""
    from xinyong.services import repairs

    p = context.platform()
    with context.domain_errors():
        r = repairs.accept_repair(p.uow(), repair, department=None, actor=context.CLI_ACTOR)
    console.print(f"repair {r.id}: {r.status.value}; feedback due {shown(r.feedback_due)}")


@app.command("decide")
def decide_repair(
    repair: int,
    reasons: Annotated[str, typer.Option(help="Written reasons")],
    repaired: Annotated[bool, typer.Option("--repaired/--refused")] = True,
) -> None:
    """Decide a repair application; success stops publication, sharing and measures at once."""
    from xinyong.services import repairs

    p = context.platform()
    with context.domain_errors():
        r = repairs.decide_repair(
            p.uow(),
            p.policy,
            repair,
            repaired=repaired,
            reasons=reasons,
            department=None,
            actor=context.CLI_ACTOR,
        )
    console.print(f"repair {r.id}: {r.status.value}")
