"""In-memory adapters of the ports: a unit of work whose repositories keep plain Python dicts.

Service unit tests run over `FakeUnitOfWork` with no database, in milliseconds. It keeps the
contract of `services/ports.py` that the SQL unit of work keeps:

- each `with uow:` is one transaction: it works on a copy of what is committed, and what it
  changed is kept only if `commit()` was called (`rollback()` or leaving the block drops it);
- repositories hand out copies: changing a returned object changes nothing until it is saved,
  and `save`/`save_status` store only what their SQL counterpart stores;
- the clock is fixed: `now()` is `uow.at` until a test moves it.

Where a repository answers a question SQL answers with a query (`published`, `past_display`,
`deliveries`, ...), the fake answers it in plain Python with the domain's own rules
(`CreditRecord.is_displayable_on`, `ListEntry`'s states). `tests/integration` keeps testing the SQL
repositories themselves on SQLite and PostgreSQL.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from types import TracebackType
from typing import Any, Self

from xinyong.domain.accounts import (
    Account,
    Registration,
    RegistrationStatus,
    TokenInfo,
    TokenKind,
)
from xinyong.domain.agencies import AgencyStaffMember, Blacklisting, Licence
from xinyong.domain.audit import AuditEvent
from xinyong.domain.authorisations import Authorisation
from xinyong.domain.batches import Batch, BatchSource, BatchStatus
from xinyong.domain.calendar import Deadline
from xinyong.domain.catalog import SubjectType
from xinyong.domain.checks import ChangeKind, Feedback
from xinyong.domain.deadlines import CREDIT_CENTRE, Counted, DeadlineKind, Notice, Watched
from xinyong.domain.departments import Department
from xinyong.domain.errors import FieldProblem, NotFound
from xinyong.domain.exchange import Change as ExchangeChange
from xinyong.domain.exchange import Entity
from xinyong.domain.feed import Acknowledgement, FeedItem, Withdrawal
from xinyong.domain.keys import ApiKey
from xinyong.domain.lists import IN_PROCEDURE, EntryState, ListEntry, ListType, shown_between
from xinyong.domain.objections import NOT_ABOUT_SUBJECT, Objection, ObjectionStatus
from xinyong.domain.publication import SearchTerm, TermKind, published_name_matches
from xinyong.domain.querylog import NOTHING, QueryEntry, QueryKind
from xinyong.domain.records import CreditRecord, RecordStatus, Submission, document_key
from xinyong.domain.repairs import Repair, RepairStatus
from xinyong.domain.reports import IssuedReport
from xinyong.domain.staff import StaffUser
from xinyong.domain.subjects import (
    IdentityConflict,
    IdentityReview,
    ReviewResolution,
    ReviewStatus,
    Role,
    Subject,
)
from xinyong.domain.tipoffs import TipOff
from xinyong.services.court_candidates import CandidateStatus, ReviewCandidate
from xinyong.services.evidence import CaseType
from xinyong.services.feed import key_of
from xinyong.services.records import STOPPED, Expired, NewRecord, StoredState
from xinyong.services.statistics import Due, FeedbackCount, MonthCount


class DuplicateKey(Exception):
    """What a unique constraint of the schema would refuse (a bug in the service, if it happens)."""


@dataclass
class Revision:
    """An earlier version of a record, kept when a resubmission replaced it, under the person it
    was about then (it stays theirs when an identity review moves the record)."""

    record_id: int
    content_hash: str
    fields: dict[str, object]
    batch_id: int | None
    received_at: datetime
    superseded_at: datetime
    subject_id: int


@dataclass
class StoredEntry:
    """A list entry as stored: its values without the list type (kept by code, as in SQL)."""

    list_code: str
    values: dict[str, Any]
    department: str | None
    source_record: int | None


@dataclass
class Token:
    account_id: int
    expires_at: datetime
    revoked_at: datetime | None = None
    kind: TokenKind = TokenKind.SESSION
    family: str | None = None
    used_at: datetime | None = None


@dataclass
class StaffSession:
    staff_id: int
    expires_at: datetime
    confirmed: bool = False
    revoked_at: datetime | None = None


@dataclass
class Agency:
    agent_account_id: int
    principal_subject_id: int
    power_of_attorney: str
    valid_until: date
    recorded_by: str
    recorded_at: datetime
    revoked_at: datetime | None = None


@dataclass
class Evidence:
    case_type: CaseType
    case_id: int
    filename: str
    content_type: str
    sha256: str
    content: bytes
    added_at: datetime


@dataclass
class Screening:
    department: str
    matter: str
    actor: str
    at: datetime
    screened: int = 0
    matched: int = 0
    rejected: int = 0


@dataclass
class Change:
    seq: int
    kind: ChangeKind
    subject_id: int | None
    entity_id: int | None
    at: datetime


@dataclass
class Store:
    """Everything the platform stores, as plain Python: one dict (or list) per table."""

    subjects: dict[int, Subject] = field(default_factory=dict)
    roles: list[Role] = field(default_factory=list)
    reviews: dict[int, IdentityReview] = field(default_factory=dict)
    records: dict[int, CreditRecord] = field(default_factory=dict)
    revisions: list[Revision] = field(default_factory=list)
    batches: dict[int, Batch] = field(default_factory=dict)
    rejects: list[tuple[int, FieldProblem]] = field(default_factory=list)
    departments: dict[str, Department] = field(default_factory=dict)
    keys: dict[int, ApiKey] = field(default_factory=dict)
    audit: list[AuditEvent] = field(default_factory=list)
    entries: dict[int, StoredEntry] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    queries: dict[int, QueryEntry] = field(default_factory=dict)
    feedback: list[Feedback] = field(default_factory=list)
    screenings: dict[int, Screening] = field(default_factory=dict)
    accounts: dict[int, Account] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    agencies: dict[int, Agency] = field(default_factory=dict)
    authorisations: dict[int, Authorisation] = field(default_factory=dict)
    objections: dict[int, Objection] = field(default_factory=dict)
    repairs: dict[int, Repair] = field(default_factory=dict)
    evidence: dict[int, Evidence] = field(default_factory=dict)
    feed: list[FeedItem] = field(default_factory=list)
    #: What agencies owe for feed items that ask for an acknowledgement, by the item's seq.
    acknowledgements: dict[int, Acknowledgement] = field(default_factory=dict)
    #: What parties told to withdraw their copy owe, by the feed item's seq.
    withdrawals: dict[int, Withdrawal] = field(default_factory=dict)
    #: Resubmissions naming another person, held in their identity review (by review id).
    pending: dict[int, NewRecord] = field(default_factory=dict)
    issued_reports: dict[str, IssuedReport] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    registrations: dict[int, Registration] = field(default_factory=dict)
    tipoffs: dict[int, TipOff] = field(default_factory=dict)
    #: Each record's row as submitted (the exchange sends it on).
    originals: dict[int, dict[str, object]] = field(default_factory=dict)
    #: Each record's `source_row`: the row of its batch (or the single submission's 1) that
    #: stored its version.
    source_rows: dict[int, int] = field(default_factory=dict)
    #: This platform's exchange node code (None: no node, nothing is queued), the outbox, and
    #: the entities received from another origin (entity → origin).
    node_code: str | None = None
    outbox: list[ExchangeChange] = field(default_factory=list)
    owners: dict[Entity, str] = field(default_factory=dict)
    #: The court's published rows waiting for identity review.
    candidates: list[ReviewCandidate] = field(default_factory=list)
    staff: dict[int, StaffUser] = field(default_factory=dict)
    staff_sessions: dict[str, StaffSession] = field(default_factory=dict)
    licences: dict[str, Licence] = field(default_factory=dict)
    blacklistings: dict[int, Blacklisting] = field(default_factory=dict)
    agency_staff: dict[int, AgencyStaffMember] = field(default_factory=dict)
    staff_blacklistings: dict[int, Blacklisting] = field(default_factory=dict)
    #: The last id handed out per table (ids, like sequences, are never reused in a store).
    last_ids: dict[str, int] = field(default_factory=dict)

    def next_id(self, table: str) -> int:
        self.last_ids[table] = self.last_ids.get(table, 0) + 1
        return self.last_ids[table]


class _Repository:
    """A repository reads and writes the store of its unit of work's open transaction."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def store(self) -> Store:
        return self._uow.working


