"""Checks: the change-log reader that serves a burst of requests with one read, and feedback on
a check over the fakes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fakes import FakeUnitOfWork
from xinyong.domain.audit import EventTag
from xinyong.domain.checks import Feedback
from xinyong.domain.errors import Conflict, Invalid, NotFound
from xinyong.domain.querylog import (
    NOTHING,
    Delivered,
    ItemKind,
    QueryEntry,
    QueryKind,
    encode_returned,
)
from xinyong.services.checks import give_feedback
from xinyong.web.deps import SeqReader


def test_requests_of_one_turn_share_a_read_that_starts_after_they_arrived() -> None:
    seq = iter(range(10, 100))
    reads: list[int] = []

    def read() -> int:
        reads.append(1)
        return next(seq)

    async def scenario() -> list[int]:
        reader = SeqReader(read)
        burst = [reader.latest() for _ in range(5)]
        assert not reads  # nothing is read before the requests have all arrived
        first = await asyncio.gather(*burst)
        later = await reader.latest()  # arrived after the first read: a read of its own
        return [*first, later]

    assert asyncio.run(scenario()) == [10, 10, 10, 10, 10, 11]
    assert len(reads) == 2


def test_a_cancelled_request_cancels_no_one_else_and_a_failed_read_fails_all() -> None:
    outcomes: Iterator[int | Exception] = iter([RuntimeError("database gone"), 42])

    def read() -> int:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def scenario() -> None:
        reader = SeqReader(read)
        failing = [reader.latest(), reader.latest()]
        for future in failing:
            with pytest.raises(RuntimeError, match="database gone"):
                await future
        gone, waiting = reader.latest(), reader.latest()
        gone.cancel()
        assert await waiting == 42

    asyncio.run(scenario())


# Feedback on a check, over the fakes: what the department did with each measure, once


def _checked(
    uow: FakeUnitOfWork,
    *,
    returned: str = encode_returned([Delivered(ItemKind.ENTRY, 7, "M-COURT-FLIGHT")]),
    kind: QueryKind = QueryKind.CHECK,
    department: str | None = "BJ-CAAC-NC",
) -> int:
    """The query-log entry a check leaves (what `run_check` stores before it answers)."""
    entry = QueryEntry(
        uow.now(), 42, kind, department, "counter-7", "flight", "registry check", returned
    )
    with uow:
        (query_id,) = uow.queries.add_many([entry])
        uow.commit()
    return query_id


def _feedback(uow: FakeUnitOfWork, query_id: int, **kw: Any) -> Feedback:
    args: dict[str, Any] = {
        "measure": "M-COURT-FLIGHT",
        "applied": True,
        "reason": None,
        "department": "BJ-CAAC-NC",
        "actor": "counter-7",
    }
    args.update(kw)
    return give_feedback(uow, query_id, **args)


def test_feedback_on_a_measure_the_check_returned_is_kept_and_audited(
    uow: FakeUnitOfWork,
) -> None:
    query_id = _checked(uow)
    given = _feedback(uow, query_id, applied=False, reason="旅客已出示解除限制决定书")
    assert uow.committed.feedback == [given]
    assert (given.applied, given.reason, given.at) == (False, "旅客已出示解除限制决定书", uow.now())
    [event] = [e for e in uow.committed.audit if e.tag is EventTag.CHECK_FEEDBACK]
    assert (event.entity_id, event.data) == (
        str(query_id),
        {"measure": "M-COURT-FLIGHT", "applied": False},
    )


def test_feedback_twice_on_one_measure_is_a_conflict_and_nothing_is_committed(
    uow: FakeUnitOfWork,
) -> None:
    query_id = _checked(uow)
    _feedback(uow, query_id)
    before = uow.snapshot()
    with pytest.raises(Conflict):
        _feedback(uow, query_id, applied=False, reason="改变主意")
    assert uow.committed == before


def test_feedback_names_a_measure_the_check_returned_and_why_one_was_not_applied(
    uow: FakeUnitOfWork,
) -> None:
    query_id = _checked(uow)
    nothing = _checked(uow, returned=NOTHING)
    before = uow.snapshot()
    for reason in (None, "   "):
        with pytest.raises(Invalid, match="reason"):
            _feedback(uow, query_id, applied=False, reason=reason)
    with pytest.raises(Invalid, match="did not return"):
        _feedback(uow, query_id, measure="M-COURT-STAR-HOTEL")
    with pytest.raises(Invalid, match="did not return"):
        _feedback(uow, nothing)
    assert uow.committed == before


def test_feedback_on_another_departments_check_or_on_what_is_no_check_is_not_found(
    uow: FakeUnitOfWork,
) -> None:
    query_id = _checked(uow)
    agency = _checked(uow, kind=QueryKind.AGENCY, department="AGENCY-BAIHANG")
    before = uow.snapshot()
    with pytest.raises(NotFound):
        _feedback(uow, query_id, department="BJ-RAIL")
    with pytest.raises(NotFound):
        _feedback(uow, agency, department=None)
    with pytest.raises(NotFound):
        _feedback(uow, agency + 100)
    # Another department's check is a refusal for want of a mandate, audited; nothing else
    # changed.
    [refused] = uow.committed.audit[len(before.audit) :]
    assert (refused.tag, refused.entity_id) == (EventTag.MANDATE_REFUSED, "check:feedback")
    assert refused.data == {"department": "BJ-RAIL"}
    uow.committed.audit = before.audit
    assert uow.committed == before
    assert _feedback(uow, query_id, department=None).measure == "M-COURT-FLIGHT"  # staff
