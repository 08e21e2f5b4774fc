"""The unit of work: one transaction, and each area's repository bound to it.

Each area declares the repository it needs beside its use cases (`services/<area>.py`); this
module only gathers them. `db/unit_of_work.py` implements it on SQL, `tests/fakes.py` in memory.
"""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

if TYPE_CHECKING:
    from xinyong.services.accounts import AccountRepository
    from xinyong.services.agencies import AgencyRepository
    from xinyong.services.audit import AuditLog
    from xinyong.services.authorisations import AuthorisationRepository
    from xinyong.services.batches import BatchRepository
    from xinyong.services.checks import ChangeLog
    from xinyong.services.court_candidates import CourtCandidateRepository
    from xinyong.services.deadlines import DeadlineRepository
    from xinyong.services.departments import DepartmentRepository
    from xinyong.services.evidence import EvidenceRepository
    from xinyong.services.exchange import Outbox
    from xinyong.services.feed import FeedRepository
    from xinyong.services.keys import ApiKeyRepository
    from xinyong.services.lists import ListEntryRepository
    from xinyong.services.objections import ObjectionRepository
    from xinyong.services.publication import PublicationQueries
    from xinyong.services.querylog import QueryLogRepository
    from xinyong.services.records import RecordRepository
    from xinyong.services.registrations import RegistrationRepository
    from xinyong.services.repairs import RepairRepository
    from xinyong.services.reports import ReportRegister
    from xinyong.services.staff import StaffRepository
    from xinyong.services.statistics import StatisticsQueries
    from xinyong.services.subjects import IdentityReviewRepository, SubjectRepository
    from xinyong.services.tipoffs import TipOffRepository


class UnitOfWork(Protocol):
    """One transaction. Leaving the `with` block without `commit()` rolls back."""

    @property
    def subjects(self) -> SubjectRepository: ...
    @property
    def reviews(self) -> IdentityReviewRepository: ...
    @property
    def records(self) -> RecordRepository: ...
    @property
    def batches(self) -> BatchRepository: ...
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
    def authorisations(self) -> AuthorisationRepository: ...
    @property
    def objections(self) -> ObjectionRepository: ...
    @property
    def repairs(self) -> RepairRepository: ...
    @property
    def evidence(self) -> EvidenceRepository: ...
    @property
    def feed(self) -> FeedRepository: ...
    @property
    def reports(self) -> ReportRegister: ...
    @property
    def deadlines(self) -> DeadlineRepository: ...
    @property
    def registrations(self) -> RegistrationRepository: ...
    @property
    def tipoffs(self) -> TipOffRepository: ...
    @property
    def agencies(self) -> AgencyRepository: ...
    @property
    def publication(self) -> PublicationQueries: ...
    @property
    def candidates(self) -> CourtCandidateRepository: ...
    @property
    def outbox(self) -> Outbox:
        """Changes for the exchange between platforms, queued in this transaction."""
        ...

    @property
    def staff(self) -> StaffRepository: ...
    @property
    def statistics(self) -> StatisticsQueries: ...

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