class FakeSubjectRepository(_Repository):
    def prepare(self, numbers: Mapping[str, SubjectType]) -> None:
        pass

    def persons_born(self, region_code: str, year: int) -> list[Subject]:
        return [
            replace(s)
            for s in self.store.subjects.values()
            if s.kind is SubjectType.PERSON
            and s.region_code == region_code
            and s.birth_date is not None
            and s.birth_date.year == year
        ]

    def find_by_numbers(self, numbers: Collection[str]) -> dict[str, Subject]:
        wanted = set(numbers)
        return {s.number: replace(s) for s in self.store.subjects.values() if s.number in wanted}

    def get_by_number(self, number: str) -> Subject | None:
        found = [s for s in self.store.subjects.values() if s.number == number]
        return replace(found[0]) if found else None

    def get(self, subject_id: int) -> Subject:
        subject = self.store.subjects.get(subject_id)
        if subject is None:
            raise NotFound(f"subject {subject_id} does not exist")
        return replace(subject)

    def lock(self, subject_id: int) -> None:
        self.get(subject_id)  # one thread at a time in memory: only that the subject exists

    def get_many(self, subject_ids: Collection[int]) -> dict[int, Subject]:
        return {i: replace(self.store.subjects[i]) for i in subject_ids if i in self.store.subjects}

    def keys_of(self, subject_ids: Collection[int]) -> dict[int, int]:
        return {i: key_of(s) for i, s in self.get_many(subject_ids).items()}

    def add_many(self, subjects: Sequence[Subject], *, at: datetime) -> None:
        for subject in subjects:
            if self.get_by_number(subject.number) is not None:
                raise DuplicateKey(f"subjects.number {subject!r}")
            subject.id = self.store.next_id("subjects")
            self.store.subjects[subject.id] = replace(subject)

    def add_role(self, role: Role) -> None:
        key = (role.organisation_id, role.person_id, role.kind, role.since)
        if any((r.organisation_id, r.person_id, r.kind, r.since) == key for r in self.store.roles):
            raise DuplicateKey(f"subject_roles {key}")
        self.store.roles.append(role)

    def roles_of(self, subject_id: int) -> list[Role]:
        return [r for r in self.store.roles if subject_id in (r.person_id, r.organisation_id)]


class FakeIdentityReviewRepository(_Repository):
    def add(
        self,
        *,
        subject_id: int,
        record_id: int | None,
        conflict: IdentityConflict,
        at: datetime,
        other_subject_id: int | None = None,
        pending: NewRecord | None = None,
        registration_id: int | None = None,
    ) -> int:
        if (record_id is None) == (registration_id is None):  # the table's check constraint
            raise ValueError("a review is about a record or a registration")
        review_id = self.store.next_id("identity_reviews")
        self.store.reviews[review_id] = IdentityReview(
            id=review_id,
            subject_id=subject_id,
            record_id=record_id,
            kind=conflict.kind.value,
            known_value=conflict.known,
            submitted_value=conflict.submitted,
            status=ReviewStatus.OPEN,
            created_at=at,
            other_subject_id=other_subject_id,
            registration_id=registration_id,
        )
        if pending is not None:
            self.store.pending[review_id] = pending
        return review_id

    def pending_rows(self, record_ids: Collection[int], batch_id: int) -> dict[int, int]:
        out: dict[int, int] = {}
        for review_id, pending in self.store.pending.items():
            review = self.store.reviews[review_id]
            if review.record_id in record_ids and review.is_open and pending.batch_id == batch_id:
                row = pending.submission.row
                out[review.record_id] = min(row, out.get(review.record_id, row))
        return out

    def apply_pending(self, review_id: int, *, at: datetime) -> None:
        pending = self.store.pending.get(review_id)
        record_id = self.get(review_id).record_id
        if pending is None or record_id is None:
            raise NotFound(f"identity review {review_id} holds no resubmission")
        FakeRecordRepository(self._uow).write_set(
            [], [(record_id, replace(pending, status=RecordStatus.ACTIVE))], at=at
        )

    def list(
        self, *, status: str | None = "open", limit: int = 100, offset: int = 0
    ) -> list[IdentityReview]:
        found = [
            r for _, r in sorted(self.store.reviews.items()) if not status or r.status == status
        ]
        return found[offset : offset + limit]

    def of_subject(self, subject_id: int) -> Sequence[IdentityReview]:
        return [
            r
            for _, r in sorted(self.store.reviews.items())
            if subject_id in (r.subject_id, r.other_subject_id)
        ]

    def get(self, review_id: int) -> IdentityReview:
        review = self.store.reviews.get(review_id)
        if review is None:
            raise NotFound(f"identity review {review_id} does not exist")
        return review  # frozen

    def resolve(
        self, review_id: int, *, resolution: ReviewResolution, note: str, by: str, at: datetime
    ) -> None:
        review = self.get(review_id)
        self.store.reviews[review_id] = replace(
            review, status=ReviewStatus.RESOLVED, resolution=resolution, note=note
        )


def _record_of(record_id: int, new: NewRecord, at: datetime) -> CreditRecord:
    """What a validated submission is stored as (the values `db/records.py` writes)."""
    s = new.submission
    a = s.assessment
    return CreditRecord(
        id=record_id,
        department=s.department,
        document_number=s.document_number,
        item_code=s.item.code,
        catalog_version=s.catalog_version,
        subject_id=new.subject_id,
        status=new.status,
        severity=a.severity.value if a.severity else None,
        published=a.published,
        decision_date=s.decision_date,
        display_ends=a.display_ends,
        repair_from=a.repair_from,
        retention_ends=a.retention_ends,
        publish_by=a.publish_by.day if a.publish_by else None,
        authority_name=s.authority_name,
        fields=dict(s.fields),
        content_hash=s.content_hash,
        batch_id=new.batch_id,
        received_at=at,
        updated_at=at,
    )


