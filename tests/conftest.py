"""Shared fixtures: every database test runs on SQLite and, when a URL is given, on PostgreSQL."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, make_url, text

from xinyong.db.base import Base
from xinyong.db.engine import make_engine
from xinyong.db.migrate import upgrade
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain import vault
from xinyong.domain.policy import Policy, load_policy
from xinyong.domain.vault import Vault, new_material
from xinyong.services import departments

#: The tests' own keys, fresh for each run: every platform, command and repository under test
#: seals and keys subjects with them (settings read XINYONG_KEYS; docs/at-rest.md).
TEST_KEYS = json.dumps(new_material())
os.environ["XINYONG_KEYS"] = TEST_KEYS
vault.install(Vault.from_material(json.loads(TEST_KEYS)))

PG_URL = os.environ.get("TEST_POSTGRES_URL") or os.environ.get("XINYONG_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

# Property tests (tests/integration/test_invariant.py, docs/invariant.md): bounded by default, so
# that the suite stays quick on both databases; `XINYONG_HYPOTHESIS_PROFILE=long` runs many more
# and longer sequences, and keeps what it finds in .hypothesis/ to replay it first next time.
_STATEFUL = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile(
    "ci",
    max_examples=12,
    stateful_step_count=25,
    deadline=None,
    database=None,
    # The same examples on every run: the gate is stable, and the long profile explores.
    derandomize=True,
    print_blob=True,
    suppress_health_check=_STATEFUL,
)
settings.register_profile(
    "long",
    max_examples=200,
    stateful_step_count=60,
    deadline=None,
    print_blob=True,
    suppress_health_check=_STATEFUL,
)
settings.load_profile(os.environ.get("XINYONG_HYPOTHESIS_PROFILE", "ci"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if PG_URL:
        return
    skip = pytest.mark.skip(reason="no TEST_POSTGRES_URL given; .ci/run always gives one")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


class Clock:
    """A clock the tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **kwargs: float) -> None:
        self.at += timedelta(**kwargs)


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy()


def _fresh_postgres(base_url: str, suffix: str = "") -> str:
    """Create an empty database for this test session beside the one the URL names."""
    admin_engine = make_engine(base_url, isolation_level="AUTOCOMMIT")
    name = f"xinyong_test_{os.getpid()}{'_' + suffix if suffix else ''}"
    with admin_engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin_engine.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


def _drop_postgres(base_url: str, url: str) -> None:
    admin_engine = make_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin_engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database per backend for the whole session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    assert PG_URL
    url = _fresh_postgres(PG_URL)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    _drop_postgres(PG_URL, url)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def empty_tables(engine: Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        # Rows deleted, referring tables first: a test leaves a few rows, and deleting them costs
        # less than TRUNCATE, which makes every partition's files and indexes anew.
        for table in tables:
            conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - table names from metadata
        if engine.dialect.name == "postgresql":  # ids start again from 1, as on a new database
            conn.execute(
                text(
                    "SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'"
                    " AND c.relnamespace = CAST(current_schema() AS regnamespace)"
                )
            )


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))


@pytest.fixture
def make_uow(engine: Engine, clock: Clock) -> Iterator[Callable[[], SqlUnitOfWork]]:
    """A factory of units of work on an empty database; tables are emptied afterwards."""
    empty_tables(engine)
    yield partial(SqlUnitOfWork, make_session_factory(engine), clock)
    empty_tables(engine)


@pytest.fixture
def seeded(make_uow: Callable[[], SqlUnitOfWork], policy: Policy) -> Callable[[], SqlUnitOfWork]:
    """An empty database with the policy's departments registered."""
    departments.sync_departments(make_uow(), policy.departments, actor="test")
    return make_uow


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path
