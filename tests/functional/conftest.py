"""Fixtures for the HTTP API: an app on the per-test database with the fixed clock, and API keys."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from xinyong import bootstrap
from xinyong.bootstrap import Platform
from xinyong.config import Settings
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.access import Scope
from xinyong.services import keys
from xinyong.web.app import create_app

UowFactory = Callable[[], SqlUnitOfWork]
KeyFor = Callable[..., str]
ClientFactory = Callable[..., TestClient]


def settings_for(database_url: str, **overrides: object) -> Settings:
    """Explicit settings for the tests: never the developer's `.env`."""
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
    """Return a bearer token holding `scopes`, bound to `department` (None: credit-centre staff)."""

    def make(scopes: Iterable[Scope | str], department: str | None = None) -> str:
        return keys.create_api_key(
            seeded(),
            label=f"test {department or 'staff'}",
            scopes=[Scope(s) for s in scopes],
            department=department,
            actor="test",
        )

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
