"""`xinyong objections`: the objection queue, forwarding, decisions, the clock paused for testing
or expert review, and a decision taken to reconsideration or to court (credit-centre staff)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from xinyong.cli import context
from xinyong.cli.context import console
from xinyong.cli.deadlines import shown

app = typer.Typer(help="Objections: the queue, forwarding, decisions, challenges.")


@app.command("list")
def list_objections(
    department: Annotated[str | None, typer.Option(help="Only this department's cases")] = None,
) -> None:
    """Open objections, the nearest deadline first; overdue ones are marked."""
    from xinyong.services import objections

    p = context.platform()
    today = p.today()
    cases = objections.objection_queue(p.uow(), department=department)
    table = Table("id", "about", "department", "ground", "status", "due", "")
    for o in cases:
        about = f"record {o.record_id}" if o.record_id else f"entry {o.entry_id}"
        late = "[red]overdue[/]" if o.is_overdue_on(today) else ""
        late = f"paused since {o.paused_since}" if o.paused_since else late
        # a challenged case waits for the reconsideration body or the court, on their time
        due = o.challenge.reference if o.challenge and o.keeps_mark else shown(o.due())
        table.add_row(str(o.id), about, o.department, o.ground, o.status.value, due, late)
    console.print(table if cases else "no open objections")


@app.command("forward")
def forward(objection: int) -> None:
    """Forward to the source department, which then decides within its working days."""
    from xinyong.services import objections

    p = context.platform()
    with context.domain_errors():
        o = objections.forward_objection(
            p.uow(),
            p.policy,
            objection,
            department=None,
            actor=context.CLI_ACTOR,
        )
    console.print(f"objection {o.id} forwarded to {o.department}; due {shown(o.due())}")


@app.command("decide")
def decide(
    objection: int,
    outcome: Annotated[str, typer.Option(help="correct, supplement, stop_display, ...")],
    reasons: Annotated[str, typer.Option(help="Written reasons")],
) -> None:
    """Decide an objection; the mark is lifted and every recipient is told."""
    from xinyong.services import objections

    p = context.platform()
    with context.domain_errors():
        o = objections.decide_objection(
            p.uow(),
            p.policy,
            objection,
            outcome=outcome,
            reasons=reasons,
            department=None,
            actor=context.CLI_ACTOR,
        )
    console.print(f"objection {o.id}: {o.outcome}")


@app.command("challenge")
def challenge(
    objection: int,
    kind: Annotated[str, typer.Option(help="reconsideration or litigation")],
    reference: Annotated[str, typer.Option(help="The case number the body or the court gave")],
) -> None:
    """Record that the person took a decided objection to administrative reconsideration or to
    court: the item is marked "under objection" again until `decide` records the final outcome."""
    from xinyong.services import objections

    p = context.platform()
    with context.domain_errors():
        o = objections.challenge_objection(
            p.uow(),
            p.policy,
            objection,
            kind=kind,
            reference=reference,
            department=None,
            actor=context.CLI_ACTOR,
        )
    console.print(f"objection {o.id}: {kind} {reference}; the item is marked under objection")


@app.command("pause")
def pause(
    objection: int,
    kind: Annotated[str, typer.Option(help="testing or expert_review")],
) -> None:
    """Testing or expert review begins: the deadline that runs stands still until `resume`."""
    from xinyong.services import objections

    p = context.platform()
    with context.domain_errors():
        o = objections.pause_objection(
            p.uow(), p.policy, objection, kind=kind, department=None, actor=context.CLI_ACTOR
        )
    console.print(f"objection {o.id}: paused for {kind} since {o.paused_since}")


@app.command("resume")
def resume(objection: int) -> None:
    """Testing or expert review is over: the deadline moves by the working days it took."""
    from xinyong.services import objections

    p = context.platform()
    with context.domain_errors():
        o = objections.resume_objection(
            p.uow(), p.policy, objection, department=None, actor=context.CLI_ACTOR
        )
    console.print(f"objection {o.id}: resumed; due {shown(o.due())}")