class FakeRecordRepository(_Repository):
    def _copy(self, record: CreditRecord) -> CreditRecord:
        return replace(record, fields=dict(record.fields))

    def find_states(
        self, department: str, document_keys: Collection[str]
    ) -> dict[str, StoredState]:
        wanted = set(document_keys)
        return {
            document_key(r.document_number): StoredState(
                r.id,
                r.content_hash,
                r.status,
                r.subject_id,
                r.batch_id,
                self.store.source_rows.get(r.id, 0),
            )
            for r in self.store.records.values()
            if r.department == department and document_key(r.document_number) in wanted
        }

    def _add_many(self, records: Sequence[NewRecord], *, at: datetime) -> None:
        for new in records:
            s = new.submission
            if self.find_states(s.department, [s.document_key]):
                raise DuplicateKey(f"credit_records ({s.department}, {s.document_key})")
            record_id = self.store.next_id("credit_records")
            self.store.records[record_id] = _record_of(record_id, new, at)
            self.store.originals[record_id] = dict(new.submission.original)
            self.store.source_rows[record_id] = s.row

    def _replace(self, record_id: int, record: NewRecord, *, at: datetime) -> None:
        old = self.store.records.get(record_id)
        if old is None:
            raise NotFound(f"record {record_id} does not exist")
        self.store.revisions.append(
            Revision(
                record_id,
                old.content_hash,
                old.fields,
                old.batch_id,
                old.received_at,
                at,
                old.subject_id,
            )
        )
        # Everything a submission carries is replaced; a revocation and the objection mark stay,
        # and a record out of display for good keeps its retention end unless it comes nearer.
        self.store.originals[record_id] = dict(record.submission.original)
        self.store.source_rows[record_id] = record.submission.row
        new = _record_of(record_id, record, at)
        ends, kept = new.retention_ends, old.retention_ends
        if old.status in STOPPED and kept and (not ends or ends > kept):
            ends = kept
        self.store.records[record_id] = replace(
            new,
            retention_ends=ends,
            revoked_at=old.revoked_at,
            revocation_reason=old.revocation_reason,
            under_objection=old.under_objection,
            marked_at_origin=old.marked_at_origin,
        )

    def prepare(self, submissions: Sequence[Submission]) -> None:
        pass

    def write_set(
        self,
        new: Sequence[NewRecord],
        changed: Sequence[tuple[int, NewRecord]],
        *,
        at: datetime,
    ) -> None:
        self._add_many(new, at=at)
        for record_id, record in changed:
            self._replace(record_id, record, at=at)

    def get(self, record_id: int) -> CreditRecord:
        record = self.store.records.get(record_id)
        if record is None:
            raise NotFound(f"record {record_id} does not exist")
        return self._copy(record)

    def original(self, record_id: int) -> dict[str, object]:
        self.get(record_id)
        return dict(self.store.originals.get(record_id, {}))

    def active_of_items(self, items: Collection[str]) -> list[CreditRecord]:
        return [
            self._copy(r)
            for _, r in sorted(self.store.records.items())
            if r.item_code in items and r.status is RecordStatus.ACTIVE
        ]

    def _persons(self) -> list[CreditRecord]:
        return [
            r
            for _, r in sorted(self.store.records.items())
            if self.store.subjects[r.subject_id].kind is SubjectType.PERSON
        ]

    def first_decided(self) -> dict[int, tuple[date | None, date | None]]:
        first: dict[int, date | None] = {}
        for r in self._persons():
            known = first.get(r.subject_id)
            if r.status is RecordStatus.REVOKED:
                first.setdefault(r.subject_id, None)
            else:
                first[r.subject_id] = (
                    r.decision_date if known is None else min(known, r.decision_date)
                )
        return {s: (since, self.store.subjects[s].birth_date) for s, since in first.items()}

    def negative_shown_between(self, items: Collection[str], start: date, day: date) -> set[int]:
        return {
            r.subject_id
            for r in self._persons()
            if r.item_code in items and shown_between(r.shown_window(), start, day)
        }

    def of_subject(self, subject_id: int) -> list[CreditRecord]:
        found = [r for r in self.store.records.values() if r.subject_id == subject_id]
        return [self._copy(r) for r in sorted(found, key=lambda r: (r.decision_date, r.id))]

    def past_display(self, day: date, *, limit: int) -> list[CreditRecord]:
        """Active records the display rule no longer shows on `day`."""
        due = [
            r
            for _, r in sorted(self.store.records.items())
            if r.status is RecordStatus.ACTIVE and not r.is_displayable_on(day)
        ]
        return [self._copy(r) for r in due[:limit]]

    def published(
        self, day: date, *, item: str | None, limit: int, offset: int
    ) -> list[tuple[CreditRecord, Subject]]:
        """Published records shown on `day` (decided by then), newest decision first."""
        shown = [
            r
            for r in self.store.records.values()
            if r.published
            and r.is_displayable_on(day)
            and r.decision_date <= day
            and (not item or r.item_code == item)
        ]
        shown.sort(key=lambda r: (r.decision_date, r.id), reverse=True)
        return [
            (self._copy(r), replace(self.store.subjects[r.subject_id]))
            for r in shown[offset : offset + limit]
        ]

    def expire_past_display(
        self, day: date, *, at: datetime, limit: int, after: int = 0
    ) -> list[Expired]:
        moved = []
        later = [r for r in self.past_display(day, limit=10**9) if (r.id or 0) > after]
        for record in later[:limit]:
            record.expire(at=at)
            self.save_status(record)
            moved.append(Expired(record.id, record.subject_id, record.display_ends))
        return moved

    def delete_past_retention(
        self, day: date, *, stopped_before: Mapping[datetime, Collection[str]]
    ) -> list[tuple[int, int]]:
        store = self.store
        cut_of = {item: cut for cut, items in stopped_before.items() for item in items}
        gone = [
            (r.id, r.subject_id)
            for _, r in sorted(store.records.items())
            if (r.retention_ends is not None and r.retention_ends <= day)
            or (
                r.status in STOPPED and r.item_code in cut_of and r.updated_at < cut_of[r.item_code]
            )
        ]
        ids = {record_id for record_id, _ in gone}
        # Cases and listings keep their own files; they lose the link to the deleted record.
        for entry in store.entries.values():
            if entry.source_record in ids:
                entry.source_record = None
        for objection in store.objections.values():
            if objection.record_id in ids:
                objection.record_id = None
        for repair in store.repairs.values():
            if repair.record_id in ids:
                repair.record_id = None
        store.reviews = {k: v for k, v in store.reviews.items() if v.record_id not in ids}
        store.revisions = [v for v in store.revisions if v.record_id not in ids]
        for record_id in ids:
            del store.records[record_id]
        return gone

    def save_status(self, record: CreditRecord) -> None:
        stored = self.store.records.get(record.id)
        if stored is not None:
            stored.status = record.status
            stored.display_ends = record.display_ends
            stored.retention_ends = record.retention_ends
            stored.revoked_at = record.revoked_at
            stored.revocation_reason = record.revocation_reason
            stored.withdraw_by = record.withdraw_by
            stored.updated_at = record.updated_at
            stored.under_objection = record.under_objection
            stored.marked_at_origin = record.marked_at_origin

    def count(self) -> int:
        return len(self.store.records)


class FakeBatchRepository(_Repository):
    def open(
        self,
        department: str,
        *,
        source: BatchSource,
        filename: str | None,
        sha256: str | None,
        actor: str,
        at: datetime,
    ) -> Batch:
        batch_id = self.store.next_id("batches")
        batch = Batch(
            id=batch_id,
            department=department,
            source=source,
            filename=filename,
            sha256=sha256,
            status=BatchStatus.OPEN,
            rows_done=0,
            accepted=0,
            updated=0,
            unchanged=0,
            rejected=0,
            held=0,
            actor=actor,
            received_at=at,
        )
        self.store.batches[batch_id] = batch
        return replace(batch)

    def find_open(self, department: str, sha256: str) -> Batch | None:
        found = [
            b
            for _, b in sorted(self.store.batches.items())
            if (b.department, b.sha256, b.status) == (department, sha256, BatchStatus.OPEN)
        ]
        return replace(found[-1]) if found else None

    def get(self, batch_id: int) -> Batch:
        batch = self.store.batches.get(batch_id)
        if batch is None:
            raise NotFound(f"batch {batch_id} does not exist")
        return replace(batch)

    def save_progress(self, batch: Batch) -> None:
        stored = self.store.batches.get(batch.id)
        if stored is not None:
            for name in ("status", "rows_done", "accepted", "updated", "unchanged", "rejected"):
                setattr(stored, name, getattr(batch, name))
            stored.held = batch.held
            stored.completed_at = batch.completed_at

    def add_rejects(self, batch_id: int, problems: Sequence[FieldProblem]) -> None:
        self.store.rejects.extend((batch_id, p) for p in problems)

    def rejects(self, batch_id: int) -> list[FieldProblem]:
        mine = [p for b, p in self.store.rejects if b == batch_id]
        return sorted(mine, key=lambda p: p.row)  # stable: in the order added within a row


class FakeDepartmentRepository(_Repository):
    def get(self, code: str) -> Department | None:
        return self.store.departments.get(code)  # frozen

    def list(self) -> list[Department]:
        return [d for _, d in sorted(self.store.departments.items())]

    def upsert(self, department: Department, *, at: datetime) -> bool:
        department = replace(department, active=True)
        if self.store.departments.get(department.code) == department:
            return False
        self.store.departments[department.code] = department
        return True

    def deactivate_others(self, keep: Collection[str], *, at: datetime) -> tuple[str, ...]:
        dropped = tuple(
            sorted(
                code for code, d in self.store.departments.items() if d.active and code not in keep
            )
        )
        for code in dropped:
            self.store.departments[code] = replace(self.store.departments[code], active=False)
        return dropped


class FakeApiKeyRepository(_Repository):
    def add(self, key: ApiKey) -> int:
        if self.by_prefix(key.prefix) is not None:
            raise DuplicateKey(f"api_keys.prefix {key.prefix}")
        key.id = self.store.next_id("api_keys")
        self.store.keys[key.id] = replace(key)
        return key.id

    def by_prefix(self, prefix: str) -> ApiKey | None:
        found = [k for k in self.store.keys.values() if k.prefix == prefix]
        return replace(found[0]) if found else None

    def list(self) -> list[ApiKey]:
        return [replace(k) for _, k in sorted(self.store.keys.items())]

    def revoke(self, prefix: str, *, at: datetime) -> bool:
        for key in self.store.keys.values():
            if key.prefix == prefix and key.revoked_at is None:
                key.revoked_at = at
                return True
        return False


class FakeAuditLog(_Repository):
    def add(self, event: AuditEvent) -> None:
        self.store.audit.append(event)

    def add_many(self, events: Sequence[AuditEvent]) -> None:
        self.store.audit.extend(events)

    def count(self, tag: str | None = None) -> int:
        return sum(1 for e in self.store.audit if not tag or e.tag.value == tag)

    def count_since(
        self, tag: str, *, subject_id: int, since: datetime, actor: str | None = None
    ) -> int:
        return sum(
            1
            for e in self.store.audit
            if e.tag.value == tag
            and e.subject_id == subject_id
            and e.at >= since
            and (actor is None or e.actor == actor)
        )


