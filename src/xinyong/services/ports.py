"""What the services need from storage: the unit of work and its repositories, as Protocols."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from types import TracebackType
from typing import Protocol, Self

from xinyong.domain.access import ApiKey
from xinyong.domain.audit import AuditEvent
from xinyong.domain.departments import Department
from xinyong.domain.errors import FieldProblem
from xinyong.domain.index import Posting
from xinyong.domain.ingestion import Batch, BatchSource
from xinyong.domain.lists import ListEntry, ListType
from xinyong.domain.records import CreditRecord, RecordStatus, Submission
from xinyong.domain.reports import IssuedReport
from xinyong.domain.rights import Account, Authorisation, FeedItem, Objection, Repair
from xinyong.domain.subjects import IdentityConflict, Role, Subject

#: Business dates are China Standard Time dates (UTC+8, no daylight saving).
CHINA_TIME = timezone(timedelta(hours=8), "CST")


def business_date(moment: datetime) -> date:
    """Return the date in China of a UTC timestamp: deadlines and periods count in that calendar."""
    return moment.astimezone(CHINA_TIME).date()


@dataclass(frozen=True, slots=True)
class StoredState:
    """Just enough of a stored record to decide whether a resubmission changes it."""

    id: int
    content_hash: str
    status: RecordStatus


@dataclass(frozen=True, slots=True)
class NewRecord:
    """A validated submission bound to its subject, ready to store."""

    submission: Submission
    subject_id: int
    status: RecordStatus
    batch_id: int | None


@dataclass(frozen=True, slots=True)
class IdentityReview:
    """A held submission waiting for a person to decide who it is about."""

    id: int
    subject_id: int
    record_id: int
    kind: str
    known_value: str
    submitted_value: str
    status: str
    created_at: datetime
    resolution: str | None = None
    note: str | None = None


class SubjectRepository(Protocol):
    def find_by_numbers(self, numbers: Collection[str]) -> dict[str, Subject]: ...
    def get_by_number(self, number: str) -> Subject | None: ...
    def get(self, subject_id: int) -> Subject: ...
    def add_many(self, subjects: Sequence[Subject], *, at: datetime) -> None:
        """Store new subjects and set their ids."""
        ...

    def add_role(self, role: Role) -> None: ...
    def roles_of(self, subject_id: int) -> list[Role]: ...


class RecordRepository(Protocol):
    def find_states(
        self, department: str, document_numbers: Collection[str]
    ) -> dict[str, StoredState]: ...
    def add_many(self, records: Sequence[NewRecord], *, at: datetime) -> None:
        """Insert new records (their ids come from `find_states` where needed)."""
        ...

    def replace(self, record_id: int, record: NewRecord, *, at: datetime) -> None:
        """Overwrite a record with a resubmission, keeping the old version as a revision."""
        ...

    def get(self, record_id: int) -> CreditRecord: ...
    def active_of_items(self, items: Collection[str]) -> list[CreditRecord]: ...
    def of_subject(self, subject_id: int) -> list[CreditRecord]: ...
    def past_display(self, day: date, *, limit: int) -> list[CreditRecord]: ...
    def published(
        self, day: date, *, item: str | None, limit: int, offset: int
    ) -> list[tuple[CreditRecord, Subject]]: ...
    def delete_past_retention(self, day: date) -> list[tuple[int, int]]: ...
    def save_status(self, record: CreditRecord) -> None: ...
    def count(self) -> int: ...


class BatchRepository(Protocol):
    def open(
        self,
        department: str,
        *,
        source: BatchSource,
        filename: str | None,
        sha256: str | None,
        actor: str,
        at: datetime,
    ) -> Batch: ...
    def find_open(self, department: str, sha256: str) -> Batch | None: ...
    def get(self, batch_id: int) -> Batch: ...
    def save_progress(self, batch: Batch) -> None: ...
    def add_rejects(self, batch_id: int, problems: Sequence[FieldProblem]) -> None: ...
    def rejects(self, batch_id: int) -> list[FieldProblem]: ...


class IdentityReviewRepository(Protocol):
    def add(
        self, *, subject_id: int, record_id: int, conflict: IdentityConflict, at: datetime
    ) -> int: ...
    def list(
        self, *, status: str | None = "open", limit: int = 100, offset: int = 0
    ) -> list[IdentityReview]: ...
    def get(self, review_id: int) -> IdentityReview: ...
    def resolve(
        self, review_id: int, *, resolution: str, note: str, by: str, at: datetime
    ) -> None: ...


class DepartmentRepository(Protocol):
    def get(self, code: str) -> Department | None: ...
    def list(self) -> list[Department]: ...
    def upsert(self, department: Department, *, at: datetime) -> bool:
        """Store or update a department; return True if anything changed."""
        ...


class ApiKeyRepository(Protocol):
    def add(self, key: ApiKey) -> int: ...
    def by_prefix(self, prefix: str) -> ApiKey | None: ...
    def list(self) -> list[ApiKey]: ...
    def revoke(self, prefix: str, *, at: datetime) -> bool: ...


class ListEntryRepository(Protocol):
    def add(
        self, entry: ListEntry, *, department: str | None, source_record: int | None, at: datetime
    ) -> int:
        """Store a new entry and set its id."""
        ...

    def get(self, entry_id: int, list_types: Mapping[str, ListType]) -> ListEntry: ...
    def department_of(self, entry_id: int) -> str | None: ...
    def source_record_of(self, entry_id: int) -> int | None: ...
    def past_period(self, day: date, list_types: Mapping[str, ListType]) -> list[ListEntry]: ...
    def save(self, entry: ListEntry, *, at: datetime) -> None: ...
    def of_subject(
        self, subject_id: int, list_types: Mapping[str, ListType]
    ) -> list[ListEntry]: ...
    def linked_records(self, record_ids: Collection[int]) -> set[int]:
        """Which of these records already have an entry recorded from them."""
        ...

    def count(self, state: str | None = None) -> int: ...


class ChangeLog(Protocol):
    """The ordered log of changes a check must see (listings, exits, objections, roles)."""

    def append(
        self, kind: str, *, subject_id: int | None, entity_id: int | None, at: datetime
    ) -> int:
        """Append a change and return its sequence number; appends are serialised until commit."""
        ...


@dataclass(frozen=True, slots=True)
class QueryEntry:
    """One look at a subject's file: who, when, for what, on what authority, what was returned."""

    at: datetime
    subject_key: int
    kind: str
    department: str | None
    actor: str
    purpose: str
    authority: str
    returned: str
    screening_id: int | None = None


