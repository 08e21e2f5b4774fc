"""The `xinyong` command line: parse, call a service, print a summary, exit non-zero on failure."""

from __future__ import annotations

import typer

from xinyong.cli import (
    catalog,
    checks,
    db,
    demo,
    exchange,
    identifiers,
    ingest,
    keys,
    lists,
    reviews,
    rights,
    subjects,
)

app = typer.Typer(
    name="xinyong",
    help="xinyong 信用: the personal public credit information platform.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold ID numbers
)
app.add_typer(identifiers.app, name="id")
app.add_typer(catalog.app, name="catalog")
app.add_typer(db.app, name="db")
app.add_typer(db.departments_app, name="departments")
app.add_typer(keys.app, name="keys")
app.add_typer(reviews.app, name="reviews")
app.add_typer(lists.app, name="lists")
app.add_typer(lists.measures_app, name="measures")
app.add_typer(subjects.app, name="roles")
app.command("ingest")(ingest.ingest)
app.command("synth")(demo.synth)
app.command("demo")(demo.demo)
app.command("serve")(demo.serve)
app.command("check")(checks.check)
app.command("screen")(checks.screen)
app.command("sweep")(rights.sweep)
app.add_typer(rights.objections_app, name="objections")
app.add_typer(rights.repairs_app, name="repairs")
app.add_typer(rights.agents_app, name="agents")
app.add_typer(exchange.node_app, name="node")
app.add_typer(exchange.peers_app, name="peers")


def main() -> None:
    app()
