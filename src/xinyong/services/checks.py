"""Checks: which measures apply to this subject for this matter, answered from the listing index.

The index follows the ordered change log: before every answer the checker reads the log's newest
sequence number and, if anything committed since it last looked, applies those changes first. So
the first check after a listing, exit or objection commits sees it. Every answer is logged as a
query on the subject's file (who, when, for what, on what authority, what was returned).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.errors import Conflict, Invalid, NotFound
from xinyong.domain.identifiers import (
    InvalidIdentifier,
    is_credit_code,
    normalise,
    parse_citizen_id,
)
from xinyong.domain.index import (
    Hit,
    ListingIndex,
    Triggers,
    is_organisation_key,
    organisation_key,
    person_key,
)
from xinyong.domain.policy import Policy
from xinyong.services.ports import Feedback, IndexSource, QueryEntry, UnitOfWork, business_date

log = logging.getLogger(__name__)


def subject_keys(raw: str) -> tuple[str, list[int]]:
    """Normalise a number and return its index keys, or raise Invalid saying why (never echoing it).

    A number that is both a well-formed citizen ID number and a well-formed credit code (rare,
    all digits) is looked up as both.
    """
    number = normalise(raw)
    keys: list[int] = []
    person = person_key(number)
    if person is not None:
        keys.append(person)
    if is_credit_code(number):
        keys.append(organisation_key(number))
    if not keys:
        try:
            parse_citizen_id(number)
        except InvalidIdentifier as exc:
            raise Invalid(
                f"subject: not a citizen ID number or credit code: {exc.reason}"
            ) from None
    return number, keys


@dataclass(frozen=True, slots=True)
class Answer:
    """What a check returned."""

    number: str
    matter: str
    day: date
    hits: list[Hit]
    key: int = 0  # the number's (first) index key, under which the query is logged

    def summary(self) -> str:
        """What was returned, for the query log: measure@entry pairs, or 'none'."""
        if not self.hits:
            return "none"
        return ";".join(f"{h.measure.code}@{h.posting.entry_id}" for h in self.hits)


class Checker:
    """The listing index, kept current by following the change log, and the checks it answers."""

    def __init__(
        self,
        policy: Policy,
        source: IndexSource,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.policy = policy
        self.source = source
        self.clock = clock
        self.index = ListingIndex(policy.list_types)
        self.triggers = Triggers(policy.registry)
        self._lock = threading.Lock()

    def load(self) -> None:
        """Build the index from scratch (at start-up): every entry in force today or later."""
        with self._lock:
            seq = self.source.latest_seq()  # read first: anything after it is replayed by sync
            _, postings = self.source.postings(None, today=business_date(self.clock()))
            self.index.build(postings, seq=seq)

    def sync(self, latest: int | None = None) -> int:
        """Apply every change committed since the last look; return how many were applied.

        `latest` is the log's newest sequence number when the caller has just read it.
        """
        if latest is None:
            latest = self.source.latest_seq()
        if latest <= self.index.seq:
            return 0
        with self._lock:
            changes = self.source.changes_after(self.index.seq)
            if not changes:
                return 0
            subjects = {subject for _, subject in changes if subject is not None}
            keys, postings = self.source.postings(subjects, today=business_date(self.clock()))
            self.index.replace(keys, postings)
            self.index.seq = changes[-1][0]
            return len(changes)

    def require_matter(self, matter: str) -> None:
        if not self.triggers.knows(matter):
            known = ", ".join(sorted(self.policy.registry.matters))
            raise NotFound(f"matter: no matter {matter}; matters are {known}")

    def answer(self, raw_number: str, matter: str, *, day: date | None = None) -> Answer:
        """The measures that apply today (or on `day`). Call `sync()` first to be current."""
        self.require_matter(matter)
        number, keys = subject_keys(raw_number)
        on = day or business_date(self.clock())
        postings = [p for key in keys for p in self.index.postings(key)]
        hits = self.triggers.hits(postings, matter, on)
        return Answer(number, matter, on, self.confirm(number, hits), keys[0])

    def confirm(self, number: str, hits: list[Hit]) -> list[Hit]:
        """Drop organisation hits whose key is shared with another code (hash keys only)."""
        suspect = {h.posting.subject_id for h in hits if is_organisation_key(h.posting.key)}
        if not suspect:
            return hits
        numbers = self.source.numbers_of(suspect)
        return [
            h
            for h in hits
            if not is_organisation_key(h.posting.key) or numbers.get(h.posting.subject_id) == number
        ]

    def query_entry(
        self, answer: Answer, *, kind: str, department: str | None, actor: str
    ) -> QueryEntry:
        return QueryEntry(
            at=self.clock(),
            subject_key=answer.key,
            kind=kind,
            department=department,
            actor=actor,
            purpose=answer.matter,
            authority=f"measure registry check: {answer.matter}",
            returned=answer.summary(),
        )


def run_check(
    uow: UnitOfWork,
    checker: Checker,
    raw_number: str,
    matter: str,
    *,
    department: str | None,
    actor: str,
) -> tuple[int, Answer]:
    """Answer one check and log it on the subject's file before returning (one transaction)."""
    checker.sync()
    answer = checker.answer(raw_number, matter)
    entry = checker.query_entry(answer, kind="check", department=department, actor=actor)
    with uow:
        (query_id,) = uow.queries.add_many([entry])
        uow.commit()
    return query_id, answer


