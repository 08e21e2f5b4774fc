"""Records: decisions with legal effect about one subject, stored once per document.

Storing is shared by single submissions and batches (`store_submissions`): a new document is
inserted, a changed one replaces the stored version (kept as a revision), an identical one is left
unchanged, and one whose name or birth date disagrees with the known subject is held for review.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.calendar import add_working_days, business_date
from xinyong.domain.catalog import Nature
from xinyong.domain.errors import NotFound
from xinyong.domain.exchange import EventKind
from xinyong.domain.feed import FeedKind
from xinyong.domain.lists import BASIS_WITHHELD, NEW_NEGATIVE_RECORD, ListEntry
from xinyong.domain.policy import Policy
from xinyong.domain.records import CreditRecord, Outcome, RecordStatus, Submission, validate_row
from xinyong.domain.subjects import IdentityConflict, Subject, find_identity_conflict
from xinyong.services import outbound
from xinyong.services.audit import submission_refusals_audited
from xinyong.services.departments import require_department
from xinyong.services.feed import Notice, key_of, notify_many, record_notices
from xinyong.services.identity_reviews import (
    resolve_identity_review as resolve_identity_review,  # its callers import it from here
)
from xinyong.services.list_bases import (
    end_listings_resting_on,
    end_listings_varied_away,
    hold_listed_record,
)
from xinyong.services.lists import lose_clean_status
from xinyong.services.record_holds import (
    flag_region,
    hold,
    hold_subject_change,
    identity_notices,
)

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class StoredState:
    """Just enough of a stored record to decide whether a resubmission changes it, and which
    batch and row stored its version (`batch_id` None: a single submission or the exchange;
    a record only just written in this chunk reads as None and 0)."""

    id: int
    content_hash: str
    status: RecordStatus
    subject_id: int
    batch_id: int | None = None
    source_row: int = 0


@dataclass(frozen=True, slots=True)
class Expired:
    """A record the sweep moved to the archive: what its notice and audit event need."""

    id: int
    subject_id: int
    display_ends: date | None


@dataclass(frozen=True, slots=True)
class NewRecord:
    """A validated submission bound to its subject, ready to store."""

    submission: Submission
    subject_id: int
    status: RecordStatus
    batch_id: int | None


class RecordRepository(Protocol):
    def find_states(
        self, department: str, document_keys: Collection[str]
    ) -> dict[str, StoredState]:
        """The stored state of each of the department's records with these document keys."""
        ...

    def prepare(self, submissions: Sequence[Submission]) -> None:
        """Do each submission's own storing work (sealing, encoding) now, before the write
        transaction begins; `write_set` uses it for these submissions."""
        ...

    def write_set(
        self,
        new: Sequence[NewRecord],
        changed: Sequence[tuple[int, NewRecord]],
        *,
        at: datetime,
    ) -> None:
        """Insert new records and overwrite changed ones (id, resubmission), each overwritten
        version kept as a revision, as a set. No record appears twice; new records' ids are
        found with `find_states`."""
        ...

    def get(self, record_id: int) -> CreditRecord: ...
    def original(self, record_id: int) -> dict[str, object]:
        """The row as its department submitted it (the exchange sends it on, sealed)."""
        ...

    def active_of_items(self, items: Collection[str]) -> list[CreditRecord]: ...
    def of_subject(self, subject_id: int) -> list[CreditRecord]: ...
    def past_display(self, day: date, *, limit: int) -> list[CreditRecord]: ...
    def expire_past_display(
        self, day: date, *, at: datetime, limit: int, after: int = 0
    ) -> list[Expired]:
        """Move up to `limit` active records no longer displayable on `day`, of ids above
        `after`, to the archive (`CreditRecord.expire`, as one statement), oldest id first;
        return those moved."""
        ...

    def published(
        self, day: date, *, item: str | None, limit: int, offset: int
    ) -> list[tuple[CreditRecord, Subject]]: ...
    def delete_past_retention(
        self, day: date, *, stopped_before: Mapping[datetime, Collection[str]]
    ) -> list[tuple[int, int]]: ...
    def save_status(self, record: CreditRecord) -> None: ...
    def count(self) -> int: ...
    def first_decided(self) -> dict[int, tuple[date | None, date | None]]:
        """Each person with records: the earliest decision date of their unrevoked ones (since
        when the platform has known them; None: every record about them was revoked), and their
        birth date (None when unknown), in one query."""
        ...

    def negative_shown_between(self, items: Collection[str], start: date, day: date) -> set[int]:
        """The persons with an unrevoked record of these items in display on some day of
        [start, day] (`domain.lists.shown_between`), found in the database: no record opened."""
        ...


