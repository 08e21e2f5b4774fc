"""`xinyong synth` and `xinyong demo`: synthetic department files, and a demo platform to try."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from xinyong.cli import context
from xinyong.cli.context import console
from xinyong.cli.serve import serve_app

if TYPE_CHECKING:  # the platform's modules load when a command runs: `--help` stays fast
    from xinyong.bootstrap import Platform
    from xinyong.domain.policy import Policy
    from xinyong.synth.population import SynthSummary

#: Where the demo writes its population's files, and its demo person's login.
DEMO_FILES = Path("var/demo")
DEMO_LOGIN = Path("var/demo-person.json")


def _synthesise(
    policy: Policy, persons: int, out: Path, seed: int, fmt: str, quiet: bool
) -> SynthSummary:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from xinyong.synth.population import write_population

    progress = Progress(
        TextColumn("[bold]synthesising"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("persons"),
        TimeElapsedColumn(),
        console=context.errors,
        disable=quiet,
    )
    with progress:
        task = progress.add_task("synth", total=persons)
        return write_population(
            policy,
            persons=persons,
            out_dir=out,
            seed=seed,
            today=date.today(),  # noqa: DTZ011 - demo data is dated relative to the local day
            format=fmt,  # type: ignore[arg-type]
            progress=lambda done: progress.update(task, completed=done),
        )


def synth(
    persons: Annotated[int, typer.Option(min=1, help="How many persons")] = 10_000,
    out: Annotated[Path, typer.Option(file_okay=False, help="Folder for the batch files")] = Path(
        "var/synth"
    ),
    seed: Annotated[int, typer.Option(help="Same seed, same files")] = 2016,
    fmt: Annotated[str, typer.Option("--format", help="csv or jsonl")] = "csv",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Write a realistic synthetic population as the departments' batch files."""
    policy = context.policy()
    summary = _synthesise(policy, persons, out, seed, fmt, as_json)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "persons": summary.persons,
                    "organisations": summary.organisations,
                    "records": summary.records,
                    "conflicts": summary.conflicts,
                    "files": [str(f) for f in summary.files],
                },
                ensure_ascii=False,
            )
        )
        return
    console.print(
        f"{summary.persons} persons, {summary.organisations} organisations,"
        f" {summary.records} records ({summary.conflicts} deliberate identity conflicts)"
        f" in {len(summary.files)} files under {out}"
    )


def demo(
    persons: Annotated[int, typer.Option(min=1, help="Synthetic persons to load")] = 10_000,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the API afterwards")
    ] = True,
) -> None:
    """Migrate, synthesise a population, ingest it, print demo keys and serve the API."""
    from xinyong.db.migrate import upgrade
    from xinyong.services import departments, records
    from xinyong.synth import demo as demo_data

    p = context.platform()
    policy = p.policy
    upgrade(p.engine)
    console.print(f"[bold]database[/] {p.settings.database_url} migrated")
    departments.sync_departments(p.uow(), policy.departments, actor=context.CLI_ACTOR)
    existing = records.count_records(p.uow())
    if existing:
        console.print(
            f"the database already holds {existing} records: demo data is not loaded again"
            " (delete ./var to start afresh)"
        )
    else:
        _load_demo_population(p, persons)
        made = demo_data.seed_listings(
            p.uow_at,
            policy,
            today=date.today(),  # noqa: DTZ011 - demo history is dated relative to the local day
        )
        console.print(
            "listed: " + ", ".join(f"{n} {code}" for code, n in made.items()), highlight=False
        )
        number, name = demo_data.demo_person(p.uow_at, policy)
        demo_data.write_login(DEMO_LOGIN, number, name)
        console.print(
            f"a demo person on the court's list has an account; the login is in {DEMO_LOGIN}"
            " (POST /api/v1/sessions with number and password)"
        )
    keys = demo_data.create_demo_keys(p.uow, policy, actor=context.CLI_ACTOR)
    console.print(f"[bold]credit-centre key[/] (all scopes): {keys.credit_centre}", highlight=False)
    first, source_key = keys.source
    console.print(f"[bold]source-department key[/] ({first}): {source_key}", highlight=False)
    checking, check_key = keys.implementing
    console.print(
        f"[bold]implementing-department key[/] ({checking}, checks): {check_key}",
        highlight=False,
    )
    if keys.agency:
        agency, agency_key = keys.agency
        console.print(
            f"[bold]credit-agency key[/] ({agency}, with authorisation): {agency_key}",
            highlight=False,
        )
    if serve_after:
        console.print(
            f"serving http://{host}:{port} — interactive docs at http://{host}:{port}/docs"
        )
        serve_app(host, port, workers=1)


def _load_demo_population(p: Platform, persons: int) -> None:
    from xinyong.cli.batches import rows_progress
    from xinyong.synth.demo import ingest_population

    summary = _synthesise(p.policy, persons, DEMO_FILES / f"persons-{persons}", 2016, "csv", False)
    console.print(
        f"{summary.persons} persons, {summary.records} records"
        f" in {len(summary.files)} department files"
    )
    totals = ingest_population(
        p.uow,
        p.policy,
        summary.files,
        chunk_rows=p.settings.ingest_chunk_rows,
        actor=context.CLI_ACTOR,
        progress=rows_progress,
    )
    console.print(
        f"ingested: {totals.accepted} accepted, {totals.unchanged} unchanged,"
        f" {totals.rejected} rejected, {totals.held} held for identity review"
    )