@dataclass(frozen=True, slots=True)
class Feedback:
    query_id: int
    measure: str
    applied: bool
    reason: str | None
    actor: str
    at: datetime


class QueryLogRepository(Protocol):
    def add_many(self, entries: Sequence[QueryEntry]) -> list[int]:
        """Store entries and return their ids, in order."""
        ...

    def get(self, query_id: int) -> QueryEntry: ...
    def for_key(self, subject_key: int, *, limit: int = 100) -> list[tuple[int, QueryEntry]]: ...
    def add_feedback(self, feedback: Feedback) -> None: ...
    def open_screening(self, *, department: str, matter: str, actor: str, at: datetime) -> int: ...
    def close_screening(
        self, screening_id: int, *, screened: int, matched: int, rejected: int
    ) -> None: ...
    def feedback_of(self, query_id: int) -> list[Feedback]: ...
    def count(self, kind: str | None = None) -> int: ...


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

    def numbers_of(self, subject_ids: Collection[int]) -> dict[int, str]: ...


class AccountRepository(Protocol):
    def add(self, account: Account) -> int: ...
    def get(self, account_id: int) -> Account: ...
    def by_subject(self, subject_id: int) -> Account | None: ...
    def add_token(
        self, account_id: int, token_hash: str, *, at: datetime, expires_at: datetime
    ) -> None: ...
    def by_token(self, token_hash: str, *, at: datetime) -> Account | None:
        """The account a live (unexpired, unrevoked) token belongs to."""
        ...

    def revoke_token(self, token_hash: str, *, at: datetime) -> bool: ...
    def add_agency(
        self,
        *,
        agent_account_id: int,
        principal_subject_id: int,
        power_of_attorney: str,
        valid_until: date,
        by: str,
        at: datetime,
    ) -> int: ...
    def principals_of(self, agent_account_id: int, *, on: date) -> list[int]:
        """The subjects an agent may act for on `on` (live powers of attorney)."""
        ...


