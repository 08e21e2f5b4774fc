"""`xinyong db`: migrations."""

from __future__ import annotations

from typing import Annotated

import typer

from xinyong.cli import context
from xinyong.cli.context import console

app = typer.Typer(help="The database: migrations.")


@app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
) -> None:
    """Migrate the database to the latest schema (or REVISION). The keys are loaded first: a
    migration may seal what is stored (docs/at-rest.md)."""
    from xinyong import bootstrap
    from xinyong.config import KeysMissing
    from xinyong.db.engine import make_engine
    from xinyong.db.migrate import current_revision, upgrade
    from xinyong.domain.vault import VaultError

    s = context.settings()
    try:
        bootstrap.install_keys(s)
    except (KeysMissing, VaultError) as exc:
        context.fail(str(exc))
    engine = make_engine(s.database_url)
    upgrade(engine, revision)
    console.print(
        f"database at revision {current_revision(engine)} ({engine.url.get_backend_name()})"
    )
    engine.dispose()


@app.command("current")
def db_current() -> None:
    """Print the database's current schema revision."""
    from xinyong.db.engine import make_engine
    from xinyong.db.migrate import current_revision

    engine = make_engine(context.settings().database_url)
    console.print(current_revision(engine) or "empty: run `xinyong db upgrade`")
    engine.dispose()
