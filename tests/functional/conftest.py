"""Fixtures for the HTTP API: an app on the per-test database with the fixed clock, and API keys."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from functools import partial

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from xinyong.config import Settings
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain.access import Scope
from xinyong.services import admin
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

    The app's units of work use the session's engine and the fixed clock, so the tables the
    `make_uow` fixture empties are the ones the app writes to.
    """
    clients: list[TestClient] = []

    def make(**overrides: object) -> TestClient:
        app = create_app(settings_for(database_url, **overrides))
        app.state.engine.dispose()
        app.state.engine = engine
        app.state.uow_factory = partial(SqlUnitOfWork, make_session_factory(engine), clock)
        app.state.clock = clock
        client = TestClient(
            app, raise_server_exceptions=False
        )  # a crash is a 500, as in production
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
        state = client.app.state  # type: ignore[attr-defined]
        writer = getattr(state, "query_writer", None)
        if writer is not None:
            writer.stop()
        state.index_source.close()
        state.read_engine.dispose()


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    return make_client()


@pytest.fixture
def key_for(seeded: UowFactory) -> KeyFor:
    """Return a bearer token holding `scopes`, bound to `department` (None: credit-centre staff)."""

    def make(scopes: Iterable[Scope | str], department: str | None = None) -> str:
        return admin.create_api_key(
            seeded(),
            label=f"test {department or 'staff'}",
            scopes=[Scope(s) for s in scopes],
            department=department,
            actor="test",
        )

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
