"""The `xinyong` command line: parse, call a service, print a summary, exit non-zero on failure.

Each area's commands live in `cli/<area>.py`; their modules import the platform only when a
command runs, so that `xinyong --help` answers at once.
"""

from __future__ import annotations

import typer

from xinyong.cli import (
    accounts,
    agencies,
    audit,
    batches,
    catalog,
    checks,
    db,
    deadlines,
    demo,
    departments,
    exchange,
    expiry,
    identifiers,
    keys,
    lists,
    measures,
    objections,
    repairs,
    serve,
    staff,
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
app.add_typer(departments.app, name="departments")
app.add_typer(keys.app, name="keys")
app.add_typer(staff.app, name="staff")
app.add_typer(agencies.app, name="agencies")
app.add_typer(audit.app, name="audit")
app.add_typer(subjects.reviews_app, name="reviews")
app.add_typer(lists.app, name="lists")
app.add_typer(measures.app, name="measures")
app.add_typer(subjects.roles_app, name="roles")
app.command("ingest")(batches.ingest)
app.command("synth")(demo.synth)
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("check")(checks.check)
app.command("screen")(checks.screen)
app.command("sweep")(expiry.sweep)
app.add_typer(objections.app, name="objections")
app.add_typer(repairs.app, name="repairs")
app.add_typer(accounts.accounts_app, name="accounts")
app.add_typer(accounts.agents_app, name="agents")
app.add_typer(deadlines.app, name="deadlines")
app.add_typer(exchange.node_app, name="node")
app.add_typer(exchange.peers_app, name="peers")
app.add_typer(exchange.exchange_app, name="exchange")


def main() -> None:
    app()
