"""`xinyong sweep`: expiry, run daily."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from xinyong.cli import context
from xinyong.cli.context import console


def sweep(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Archive what is past its display period, end lapsed listings, delete records and
    query-log entries past retention, count again deadlines the official calendar now covers,
    derive the three-year clean status, and tell every recipient. Run it daily (cron or a
    systemd timer); it is safe to run again. Before it deletes anything it signs a checkpoint
    of the chained logs (refused, and said, when they are broken); after, where they now start.
    """
    from xinyong.db.chain import SqlChainStore
    from xinyong.domain import vault
    from xinyong.services import audit, expiry

    p = context.platform()
    policy = p.policy
    store = SqlChainStore(p.engine)
    states = audit.write_checkpoints(store, vault.current(), at=p.clock())
    broken = [f for state in states for f in state.findings]
    for finding in broken:
        context.errors.print(f"chained log broken: {finding}", highlight=False, markup=False)
    with context.domain_errors():
        summary = expiry.sweep(p.uow(), policy, actor=context.CLI_ACTOR)
    if not broken:
        audit.mark_retention(store, vault.current(), at=p.clock())
    figures = {
        "expired": summary.expired,
        "listings_ended": summary.listings_ended,
        "deleted": summary.deleted,
        "queries_deleted": summary.queries_deleted,
        "deadlines_recounted": summary.deadlines_recounted,
        "clean_granted": summary.clean_granted,
        "clean_ended": summary.clean_ended,
        "agencies_flagged": summary.agencies_flagged,
    }
    if as_json:
        typer.echo(json.dumps(figures))
        return
    console.print(
        f"{summary.expired} records archived, {summary.listings_ended} listings ended,"
        f" {summary.deleted} records deleted after retention,"
        f" {summary.queries_deleted} query-log entries deleted after retention,"
        f" {summary.deadlines_recounted} deadlines counted again on the official calendar,"
        f" {summary.clean_granted} clean statuses derived, {summary.clean_ended} ended,"
        f" {summary.agencies_flagged} agencies flagged for overdue acknowledgements"
    )
