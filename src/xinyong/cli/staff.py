"""`xinyong staff`: the consoles' users, created by the credit centre."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from xinyong.cli import context
from xinyong.cli.context import console
from xinyong.domain.access import Role  # a plain enum: the help lists the roles

app = typer.Typer(
    help="Staff users of the department and credit-centre consoles (password + TOTP code)."
)

_ROLES = "source_department, implementing_department or credit_centre"


@app.command("add")
def add(
    username: str,
    name: Annotated[str, typer.Option(help="The user's name, as shown in the console")],
    role: Annotated[
        list[str],
        typer.Option(
            help=f"The user's role: {_ROLES}; given twice (source_department and"
            " implementing_department), both of a department whose mandate covers both"
        ),
    ],
    department: Annotated[
        str | None, typer.Option(help="The department code (none for credit-centre staff)")
    ] = None,
    password: Annotated[str | None, context.number_option("Password")] = None,
) -> None:
    """Create a user; print the authenticator's secret and URI (the user also sees them at
    their first login)."""
    from xinyong.services import staff as staff_service

    try:
        chosen, *also = [Role(r) for r in role]
    except ValueError:
        context.fail(f"role: one of {_ROLES}")
    p = context.platform()
    with context.domain_errors():
        new = staff_service.add_staff(
            p.uow(),
            p.policy,
            username=username,
            name=name,
            role=chosen,
            department=department,
            password=password or "",
            actor=context.CLI_ACTOR,
            also=tuple(also),
        )
    roles = "+".join(r.value for r in new.staff.roles)
    console.print(f"staff user {new.staff.username} ({roles}, {department or 'centre'})")
    typer.echo(f"TOTP secret: {new.secret}")
    typer.echo(f"otpauth URI: {new.uri}")


@app.command("list")
def list_staff() -> None:
    """List users (never a password or a secret)."""
    from xinyong.services import staff as staff_service

    table = Table("username", "name", "role", "department", "enrolled", "disabled")
    for s in staff_service.list_staff(context.platform().uow()):
        table.add_row(
            s.username,
            s.name,
            "+".join(r.value for r in s.roles),
            s.department or "-",
            s.enrolled_at.strftime("%Y-%m-%d %H:%M") if s.enrolled_at else "",
            s.disabled_at.strftime("%Y-%m-%d %H:%M") if s.disabled_at else "",
        )
    console.print(table)


@app.command("disable")
def disable(username: str) -> None:
    """Disable a user; their sessions end at once."""
    from xinyong.services import staff as staff_service

    with context.domain_errors():
        staff_service.disable_staff(context.platform().uow(), username, actor=context.CLI_ACTOR)
    console.print(f"staff user {username} disabled")
