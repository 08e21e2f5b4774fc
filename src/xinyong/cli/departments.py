"""`xinyong departments`: the departments registered from the policy file."""

from __future__ import annotations

import typer
from rich.table import Table

from xinyong.cli import context
from xinyong.cli.context import console

app = typer.Typer(help="Departments that provide records.")


@app.command("sync")
def sync() -> None:
    """Register the departments of the policy file (adds new ones, updates changed ones)."""
    from xinyong.services import departments

    p = context.platform()
    policy = p.policy
    changed = departments.sync_departments(p.uow(), policy.departments, actor=context.CLI_ACTOR)
    console.print(f"{len(policy.departments)} departments in policy, {changed} added or changed")


@app.command("list")
def list_departments() -> None:
    """List registered departments and the items each may provide."""
    from xinyong.services import departments

    p = context.platform()
    table = Table("code", "name", "kind", "items")
    for d in departments.list_departments(p.uow()):
        table.add_row(d.code, d.name, d.kind, ", ".join(sorted(d.items)))
    console.print(table)