def give_feedback(
    uow: UnitOfWork,
    query_id: int,
    *,
    measure: str,
    applied: bool,
    reason: str | None,
    department: str | None,
    actor: str,
) -> Feedback:
    """Record what the department did with a check's measure (applied or not, and why)."""
    if not applied and not (reason and reason.strip()):
        raise Invalid("reason: say why a measure that applies was not applied")
    with uow:
        query = uow.queries.get(query_id)
        if query.kind != "check" or (department is not None and query.department != department):
            raise NotFound(f"check {query_id} does not exist")
        # "none" is how the log writes an empty answer (Answer.summary), not a measure.
        pairs = query.returned.split(";") if query.returned != "none" else []
        returned = {pair.split("@")[0] for pair in pairs}
        if measure not in returned:
            raise Invalid(f"measure: check {query_id} did not return {measure}")
        if any(f.measure == measure for f in uow.queries.feedback_of(query_id)):
            raise Conflict(f"feedback on {measure} for check {query_id} was already given")
        feedback = Feedback(query_id, measure, applied, reason, actor, uow.now())
        uow.queries.add_feedback(feedback)
        uow.audit.add(
            AuditEvent(
                EventTag.CHECK_FEEDBACK,
                actor,
                "check",
                str(query_id),
                feedback.at,
                reason=reason,
                data={"measure": measure, "applied": applied},
            )
        )
        uow.commit()
    return feedback


# -- the group-committed query log of the HTTP check path ----------------------------------------


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


# -- batch screening ---------------------------------------------------------------------------


#: One screened row, as the output file's columns: row, number, status ("listed", "clear" or
#: "invalid"), measures, entries, reason. A plain tuple: a million of them are made per run.
ScreenResult = tuple[int, str, str, str, str, str]
SCREEN_COLUMNS = ("row", "number", "status", "measures", "entries", "reason")


#: Writes and commits a screening's query-log entries: the fields they share (`template`), and
#: each screened number's (key, what was returned).
ScreeningSink = Callable[[QueryEntry, Sequence[tuple[int, str]]], None]


@dataclass(slots=True)
class ScreenSummary:
    screened: int = 0
    listed: int = 0
    invalid: int = 0
    logged: int = 0
    seconds_lookup: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


