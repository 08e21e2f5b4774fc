"""`xinyong agencies`: credit reporting agencies as supervised bodies (licences, the blacklist)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from xinyong.cli import context
from xinyong.cli.context import console

app = typer.Typer(help="Credit reporting agencies: licences and the agency blacklist.")


@app.command("list")
def list_agencies() -> None:
    """Every registered agency, its licence, whether it may query today, and whether it is
    flagged for acknowledgements of corrections, repairs or revocations past their deadline."""
    from xinyong.services import agencies

    p = context.platform()
    table = Table("code", "name", "licence", "valid", "may query")
    standings = agencies.agency_standings(p.uow())
    for a in standings:
        licence = a.licence
        table.add_row(
            a.code,
            a.name,
            f"{licence.number} ({licence.authority})" if licence else "-",
            f"{licence.valid_from} – {licence.valid_until}" if licence else "-",
            "yes" if a.refused_because is None else f"no: {a.refused_because}",
        )
    console.print(table)
    for a in standings:  # below the table, in full: never cut to fit the terminal
        if a.flagged:
            n = a.overdue_acknowledgements
            console.print(
                f"flagged: {a.code}: {n} overdue acknowledgement{'s' if n > 1 else ''} of a"
                " correction, repair or revocation"
                " (xinyong deadlines list --overdue --kind acknowledgement)",
                highlight=False,
            )


@app.command("licence")
def licence(
    code: Annotated[str, typer.Argument(help="The agency's code, e.g. AGENCY-BAIHANG")],
    number: Annotated[str, typer.Option(help="The licence's number")],
    authority: Annotated[str, typer.Option(help="The authority that issued it")],
    valid_from: Annotated[str, typer.Option("--from", help="First valid day, YYYY-MM-DD")],
    valid_until: Annotated[str, typer.Option("--until", help="Last valid day, YYYY-MM-DD")],
) -> None:
    """Record an agency's licence (a new one, or a renewal)."""
    from xinyong.domain.agencies import Licence
    from xinyong.services import agencies

    p = context.platform()
    with context.domain_errors():
        changed = agencies.record_licence(
            p.uow(),
            code,
            Licence(number, authority, _day(valid_from, "--from"), _day(valid_until, "--until")),
            actor=context.CLI_ACTOR,
        )
    console.print(f"licence of {code} {'recorded' if changed else 'unchanged'}")


@app.command("blacklist")
def blacklist(
    code: Annotated[str, typer.Argument(help="The agency's code")],
    ground: Annotated[str, typer.Option(help="Why, with its basis")],
    on: Annotated[str | None, typer.Option(help="The day of the decision (default today)")] = None,
) -> None:
    """Put an agency on the agency blacklist: its queries are refused and logged."""
    from xinyong.services import agencies

    p = context.platform()
    with context.domain_errors():
        entry = agencies.blacklist_agency(
            p.uow(),
            code,
            ground=ground,
            on=_day(on, "--on") if on else None,
            actor=context.CLI_ACTOR,
        )
    console.print(f"{code} is on the agency blacklist from {entry.listed_on} (entry {entry.id})")


@app.command("lift")
def lift(
    code: Annotated[str, typer.Argument(help="The agency's code")],
    reason: Annotated[str, typer.Option(help="Why it comes off the blacklist")],
) -> None:
    """Take an agency off the agency blacklist."""
    from xinyong.services import agencies

    p = context.platform()
    with context.domain_errors():
        agencies.lift_blacklisting(p.uow(), code, reason=reason, actor=context.CLI_ACTOR)
    console.print(f"{code} is off the agency blacklist")


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        context.fail(f"{option}: not a date (YYYY-MM-DD)")
