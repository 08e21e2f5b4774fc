"""`xinyong departments`: the departments registered from the policy file."""

from __future__ import annotations

import typer
from rich.table import Table

from xinyong.cli import context
from xinyong.cli.context import console

app = typer.Typer(help="Departments that provide records.")


@app.command("sync")
def sync() -> None:
    """Register the departments of the policy file (adds new ones, updates changed ones, and
    deactivates those it no longer has: kept, but they submit nothing)."""
    from xinyong.services import departments

    p = context.platform()
    policy = p.policy
    changed = departments.sync_departments(p.uow(), policy.departments, actor=context.CLI_ACTOR)
    console.print(
        f"{len(policy.departments)} departments in policy, {changed} added, changed or deactivated"
    )


@app.command("list")
def list_departments() -> None:
    """List registered departments, whether the policy still has them, and the items each may
    provide."""
    from xinyong.services import departments

    p = context.platform()
    table = Table("code", "name", "kind", "active", "items")
    for d in departments.list_departments(p.uow()):
        active = "yes" if d.active else "no (not in the policy)"
        table.add_row(d.code, d.name, d.kind, active, ", ".join(sorted(d.items)))
    console.print(table)