class _ChunkWriter:
    """Writes one chunk's query log while the caller screens the next (one write at a time)."""

    def __init__(self, sink: ScreeningSink, template: QueryEntry, summary: ScreenSummary) -> None:
        self.sink = sink
        self.template = template
        self.summary = summary
        # A sink that releases the GIL while it writes (PostgreSQL's COPY) runs beside the
        # screening; one that does not (SQLite's executemany) runs in line.
        self.concurrent = bool(getattr(sink, "concurrent", False))
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="screening-log")
        self.pending: tuple[Future[None], list[ScreenResult], int] | None = None

    def _start(self, logged: list[tuple[int, str]]) -> Future[None]:
        if self.concurrent:
            return self.pool.submit(self.sink, self.template, logged)
        self.sink(self.template, logged)
        return _done()

    def hand_over(
        self, results: list[ScreenResult], logged: list[tuple[int, str]]
    ) -> Iterator[ScreenResult]:
        """Start writing this chunk's log; release the previous chunk once its log committed."""
        started = self._start(logged) if logged else None
        yield from self._release()
        if started is not None or results:
            self.pending = (started or _done(), results, len(logged))

    def finish(self) -> Iterator[ScreenResult]:
        yield from self._release()

    def close(self) -> None:
        """Wait for a write in flight (what was screened stays logged) and stop the thread."""
        self.pool.shutdown(wait=True)

    def _release(self) -> Iterator[ScreenResult]:
        if self.pending is None:
            return
        future, results, count = self.pending
        self.pending = None
        future.result()  # a failed write raises here: its answers never leave
        self.summary.logged += count
        self.summary.screened += len(results)
        yield from results


def _done() -> Future[None]:
    future: Future[None] = Future()
    future.set_result(None)
    return future


def screen(
    checker: Checker,
    rows: Iterable[tuple[int, str]],
    matter: str,
    *,
    department: str,
    actor: str,
    screening_id: int,
    sink: ScreeningSink,
    chunk: int = 50_000,
    summary: ScreenSummary | None = None,
) -> Iterator[ScreenResult]:
    """Screen numbers against the index for one matter; log every valid one, a chunk at a time.

    Results are yielded in input order. Each chunk's query-log entries are written (and committed
    by `sink`) before that chunk's results are yielded, so no answer leaves without its log entry.
    """
    checker.require_matter(matter)
    checker.sync()
    out = summary if summary is not None else ScreenSummary()
    day = business_date(checker.clock())
    template = QueryEntry(
        at=checker.clock(),
        subject_key=0,
        kind="screening",
        department=department,
        actor=actor,
        purpose=matter,
        authority=f"measure registry screening: {matter}",
        returned="",
        screening_id=screening_id,
    )
    hits_for = checker.triggers.hits
    index_postings = checker.index.finder()
    # Without organisations on any list, a number that is a valid citizen ID number needs no
    # second lookup as a credit code (the rare all-digit government codes).
    orgs = checker.index.holds_organisations()
    results: list[ScreenResult] = []
    logged: list[tuple[int, str]] = []
    writer = _ChunkWriter(sink, template, out)
    try:
        for row, raw in rows:
            number = raw.strip()
            key = person_key(number) if len(number) == 18 and number.isascii() else None
            if key is not None and not orgs:
                found = index_postings(key)
            else:
                try:
                    number, keys = subject_keys(raw)
                except Invalid as exc:
                    out.invalid += 1
                    results.append((row, "", "invalid", "", "", str(exc)))
                    continue
                key = keys[0]
                found = tuple(p for k in keys for p in index_postings(k))
            hits = checker.confirm(number, hits_for(found, matter, day)) if found else None
            if hits:
                out.listed += 1
                logged.append(
                    (key, ";".join(f"{h.measure.code}@{h.posting.entry_id}" for h in hits))
                )
                results.append(
                    (
                        row,
                        number,
                        "listed",
                        " ".join(sorted({h.measure.code for h in hits})),
                        " ".join(sorted({str(h.posting.entry_id) for h in hits})),
                        "",
                    )
                )
            else:
                logged.append((key, "none"))
                results.append((row, number, "clear", "", "", ""))
            if len(results) >= chunk:
                # The chunk's log is written on a second thread while the next chunk is screened;
                # its results leave only once that write has committed.
                yield from writer.hand_over(results, logged)
                results, logged = [], []
        yield from writer.hand_over(results, logged)
        yield from writer.finish()
    finally:
        writer.close()
