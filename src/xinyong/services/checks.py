"""Checks: which measures apply to this subject for this matter, answered from the listing index.

The index follows the ordered change log: before every answer the checker reads the log's newest
sequence number and, if anything committed since it last looked, applies those changes first. So
the first check after a listing, exit or objection commits sees it. Every answer is logged as a
query on the subject's file (who, when, for what, on what authority, what was returned).

`check()` is the one check use case: the HTTP routes (ordinary and fast path), the CLI and the
tests call it; screening (`services/screening.py`) runs the same lookup a number at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Protocol

from xinyong.domain import vault
from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.calendar import business_date
from xinyong.domain.checks import Answer, ChangeKind, Feedback, subject_keys
from xinyong.domain.errors import Conflict, Invalid, NotFound, NotRouted, OutsideMandate
from xinyong.domain.index import Hit, ListingIndex, Posting, Triggers
from xinyong.domain.lists import ListType
from xinyong.domain.policy import Policy
from xinyong.domain.querylog import ItemKind, QueryEntry, QueryKind
from xinyong.services.audit import mandate_refusals_audited, misroutes_audited

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


class ChangeLog(Protocol):
    """The ordered log of changes a check must see (listings, exits, objections, roles)."""

    def append(
        self, kind: ChangeKind, *, subject_id: int | None, entity_id: int | None, at: datetime
    ) -> int:
        """Append a change and return its sequence number; appends are serialised until commit."""
        ...

    def append_many(
        self, kind: ChangeKind, changed: Sequence[tuple[int | None, int | None]], *, at: datetime
    ) -> None:
        """Append one change of `kind` per (subject id, entity id), in order, in one write."""
        ...


class IndexSource(Protocol):
    """What the listing index reads to build itself and to follow the change log.

    Reads only: an implementation must not take write locks, since checks run beside writers.
    """

    def latest_seq(self) -> int: ...
    def changes_after(self, seq: int) -> list[tuple[int, int | None]]:
        """(seq, subject id) of every change after `seq`, in order."""
        ...

    def postings(
        self, subject_ids: Collection[int] | None, *, today: date
    ) -> tuple[set[int], list[Posting]]:
        """The keys of these subjects (and of whoever answers for them), and every posting under
        those keys; None means every subject with an entry in force."""
        ...

    def number_hashes_of(self, subject_ids: Collection[int]) -> dict[int, str]:
        """The keyed hashes of these subjects' numbers (never the numbers: nothing is opened)."""
        ...


#: How many confirmed subjects' number hashes the checker keeps before it starts afresh.
_CONFIRMED_KEPT = 100_000


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
        self.departments = {d.code: d for d in policy.departments}
        self._lock = threading.Lock()
        #: Subject id -> its number's keyed hash, for confirming hits (a subject's number never
        #: changes).
        self._hashes: dict[int, str] = {}

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
            raise NotFound(f"matter: no such matter; matters are {known}")

    def require_mandate(self, department: str | None, matter: str) -> None:
        """Refuse a check for a matter outside the department's mandate (docs/domain.md §8).

        The credit centre (no department) supervises every matter.
        """
        self.require_matter(matter)
        if department is None:
            return
        found = self.departments.get(department)
        if found is None:
            raise OutsideMandate(
                f"department: {department} is not a department of this platform",
                action=f"check:{matter}",
            )
        if not found.may_check(matter):
            allowed = ", ".join(sorted(found.matters)) if found.matters else "none"
            raise OutsideMandate(
                f"matter: {department} does not check for {matter}; its matters are {allowed}",
                action=f"check:{matter}",
            )

    def answer(self, raw_number: str, matter: str, *, day: date | None = None) -> Answer:
        """The measures that apply today (or on `day`). Call `sync()` first to be current."""
        self.require_matter(matter)
        number, keys = subject_keys(raw_number)
        on = day or business_date(self.clock())
        postings = [p for key in keys for p in self.index.postings(key)]
        hits = self.triggers.hits(postings, matter, on)
        return Answer(number, matter, on, self.confirm(number, hits), keys[0])

    def confirm(self, number: str, hits: list[Hit]) -> list[Hit]:
        """Drop hits whose key is shared with another number: keys are keyed 62-bit hashes, so
        every hit is confirmed against the stored subject's keyed number hash (read once per
        subject and kept, up to a bound; `prefetch` reads many at once)."""
        if not hits:
            return hits
        self.prefetch([h.posting.subject_id for h in hits])
        known = self._hashes
        digest = vault.current().digest(number)
        return [h for h in hits if known.get(h.posting.subject_id) == digest]

    def prefetch(self, subject_ids: Collection[int]) -> None:
        """Read the number hashes of these subjects that are not yet known, in one go (a
        screening confirms a whole chunk's hits with one read)."""
        known = self._hashes
        # Membership one id at a time: `set - dict.keys()` would walk the whole cache.
        wanted = {i for i in subject_ids if i not in known}
        if not wanted:
            return
        found = self.source.number_hashes_of(wanted)
        if len(known) + len(found) > _CONFIRMED_KEPT:
            known.clear()
        known.update(found)

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


