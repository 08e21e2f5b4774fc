"""The statistics' SQL (db/statistics.py) gives the same tables as the fakes' Python on the same
history, on SQLite and PostgreSQL: records by month, double publicity, objections on time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.factories import citizen_id, penalty_row
from tests.fakes import FakeUnitOfWork
from xinyong.domain.policy import Policy
from xinyong.services import objections, statistics
from xinyong.services.departments import sync_departments
from xinyong.services.records import submit_record

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _history(uow: Callable[[], Any], policy: Policy) -> None:
    stored = [
        submit_record(
            uow(),
            policy,
            penalty_row(subject_id=citizen_id(), decision_date=day),
            department="BJ-AMR",
            actor="clerk",
        )
        for day in ("2026-06-01", "2026-09-01", "2026-09-20", "2026-11-18")
    ]
    for s in stored[:2]:
        filed = objections.file_objection(
            uow(),
            policy,
            subject_id=s.record.subject_id,
            record_id=s.record.id,
            entry_id=None,
            ground="error_or_omission",
            reasons="记载有误",
            actor="account:1",
        )
        if s is stored[0]:
            objections.decide_objection(
                uow(), policy, filed.id or 0, outcome="correct", reasons="已更正",
                department=None, actor="centre",
            )  # fmt: skip


def test_the_sql_statistics_are_the_fakes(seeded: Callable[[], Any], policy: Policy) -> None:
    _history(seeded, policy)
    fake = FakeUnitOfWork(at=NOW)
    sync_departments(fake, policy.departments, actor="test")
    _history(lambda: fake, policy)
    since = NOW - timedelta(days=366)
    today = (NOW + timedelta(hours=8)).date()
    sql = statistics.all_tables(seeded(), policy, since=since, today=today)
    assert [t.rows for t in sql] == [
        t.rows for t in statistics.all_tables(fake, policy, since=since, today=today)
    ]
    records, publicity, cases, _ = sql
    assert sum(int(r[3]) for r in records.rows) == 4
    assert publicity.rows == (("BJ-AMR", 1, 3),)
    assert cases.rows[0] == ("objection", 1, 0, 0, 1)
