"""`xinyong measures`: the registry of reward and punishment measures in force."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from xinyong.cli import context
from xinyong.cli.context import console

app = typer.Typer(help="The registry of reward and punishment measures.")


@app.command("list")
def list_measures(
    matter: Annotated[str | None, typer.Option(help="Only measures for this matter")] = None,
) -> None:
    """List the measures (optionally for one matter) with their triggers."""
    from xinyong.domain.errors import NotFound

    policy = context.policy()
    try:
        measures = policy.registry.listing(matter)
    except NotFound as exc:
        context.fail(exc.detail, code=1)
    table = Table("code", "name", "category", "triggered by", "matters")
    table.columns[0].no_wrap = True
    for m in measures:
        table.add_row(
            m.code,
            f"{m.name_zh}\n{m.name_en}",
            m.category.value,
            ", ".join(sorted(m.triggers)),
            ", ".join(sorted(m.matters)),
        )
    console.print(table)
