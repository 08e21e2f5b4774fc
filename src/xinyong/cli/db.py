"""`xinyong db` and `xinyong departments`: migrations and the registered departments."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from xinyong.cli import context
from xinyong.cli.context import console
from xinyong.db.engine import make_engine
from xinyong.services import admin

app = typer.Typer(help="The database: migrations.")
departments_app = typer.Typer(help="Departments that provide records.")


@app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
) -> None:
    """Migrate the database to the latest schema (or REVISION)."""
    from xinyong.db.migrate import current_revision, upgrade  # alembic loads slowly; only here

    s = context.settings()
    engine = make_engine(s.database_url)
    upgrade(engine, revision)
    console.print(
        f"database at revision {current_revision(engine)} ({engine.url.get_backend_name()})"
    )
    engine.dispose()


@app.command("current")
def db_current() -> None:
    """Print the database's current schema revision."""
    from xinyong.db.migrate import current_revision

    engine = make_engine(context.settings().database_url)
    console.print(current_revision(engine) or "empty: run `xinyong db upgrade`")
    engine.dispose()


@departments_app.command("sync")
def sync() -> None:
    """Register the departments of the policy file (adds new ones, updates changed ones)."""
    s = context.settings()
    policy = context.policy(s)
    changed = admin.sync_departments(
        context.uow_factory(s)(), policy.departments, actor=context.CLI_ACTOR
    )
    console.print(f"{len(policy.departments)} departments in policy, {changed} added or changed")


@departments_app.command("list")
def list_departments() -> None:
    """List registered departments and the items each may provide."""
    s = context.settings()
    table = Table("code", "name", "kind", "items")
    for d in admin.list_departments(context.uow_factory(s)()):
        table.add_row(d.code, d.name, d.kind, ", ".join(sorted(d.items)))
    console.print(table)