class RightsRepository(Protocol):
    """Authorisations, objections, repairs, evidence files and the feed."""

    def add_authorisation(self, authorisation: Authorisation) -> int: ...
    def get_authorisation(self, authorisation_id: int) -> Authorisation: ...
    def authorisations_of(self, subject_id: int) -> list[Authorisation]: ...
    def save_authorisation(self, authorisation: Authorisation) -> None: ...
    def add_objection(self, objection: Objection) -> int: ...
    def get_objection(self, objection_id: int) -> Objection: ...
    def save_objection(self, objection: Objection) -> None: ...
    def objections_of(self, subject_id: int) -> list[Objection]: ...
    def open_objections(self, department: str | None) -> list[Objection]: ...
    def add_repair(self, repair: Repair) -> int: ...
    def get_repair(self, repair_id: int) -> Repair: ...
    def save_repair(self, repair: Repair) -> None: ...
    def repairs_of(self, subject_id: int) -> list[Repair]: ...
    def open_repairs(self, department: str | None) -> list[Repair]: ...
    def add_evidence(
        self,
        case_type: str,
        case_id: int,
        *,
        filename: str,
        content_type: str,
        content: bytes,
        at: datetime,
    ) -> int: ...
    def evidence_of(self, case_type: str, case_id: int) -> list[tuple[int, str, str, str]]:
        """(id, filename, content type, sha256) of each file."""
        ...

    def add_feed(self, items: Sequence[FeedItem]) -> None: ...
    def feed_after(self, recipient: str, seq: int, *, limit: int) -> list[FeedItem]: ...
    def deliveries(self, subject_key: int) -> list[tuple[str, str]]:
        """(party, what it was given) for every answered query about this subject."""
        ...


class ReportRegister(Protocol):
    """The reports the platform issued (number, whose, when, content digest): no content."""

    def add(self, report: IssuedReport) -> None: ...
    def get(self, number: str) -> IssuedReport | None: ...


class AuditLog(Protocol):
    def add(self, event: AuditEvent) -> None: ...
    def count(self, tag: str | None = None) -> int: ...
    def count_since(self, tag: str, *, subject_id: int, since: datetime) -> int: ...


class UnitOfWork(Protocol):
    """One transaction. Leaving the `with` block without `commit()` rolls back."""

    @property
    def subjects(self) -> SubjectRepository: ...
    @property
    def records(self) -> RecordRepository: ...
    @property
    def batches(self) -> BatchRepository: ...
    @property
    def reviews(self) -> IdentityReviewRepository: ...
    @property
    def departments(self) -> DepartmentRepository: ...
    @property
    def keys(self) -> ApiKeyRepository: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def entries(self) -> ListEntryRepository: ...
    @property
    def changes(self) -> ChangeLog: ...
    @property
    def queries(self) -> QueryLogRepository: ...
    @property
    def accounts(self) -> AccountRepository: ...
    @property
    def rights(self) -> RightsRepository: ...
    @property
    def reports(self) -> ReportRegister: ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def now(self) -> datetime:
        """The current UTC time: the only clock services read."""
        ...
