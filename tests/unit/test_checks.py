"""The change-log reader that serves a burst of requests with one read."""

from __future__ import annotations

import asyncio

import pytest

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
    outcomes = iter([RuntimeError("database gone"), 42])

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
