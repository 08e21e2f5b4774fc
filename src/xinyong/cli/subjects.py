"""`xinyong roles`: who answers for an organisation."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from xinyong.cli import context
from xinyong.cli.context import console
from xinyong.domain.subjects import RoleKind
from xinyong.services import subjects

app = typer.Typer(help="Roles tying persons to organisations (measures may reach them).")


@app.command("add")
def add(
    organisation: Annotated[
        str, typer.Option(help="The organisation's unified social credit code")
    ],
    person: Annotated[str, typer.Option(help="The person's citizen ID number")],
    kind: Annotated[RoleKind, typer.Option(help="The role")],
    since: Annotated[str, typer.Option(help="First day in the role, YYYY-MM-DD")],
    until: Annotated[str | None, typer.Option(help="Last day in the role, YYYY-MM-DD")] = None,
) -> None:
    """Record a person's role in an organisation; both must already be known subjects."""
    try:
        start, end = date.fromisoformat(since), date.fromisoformat(until) if until else None
    except ValueError:
        context.fail("dates are YYYY-MM-DD")
    with context.domain_errors():
        role = subjects.record_role(
            context.uow_factory(context.settings())(),
            organisation=organisation,
            person=person,
            kind=kind,
            since=start,
            until=end,
            actor=context.CLI_ACTOR,
        )
    console.print(
        f"subject {role.person_id} is {role.kind.value} of subject {role.organisation_id}"
        f" from {role.since}"
    )
