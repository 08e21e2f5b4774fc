"""`xinyong catalog`: list, show and validate catalog items."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from xinyong.cli import context
from xinyong.cli.context import console

if TYPE_CHECKING:  # loaded by the commands themselves: `--help` stays fast
    from xinyong.domain.catalog import CatalogItem

app = typer.Typer(help="The uniform catalog: what may become public credit information.")


@app.command("list")
def list_items(
    category: Annotated[str | None, typer.Option(help="Only this category")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List the catalog items in force."""
    policy = context.policy()
    items = [i for i in policy.catalog if category is None or i.category.value == category]
    if as_json:
        typer.echo(json.dumps([_summary(i) for i in items], ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Catalog {policy.catalog.version}: {policy.catalog.edition}")
    table.add_column("code", no_wrap=True)
    table.add_column("name", overflow="fold")
    for column in ("category", "subject", "nature", "public", "severity", "region"):
        table.add_column(column, overflow="fold")
    for i in items:
        table.add_row(
            i.code,
            f"{i.name_zh}\n{i.name_en}",
            i.category.value,
            i.subject_type.value,
            i.nature.value,
            "yes" if i.public else "no",
            i.default_severity.value if i.default_severity else "-",
            _region(i.region) if i.region else "national",
        )
    console.print(table)
    console.print(f"{len(items)} items")


def _region(code: str) -> str:
    """A local item's region in both languages: "110000 北京市 / Beijing"."""
    from xinyong.domain.regions import region_name

    name_zh, name_en = region_name(code)
    return f"{code} {name_zh} / {name_en}"


def _summary(i: CatalogItem) -> dict[str, object]:
    return {
        "code": i.code,
        "name_zh": i.name_zh,
        "name_en": i.name_en,
        "category": i.category.value,
        "subject_type": i.subject_type.value,
        "nature": i.nature.value,
        "public": i.public,
        "sharing_scope": i.sharing_scope.value,
        "default_severity": i.default_severity.value if i.default_severity else None,
        "legal_basis": list(i.legal_basis),
        "local": i.is_local,
        "region": i.region,
        "local_basis": list(i.local_basis),
        "display_rule": i.display_rule.value,
        "display_months": i.display_months,
        "retention_years": i.retention_years,
        "fields": [
            {"name": f.name, "type": f.type.value, "required": f.required, "label_en": f.label_en}
            for f in i.fields
        ],
    }


@app.command("show")
def show(code: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show one item: legal basis, providers, periods and its typed data items."""
    policy = context.policy()
    item = policy.catalog.get(code)
    if item is None:
        context.fail(f"{code} is not in catalog {policy.catalog.version}", code=1)
    summary = _summary(item)
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    console.print(f"[bold]{item.code}[/] {item.name_zh} — {item.name_en}", highlight=False)
    console.print(f"category {item.category.value}; {item.subject_type.value}; {item.nature.value}")
    console.print(
        f"public: {'yes' if item.public else 'no'}; sharing: {item.sharing_scope.value};"
        f" display: {item.display_rule.value}"
        + (f" {item.display_months} months" if item.display_months else "")
        + f"; retention {item.retention_years} years; updated {item.update_frequency}",
        highlight=False,
    )
    if item.default_severity:
        rules = ", ".join(
            f"{r.field} {r.op} {r.value} → {r.severity.value}" for r in item.severity_rules
        )
        console.print(
            f"severity: {item.default_severity.value} by default" + (f"; {rules}" if rules else "")
        )
    console.print("legal basis:")
    for basis in item.legal_basis:
        console.print(f"  • {basis}", highlight=False)
    if item.region:
        console.print(f"local item of region {_region(item.region)}; local basis:", highlight=False)
        for basis in item.local_basis:
            console.print(f"  • {basis}", highlight=False)
    console.print(f"providers: {', '.join(sorted(item.providers))}")
    table = Table("field", "type", "required", "label")
    for f in item.fields:
        kind = f.type.value + (f" ({', '.join(f.values)})" if f.values else "")
        table.add_row(f.name, kind, "yes" if f.required else "no", f"{f.label_zh} / {f.label_en}")
    console.print(table)


@app.command("validate")
def validate(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Check a catalog file (a region's own: local/<region_code>.toml); exit 1 naming the file,
    item and field of the first fault."""
    from xinyong.domain.catalog import BannedFields
    from xinyong.domain.catalog_files import read_catalog_file
    from xinyong.domain.errors import CatalogError
    from xinyong.policy import PACKAGED, read_toml

    policy_dir = context.settings().policy_dir

    banned = BannedFields.from_policy(read_toml((policy_dir or PACKAGED) / "banned_fields.toml"))
    region = file.stem if file.parent.name == "local" else None  # local/<region_code>.toml
    try:
        items = read_catalog_file(file, banned, region=region)
    except CatalogError as exc:
        context.errors.print(f"[red]invalid[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    console.print(f"[green]valid[/]: {len(items)} items in {file}", highlight=False)
