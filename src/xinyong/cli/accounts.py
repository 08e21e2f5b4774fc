"""`xinyong agents`: persons acting for another under a power of attorney (staff records it)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from xinyong.cli import context
from xinyong.cli.context import console

agents_app = typer.Typer(help="Agents acting for a person under a power of attorney.")


@agents_app.command("add")
def add_agent(
    power_of_attorney: Annotated[str, typer.Option(help="The power of attorney's reference")],
    until: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Valid until, YYYY-MM-DD")],
    agent: Annotated[str, context.number_option("Agent's citizen ID number")] = "",
    principal: Annotated[str, context.number_option("Principal's citizen ID number")] = "",
) -> None:
    """Record that a person with an account may act for another under a power of attorney.

    Both numbers come from standard input, the agent's on the first line and the principal's
    on the second (asked for, not echoed, at a terminal).
    """
    from xinyong.services import accounts

    p = context.platform()
    with context.domain_errors():
        agency = accounts.record_agent(
            p.uow(),
            agent_number=agent,
            principal_number=principal,
            power_of_attorney=power_of_attorney,
            valid_until=until.date(),
            actor=context.CLI_ACTOR,
        )
    console.print(f"agency {agency} recorded until {until.date()}")
