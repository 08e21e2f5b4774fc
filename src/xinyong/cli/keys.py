"""`xinyong keys`: API keys for departments, staff and agencies."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from xinyong.cli import context
from xinyong.cli.context import console
from xinyong.domain.access import ROLE_SCOPES, Role, Scope  # plain enums: the help lists roles

app = typer.Typer(help="API keys. Only a hash is stored: a key is shown once, when created.")


@app.command("create")
def create(
    department: Annotated[str | None, typer.Option(help="Department code the key acts for")] = None,
    scope: Annotated[
        list[str] | None, typer.Option(help="A scope (repeatable), e.g. records:write")
    ] = None,
    role: Annotated[
        str | None,
        typer.Option(help="Give the default scopes of a role: " + ", ".join(r.value for r in Role)),
    ] = None,
    label: Annotated[str, typer.Option(help="Who holds the key")] = "",
) -> None:
    """Create a key and print it once."""
    from xinyong.services import keys as keys_service

    scopes: set[Scope] = set()
    try:
        scopes.update(Scope(s) for s in scope or [])
        if role:
            scopes.update(ROLE_SCOPES[Role(role)])
    except ValueError as exc:
        context.fail(f"{exc}; scopes are {', '.join(s.value for s in Scope)}")
    if not scopes:
        context.fail("give --scope or --role")
    p = context.platform()
    with context.domain_errors():
        token = keys_service.create_api_key(
            p.uow(),
            label=label or (department or "credit centre"),
            scopes=scopes,
            department=department,
            actor=context.CLI_ACTOR,
        )
    typer.echo(token)
    context.errors.print(
        f"scopes: {', '.join(sorted(x.value for x in scopes))}."
        " Store the key now: it is not shown again."
    )


@app.command("list")
def list_keys() -> None:
    """List keys (prefix, holder, scopes; never the secret)."""
    from xinyong.services import keys as keys_service

    table = Table("prefix", "label", "department", "scopes", "created", "revoked")
    for k in keys_service.list_api_keys(context.platform().uow()):
        table.add_row(
            k.prefix,
            k.label,
            k.department or "-",
            " ".join(sorted(x.value for x in k.scopes)),
            k.created_at.strftime("%Y-%m-%d %H:%M"),
            k.revoked_at.strftime("%Y-%m-%d %H:%M") if k.revoked_at else "",
        )
    console.print(table)


@app.command("revoke")
def revoke(prefix: str) -> None:
    """Revoke a key by its prefix."""
    from xinyong.services import keys as keys_service

    with context.domain_errors():
        keys_service.revoke_api_key(context.platform().uow(), prefix, actor=context.CLI_ACTOR)
    console.print(f"key {prefix} revoked")
