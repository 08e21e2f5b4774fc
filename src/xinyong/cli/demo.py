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
    from xinyong.synth.demo import DemoKeys
    from xinyong.synth.population import SynthSummary
    from xinyong.synth.staff import DemoStaff

#: Where the demo writes its population's files, and its demo person's login.
DEMO_FILES = Path("var/demo")
DEMO_LOGIN = Path("var/demo-person.json")
#: The demo's console users (password and TOTP secret: demo only, never for real staff).
DEMO_STAFF = Path("var/demo-staff.json")


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
    out: Annotated[
        Path,
        typer.Option("--output", "-o", "--out", file_okay=False, help="Folder for the batch files"),
    ] = Path("var/synth"),
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
    """Migrate, synthesise a population, ingest it, print demo keys with an example each, serve.

    The demo person authorises the demo credit agency to read their report; the example
    requests' bodies (they carry the person's number) are files under var/demo/requests/.
    """
    from xinyong.db.migrate import upgrade
    from xinyong.services import departments, records
    from xinyong.synth import demo as demo_data
    from xinyong.synth import staff as demo_staff

    settings = context.settings()
    if settings.keys is None and not settings.key_file.exists():
        from xinyong.cli.keys import write_key_file
        from xinyong.domain.vault import new_material

        write_key_file(settings.key_file, new_material())
        console.print(f"[bold]keys[/] {settings.key_file} written for the demo")
    p = context.platform(settings)
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
        published = demo_data.publish_decided(
            p.uow_at,
            policy,
            today=date.today(),  # noqa: DTZ011 - as above
        )
        console.print(f"published: {published} entries of the published lists", highlight=False)
        console.print(
            f"a demo person on the court's list has an account; the login is in {DEMO_LOGIN}"
        )
    source_file = _source_file(persons)
    keys = demo_data.create_demo_keys(
        p.uow, policy, actor=context.CLI_ACTOR, source=source_file.stem if source_file else None
    )
    login = _login()
    checking = keys.implementing[0]
    requests: dict[str, Path] = {}
    if login is not None:
        with context.domain_errors():
            if keys.agency:
                demo_data.authorise_agency(p.uow_at, policy, login["number"], keys.agency[0])
        requests = demo_data.write_requests(
            DEMO_REQUESTS,
            number=login["number"],
            password=login["password"],
            matter=_matter_of(policy, checking),
        )
    base = f"http://{host}:{port}"
    with context.domain_errors():
        users = demo_staff.create_demo_staff(
            p.uow,
            policy,
            DEMO_STAFF,
            source=keys.source[0],
            implementing=checking,
            actor=context.CLI_ACTOR,
        )
    for title, lines in _examples(base, keys, source_file, requests):
        console.print(title, highlight=False, soft_wrap=True)  # the key beside its label
        for line in lines:
            # One line each, never wrapped by the console: copied, it runs as printed.
            console.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)
    for line in _consoles(base, users):
        console.print(line, highlight=False, soft_wrap=True)
    if serve_after:
        console.print(f"serving {base} — interactive docs at {base}/docs")
        serve_app(host, port, workers=1)


#: The bodies of the demo's example requests: they carry the demo person's number.
DEMO_REQUESTS = DEMO_FILES / "requests"
CURL = "curl -sS --fail-with-body"


def _examples(
    base: str, keys: DemoKeys, source_file: Path | None, requests: dict[str, Path]
) -> list[tuple[str, list[str]]]:
    """Each demo key with one command that works as printed (docs/quickstart.md), and the
    demo person's login."""
    json_body = "-H 'Content-Type: application/json'"

    def bearer(key: str) -> str:
        return f"-H 'Authorization: Bearer {key}'"

    source, source_key = keys.source
    send = (
        f"{CURL} -X POST {base}/api/v1/records/batch {bearer(source_key)}"
        f" -H 'Content-Type: text/csv' --data-binary @{source_file}"
        if source_file
        else f"{CURL} '{base}/api/v1/deadlines' {bearer(source_key)}"
    )
    checking, check_key = keys.implementing
    out = [
        (
            f"[bold]credit-centre key[/] (all scopes): {keys.credit_centre}",
            [f"{CURL} {base}/api/v1/identity-reviews {bearer(keys.credit_centre)}"],
        ),
        (f"[bold]source-department key[/] ({source}): {source_key}", [send]),
    ]
    missing = f"# {DEMO_LOGIN} is missing: delete ./var and run the demo again"
    check = (
        f"{CURL} -X POST {base}/api/v1/checks {bearer(check_key)} {json_body}"
        f" -d @{requests['check']}"
        if requests
        else missing
    )
    out.append((f"[bold]implementing-department key[/] ({checking}, checks): {check_key}", [check]))
    if keys.agency:
        agency, agency_key = keys.agency
        query = (
            f"{CURL} -X POST {base}/api/v1/agency/queries {bearer(agency_key)} {json_body}"
            f" -d @{requests['agency-query']}"
            if requests
            else missing
        )
        out.append(
            (
                f"[bold]credit-agency key[/] ({agency}, under the demo person's authorisation):"
                f" {agency_key}",
                [query],
            )
        )
    login = (
        [
            f"TOKEN=$({CURL} -X POST {base}/api/v1/sessions {json_body}"
            f" -d @{requests['session']}"
            " | python3 -c \"import json,sys; print(json.load(sys.stdin)['token'])\")",
            f"{CURL} '{base}/api/v1/me/report?format=pdf' -H \"Authorization: Bearer $TOKEN\""
            " -o report.pdf",
        ]
        if requests
        else [missing]
    )
    out.append((f"[bold]the demo person[/] (login in {DEMO_LOGIN}):", login))
    return out


def _consoles(base: str, users: list[DemoStaff]) -> list[str]:
    """How each demo console user logs in: the page, username, password and TOTP secret (printed
    for the demo only: real staff enrol an authenticator at their first login), and a command
    that prints the current code from a secret."""
    lines = [
        f"[bold]the consoles[/] at {base}/console/login: a password, then the code"
        f" (demo only; kept in {DEMO_STAFF}):"
    ]
    for user in users:
        lines.append(
            f"· {user.username} ({user.role}, {user.department or 'credit centre'}):"
            f" password {user.password}  TOTP secret {user.totp_secret}"
        )
    lines.append(
        "· the current code of a secret: .venv/bin/python -c"
        ' "import pyotp, sys; print(pyotp.TOTP(sys.argv[1]).now())" SECRET'
    )
    return lines


def _source_file(persons: int) -> Path | None:
    """A department's file of the demo population, to send again (this size's, else any)."""
    found = sorted((DEMO_FILES / f"persons-{persons}").glob("*.csv")) or sorted(
        DEMO_FILES.glob("persons-*/*.csv")
    )
    return found[0] if found else None


def _login() -> dict[str, str] | None:
    if not DEMO_LOGIN.exists():
        return None
    found: dict[str, str] = json.loads(DEMO_LOGIN.read_text(encoding="utf-8"))
    return found


def _matter_of(policy: Policy, department: str) -> str:
    """A matter the department checks for: flight when it may, the demo person's ban."""
    found = policy.department(department)
    matters = sorted(found.matters) if found else []
    return "flight" if "flight" in matters or not matters else matters[0]


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
        chunk_rows=p.settings.chunk_rows(),
        actor=context.CLI_ACTOR,
        progress=rows_progress,
    )
    console.print(
        f"ingested: {totals.accepted} accepted, {totals.unchanged} unchanged,"
        f" {totals.rejected} rejected, {totals.held} held for identity review"
    )
