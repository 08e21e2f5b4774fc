"""`xinyong keys`: API keys for departments, staff and agencies."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from xinyong.cli import context
from xinyong.cli.context import console
from xinyong.domain.access import ROLE_SCOPES, Role, Scope  # plain enums: the help lists roles

app = typer.Typer(
    help="API keys (only a hash is stored: a key is shown once, when created), and the key file"
    " that seals ID numbers at rest (init, rotate-data-key)."
)


def write_key_file(path: Path, material: dict[str, object]) -> None:
    """Write key material readable by its owner only, replacing the file in one step."""
    import json
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(material, out, indent=2)
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


@app.command("init")
def init(
    key_file: Annotated[
        Path | None, typer.Option(help="Where to write (default: the key_file setting)")
    ] = None,
) -> None:
    """Write a new key file: a data key, a keyed-hash key and a checkpoint signing key.

    Refuses to overwrite one: the identifiers sealed under a lost key cannot be read again.
    """
    from xinyong.domain.vault import new_material

    target = key_file or context.settings().key_file
    if target.exists():
        context.fail(f"{target} exists already: a new key would make what it sealed unreadable")
    write_key_file(target, new_material())
    console.print(f"wrote {target} (readable by its owner only); keep a copy offline")


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
    staff: Annotated[
        str | None,
        typer.Option(help="An agency's key: the staff number of the staff member it is issued to"),
    ] = None,
) -> None:
    """Create a key and print it once (an agency's key is issued to one of its staff members:
    xinyong agencies staff-add)."""
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
            staff=staff,
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

    table = Table("prefix", "label", "department", "staff", "scopes", "created", "revoked")
    for k in keys_service.list_api_keys(context.platform().uow()):
        table.add_row(
            k.prefix,
            k.label,
            k.department or "-",
            str(k.agency_staff_id) if k.agency_staff_id is not None else "-",
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


@app.command("rotate-data-key")
def rotate_data_key(
    reseal_now: Annotated[
        bool, typer.Option("--reseal/--no-reseal", help="Seal stored values again now")
    ] = True,
) -> None:
    """Add a data key version to the key file and make it current; then seal every stored
    identifier and staff TOTP secret again under it, a chunk at a time, while the platform
    serves (docs/at-rest.md).

    Servers learn the new version when they first read a value sealed under it. Older versions
    stay in the file: remove one only once `xinyong keys reseal` finds nothing left under it.
    """
    from xinyong.domain.vault import with_new_data_key

    settings = context.settings()
    if settings.keys is not None:
        context.fail("the keys come from XINYONG_KEYS: add a data key version there instead")
    material, version = with_new_data_key(settings.key_material())
    write_key_file(settings.key_file, material)
    console.print(f"data key version {version} is current in {settings.key_file}")
    if reseal_now:
        reseal()


@app.command("reseal")
def reseal() -> None:
    """Seal again, under the current data key, every value sealed under an older one (a chunk
    of rows per transaction; safe to stop and run again)."""
    from xinyong.db.keys import reseal as reseal_rows

    p = context.platform()
    done: dict[str, int] = {}
    for table, rows in reseal_rows(p.engine):
        done[table] = done.get(table, 0) + rows
    summary = ", ".join(f"{n} in {t}" for t, n in done.items()) or "nothing left to reseal"
    console.print(f"resealed: {summary}", highlight=False)
