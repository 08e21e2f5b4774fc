"""Fixtures of the functional tests: an app on the per-test database with the fixed clock, API
keys of each kind of caller, and a database for the command line."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.factories import citizen_id, debtor_row
from tests.functional.helpers import AGENCY, AIRLINE, DEPARTMENT, Headers, auth, run
from xinyong import bootstrap
from xinyong.bootstrap import Platform
from xinyong.config import Settings
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.access import PERSON_SCOPES, ROLE_SCOPES, Role, Scope
from xinyong.domain.agencies import AGENCY_KIND
from xinyong.domain.policy import Policy
from xinyong.services import agencies, keys
from xinyong.web.app import create_app

UowFactory = Callable[[], SqlUnitOfWork]
KeyFor = Callable[..., str]
ClientFactory = Callable[..., TestClient]


def settings_for(database_url: str, **overrides: object) -> Settings:
    """Explicit settings for the tests: never the developer's `.env`."""
    overrides.setdefault("pdf_processes", 0)  # print in the test's process unless asked
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        environment="test",
        **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture
def make_client(
    database_url: str, engine: Engine, clock: Callable[[], datetime], seeded: UowFactory
) -> Iterator[ClientFactory]:
    """Build clients on the seeded per-test database; pass Settings overrides as keywords.

    Each app is built through the composition root on the test's database (the tables the
    `make_uow` fixture empties) with the fixed clock.
    """
    platforms: list[Platform] = []
    clients: list[TestClient] = []

    def make(**overrides: object) -> TestClient:
        platform = bootstrap.build(settings_for(database_url, **overrides), clock=clock)
        platforms.append(platform)
        # A crash is a 500, as in production.
        client = TestClient(create_app(platform=platform), raise_server_exceptions=False)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
    for platform in platforms:
        platform.close()


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    return make_client()


@pytest.fixture
def key_for(seeded: UowFactory) -> KeyFor:
    """Return a bearer token holding `scopes`, bound to `department` (None: credit-centre staff).
    An agency's key is issued to `staff` (a staff number registered already), or else to a staff
    member registered for it here: an agency's key always is a staff member's."""
    registered = itertools.count(1)

    def make(
        scopes: Iterable[Scope | str], department: str | None = None, staff: str | None = None
    ) -> str:
        with seeded() as uow:
            party = uow.departments.get(department) if department else None
        if staff is None and party is not None and party.kind == AGENCY_KIND:
            staff = f"T-{next(registered):03d}"
            agencies.register_staff(seeded(), party.code, number=staff, name="测试员", actor="t")
        return keys.create_api_key(
            seeded(),
            label=f"test {department or 'staff'}",
            scopes=[Scope(s) for s in scopes],
            department=department,
            actor="test",
            staff=staff,
        )

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# Keys of each kind of caller, as request headers


@pytest.fixture
def every_scope(key_for: KeyFor) -> Headers:
    """Headers of a credit-centre key: every scope, no department."""
    return auth(key_for([s for s in Scope if s not in PERSON_SCOPES]))


@pytest.fixture
def writer(key_for: KeyFor) -> Headers:
    """Headers of a key of BJ-AMR that submits and reads records."""
    return auth(key_for([Scope.RECORDS_WRITE, Scope.RECORDS_READ], DEPARTMENT))


@pytest.fixture
def other_department(policy: Policy) -> str:
    """A registered department that is not BJ-AMR, whatever the policy file currently lists."""
    return next(d.code for d in policy.departments if d.code != DEPARTMENT)


@pytest.fixture
def staff(key_for: KeyFor) -> Headers:
    """Headers of a key with the credit centre's scopes."""
    return auth(key_for(ROLE_SCOPES[Role.CREDIT_CENTRE]))


@pytest.fixture
def amr(key_for: KeyFor) -> Headers:
    """A source department (market regulation) that proposes and runs listings."""
    return auth(key_for(ROLE_SCOPES[Role.SOURCE_DEPARTMENT], "BJ-AMR"))


@pytest.fixture
def court(key_for: KeyFor) -> Headers:
    return auth(key_for(ROLE_SCOPES[Role.SOURCE_DEPARTMENT], "BJ-HCOURT"))


@pytest.fixture
def airline(key_for: KeyFor) -> Headers:
    """An implementing department that checks before it sells a ticket."""
    return auth(key_for(ROLE_SCOPES[Role.IMPLEMENTING_DEPARTMENT], AIRLINE))


@pytest.fixture
def tax(key_for: KeyFor) -> Headers:
    """The tax bureau, which decides its own list of major tax violations."""
    return auth(key_for(ROLE_SCOPES[Role.SOURCE_DEPARTMENT], "BJ-TAX"))


@pytest.fixture
def recruiter(key_for: KeyFor) -> Headers:
    """The human-resources bureau, which checks before civil-service recruitment."""
    return auth(key_for(ROLE_SCOPES[Role.IMPLEMENTING_DEPARTMENT], "BJ-HRSS"))


@pytest.fixture
def permits(key_for: KeyFor) -> Headers:
    """Market regulation's licensing desk, which checks before it grants a permit."""
    return auth(key_for(ROLE_SCOPES[Role.IMPLEMENTING_DEPARTMENT], "BJ-AMR"))


@pytest.fixture
def agency(key_for: KeyFor) -> Headers:
    return auth(key_for(ROLE_SCOPES[Role.CREDIT_AGENCY], AGENCY))


# The command line, through Typer's runner on a temporary SQLite file


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the CLI at an empty SQLite file and work in a temporary folder.

    The console is 80 columns wide, as when the output is piped or read in CI, whatever the
    terminal the tests run in.
    """
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("XINYONG_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.chdir(tmp_path)
    return url


@pytest.fixture
def migrated(database: str) -> str:
    """A migrated database with the policy's departments registered, through the CLI itself."""
    assert run("db", "upgrade").exit_code == 0
    assert run("departments", "sync").exit_code == 0
    return database


@pytest.fixture
def debtor(migrated: str, tmp_path: Path) -> str:
    """A person with a court's dishonest-debtor record, ingested through the CLI."""
    number = citizen_id(born=date(1972, 2, 2))
    path = tmp_path / "court.csv"
    row = debtor_row(subject_id=number, decision_date=date.today().isoformat())  # noqa: DTZ011
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    result = run("ingest", str(path), "--department", "BJ-HCOURT", "--json")
    assert result.exit_code == 0, result.output
    return number
