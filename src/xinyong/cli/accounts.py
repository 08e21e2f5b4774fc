"""`xinyong accounts`: real-name verification of registrations at a credit-centre counter;
`xinyong agents`: persons acting for another under a power of attorney (staff records both)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from xinyong.cli import context
from xinyong.cli.context import console

accounts_app = typer.Typer(help="Registrations and their real-name verification at a counter.")
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


@accounts_app.command("pending")
def pending_registrations() -> None:
    """Registrations waiting for real-name verification, oldest first (numbers masked)."""
    from rich.table import Table

    from xinyong.domain.identifiers import mask_citizen_id
    from xinyong.services import registrations

    p = context.platform()
    waiting = registrations.pending_registrations(p.uow())
    days = p.policy.accounts.registration_days
    table = Table("registration", "number", "name", "registered", "verify by")
    for r in waiting:
        table.add_row(
            str(r.id),
            mask_citizen_id(r.number),
            r.name,
            r.created_at.date().isoformat(),
            r.lapses_on(days).isoformat(),
        )
    console.print(table if waiting else "no registration waits for verification")


@accounts_app.command("verify")
def verify_registration(
    registration: int,
    name: Annotated[str, typer.Option(prompt="Name on the ID card", help="As on the card")],
    number: Annotated[str, context.number_option("Number on the ID card")] = "",
) -> None:
    """The person showed their ID card at the counter: its number and name must be the
    registration's; the account opens (or, if the file holds another name for the number, waits
    for the identity review this opens).

    The number comes from standard input (asked for, not echoed, at a terminal): never on the
    command line, where the shell's history and the process list would keep it.
    """
    from xinyong.services import registrations

    p = context.platform()
    with context.domain_errors():
        done = registrations.verify_registration(
            p.uow(),
            p.policy,
            registration,
            number_seen=number,
            name_seen=name,
            actor=context.CLI_ACTOR,
        )
    console.print(f"registration {done.id} verified: account {done.account_id} is open")


@accounts_app.command("refuse")
def refuse_registration(
    registration: int,
    reasons: Annotated[str, typer.Option(help="Why the identity was not verified")],
) -> None:
    """The identity could not be verified: refuse the registration, with reasons."""
    from xinyong.services import registrations

    p = context.platform()
    with context.domain_errors():
        done = registrations.refuse_registration(
            p.uow(), p.policy, registration, reasons=reasons, actor=context.CLI_ACTOR
        )
    console.print(f"registration {done.id} refused")