#: What `save` stores of an entry (as `db/lists.py` does); the rest is fixed when it is added.
_ENTRY_SAVED = (
    "state",
    "noticed_on",
    "defence_deadline",
    "defence",
    "decided_on",
    "decision_reasons",
    "ends_on",
    "published_on",
    "exited_on",
    "exit_ground",
    "under_objection",
    "marked_at_origin",
)


class FakeListEntryRepository(_Repository):
    def _row(self, entry_id: int) -> StoredEntry:
        row = self.store.entries.get(entry_id)
        if row is None:
            raise NotFound(f"list entry {entry_id} does not exist")
        return row

    @staticmethod
    def _entry(entry_id: int, row: StoredEntry, list_types: Mapping[str, ListType]) -> ListEntry:
        list_type = list_types.get(row.list_code)
        if list_type is None:
            raise NotFound(
                f"list entry {entry_id} is on {row.list_code}, which the policy no longer has"
            )
        return ListEntry(list_type=list_type, **row.values)

    def add(
        self, entry: ListEntry, *, department: str | None, source_record: int | None, at: datetime
    ) -> int:
        entry.id = self.store.next_id("list_entries")
        values = {f.name: getattr(entry, f.name) for f in fields(entry) if f.name != "list_type"}
        values["proposed_at"] = entry.proposed_at or at
        self.store.entries[entry.id] = StoredEntry(
            entry.list_type.code, values, department, source_record
        )
        return entry.id

    def add_many(self, entries: Sequence[ListEntry], *, at: datetime) -> None:
        for entry in entries:
            self.add(entry, department=None, source_record=None, at=at)

    def get(self, entry_id: int, list_types: Mapping[str, ListType]) -> ListEntry:
        return self._entry(entry_id, self._row(entry_id), list_types)

    def department_of(self, entry_id: int) -> str | None:
        return self._row(entry_id).department

    def source_record_of(self, entry_id: int) -> int | None:
        return self._row(entry_id).source_record

    def past_period(self, day: date, list_types: Mapping[str, ListType]) -> list[ListEntry]:
        """Entries still decided or published whose period has ended by `day`."""
        found = [self._entry(i, row, list_types) for i, row in sorted(self.store.entries.items())]
        return [
            e
            for e in found
            if e.state in (EntryState.DECIDED, EntryState.PUBLISHED)
            and e.ends_on is not None
            and e.ends_on <= day
        ]

    def published_with_end(
        self, codes: Collection[str], list_types: Mapping[str, ListType], *, after: int, limit: int
    ) -> list[ListEntry]:
        found = [
            self._entry(i, row, list_types)
            for i, row in sorted(self.store.entries.items())
            if i > after and row.list_code in codes
        ]
        return [
            e
            for e in found
            if e.state in (EntryState.PUBLISHED, EntryState.EXITED)
            and e.published_on is not None
            and e.ends_on is not None
        ][:limit]

    def save(self, entry: ListEntry, *, at: datetime) -> None:
        if entry.id is None:
            raise ValueError("save() needs a stored entry")
        row = self._row(entry.id)
        for name in _ENTRY_SAVED:
            row.values[name] = getattr(entry, name)

    def in_procedure(
        self,
        department: str | None,
        list_types: Mapping[str, ListType],
        *,
        limit: int,
        offset: int = 0,
    ) -> list[ListEntry]:
        found = [
            self._entry(i, row, list_types)
            for i, row in sorted(self.store.entries.items())
            if row.values["state"] in IN_PROCEDURE
            and (department is None or row.department == department)
        ]
        return found[offset : offset + limit]

    def count_in_procedure(self, department: str | None) -> int:
        return sum(
            1
            for row in self.store.entries.values()
            if row.values["state"] in IN_PROCEDURE
            and (department is None or row.department == department)
        )

    def of_subject(self, subject_id: int, list_types: Mapping[str, ListType]) -> list[ListEntry]:
        return [
            self._entry(i, row, list_types)
            for i, row in sorted(self.store.entries.items())
            if row.values["subject_id"] == subject_id
        ]

    def linked_records(self, record_ids: Collection[int]) -> set[int]:
        wanted = set(record_ids)
        return {
            row.source_record
            for row in self.store.entries.values()
            if row.source_record is not None and row.source_record in wanted
        }

    def subjects_listed(self, subject_ids: Collection[int]) -> set[int]:
        wanted = set(subject_ids)
        open_states = (*IN_PROCEDURE, "published")
        return {
            row.values["subject_id"]
            for row in self.store.entries.values()
            if row.values["subject_id"] in wanted and row.values["state"] in open_states
        }

    def live_of_lists(
        self,
        codes: Collection[str],
        subject_ids: Collection[int] | None,
        list_types: Mapping[str, ListType],
    ) -> list[ListEntry]:
        wanted = None if subject_ids is None else set(subject_ids)
        return [
            self._entry(i, row, list_types)
            for i, row in sorted(self.store.entries.items())
            if row.list_code in codes
            and row.values["state"] in (EntryState.DECIDED, EntryState.PUBLISHED)
            and (wanted is None or row.values["subject_id"] in wanted)
        ]

    def count(self, state: str | None = None) -> int:
        return sum(
            1 for row in self.store.entries.values() if not state or row.values["state"] == state
        )


class FakeChangeLog(_Repository):
    def append(
        self, kind: ChangeKind, *, subject_id: int | None, entity_id: int | None, at: datetime
    ) -> int:
        seq = self.store.next_id("changes")
        self.store.changes.append(Change(seq, kind, subject_id, entity_id, at))
        return seq

    def append_many(
        self, kind: ChangeKind, changed: Sequence[tuple[int | None, int | None]], *, at: datetime
    ) -> None:
        for subject_id, entity_id in changed:
            self.append(kind, subject_id=subject_id, entity_id=entity_id, at=at)


