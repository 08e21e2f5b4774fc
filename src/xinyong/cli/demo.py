"""`xinyong synth` and `xinyong demo`: synthetic department files, and a demo platform to try."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from xinyong.cli import context
from xinyong.cli.batches import ingest_file
from xinyong.cli.context import console
from xinyong.cli.serve import serve_app
from xinyong.domain.access import ROLE_SCOPES, Role
from xinyong.domain.policy import Policy
from xinyong.services import departments, keys, records
from xinyong.services.batchfiles import BatchFormat, fingerprint
from xinyong.services.ports import UnitOfWork
from xinyong.synth.demo import DEMO_PASSWORD, demo_person, seed_listings
from xinyong.synth.population import SynthSummary, write_population


def _synthesise(
    policy: Policy, persons: int, out: Path, seed: int, fmt: str, quiet: bool
) -> SynthSummary:
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

    p = context.platform()
    policy = p.policy
    upgrade(p.engine)
    console.print(f"[bold]database[/] {p.settings.database_url} migrated")
    uow = p.uow
    departments.sync_departments(uow(), policy.departments, actor=context.CLI_ACTOR)
    existing = records.count_records(uow())
    if existing:
        console.print(
            f"the database already holds {existing} records: demo data is not loaded again"
            " (delete ./var to start afresh)"
        )
    else:
        _load_demo_population(uow, policy, persons, p.settings.ingest_chunk_rows)
        made = seed_listings(
            p.uow_at,
            policy,
            today=date.today(),  # noqa: DTZ011 - demo history is dated relative to the local day
        )
        console.print(
            "listed: " + ", ".join(f"{n} {code}" for code, n in made.items()), highlight=False
        )
        number, name = demo_person(p.uow_at, policy)
        login = Path("var/demo-person.json")
        login.parent.mkdir(parents=True, exist_ok=True)
        login.write_text(
            json.dumps(
                {"number": number, "name": name, "password": DEMO_PASSWORD}, ensure_ascii=False
            ),
            encoding="utf-8",
        )
        login.chmod(0o600)
        console.print(
            f"a demo person on the court's list has an account; the login is in {login}"
            " (POST /api/v1/sessions with number and password)"
        )
    staff_key = keys.create_api_key(
        uow(),
        label="demo credit centre",
        scopes=ROLE_SCOPES[Role.CREDIT_CENTRE],
        department=None,
        actor=context.CLI_ACTOR,
    )
    first = policy.departments[0].code
    dept_key = keys.create_api_key(
        uow(),
        label=f"demo {first}",
        scopes=ROLE_SCOPES[Role.SOURCE_DEPARTMENT],
        department=first,
        actor=context.CLI_ACTOR,
    )
    # An airline-side department checks before it sells a ticket (any department may check).
    checking = next(
        (d.code for d in policy.departments if d.kind == "transport"), policy.departments[1].code
    )
    check_key = keys.create_api_key(
        uow(),
        label=f"demo checks {checking}",
        scopes=ROLE_SCOPES[Role.IMPLEMENTING_DEPARTMENT],
        department=checking,
        actor=context.CLI_ACTOR,
    )
    agency = next((d.code for d in policy.departments if d.kind == "credit_agency"), None)
    agency_key = (
        keys.create_api_key(
            uow(),
            label=f"demo {agency}",
            scopes=ROLE_SCOPES[Role.CREDIT_AGENCY],
            department=agency,
            actor=context.CLI_ACTOR,
        )
        if agency
        else None
    )
    console.print(f"[bold]credit-centre key[/] (all scopes): {staff_key}", highlight=False)
    console.print(f"[bold]source-department key[/] ({first}): {dept_key}", highlight=False)
    console.print(
        f"[bold]implementing-department key[/] ({checking}, checks): {check_key}",
        highlight=False,
    )
    if agency_key:
        console.print(
            f"[bold]credit-agency key[/] ({agency}, with authorisation): {agency_key}",
            highlight=False,
        )
    if serve_after:
        console.print(
            f"serving http://{host}:{port} — interactive docs at http://{host}:{port}/docs"
        )
        serve_app(host, port, workers=1)


def _load_demo_population(
    uow: Callable[[], UnitOfWork], policy: Policy, persons: int, chunk_rows: int
) -> None:
    out = Path("var/demo") / f"persons-{persons}"
    summary = _synthesise(policy, persons, out, 2016, "csv", False)
    console.print(
        f"{summary.persons} persons, {summary.records} records"
        f" in {len(summary.files)} department files"
    )
    totals = {"accepted": 0, "unchanged": 0, "rejected": 0, "held": 0}
    for file in sorted(summary.files):  # name order: synthetic conflicts follow the true rows
        digest, lines = fingerprint(file)
        result = ingest_file(
            uow(),
            policy,
            file,
            department=file.stem,
            fmt=BatchFormat.CSV,
            encoding="utf-8-sig",
            sha256=digest,
            total_lines=lines,
            chunk_rows=chunk_rows,
        )
        totals["accepted"] += result.accepted
        totals["unchanged"] += result.unchanged
        totals["rejected"] += result.rejected
        totals["held"] += result.held_for_review
    console.print(
        f"ingested: {totals['accepted']} accepted, {totals['unchanged']} unchanged,"
        f" {totals['rejected']} rejected, {totals['held']} held for identity review"
    )
