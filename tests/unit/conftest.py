"""Fixtures of the unit tests: a unit of work in memory, its clock on a fixed day."""

from __future__ import annotations

from datetime import date

import pytest

from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import on
from xinyong.domain.policy import Policy
from xinyong.services.departments import sync_departments

TODAY = date(2026, 11, 20)  # a Friday


@pytest.fixture
def uow(policy: Policy) -> FakeUnitOfWork:
    """An empty platform in memory with the policy's departments registered, at 10:00 on
    20 November 2026 in Beijing (move it with `uow.at = on(day)`)."""
    fake = FakeUnitOfWork(at=on(TODAY))
    sync_departments(fake, policy.departments, actor="test")
    return fake