class FakeQueryLog(_Repository):
    def add_many(self, entries: Sequence[QueryEntry]) -> list[int]:
        ids = []
        for entry in entries:
            query_id = self.store.next_id("queries")
            self.store.queries[query_id] = entry  # frozen
            ids.append(query_id)
        return ids

    def get(self, query_id: int) -> QueryEntry:
        entry = self.store.queries.get(query_id)
        if entry is None:
            raise NotFound(f"check {query_id} does not exist")
        return entry

    def for_key(
        self,
        subject_key: int,
        *,
        since: datetime | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[tuple[int, QueryEntry]]:
        mine = [
            (i, q)
            for i, q in self.store.queries.items()
            if q.subject_key == subject_key and (since is None or q.at >= since)
        ]
        newest = sorted(mine, key=lambda pair: pair[0], reverse=True)[offset:]
        return newest if limit is None else newest[:limit]

    def count_for_key(self, subject_key: int, *, since: datetime | None = None) -> int:
        return len(self.for_key(subject_key, since=since, limit=None))

    def delete_before(self, moment: datetime, *, limit: int) -> tuple[int, int]:
        old = sorted(i for i, q in self.store.queries.items() if q.at < moment)[:limit]
        feedback = [f for f in self.store.feedback if f.query_id in old]
        self.store.feedback = [f for f in self.store.feedback if f.query_id not in old]
        for i in old:
            del self.store.queries[i]
        return len(old), len(feedback)

    def add_feedback(self, feedback: Feedback) -> None:
        self.store.feedback.append(feedback)

    def open_screening(self, *, department: str, matter: str, actor: str, at: datetime) -> int:
        screening_id = self.store.next_id("screenings")
        self.store.screenings[screening_id] = Screening(department, matter, actor, at)
        return screening_id

    def close_screening(
        self, screening_id: int, *, screened: int, matched: int, rejected: int
    ) -> None:
        screening = self.store.screenings.get(screening_id)
        if screening is None:
            raise NotFound(f"screening {screening_id} does not exist")
        screening.screened, screening.matched, screening.rejected = screened, matched, rejected

    def feedback_of(self, query_id: int) -> list[Feedback]:
        return [f for f in self.store.feedback if f.query_id == query_id]

    def count(self, kind: str | None = None) -> int:
        return sum(1 for q in self.store.queries.values() if not kind or q.kind == kind)


class FakeAccountRepository(_Repository):
    def add(self, account: Account) -> int:
        if self.by_subject(account.subject_id) is not None:
            raise DuplicateKey(f"accounts.subject_id {account.subject_id}")
        account.id = self.store.next_id("accounts")
        self.store.accounts[account.id] = replace(account)
        return account.id

    def get(self, account_id: int) -> Account:
        account = self.store.accounts.get(account_id)
        if account is None:
            raise NotFound(f"account {account_id} does not exist")
        return replace(account)

    def by_subject(self, subject_id: int) -> Account | None:
        found = [a for a in self.store.accounts.values() if a.subject_id == subject_id]
        return replace(found[0]) if found else None

    def add_token(
        self,
        account_id: int,
        token_hash: str,
        *,
        at: datetime,
        expires_at: datetime,
        kind: TokenKind = TokenKind.SESSION,
        family: str | None = None,
    ) -> None:
        if token_hash in self.store.tokens:
            raise DuplicateKey("account_tokens.token_hash")
        self.store.tokens[token_hash] = Token(account_id, expires_at, None, kind, family)

    def token_info(self, token_hash: str) -> TokenInfo | None:
        t = self.store.tokens.get(token_hash)
        if t is None:
            return None
        return TokenInfo(t.account_id, t.kind, t.family, t.expires_at, t.revoked_at, t.used_at)

    def use_token(self, token_hash: str, *, at: datetime) -> bool:
        t = self.store.tokens.get(token_hash)
        if t is None or t.used_at is not None or t.revoked_at is not None:
            return False
        t.used_at = at
        return True

    def revoke_family(self, family: str, *, at: datetime) -> int:
        ended = 0
        for t in self.store.tokens.values():
            if t.family == family and t.revoked_at is None:
                t.revoked_at = at
                ended += 1
        return ended

    def by_token(self, token_hash: str, *, at: datetime) -> Account | None:
        token = self.store.tokens.get(token_hash)
        if (
            token is None
            or token.kind is TokenKind.REFRESH
            or token.revoked_at is not None
            or token.expires_at <= at
        ):
            return None
        account = self.store.accounts[token.account_id]
        return replace(account) if account.disabled_at is None else None

    def revoke_token(self, token_hash: str, *, at: datetime) -> bool:
        token = self.store.tokens.get(token_hash)
        if token is None or token.revoked_at is not None:
            return False
        token.revoked_at = at
        return True

    def set_password(self, account_id: int, password_hash: str) -> None:
        self.store.accounts[account_id].password_hash = password_hash

    def revoke_tokens_of(self, account_id: int, *, at: datetime) -> int:
        ended = 0
        for token in self.store.tokens.values():
            if token.account_id == account_id and token.revoked_at is None:
                token.revoked_at = at
                ended += 1
        return ended

    def add_agency(
        self,
        *,
        agent_account_id: int,
        principal_subject_id: int,
        power_of_attorney: str,
        valid_until: date,
        by: str,
        at: datetime,
    ) -> int:
        agency_id = self.store.next_id("agencies")
        self.store.agencies[agency_id] = Agency(
            agent_account_id, principal_subject_id, power_of_attorney, valid_until, by, at
        )
        return agency_id

    def principals_of(self, agent_account_id: int, *, on: date) -> list[int]:
        return [
            a.principal_subject_id
            for a in self.store.agencies.values()
            if a.agent_account_id == agent_account_id
            and a.revoked_at is None
            and a.valid_until >= on
        ]


class FakeAuthorisationRepository(_Repository):
    def add(self, authorisation: Authorisation) -> int:
        authorisation.id = self.store.next_id("authorisations")
        self.store.authorisations[authorisation.id] = replace(authorisation)
        return authorisation.id

    def get(self, authorisation_id: int) -> Authorisation:
        found = self.store.authorisations.get(authorisation_id)
        if found is None:
            raise NotFound(f"authorisation {authorisation_id} does not exist")
        return replace(found)

    def of_subject(self, subject_id: int) -> list[Authorisation]:
        return [
            replace(a)
            for _, a in sorted(self.store.authorisations.items())
            if a.subject_id == subject_id
        ]

    def save(self, authorisation: Authorisation) -> None:
        stored = self.store.authorisations.get(authorisation.id or 0)
        if stored is not None:
            stored.revoked_at = authorisation.revoked_at


class FakeObjectionRepository(_Repository):
    def add(self, objection: Objection) -> int:
        objection.id = self.store.next_id("objections")
        self.store.objections[objection.id] = replace(objection)
        return objection.id

    def get(self, objection_id: int) -> Objection:
        found = self.store.objections.get(objection_id)
        if found is None:
            raise NotFound(f"objection {objection_id} does not exist")
        return replace(found)

    def save(self, objection: Objection) -> None:
        stored = self.store.objections.get(objection.id or 0)
        if stored is not None:
            for name in (
                "status",
                "source_due",
                "extended",
                "extension",
                "outcome",
                "outcome_reasons",
            ):
                setattr(stored, name, getattr(objection, name))
            stored.decided_at = objection.decided_at
            stored.decided_by = objection.decided_by
            stored.challenge = objection.challenge
            stored.centre_due = objection.centre_due
            stored.paused_since = objection.paused_since
            stored.pause_kind = objection.pause_kind
            stored.paused_working_days = objection.paused_working_days

    def of_subject(self, subject_id: int) -> list[Objection]:
        return [
            replace(o)
            for _, o in sorted(self.store.objections.items())
            if o.subject_id == subject_id
        ]

    def open(self, department: str | None) -> list[Objection]:
        return [
            replace(o)
            for _, o in sorted(self.store.objections.items())
            if o.status is not ObjectionStatus.DECIDED
            and (department is None or o.department == department)
        ]

    def may_hold_marks(self, subject_id: int) -> bool:
        return any(
            o.subject_id == subject_id and o.keeps_mark for o in self.store.objections.values()
        ) or any(
            r.subject_id == subject_id and r.under_objection for r in self.store.records.values()
        )


class FakeRepairRepository(_Repository):
    def add(self, repair: Repair) -> int:
        repair.id = self.store.next_id("repairs")
        self.store.repairs[repair.id] = replace(repair)
        return repair.id

    def get(self, repair_id: int) -> Repair:
        found = self.store.repairs.get(repair_id)
        if found is None:
            raise NotFound(f"repair application {repair_id} does not exist")
        return replace(found)

    def save(self, repair: Repair) -> None:
        stored = self.store.repairs.get(repair.id or 0)
        if stored is not None:
            for name in (
                "status",
                "obligations_performed",
                "commitment",
                "missing",
                "accept_due",
                "feedback_due",
                "decided_at",
                "decided_by",
                "reasons",
            ):
                setattr(stored, name, getattr(repair, name))

    def of_subject(self, subject_id: int) -> list[Repair]:
        return [
            replace(r) for _, r in sorted(self.store.repairs.items()) if r.subject_id == subject_id
        ]

    def open(self, department: str | None) -> list[Repair]:
        return [
            replace(r)
            for _, r in sorted(self.store.repairs.items())
            if r.status in (RepairStatus.APPLIED, RepairStatus.ACCEPTED)
            and (department is None or r.department == department)
        ]


class FakeEvidenceRepository(_Repository):
    def add(
        self,
        case_type: CaseType,
        case_id: int,
        *,
        filename: str,
        content_type: str,
        content: bytes,
        at: datetime,
    ) -> int:
        evidence_id = self.store.next_id("evidence")
        digest = hashlib.sha256(content).hexdigest()
        self.store.evidence[evidence_id] = Evidence(
            case_type, case_id, filename, content_type, digest, content, at
        )
        return evidence_id

    def of_case(self, case_type: CaseType, case_id: int) -> list[tuple[int, str, str, str]]:
        return [
            (i, e.filename, e.content_type, e.sha256)
            for i, e in sorted(self.store.evidence.items())
            if (e.case_type, e.case_id) == (case_type, case_id)
        ]

    def content(self, case_type: CaseType, case_id: int, evidence_id: int) -> bytes | None:
        found = self.store.evidence.get(evidence_id)
        if found is None or (found.case_type, found.case_id) != (case_type, case_id):
            return None
        return found.content


class FakeFeed(_Repository):
    def add(self, items: Sequence[FeedItem]) -> list[int]:
        seqs = []
        for item in items:
            seqs.append(self.store.next_id("feed_items"))
            self.store.feed.append(replace(item, seq=seqs[-1]))
        return seqs

    def after(self, recipient: str, seq: int, *, limit: int) -> list[FeedItem]:
        mine = [i for i in self.store.feed if i.recipient == recipient and (i.seq or 0) > seq]
        out = []
        for item in mine[:limit]:
            owed = self.store.acknowledgements.get(item.seq or 0)
            if owed is not None:
                item = replace(
                    item, acknowledge_by=owed.due.day, acknowledged_at=owed.acknowledged_at
                )
            out.append(item)
        return out

    def add_acknowledgements(self, acknowledgements: Sequence[Acknowledgement]) -> None:
        for owed in acknowledgements:
            if owed.seq in self.store.acknowledgements:
                raise DuplicateKey(f"feed_acknowledgements {owed.seq}")
            self.store.acknowledgements[owed.seq] = copy.deepcopy(owed)

    def add_withdrawals(self, withdrawals: Sequence[Withdrawal]) -> None:
        for owed in withdrawals:
            if owed.seq in self.store.withdrawals:
                raise DuplicateKey(f"feed_withdrawals {owed.seq}")
            self.store.withdrawals[owed.seq] = owed

    def acknowledgement(self, seq: int) -> Acknowledgement | None:
        return copy.deepcopy(self.store.acknowledgements.get(seq))

    def save_acknowledgement(self, acknowledgement: Acknowledgement) -> None:
        if acknowledgement.seq not in self.store.acknowledgements:
            raise LookupError(f"acknowledgement {acknowledgement.seq} was never added")
        self.store.acknowledgements[acknowledgement.seq] = copy.deepcopy(acknowledgement)

    def overdue_acknowledgements(self, day: date) -> list[Acknowledgement]:
        found = [a for a in self.store.acknowledgements.values() if a.is_overdue_on(day)]
        return [copy.deepcopy(a) for a in sorted(found, key=lambda a: (a.due.day, a.seq))]

    def deliveries(self, subject_keys: Collection[int]) -> dict[int, list[tuple[str, str]]]:
        """Per subject key, (party, what it was given) for every answered query about it."""
        wanted = set(subject_keys)
        out: dict[int, list[tuple[str, str]]] = {}
        for q in self.store.queries.values():
            if (
                q.subject_key in wanted
                and q.department is not None
                and q.kind != QueryKind.AGENCY_REFUSED
                and q.returned != NOTHING
            ):
                out.setdefault(q.subject_key, []).append((q.department, q.returned))
        return out


class FakeReportRegister(_Repository):
    def add(self, report: IssuedReport) -> None:
        if report.number in self.store.issued_reports:
            raise DuplicateKey(f"issued_reports {report.number}")
        self.store.issued_reports[report.number] = report

    def get(self, number: str) -> IssuedReport | None:
        return self.store.issued_reports.get(number)

    def withdraw(self, subject_id: int, generated_at: datetime) -> list[str]:
        gone = sorted(
            n
            for n, r in self.store.issued_reports.items()
            if r.subject_id == subject_id and r.generated_at == generated_at
        )
        for number in gone:
            del self.store.issued_reports[number]
        return gone


class FakeDeadlineRepository:
    """The deadlines the store's objections, repairs, agencies' acknowledgements, withdrawals and
    revoked records keep, and the person's notices.

    A fake of the overdue view's reads over those kinds; the SQL repository's other kinds
    (list entries, records) are proven on a database (tests/integration/test_deadlines.py).
    (Not a `_Repository`: the port names one of its methods `store`.)
    """

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def _all(self) -> list[Counted]:
        out: list[Counted] = []
        store = self._uow.working
        for w in store.withdrawals.values():
            owed = store.acknowledgements.get(w.seq)
            done = owed is not None and owed.is_acknowledged
            out.append(
                Counted(
                    DeadlineKind.WITHDRAWAL,
                    "feed_item",
                    w.seq,
                    w.subject_id,
                    w.recipient,
                    w.due,
                    not done,
                )
            )
        for record in store.records.values():
            if record.withdraw_by is not None:
                revoked = record.status is RecordStatus.REVOKED
                out.append(
                    Counted(
                        DeadlineKind.WITHDRAWAL,
                        "record",
                        record.id,
                        record.subject_id,
                        None,
                        record.withdraw_by,
                        revoked,
                    )
                )
        for o in self._uow.working.objections.values():
            centre_running = o.status is ObjectionStatus.FILED
            out.append(
                Counted(
                    DeadlineKind.OBJECTION_CHECK,
                    "objection",
                    o.id or 0,
                    o.subject_id,
                    None,
                    o.centre_due,
                    centre_running,
                )
            )
            if o.source_due is not None:
                out.append(
                    Counted(
                        DeadlineKind.OBJECTION_DECISION,
                        "objection",
                        o.id or 0,
                        o.subject_id,
                        o.department,
                        o.source_due,
                        o.status is ObjectionStatus.FORWARDED,
                    )
                )
        for r in self._uow.working.repairs.values():
            for kind, due, running in (
                (DeadlineKind.REPAIR_ACCEPTANCE, r.accept_due, r.status is RepairStatus.APPLIED),
                (
                    DeadlineKind.REPAIR_FEEDBACK,
                    r.feedback_due,
                    r.status in (RepairStatus.APPLIED, RepairStatus.ACCEPTED),
                ),
            ):
                out.append(
                    Counted(kind, "repair", r.id or 0, r.subject_id, r.department, due, running)
                )
        for a in self._uow.working.acknowledgements.values():
            out.append(
                Counted(
                    DeadlineKind.ACKNOWLEDGEMENT,
                    "feed_item",
                    a.seq,
                    a.subject_id,
                    a.agency,
                    a.due,
                    not a.is_acknowledged,
                )
            )
        return out

    def on_fallback(self) -> list[Counted]:
        return [c for c in self._all() if not c.deadline.official]

    def store(
        self, kind: DeadlineKind, entity_type: str, entity_id: int, deadline: Deadline
    ) -> None:
        store = self._uow.working
        if kind is DeadlineKind.WITHDRAWAL and entity_type == "record":
            store.records[entity_id].withdraw_by = deadline
        elif kind is DeadlineKind.WITHDRAWAL:
            store.withdrawals[entity_id] = replace(store.withdrawals[entity_id], due=deadline)
        elif kind is DeadlineKind.OBJECTION_CHECK:
            self._uow.working.objections[entity_id].centre_due = deadline
        elif kind is DeadlineKind.OBJECTION_DECISION:
            self._uow.working.objections[entity_id].source_due = deadline
        elif kind is DeadlineKind.REPAIR_ACCEPTANCE:
            self._uow.working.repairs[entity_id].accept_due = deadline
        elif kind is DeadlineKind.REPAIR_FEEDBACK:
            self._uow.working.repairs[entity_id].feedback_due = deadline
        elif kind is DeadlineKind.ACKNOWLEDGEMENT:
            self._uow.working.acknowledgements[entity_id].due = deadline
        else:
            raise NotFound(f"the fake keeps no {kind.value} deadlines")

    def watched(
        self,
        kinds: Sequence[DeadlineKind],
        *,
        department: str | None,
        due_before: date | None,
        limit: int,
    ) -> list[Watched]:
        found = [
            Watched(
                c.kind,
                c.entity_type,
                c.entity_id,
                c.subject_id,
                c.department,
                c.department or CREDIT_CENTRE,
                c.deadline,
            )
            for c in self._all()
            if c.running
            and self._listed(c)
            and c.kind in kinds
            and (department is None or c.department == department)
            and (due_before is None or c.deadline.day < due_before)
        ]
        return sorted(found, key=lambda w: (w.due.day, w.entity_id))[:limit]

    def _listed(self, c: Counted) -> bool:
        """A withdrawal is listed only while an acknowledgement of it is owed: a record's own
        day is not, nor a department's, which gives no answer (db/deadlines.py)."""
        if c.kind is not DeadlineKind.WITHDRAWAL:
            return True
        return c.entity_type == "feed_item" and c.entity_id in self._uow.working.acknowledgements

    def add_notice(self, notice: Notice) -> None:
        self._uow.working.notices.append(replace(notice, id=self._uow.working.next_id("notices")))

    def notices_of(self, subject_id: int) -> list[Notice]:
        return [n for n in self._uow.working.notices if n.subject_id == subject_id]


class FakeRegistrationRepository(_Repository):
    def add(self, registration: Registration) -> int:
        registration.id = self.store.next_id("registrations")
        self.store.registrations[registration.id] = copy.deepcopy(registration)
        return registration.id

    def get(self, registration_id: int) -> Registration:
        found = self.store.registrations.get(registration_id)
        if found is None:
            raise NotFound(f"registration {registration_id} does not exist")
        return copy.deepcopy(found)

    def save(self, registration: Registration) -> None:
        if registration.id not in self.store.registrations:
            raise NotFound(f"registration {registration.id} does not exist")
        self.store.registrations[registration.id] = copy.deepcopy(registration)

    def pending(self, *, limit: int) -> list[Registration]:
        waiting = [
            r for r in self.store.registrations.values() if r.status is RegistrationStatus.PENDING
        ]
        return [copy.deepcopy(r) for r in sorted(waiting, key=lambda r: r.id or 0)[:limit]]

    def latest_for(self, number: str) -> Registration | None:
        found = [
            r
            for r in self.store.registrations.values()
            if r.number == number and r.status is not RegistrationStatus.VERIFIED
        ]
        return copy.deepcopy(max(found, key=lambda r: r.id or 0)) if found else None


class FakeTipOffRepository(_Repository):
    def add(self, tipoff: TipOff) -> int:
        tipoff.id = self.store.next_id("tipoffs")
        self.store.tipoffs[tipoff.id] = copy.deepcopy(tipoff)
        return tipoff.id

    def get(self, tipoff_id: int) -> TipOff:
        found = self.store.tipoffs.get(tipoff_id)
        if found is None:
            raise NotFound(f"tip-off {tipoff_id} does not exist")
        return copy.deepcopy(found)

    def of_department(self, department: str | None, *, limit: int, offset: int) -> list[TipOff]:
        found = [
            t
            for t in sorted(self.store.tipoffs.values(), key=lambda t: t.id or 0, reverse=True)
            if department is None or t.department == department
        ]
        return [copy.deepcopy(t) for t in found[offset : offset + limit]]

    def count_from(self, source: str, *, since: datetime) -> int:
        return sum(
            1 for t in self.store.tipoffs.values() if t.source == source and t.received_at >= since
        )


class FakeStaffRepository(_Repository):
    def add(self, staff: StaffUser) -> int:
        if self.by_username(staff.username) is not None:
            raise DuplicateKey(f"staff.username {staff.username}")
        staff.id = self.store.next_id("staff")
        self.store.staff[staff.id] = replace(staff)
        return staff.id

    def get(self, staff_id: int) -> StaffUser:
        found = self.store.staff.get(staff_id)
        if found is None:
            raise NotFound(f"staff user {staff_id} does not exist")
        return replace(found)

    def by_username(self, username: str) -> StaffUser | None:
        found = [s for s in self.store.staff.values() if s.username == username]
        return replace(found[0]) if found else None

    def list(self) -> list[StaffUser]:
        return [replace(s) for s in sorted(self.store.staff.values(), key=lambda s: s.username)]

    def save(self, staff: StaffUser) -> None:
        if staff.id not in self.store.staff:
            raise NotFound(f"staff user {staff.id} does not exist")
        self.store.staff[staff.id] = replace(staff)

    def add_session(
        self, staff_id: int, token_hash: str, *, at: datetime, expires_at: datetime
    ) -> None:
        if token_hash in self.store.staff_sessions:
            raise DuplicateKey("staff_sessions.token_hash")
        self.store.staff_sessions[token_hash] = StaffSession(staff_id, expires_at)

    def live_session(self, token_hash: str, *, at: datetime) -> tuple[StaffUser, bool] | None:
        found = self.store.staff_sessions.get(token_hash)
        if found is None or found.revoked_at is not None or found.expires_at <= at:
            return None
        staff = self.store.staff[found.staff_id]
        return (replace(staff), found.confirmed) if staff.disabled_at is None else None

    def confirm_session(self, token_hash: str, *, at: datetime, expires_at: datetime) -> None:
        found = self.store.staff_sessions.get(token_hash)
        if found is not None and found.revoked_at is None:
            found.confirmed, found.expires_at = True, expires_at

    def revoke_sessions(self, staff_id: int, *, at: datetime) -> None:
        for found in self.store.staff_sessions.values():
            if found.staff_id == staff_id and found.revoked_at is None:
                found.revoked_at = at

    def revoke_session(self, token_hash: str, *, at: datetime) -> None:
        found = self.store.staff_sessions.get(token_hash)
        if found is not None and found.revoked_at is None:
            found.revoked_at = at


class FakeStatisticsQueries(_Repository):
    def records_by_month(self, *, since: date) -> list[MonthCount]:
        counted: dict[tuple[int, int, str, str], int] = {}
        for r in self.store.records.values():
            if r.decision_date >= since:
                key = (r.decision_date.year, r.decision_date.month, r.department, r.item_code)
                counted[key] = counted.get(key, 0) + 1
        return [MonthCount(*key, n) for key, n in counted.items()]

    def publicity(self, *, since: date) -> list[tuple[str, datetime, date]]:
        return [
            (r.department, r.received_at, r.publish_by)
            for r in self.store.records.values()
            if r.publish_by is not None and r.decision_date >= since
        ]

    def decided_cases(self, *, since: datetime) -> list[Due]:
        found = [
            Due(
                "objection",
                o.department,
                (o.source_due or o.centre_due).day,
                o.decided_at,
                stopped=o.paused_since is not None,
            )
            for o in self.store.objections.values()
            if (o.decided_at is None or o.decided_at >= since) and o.outcome != NOT_ABOUT_SUBJECT
        ]
        return found + [
            Due("repair", p.department, p.feedback_due.day, p.decided_at)
            for p in self.store.repairs.values()
            if (p.decided_at is None or p.decided_at >= since)
            and p.status not in (RepairStatus.NOT_ABOUT_SUBJECT, RepairStatus.MISSING_MATERIALS)
        ]

    def feedback(self, *, since: datetime) -> list[FeedbackCount]:
        asked: dict[str, set[int]] = {}
        for query_id, q in self.store.queries.items():
            if (
                q.kind == "check"
                and q.department is not None
                and q.returned not in ("none", "refused")
                and q.at >= since
            ):
                asked.setdefault(q.department, set()).add(query_id)
        answered = {f.query_id for f in self.store.feedback}
        return [FeedbackCount(d, len(ids), len(ids & answered)) for d, ids in asked.items()]


class FakeAgencyRepository(_Repository):
    def licence_of(self, agency: str) -> Licence | None:
        return self.store.licences.get(agency)

    def set_licence(self, agency: str, licence: Licence, *, by: str, at: datetime) -> bool:
        if self.store.licences.get(agency) == licence:
            return False
        self.store.licences[agency] = licence
        return True

    def active_blacklisting(self, agency: str) -> Blacklisting | None:
        found = [b for b in self.store.blacklistings.values() if b.agency == agency and b.is_active]
        return copy.deepcopy(found[-1]) if found else None

    def add_blacklisting(self, blacklisting: Blacklisting) -> int:
        blacklisting.id = self.store.next_id("agency_blacklistings")
        self.store.blacklistings[blacklisting.id] = copy.deepcopy(blacklisting)
        return blacklisting.id

    def save_blacklisting(self, blacklisting: Blacklisting) -> None:
        if blacklisting.id not in self.store.blacklistings:
            raise LookupError(f"blacklisting {blacklisting.id} was never added")
        self.store.blacklistings[blacklisting.id] = copy.deepcopy(blacklisting)

    def blacklistings(self) -> list[Blacklisting]:
        return [copy.deepcopy(b) for _, b in sorted(self.store.blacklistings.items())]

    def add_staff(self, member: AgencyStaffMember) -> int:
        if self.staff_member(member.agency, member.number) is not None:
            raise DuplicateKey(f"agency_staff {member.agency} {member.number}")
        member.id = self.store.next_id("agency_staff")
        self.store.agency_staff[member.id] = copy.deepcopy(member)
        return member.id

    def save_staff_departure(self, member: AgencyStaffMember) -> None:
        if member.id not in self.store.agency_staff:
            raise LookupError(f"agency staff {member.id} was never added")
        self.store.agency_staff[member.id] = copy.deepcopy(member)

    def staff_member(self, agency: str, number: str) -> AgencyStaffMember | None:
        found = [
            m for m in self.store.agency_staff.values() if (m.agency, m.number) == (agency, number)
        ]
        return copy.deepcopy(found[0]) if found else None

    def staff_by_id(self, staff_id: int) -> AgencyStaffMember | None:
        member = self.store.agency_staff.get(staff_id)
        return copy.deepcopy(member) if member else None

    def staff_of(self, agency: str) -> list[AgencyStaffMember]:
        found = [m for m in self.store.agency_staff.values() if m.agency == agency]
        return [copy.deepcopy(m) for m in sorted(found, key=lambda m: m.number)]

    def active_staff_blacklisting(self, staff_id: int) -> Blacklisting | None:
        found = [
            b
            for _, b in sorted(self.store.staff_blacklistings.items())
            if b.staff == staff_id and b.is_active
        ]
        return copy.deepcopy(found[-1]) if found else None

    def add_staff_blacklisting(self, blacklisting: Blacklisting) -> int:
        if blacklisting.staff not in self.store.agency_staff:
            raise LookupError(f"agency staff {blacklisting.staff} was never added")
        blacklisting.id = self.store.next_id("agency_staff_blacklistings")
        self.store.staff_blacklistings[blacklisting.id] = copy.deepcopy(blacklisting)
        return blacklisting.id

    def save_staff_blacklisting(self, blacklisting: Blacklisting) -> None:
        if blacklisting.id not in self.store.staff_blacklistings:
            raise LookupError(f"staff blacklisting {blacklisting.id} was never added")
        self.store.staff_blacklistings[blacklisting.id] = copy.deepcopy(blacklisting)


def _subject_matches(subject: Subject, term: SearchTerm | None, region: str | None) -> bool:
    """The public search's rule for a subject, in Python (the SQL side: db/publication.py)."""
    if region is not None and not (subject.region_code or "").startswith(region):
        return False
    if term is None:
        return True
    person = subject.kind is SubjectType.PERSON
    if term.kind is TermKind.MASKED_NUMBER:
        head, tail = term.masked_parts
        return (
            person
            and len(subject.number) == 18
            and subject.number[:10] == head
            and (subject.number[14:] == tail)
        )
    if term.kind is TermKind.CREDIT_CODE:
        return subject.number == term.value
    return published_name_matches(term, subject.name, person=person)


class FakePublicationQueries(_Repository):
    def records(
        self,
        day: date,
        *,
        term: SearchTerm | None,
        region: str | None,
        items: Collection[str] | None,
        limit: int,
        offset: int,
    ) -> tuple[int, list[tuple[CreditRecord, Subject]]]:
        shown = [
            r
            for r in self.store.records.values()
            if r.published
            and r.is_displayable_on(day)
            and r.decision_date <= day
            and (items is None or r.item_code in items)
            and _subject_matches(self.store.subjects[r.subject_id], term, region)
        ]
        shown.sort(key=lambda r: (r.decision_date, r.id), reverse=True)
        page = shown[offset : offset + limit]
        return len(shown), [
            (copy.deepcopy(r), replace(self.store.subjects[r.subject_id])) for r in page
        ]

    def listings(
        self,
        day: date,
        *,
        term: SearchTerm | None,
        region: str | None,
        lists: Mapping[str, ListType],
        limit: int,
        offset: int,
    ) -> tuple[int, list[tuple[ListEntry, Subject, str | None]]]:
        found: list[tuple[ListEntry, Subject, str | None]] = []
        for entry_id, row in self.store.entries.items():
            if row.list_code not in lists:
                continue
            entry = FakeListEntryRepository._entry(entry_id, row, lists)
            subject = self.store.subjects[entry.subject_id]
            if (
                entry.state is EntryState.PUBLISHED
                and entry.is_in_force_on(day)
                and _subject_matches(subject, term, region)
            ):
                found.append((entry, replace(subject), row.department))
        found.sort(key=lambda f: (f[0].decided_on or date.min, f[0].id or 0), reverse=True)
        return len(found), found[offset : offset + limit]


class FakeOutbox(_Repository):
    """The outbox in memory: the changes queued, in order (`store.outbox`)."""

    paused = False

    def origin(self) -> str | None:
        return None if self.paused else self.store.node_code

    def add(self, change: ExchangeChange, *, at: datetime) -> int:
        self.store.outbox.append(change)
        return len(self.store.outbox)

    def add_many(self, changes: Sequence[ExchangeChange], *, at: datetime) -> None:
        self.store.outbox.extend(changes)

    def pause(self) -> None:
        self.paused = True

    def foreign(self, entities: Sequence[Entity]) -> set[Entity]:
        return {e for e in entities if e in self.store.owners}

    def pending(self, limit: int) -> list[tuple[int, ExchangeChange]]:
        return list(enumerate(self.store.outbox, start=1))[:limit]

    def mark_sent(self, seqs: Sequence[int], *, at: datetime) -> None:
        raise NotImplementedError("the relay runs over SQL (tests/integration)")

    def holds_copy(self, peer: str, entity: Entity) -> bool:
        return False

    def record_copies(self, peer: str, entities: Sequence[Entity]) -> None:
        raise NotImplementedError("the relay runs over SQL (tests/integration)")

    def count_pending(self) -> int:
        return len(self.store.outbox)

    def last_seq(self) -> int:
        return len(self.store.outbox)


class FakeCourtCandidates(_Repository):
    def imported(self, source: str) -> bool:
        return any(c.source == source for c in self.store.candidates)

    def add_many(self, candidates: Sequence[ReviewCandidate], *, at: datetime) -> None:
        for c in candidates:
            self.store.candidates.append(replace(c, id=self.store.next_id("court_candidates")))

    def open(self, *, limit: int) -> list[ReviewCandidate]:
        found = [c for c in self.store.candidates if c.status is CandidateStatus.OPEN]
        return found[:limit]

    def get(self, candidate_id: int) -> ReviewCandidate:
        found = next((c for c in self.store.candidates if c.id == candidate_id), None)
        if found is None:
            raise NotFound(f"court candidate {candidate_id} does not exist")
        return found

    def decide(self, candidate: ReviewCandidate) -> None:
        self.store.candidates = [
            candidate if c.id == candidate.id else c for c in self.store.candidates
        ]


class FakeUnitOfWork:
    """The unit of work over a `Store` in memory; `committed` is what a database would hold."""

    subjects: FakeSubjectRepository
    reviews: FakeIdentityReviewRepository
    records: FakeRecordRepository
    batches: FakeBatchRepository
    departments: FakeDepartmentRepository
    keys: FakeApiKeyRepository
    audit: FakeAuditLog
    entries: FakeListEntryRepository
    changes: FakeChangeLog
    queries: FakeQueryLog
    accounts: FakeAccountRepository
    authorisations: FakeAuthorisationRepository
    objections: FakeObjectionRepository
    repairs: FakeRepairRepository
    evidence: FakeEvidenceRepository
    feed: FakeFeed
    reports: FakeReportRegister
    deadlines: FakeDeadlineRepository
    registrations: FakeRegistrationRepository
    tipoffs: FakeTipOffRepository
    agencies: FakeAgencyRepository
    publication: FakePublicationQueries
    outbox: FakeOutbox
    candidates: FakeCourtCandidates
    staff: FakeStaffRepository
    statistics: FakeStatisticsQueries

    def __init__(self, at: datetime, store: Store | None = None) -> None:
        self.at = at
        self.committed = store or Store()
        #: How many times `commit()` was called: a refusal must leave it where it was.
        self.commits = 0
        self._working: Store | None = None
        self.subjects = FakeSubjectRepository(self)
        self.reviews = FakeIdentityReviewRepository(self)
        self.records = FakeRecordRepository(self)
        self.batches = FakeBatchRepository(self)
        self.departments = FakeDepartmentRepository(self)
        self.keys = FakeApiKeyRepository(self)
        self.audit = FakeAuditLog(self)
        self.entries = FakeListEntryRepository(self)
        self.changes = FakeChangeLog(self)
        self.queries = FakeQueryLog(self)
        self.accounts = FakeAccountRepository(self)
        self.authorisations = FakeAuthorisationRepository(self)
        self.objections = FakeObjectionRepository(self)
        self.repairs = FakeRepairRepository(self)
        self.evidence = FakeEvidenceRepository(self)
        self.feed = FakeFeed(self)
        self.reports = FakeReportRegister(self)
        self.deadlines = FakeDeadlineRepository(self)
        self.registrations = FakeRegistrationRepository(self)
        self.tipoffs = FakeTipOffRepository(self)
        self.agencies = FakeAgencyRepository(self)
        self.publication = FakePublicationQueries(self)
        self.outbox = FakeOutbox(self)
        self.candidates = FakeCourtCandidates(self)
        self.staff = FakeStaffRepository(self)
        self.statistics = FakeStatisticsQueries(self)

    @property
    def working(self) -> Store:
        """The open transaction's store (what the repositories read and write)."""
        if self._working is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        return self._working

    def __enter__(self) -> Self:
        if self._working is not None:
            raise RuntimeError("the unit of work is entered twice")
        self._working = copy.deepcopy(self.committed)
        self.outbox.paused = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._working = None  # what was not committed is gone

    def commit(self) -> None:
        self.committed = copy.deepcopy(self.working)
        self.commits += 1

    def rollback(self) -> None:
        if self._working is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        self._working = copy.deepcopy(self.committed)

    def now(self) -> datetime:
        return self.at

    def snapshot(self) -> Store:
        """A copy of what is committed now, to compare with later (`uow.committed == before`)."""
        return copy.deepcopy(self.committed)
