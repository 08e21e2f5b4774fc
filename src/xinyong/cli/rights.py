"""`xinyong sweep`, `xinyong objections`, `xinyong repairs` and `xinyong agents`: the staff side
of the person's rights."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from xinyong.cli import context
from xinyong.cli.context import console
from xinyong.services import accounts, rights
from xinyong.services.ports import business_date

objections_app = typer.Typer(help="Objections: the queue, forwarding, decisions.")
repairs_app = typer.Typer(help="Credit repair applications: the queue and decisions.")
agents_app = typer.Typer(help="Agents acting for a person under a power of attorney.")


def sweep(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Archive what is past its display period, end lapsed listings, delete what is past
    retention, and tell every recipient. Run it daily (cron or a systemd timer); it is safe to
    run again."""
    s = context.settings()
    policy = context.policy(s)
    with context.domain_errors():
        summary = rights.sweep(context.uow_factory(s)(), policy, actor=context.CLI_ACTOR)
    figures = {
        "expired": summary.expired,
        "listings_ended": summary.listings_ended,
        "deleted": summary.deleted,
    }
    if as_json:
        typer.echo(json.dumps(figures))
        return
    console.print(
        f"{summary.expired} records archived, {summary.listings_ended} listings ended,"
        f" {summary.deleted} records deleted after retention"
    )


@objections_app.command("list")
def list_objections(
    department: Annotated[str | None, typer.Option(help="Only this department's cases")] = None,
) -> None:
    """Open objections, the nearest deadline first; overdue ones are marked."""
    s = context.settings()
    today = business_date(datetime.now().astimezone())
    cases = rights.objection_queue(context.uow_factory(s)(), department=department)
    table = Table("id", "about", "department", "ground", "status", "due", "")
    for o in cases:
        about = f"record {o.record_id}" if o.record_id else f"entry {o.entry_id}"
        late = "[red]overdue[/]" if o.is_overdue_on(today) else ""
        table.add_row(
            str(o.id), about, o.department, o.ground, o.status.value, str(o.due().day), late
        )
    console.print(table if cases else "no open objections")


@objections_app.command("forward")
def forward(objection: int) -> None:
    """Forward to the source department, which then decides within its working days."""
    s = context.settings()
    with context.domain_errors():
        o = rights.forward(
            context.uow_factory(s)(),
            context.policy(s),
            objection,
            department=None,
            actor=context.CLI_ACTOR,
        )
    console.print(f"objection {o.id} forwarded to {o.department}; due {o.due().day}")


@objections_app.command("decide")
def decide(
    objection: int,
    outcome: Annotated[str, typer.Option(help="correct, supplement, stop_display, ...")],
    reasons: Annotated[str, typer.Option(help="Written reasons")],
) -> None:
    """Decide an objection; the mark is lifted and every recipient is told."""
    s = context.settings()
    with context.domain_errors():
        o = rights.decide(
            context.uow_factory(s)(),
            context.policy(s),
            objection,
            outcome=outcome,
            reasons=reasons,
            department=None,
            actor=context.CLI_ACTOR,
        )
    console.print(f"objection {o.id}: {o.outcome}")


@repairs_app.command("list")
def list_repairs(
    department: Annotated[str | None, typer.Option(help="Only this department's cases")] = None,
) -> None:
    """Open repair applications, the nearest feedback deadline first."""
    s = context.settings()
    cases = rights.repair_queue(context.uow_factory(s)(), department=department)
    table = Table("id", "record", "department", "status", "accept by", "feedback by", "missing")
    for r in cases:
        table.add_row(
            str(r.id),
            str(r.record_id),
            r.department,
            r.status.value,
            str(r.accept_due.day),
            str(r.feedback_due.day),
            "; ".join(r.missing),
        )
    console.print(table if cases else "no open repair applications")


@repairs_app.command("accept")
def accept_repair(repair: int) -> None:
    """Take up a complete repair application."""
    s = context.settings()
    with context.domain_errors():
        r = rights.accept_repair(
            context.uow_factory(s)(), repair, department=None, actor=context.CLI_ACTOR
        )
    console.print(f"repair {r.id}: {r.status.value}; feedback due {r.feedback_due.day}")


@repairs_app.command("decide")
def decide_repair(
    repair: int,
    reasons: Annotated[str, typer.Option(help="Written reasons")],
    repaired: Annotated[bool, typer.Option("--repaired/--refused")] = True,
) -> None:
    """Decide a repair application; success stops publication, sharing and measures at once."""
    s = context.settings()
    with context.domain_errors():
        r = rights.decide_repair(
            context.uow_factory(s)(),
            context.policy(s),
            repair,
            repaired=repaired,
            reasons=reasons,
            department=None,
            actor=context.CLI_ACTOR,
        )
    console.print(f"repair {r.id}: {r.status.value}")


@agents_app.command("add")
def add_agent(
    power_of_attorney: Annotated[str, typer.Option(help="The power of attorney's reference")],
    until: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Valid until, YYYY-MM-DD")],
    agent: Annotated[
        str, typer.Option(prompt="Agent's citizen ID number", hide_input=True, help="Asked for")
    ],
    principal: Annotated[
        str,
        typer.Option(prompt="Principal's citizen ID number", hide_input=True, help="Asked for"),
    ],
) -> None:
    """Record that a person with an account may act for another under a power of attorney."""
    s = context.settings()
    with context.domain_errors():
        agency = accounts.record_agent(
            context.uow_factory(s)(),
            agent_number=agent,
            principal_number=principal,
            power_of_attorney=power_of_attorney,
            valid_until=until.date(),
            actor=context.CLI_ACTOR,
        )
    console.print(f"agency {agency} recorded until {until.date()}")
