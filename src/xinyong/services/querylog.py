"""The query log's writer: many concurrent checks share one commit, and an answer leaves only
after its entry is stored (so every answered check is logged)."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.checks import Feedback
from xinyong.domain.querylog import QueryEntry, QueryLogRules

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork

log = logging.getLogger(__name__)


class QueryLogRepository(Protocol):
    def add_many(self, entries: Sequence[QueryEntry]) -> list[int]:
        """Store entries and return their ids, in order."""
        ...

    def get(self, query_id: int) -> QueryEntry: ...
    def for_key(
        self,
        subject_key: int,
        *,
        limit: int | None = 100,
        since: datetime | None = None,
        offset: int = 0,
    ) -> list[tuple[int, QueryEntry]]:
        """A subject's entries, newest first: at most `limit` (None: all), none before `since`."""
        ...

    def count_for_key(self, subject_key: int, *, since: datetime | None = None) -> int: ...
    def delete_before(self, moment: datetime, *, limit: int) -> tuple[int, int]:
        """Delete up to `limit` entries made before `moment`, with their feedback; return how
        many entries and feedback rows went."""
        ...

    def add_feedback(self, feedback: Feedback) -> None: ...
    def open_screening(self, *, department: str, matter: str, actor: str, at: datetime) -> int: ...
    def close_screening(
        self, screening_id: int, *, screened: int, matched: int, rejected: int
    ) -> None: ...
    def feedback_of(self, query_id: int) -> list[Feedback]: ...
    def count(self, kind: str | None = None) -> int: ...


@dataclass(slots=True)
class _Pending:
    entry: QueryEntry
    done: Callable[[int | None, BaseException | None], None]


class QueryAppender(Protocol):
    """Commits query-log entries and returns their ids, in order; used by one thread."""

    def __call__(self, entries: Sequence[QueryEntry]) -> list[int]: ...

    def close(self) -> None: ...


class QueryLogWriter:
    """Writes query-log entries from many concurrent checks in shared transactions.

    A check's answer is released only after its entry is committed (`done` is called with the
    id), so every answered check is logged; concurrent checks share one commit instead of paying
    one each. One thread writes; `stop()` drains what is queued.
    """

    def __init__(self, append: QueryAppender, *, max_batch: int = 500) -> None:
        self.append = append
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="query-log", daemon=True)
        self._thread.start()

    def submit(
        self, entry: QueryEntry, done: Callable[[int | None, BaseException | None], None]
    ) -> None:
        self._queue.put(_Pending(entry, done))

    def write(self, entry: QueryEntry) -> int:
        """Store `entry` with the next shared commit and return its id once it has committed:
        `submit` for a caller that waits on a thread of its own (a console form, the CLI)."""
        committed: Future[int] = Future()

        def done(query_id: int | None, error: BaseException | None) -> None:
            if error is not None or query_id is None:
                committed.set_exception(error or RuntimeError("the query log gave no id"))
            else:
                committed.set_result(query_id)

        self.submit(entry, done)
        return committed.result()

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        try:
            self._serve()
        finally:
            self.append.close()

    def _serve(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stopping = False
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                batch.append(more)
            self._write(batch)
            if stopping:
                return

    def _write(self, batch: Sequence[_Pending]) -> None:
        try:
            ids = self.append([p.entry for p in batch])
        except Exception as exc:
            log.exception("query log write of %d entries failed", len(batch))
            for pending in batch:
                pending.done(None, exc)
            return
        for pending, query_id in zip(batch, ids, strict=True):
            pending.done(query_id, None)


def delete_past_retention(
    uow: UnitOfWork, rules: QueryLogRules, *, actor: str, chunk: int = 5000
) -> int:
    """Delete the query-log entries (and the feedback given on them) older than the retention
    period, a chunk per transaction, each audited with its counts (never whose entries they
    were). Return how many entries were deleted."""
    deleted = 0
    while True:
        with uow:
            now = uow.now()
            before = rules.kept_since(now)
            queries, feedback = uow.queries.delete_before(before, limit=chunk)
            if queries:
                uow.audit.add(
                    AuditEvent(
                        EventTag.QUERIES_DELETED,
                        actor,
                        "query_log",
                        "retention",
                        now,
                        data={
                            "queries": queries,
                            "feedback": feedback,
                            "before": before.isoformat(),
                            "retention_years": rules.retention_years,
                        },
                    )
                )
                uow.commit()
        deleted += queries
        if queries < chunk:
            return deleted
