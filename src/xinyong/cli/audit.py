"""`xinyong audit`: verify the chained logs, and sign a checkpoint (docs/at-rest.md)."""

from __future__ import annotations

import typer

from xinyong.cli import context
from xinyong.cli.context import console

app = typer.Typer(help="The tamper-evident logs: audit events and query-log entries.")


@app.command("verify")
def verify() -> None:
    """Walk the audit log and the query log and check every signed checkpoint; name every
    altered, inserted or deleted entry. Exit 1 when any is found."""
    from xinyong.db.chain import SqlChainStore
    from xinyong.domain import vault
    from xinyong.services.audit import verify_logs

    p = context.platform()
    states = verify_logs(SqlChainStore(p.engine), vault.current())
    broken = False
    for state in states:
        cp = state.last_good
        where = f"last good checkpoint at entry {cp.upto_id}" if cp else "no checkpoint yet"
        console.print(
            f"{state.table}: {state.entries} entries, {len(state.findings)} broken ({where})",
            highlight=False,
        )
        for finding in state.findings:
            broken = True
            console.print(f"  {finding}", highlight=False, markup=False)
    raise typer.Exit(code=1 if broken else 0)


@app.command("checkpoint")
def checkpoint() -> None:
    """Sign a checkpoint at each log's newest entry, once the log verifies since its last good
    checkpoint. Exit 1 (and sign nothing for that log) when it does not."""
    from xinyong.db.chain import SqlChainStore
    from xinyong.domain import vault
    from xinyong.services.audit import write_checkpoints

    p = context.platform()
    states = write_checkpoints(SqlChainStore(p.engine), vault.current(), at=p.clock())
    broken = False
    for state in states:
        if state.findings:
            broken = True
            console.print(f"{state.table}: not signed, the log is broken:", highlight=False)
            for finding in state.findings:
                console.print(f"  {finding}", highlight=False, markup=False)
        else:
            console.print(f"{state.table}: signed at {state.entries} entries", highlight=False)
    raise typer.Exit(code=1 if broken else 0)
