"""`xinyong lists` and `xinyong measures`: the list types and the measure registry in force."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from xinyong.cli import context
from xinyong.cli.context import console
from xinyong.domain.errors import NotFound

app = typer.Typer(help="List types: serious untrustworthy, key supervision, good credit.")
measures_app = typer.Typer(help="The registry of reward and punishment measures.")


@app.command("types")
def types() -> None:
    """List the list types with who decides them and their period."""
    policy = context.policy(context.settings())
    table = Table("code", "name", "kind", "decided by", "period")
    table.columns[0].no_wrap = True
    for t in policy.list_types.values():
        period = t.period_rule.value + (f" {t.period_months} months" if t.period_months else "")
        table.add_row(t.code, f"{t.name_zh}\n{t.name_en}", t.kind.value, t.decided_by.value, period)
    console.print(table)


@app.command("show")
def show(code: str) -> None:
    """Show one list type: legal basis, criteria, exit grounds, remedies."""
    policy = context.policy(context.settings())
    t = policy.list_types.get(code)
    if t is None:
        context.fail(f"no list type {code}", code=1)
    console.print(f"[bold]{t.code}[/] {t.name_zh} — {t.name_en}", highlight=False)
    field = f"; field: {t.serious_field.value}" if t.serious_field else ""
    console.print(f"{t.kind.value}; {t.subject_type.value}; decided by {t.decided_by.value}{field}")
    for title, lines in (
        ("legal basis", t.legal_basis),
        ("criteria", t.criteria),
        ("exit grounds", t.exit_grounds),
        ("remedies", t.remedies),
    ):
        console.print(f"{title}:")
        for line in lines:
            console.print(f"  • {line}", highlight=False)


@measures_app.command("list")
def list_measures(
    matter: Annotated[str | None, typer.Option(help="Only measures for this matter")] = None,
) -> None:
    """List the measures (optionally for one matter) with their triggers."""
    policy = context.policy(context.settings())
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
