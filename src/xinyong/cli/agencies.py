"""`xinyong agencies`: credit reporting agencies as supervised bodies (licences, the blacklist,
their staff and the staff blacklist)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from xinyong.cli import context
from xinyong.cli.context import console

app = typer.Typer(
    help="Credit reporting agencies: licences, the agency blacklist, their staff (each agency key"
    " is issued to one) and the staff blacklist."
)


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


@app.command("staff")
def staff(code: Annotated[str, typer.Argument(help="The agency's code")]) -> None:
    """An agency's registered staff members, and whether each may query."""
    from xinyong.services import agencies

    p = context.platform()
    with context.domain_errors():
        standings = agencies.staff_standings(p.uow(), code)
    table = Table("id", "staff number", "name", "registered", "may query")
    for s in standings:
        listed, left = s.blacklisting, s.member.left_on
        table.add_row(
            str(s.member.id),
            s.member.number,
            s.member.name,
            s.member.registered_at.strftime("%Y-%m-%d"),
            f"no: left on {left}"
            if left
            else "yes"
            if listed is None
            else f"no: on the staff blacklist since {listed.listed_on}",
        )
    console.print(table)


@app.command("staff-add")
def staff_add(
    code: Annotated[str, typer.Argument(help="The agency's code")],
    number: Annotated[str, typer.Option(help="The agency's own staff number (not an ID number)")],
    name: Annotated[str, typer.Option(help="The staff member's name")],
) -> None:
    """Register a staff member of an agency, so that keys can be issued to them
    (xinyong keys create --department CODE --staff NUMBER)."""
    from xinyong.services import agencies

    p = context.platform()
    with context.domain_errors():
        member = agencies.register_staff(
            p.uow(), code, number=number, name=name, actor=context.CLI_ACTOR
        )
    console.print(f"staff member {member.number} of {code} registered (id {member.id})")


@app.command("staff-blacklist")
def staff_blacklist(
    code: Annotated[str, typer.Argument(help="The agency's code")],
    number: Annotated[str, typer.Argument(help="The staff member's staff number")],
    ground: Annotated[str, typer.Option(help="Why, with its basis")],
    on: Annotated[str | None, typer.Option(help="The day of the decision (default today)")] = None,
) -> None:
    """Put a staff member of an agency on the staff blacklist: queries and feed reads with their
    keys are refused and logged; the agency's other staff keep working."""
    from xinyong.services import agencies

    p = context.platform()
    with context.domain_errors():
        entry = agencies.blacklist_staff(
            p.uow(),
            code,
            number,
            ground=ground,
            on=_day(on, "--on") if on else None,
            actor=context.CLI_ACTOR,
        )
    console.print(
        f"staff member {number} of {code} is on the staff blacklist from {entry.listed_on}"
        f" (entry {entry.id})"
    )


@app.command("staff-lift")
def staff_lift(
    code: Annotated[str, typer.Argument(help="The agency's code")],
    number: Annotated[str, typer.Argument(help="The staff member's staff number")],
    reason: Annotated[str, typer.Option(help="Why they come off the staff blacklist")],
) -> None:
    """Take a staff member of an agency off the staff blacklist."""
    from xinyong.services import agencies

    p = context.platform()
    with context.domain_errors():
        agencies.lift_staff_blacklisting(
            p.uow(), code, number, reason=reason, actor=context.CLI_ACTOR
        )
    console.print(f"staff member {number} of {code} is off the staff blacklist")


@app.command("staff-leave")
def staff_leave(
    code: Annotated[str, typer.Argument(help="The agency's code")],
    number: Annotated[str, typer.Argument(help="The staff member's staff number")],
    on: Annotated[str | None, typer.Option(help="The day they left (default today)")] = None,
) -> None:
    """Record that a staff member left the agency: every key issued to them is revoked, none is
    issued to them again, and a query with one of them is refused."""
    from xinyong.services import agencies

    p = context.platform()
    with context.domain_errors():
        standing, revoked = agencies.record_staff_departure(
            p.uow(), code, number, on=_day(on, "--on") if on else None, actor=context.CLI_ACTOR
        )
    keys = ", ".join(revoked) if revoked else "none"
    console.print(
        f"staff member {number} of {code} left on {standing.member.left_on}; keys revoked: {keys}"
    )


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        context.fail(f"{option}: not a date (YYYY-MM-DD)")
