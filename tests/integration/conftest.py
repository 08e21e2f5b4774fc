"""Fixtures of the integration tests: the checker on the per-test database, and the exchange's
nodes and NATS servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.conftest import Clock
from tests.exchange_support import (  # noqa: F401 - pytest finds fixtures by name here
    cn,
    gd,
    linked,
    migrated_sqlite,
    nats_cluster,
    nats_server,
)
from xinyong.db.checks import SqlIndexSource
from xinyong.db.engine import make_engine
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.policy import Policy
from xinyong.services.checks import Checker

UowFactory = Callable[[], SqlUnitOfWork]


@pytest.fixture
def checker(
    database_url: str, policy: Policy, clock: Clock, seeded: UowFactory
) -> Iterator[Checker]:
    """A checker reading through its own read engine, loaded on the empty database."""
    reads = make_engine(database_url, reads=True)
    source = SqlIndexSource(reads, policy.list_types)
    checker = Checker(policy, source, clock=clock)
    checker.load()
    yield checker
    source.close()
    reads.dispose()