#: Out of display for good: archived from the day it stopped, its archive years at most.
STOPPED = (RecordStatus.REPAIRED, RecordStatus.CORRECTED, RecordStatus.REVOKED)
#: Statuses a resubmission leaves alone: a decision taken on the record outlives a new copy of it.
#: A held record stays held until its identity review is resolved, whatever is resent.
_STICKY = frozenset(
    {
        RecordStatus.REVOKED,
        RecordStatus.REPAIRED,
        RecordStatus.CORRECTED,
        RecordStatus.IDENTITY_HOLD,
    }
)


@dataclass(slots=True)
class ChunkResult:
    """What storing one chunk did; `record_ids` maps each stored row number to its record."""

    accepted: int = 0
    updated: int = 0
    unchanged: int = 0
    held: int = 0
    record_ids: dict[int, int] = field(default_factory=dict)
    #: Subjects a negative record was accepted or changed for: a derived good-credit status
    #: they hold ends (`services.decided_lists.lose_clean_status`).
    negative_subjects: set[int] = field(default_factory=set)
    #: Stored records this chunk withheld for an identity review (resubmitted under another
    #: person, or with a conflicting identity): they ground nothing while the review is open,
    #: so the listings resting on them end (`settle_chunk`).
    withheld: list[int] = field(default_factory=list)
    #: Stored records this chunk replaced with a changed version, each with its subject: the
    #: listings on one it grounds no more end, and its display is computed again from its own
    #: period, so a listing decided on one must hold it again (`settle_chunk`).
    replaced: dict[int, int] = field(default_factory=dict)
    #: What each of `replaced` tells the parties that received its earlier version
    #: (`settle_chunk`).
    corrections: list[Notice] = field(default_factory=list)


