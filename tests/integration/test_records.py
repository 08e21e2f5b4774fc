"""One record at a time on a real database: accepted once, refused whole, revoked for good."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from tests.factories import penalty_row
from xinyong.db.records import CreditRecordRow
from xinyong.db.subjects import SubjectRow
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.errors import RowRejected
from xinyong.domain.policy import Policy
from xinyong.domain.records import Outcome, RecordStatus
from xinyong.services.records import revoke_record, submit_record

UowFactory = Callable[[], SqlUnitOfWork]


def _count(make_uow: UowFactory, table: type) -> int:
    uow = make_uow()
    with uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_single_submission_is_accepted_then_unchanged(seeded: UowFactory, policy: Policy) -> None:
    row = penalty_row()
    first = submit_record(seeded(), policy, row, department="BJ-AMR", actor="t")
    second = submit_record(seeded(), policy, row, department="BJ-AMR", actor="t")
    assert first.outcome is Outcome.ACCEPTED
    assert second.outcome is Outcome.UNCHANGED
    assert first.record.id == second.record.id
    assert first.record.display_ends is not None


def test_a_refused_single_submission_writes_nothing(seeded: UowFactory, policy: Policy) -> None:
    with pytest.raises(RowRejected) as caught:
        submit_record(
            seeded(), policy, penalty_row(religion="佛教"), department="BJ-AMR", actor="t"
        )
    assert caught.value.problems[0].field == "religion"
    assert _count(seeded, CreditRecordRow) == 0
    assert _count(seeded, SubjectRow) == 0


def test_a_revoked_record_stays_revoked_when_resent(seeded: UowFactory, policy: Policy) -> None:
    row = penalty_row(fine_amount="300")
    stored = submit_record(seeded(), policy, row, department="BJ-AMR", actor="t")
    revoke_record(
        seeded(), stored.record.id, department="BJ-AMR", reason="复议撤销原处罚决定", actor="t"
    )
    again = submit_record(
        seeded(), policy, {**row, "fine_amount": "400"}, department="BJ-AMR", actor="t"
    )
    assert again.outcome is Outcome.UPDATED
    assert again.record.status is RecordStatus.REVOKED