@dataclass(frozen=True, slots=True)
class Check:
    """A check answered: what it returned, and the query-log entry to store before answering."""

    answer: Answer
    entry: QueryEntry


def check(
    checker: Checker,
    raw_number: str,
    matter: str,
    *,
    department: str | None,
    actor: str,
    seen_seq: int | None = None,
) -> Check:
    """Answer one check, current with every change committed up to `seen_seq` (read now when
    None). The caller stores `entry` in the query log before it releases the answer.

    A matter outside the department's mandate raises OutsideMandate: the caller audits it
    (`services.audit.record_refusal`), since this path writes nothing itself.
    """
    checker.require_mandate(department, matter)
    checker.sync(seen_seq)
    answer = checker.answer(raw_number, matter)
    entry = checker.query_entry(answer, kind=QueryKind.CHECK, department=department, actor=actor)
    return Check(answer, entry)


def run_check(
    uow: UnitOfWork,
    checker: Checker,
    raw_number: str,
    matter: str,
    *,
    department: str | None,
    actor: str,
    log: Callable[[QueryEntry], int] | None = None,
) -> tuple[int, Answer]:
    """Answer one check and log it on the subject's file before returning: through `log` (the
    platform's query-log writer, `QueryLogWriter.write`, which never waits for a batch's write
    transaction on SQLite), or else in a transaction of `uow`'s own."""
    with mandate_refusals_audited(uow, actor=actor, department=department):
        done = check(checker, raw_number, matter, department=department, actor=actor)
    if log is not None:
        return log(done.entry), done.answer
    with uow:
        (query_id,) = uow.queries.add_many([done.entry])
        uow.commit()
    return query_id, done.answer


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
    with misroutes_audited(uow, actor=actor, department=department), uow:
        query = _check(uow, query_id, department, step="feedback")
        if measure not in {item.measure for item in query.delivered}:
            raise Invalid(f"measure: check {query_id} did not return {measure}")
        if any(f.measure == measure for f in uow.queries.feedback_of(query_id)):
            raise Conflict(f"feedback on {measure} for check {query_id} was already given")
        feedback = Feedback(query_id, measure, applied, reason, actor, uow.now())
        uow.queries.add_feedback(feedback)
        uow.audit.add(
            AuditEvent(
                EventTag.CHECK_FEEDBACK,
                actor,
                QueryKind.CHECK.value,
                str(query_id),
                feedback.at,
                reason=reason,
                data={"measure": measure, "applied": applied},
            )
        )
        uow.commit()
    return feedback


def check_of(
    uow: UnitOfWork,
    query_id: int,
    list_types: Mapping[str, ListType],
    *,
    department: str | None,
    actor: str,
    refusals: UnitOfWork | None = None,
) -> tuple[QueryEntry, list[Feedback], set[int]]:
    """A check as logged (what it returned), the feedback given on it, and which of the list
    entries it returned are marked "under objection" now (the entry, or a record it rests on,
    is objected to: the mark the check's answer carried, read again); a department sees only its
    own checks (reaching for another's is audited through `refusals`, `uow` itself unless it
    only reads)."""
    with misroutes_audited(refusals or uow, actor=actor, department=department), uow:
        query = _check(uow, query_id, department, step="read")
        marked: set[int] = set()
        for entry_id in {d.id for d in query.delivered if d.kind is ItemKind.ENTRY}:
            try:
                if uow.entries.get(entry_id, list_types).under_objection:
                    marked.add(entry_id)
            except NotFound:  # deleted after its retention
                continue
        return query, uow.queries.feedback_of(query_id), marked


def _check(uow: UnitOfWork, query_id: int, department: str | None, *, step: str) -> QueryEntry:
    """The logged check, if `department` made it (the centre, None: any); another department's
    is `NotRouted` for the `check:{step}` it was reached for."""
    query = uow.queries.get(query_id)
    if query.kind != QueryKind.CHECK:
        raise NotFound(f"check {query_id} does not exist")
    if department is not None and query.department != department:
        raise NotRouted(f"check {query_id}", action=f"check:{step}")
    return query