def store_submissions(
    uow: UnitOfWork,
    submissions: list[Submission],
    *,
    batch_id: int | None,
    actor: str,
    want_ids: bool = False,
    states: dict[str, StoredState] | None = None,
) -> ChunkResult:
    """Store valid submissions inside the caller's transaction: insert, update or leave unchanged.

    Each row is decided here, by the domain's rules (identity conflicts, sticky statuses); the
    decided rows are written as a set (`RecordRepository.write_set`: staged, then a few statements)
    with the audit events of the updated ones. `record_ids` of the result maps row numbers to
    record ids for updated and unchanged rows, and for new rows only when `want_ids` is set
    (looking them up costs a query per chunk). `states` are the submissions' stored records
    when the caller has looked them up already (`RecordRepository.find_states`, in this
    transaction): a batch does, to refuse a document one of its earlier chunks stored.
    """
    result = ChunkResult()
    if not submissions:
        return result
    at = uow.now()
    # Sealing and keyed hashes before the first statement: no write lock is held yet.
    uow.subjects.prepare({s.subject_number: s.subject_type for s in submissions})
    uow.records.prepare(submissions)
    subjects = uow.subjects.find_by_numbers({s.subject_number for s in submissions})
    fresh: list[Subject] = []
    for s in submissions:
        if s.subject_number not in subjects:
            subject = _subject_from(s)
            subjects[s.subject_number] = subject
            fresh.append(subject)
    uow.subjects.add_many(fresh, at=at)

    department = submissions[0].department
    if states is None:
        states = uow.records.find_states(department, {s.document_key for s in submissions})
    pending: list[tuple[NewRecord, IdentityConflict | None]] = []
    changed: list[tuple[int, NewRecord]] = []
    events: list[AuditEvent] = []

    new_numbers = {subject.number for subject in fresh}
    flagged = {s.subject_number for s in submissions if s.unknown_region} & new_numbers

    def flush(*, all_ids: bool = False) -> None:
        """Write what is decided so far: new and changed records as one set, then the audit
        events of the changed ones, then the reviews of the new ones."""
        uow.records.write_set([record for record, _ in pending], changed, at=at)
        uow.audit.add_many(events)
        changed.clear()
        events.clear()
        wanted = [
            r.submission.document_key
            for r, conflict in pending
            if conflict or want_ids or all_ids or r.submission.subject_number in flagged
        ]
        ids = uow.records.find_states(department, wanted) if wanted else {}
        for record, conflict in pending:
            s = record.submission
            key = s.document_key
            states[key] = StoredState(
                ids[key].id if key in ids else 0, s.content_hash, record.status, record.subject_id
            )
            if key in ids:
                result.record_ids[s.row] = ids[key].id
            if conflict is not None:
                hold(uow, record, ids[key].id, conflict, actor=actor)
            elif s.subject_number in flagged:
                flagged.discard(s.subject_number)  # one review per new number
                flag_region(uow, record, ids[key].id, actor=actor)
        pending.clear()

    waiting: set[str] = set()
    outgoing: list[tuple[Submission, RecordStatus, EventKind]] = []
    for s in submissions:
        subject = subjects[s.subject_number]
        if subject.id is None:
            raise RuntimeError("a subject was not stored before its records")
        conflict = find_identity_conflict(
            subject, name=s.subject_name, birth_date=s.stated_birth_date
        )
        status = _status_for(s, conflict)
        key = s.document_key
        if key in waiting:  # the same document twice in one chunk: the first is written first
            flush(all_ids=True)
            waiting.clear()
        state = states.get(key)
        if state is None:
            pending.append((NewRecord(s, subject.id, status, batch_id), conflict))
            outgoing.append((s, status, EventKind.RECORD_ACCEPTED))
            waiting.add(key)
            result.accepted += 1
            if s.item.nature is Nature.NEGATIVE and status is RecordStatus.ACTIVE:
                result.negative_subjects.add(subject.id)
            result.held += conflict is not None
            continue
        result.record_ids[s.row] = state.id
        if state.content_hash == s.content_hash:
            result.unchanged += 1
            continue
        if state.subject_id != subject.id:
            # The same document, now naming another person: never moved silently.
            flush()  # what came before is written (and audited) before the hold
            hold_subject_change(uow, state, NewRecord(s, subject.id, status, batch_id), actor)
            result.withheld.append(state.id)
            states[key] = StoredState(
                state.id, state.content_hash, RecordStatus.IDENTITY_HOLD, state.subject_id
            )
            result.held += 1
            continue
        if state.status in _STICKY:
            status = state.status
        record = NewRecord(s, subject.id, status, batch_id)
        changed.append((state.id, record))
        waiting.add(key)
        result.replaced[state.id] = subject.id
        result.corrections.append(_correction(s, state.id, subject))
        outgoing.append((s, status, EventKind.RECORD_UPDATED))
        states[key] = StoredState(state.id, s.content_hash, status, subject.id)
        events.append(
            AuditEvent(
                EventTag.RECORD_UPDATED,
                actor,
                "record",
                str(state.id),
                at,
                subject_id=subject.id,
                reason="resubmitted with changed content; the earlier version is kept",
                data={"batch_id": batch_id, "row": s.row, "previous_hash": state.content_hash},
            )
        )
        if (
            conflict is not None
            and status is RecordStatus.IDENTITY_HOLD
            and (
                state.status is not RecordStatus.IDENTITY_HOLD  # its open review already covers it
            )
        ):
            flush()  # the update and its audit event come before the hold's
            hold(uow, record, state.id, conflict, actor=actor)
            result.withheld.append(state.id)
            result.held += 1
        result.updated += 1
        if s.item.nature is Nature.NEGATIVE and status is RecordStatus.ACTIVE:
            result.negative_subjects.add(subject.id)
    flush()
    outbound.queue_submissions(uow, outgoing, subjects)
    return result


def settle_chunk(uow: UnitOfWork, policy: Policy, result: ChunkResult, *, actor: str) -> None:
    """What a stored chunk changes beyond its records, in the chunk's transaction.

    - A record withheld for an identity review grounds nothing, so the listings resting on it
      end: no check may return a measure resting on it (docs/invariant.md).
    - A record replaced with a changed version no longer grounds the listings whose list's rules
      it now fails, or that rest on another ground of the list than it now makes
      (`end_listings_varied_away`): they end as on a revocation, but a court's or authority's
      listing follows it to its new ground. It had its display computed again from its own
      period: a listing decided on it holds it shown again.
    - A person with a new negative record loses a derived good-credit status.
    - Every party that received a replaced record's earlier version is told it was corrected,
      and each agency among them acknowledges it within the policy's working days, as for a
      correction decided on an objection; every party that received a listing that ended with
      a change is told to withdraw it; every party that received a withheld record, or a
      listing that ended with it, is told it is held (`identity_hold`, asking nothing back):
      all in one read of the query log for the chunk.
    """
    today = business_date(uow.now())
    held: list[tuple[CreditRecord, list[ListEntry]]] = []
    for record_id in dict.fromkeys(result.withheld):
        record = uow.records.get(record_id)
        ended = end_listings_resting_on(
            uow, policy, record, today=today, actor=actor, ground=BASIS_WITHHELD
        )
        held.append((record, ended))
    varied = end_listings_varied_away(uow, policy, result.replaced, actor=actor)
    if result.replaced:
        for record_id in sorted(uow.entries.linked_records(result.replaced)):
            hold_listed_record(uow, policy, record_id, actor=actor)
    lose_clean_status(uow, policy, result.negative_subjects, NEW_NEGATIVE_RECORD, actor=actor)
    # A document changed twice in one chunk is one correction for its recipients.
    once = list({n.entity_id: n for n in result.corrections}.values())
    once += varied + identity_notices(uow, FeedKind.IDENTITY_HOLD, held)
    notify_many(uow, once, acknowledgements=policy.acknowledgements)


def _correction(s: Submission, record_id: int, subject: Subject) -> Notice:
    """The notice of a record replaced by a resubmission with changed content: which document,
    from whom (never the subject's number: the feed files it under the subject's key)."""
    detail = (
        f"{s.item.code} {s.document_number}: resubmitted by {s.department} with changed"
        " content; the earlier version is kept"
    )
    return Notice(
        key_of(subject), FeedKind.CORRECTED, "record", record_id, detail, None, subject.id
    )


def _subject_from(s: Submission) -> Subject:
    person = s.person
    return Subject(
        id=None,
        kind=s.subject_type,
        number=s.subject_number,
        name=s.subject_name,
        birth_date=person.birth_date if person else None,
        sex=person.sex.value if person else None,
        region_code=person.region.code if person else s.subject_number[2:8],
    )


def _status_for(s: Submission, conflict: IdentityConflict | None) -> RecordStatus:
    if conflict is not None:
        return RecordStatus.IDENTITY_HOLD
    if s.expired_on_arrival:
        return RecordStatus.EXPIRED
    return RecordStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class Stored:
    """The outcome of one submission and the record it landed in."""

    outcome: Outcome
    record: CreditRecord
    subject_number: str
    held_for_review: bool


def submit_record(
    uow: UnitOfWork, policy: Policy, raw: Mapping[str, object], *, department: str, actor: str
) -> Stored:
    """Validate and store one record; raise RowRejected naming each bad field (audited if any
    is outside the department's mandate)."""
    with submission_refusals_audited(uow, actor=actor, department=department), uow:
        dept = require_department(uow, department)
        submission = validate_row(
            raw, row=0, department=dept, gate=policy.gate(business_date(uow.now()))
        )
        result = store_submissions(uow, [submission], batch_id=None, actor=actor, want_ids=True)
        settle_chunk(uow, policy, result, actor=actor)
        record = uow.records.get(result.record_ids[0])
        if result.accepted:
            outcome = Outcome.ACCEPTED
            uow.audit.add(
                AuditEvent(
                    EventTag.RECORD_ACCEPTED,
                    actor,
                    "record",
                    str(record.id),
                    uow.now(),
                    subject_id=record.subject_id,
                    data={"item": record.item_code, "severity": record.severity},
                )
            )
        elif result.updated:
            outcome = Outcome.UPDATED
        elif record.id in result.withheld:
            outcome = Outcome.HELD
        else:
            outcome = Outcome.UNCHANGED
        subject_number = uow.subjects.get(record.subject_id).number
        uow.commit()
    return Stored(outcome, record, subject_number, bool(result.held))


def get_record(
    uow: UnitOfWork, record_id: int, *, department: str | None
) -> tuple[CreditRecord, str]:
    """Return a record and its subject's number; a department sees only its own records."""
    with uow:
        record = uow.records.get(record_id)
        if department is not None and record.department != department:
            raise NotFound(f"record {record_id} does not exist")
        return record, uow.subjects.get(record.subject_id).number


def revoke_record(
    uow: UnitOfWork,
    policy: Policy,
    record_id: int,
    *,
    department: str | None,
    reason: str,
    actor: str,
) -> tuple[CreditRecord, str]:
    """Withdraw a record because the decision behind it was revoked or varied, in one
    transaction: the listings resting on it end (so checks stop returning their measures at
    once), and every party that received the record or a measure it grounded is told to
    withdraw its copy within the policy's working days (`withdraw_working_days`), once: of the
    record if it received it, else of the first ended listing it received. That deadline is
    stored with the record and with each party's withdrawal, to be counted again."""
    with uow:
        record = uow.records.get(record_id)
        if department is not None and record.department != department:
            raise NotFound(f"record {record_id} does not exist")  # do not reveal others' records
        at = uow.now()
        today = business_date(at)
        due = add_working_days(today, policy.periods.withdraw_working_days)
        years = policy.archive_years(record)
        record.revoke(reason=reason, at=at, archive_years=years, withdraw_by=due)
        uow.records.save_status(record)
        outbound.queue_record(uow, policy, record, EventKind.RECORD_REVOKED)
        ended = end_listings_resting_on(uow, policy, record, today=today, actor=actor)
        subject = uow.subjects.get(record.subject_id)
        # Whoever was given the record or a listing it ended is told, once.
        withdraw = f"withdraw every copy by {due.day.isoformat()}: {reason}"
        lists = ", ".join(dict.fromkeys(e.list_type.code for e in ended))
        ending = f", ending the listings resting on it ({lists})" if ended else ""
        document = f"{record.item_code} {record.document_number}"
        notices = record_notices(
            key_of(subject), FeedKind.REVOKED, record, ended,
            record_detail=f"{document}: revoked{ending}; {withdraw}",
            entry_detail=f"ended, the record was revoked; {withdraw}", due_on=due,
        )  # fmt: skip
        notify_many(uow, notices, acknowledgements=policy.acknowledgements, once=True)
        uow.audit.add(
            AuditEvent(
                EventTag.RECORD_REVOKED,
                actor,
                "record",
                str(record.id),
                at,
                subject_id=record.subject_id,
                reason=reason,
                data={"withdraw_by": due.day.isoformat(), "listings_ended": len(ended)},
            )
        )
        number = subject.number
        uow.commit()
    return record, number


def count_records(uow: UnitOfWork) -> int:
    with uow:
        return uow.records.count()
