"""The SQL unit of work: one session, one transaction, each area's repository bound to it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from xinyong.db.accounts import SqlAccountRepository
from xinyong.db.agencies import SqlAgencyRepository
from xinyong.db.audit import SqlAuditLog
from xinyong.db.authorisations import SqlAuthorisationRepository
from xinyong.db.batches import SqlBatchRepository
from xinyong.db.checks import SqlChangeLog
from xinyong.db.court_candidates import SqlCourtCandidates
from xinyong.db.deadlines import SqlDeadlineRepository
from xinyong.db.departments import SqlDepartmentRepository
from xinyong.db.evidence import SqlEvidenceRepository
from xinyong.db.exchange import SqlInbox, SqlNodeRepository, SqlOutbox, SqlPeerRepository
from xinyong.db.feed import SqlFeed
from xinyong.db.keys import SqlApiKeyRepository
from xinyong.db.lists import SqlListEntryRepository
from xinyong.db.objections import SqlObjectionRepository
from xinyong.db.publication import SqlPublicationQueries
from xinyong.db.querylog import SqlQueryLog
from xinyong.db.records import SqlRecordRepository
from xinyong.db.registrations import SqlRegistrationRepository
from xinyong.db.repairs import SqlRepairRepository
from xinyong.db.reports import SqlReportRegister
from xinyong.db.staff import SqlStaffRepository
from xinyong.db.statistics import SqlStatisticsQueries
from xinyong.db.subjects import SqlIdentityReviewRepository, SqlSubjectRepository
from xinyong.db.tipoffs import SqlTipOffRepository


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SqlUnitOfWork:
    """Opens a session on `with`, rolls back on leaving unless `commit()` was called.

    The same object may be entered again after it left: each `with` is a new transaction, which is
    how ingestion commits one chunk at a time.
    """

    subjects: SqlSubjectRepository
    reviews: SqlIdentityReviewRepository
    records: SqlRecordRepository
    batches: SqlBatchRepository
    departments: SqlDepartmentRepository
    keys: SqlApiKeyRepository
    audit: SqlAuditLog
    entries: SqlListEntryRepository
    changes: SqlChangeLog
    queries: SqlQueryLog
    accounts: SqlAccountRepository
    authorisations: SqlAuthorisationRepository
    objections: SqlObjectionRepository
    repairs: SqlRepairRepository
    evidence: SqlEvidenceRepository
    feed: SqlFeed
    reports: SqlReportRegister
    deadlines: SqlDeadlineRepository
    registrations: SqlRegistrationRepository
    tipoffs: SqlTipOffRepository
    agencies: SqlAgencyRepository
    publication: SqlPublicationQueries
    candidates: SqlCourtCandidates
    node: SqlNodeRepository
    peers: SqlPeerRepository
    outbox: SqlOutbox
    inbox: SqlInbox
    staff: SqlStaffRepository
    statistics: SqlStatisticsQueries

    def __init__(
        self, session_factory: sessionmaker[Session], clock: Callable[[], datetime] = _utcnow
    ) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is used outside its `with` block")
        return self._session

    def __enter__(self) -> Self:
        session = self.session_factory()
        self._session = session
        self.subjects = SqlSubjectRepository(session)
        self.reviews = SqlIdentityReviewRepository(session)
        self.records = SqlRecordRepository(session)
        self.batches = SqlBatchRepository(session)
        self.departments = SqlDepartmentRepository(session)
        self.keys = SqlApiKeyRepository(session)
        self.audit = SqlAuditLog(session)
        self.entries = SqlListEntryRepository(session)
        self.changes = SqlChangeLog(session)
        self.queries = SqlQueryLog(session)
        self.accounts = SqlAccountRepository(session)
        self.authorisations = SqlAuthorisationRepository(session)
        self.objections = SqlObjectionRepository(session)
        self.repairs = SqlRepairRepository(session)
        self.evidence = SqlEvidenceRepository(session)
        self.feed = SqlFeed(session)
        self.reports = SqlReportRegister(session)
        self.deadlines = SqlDeadlineRepository(session)
        self.registrations = SqlRegistrationRepository(session)
        self.tipoffs = SqlTipOffRepository(session)
        self.agencies = SqlAgencyRepository(session)
        self.publication = SqlPublicationQueries(session)
        self.candidates = SqlCourtCandidates(session)
        self.node = SqlNodeRepository(session)
        self.peers = SqlPeerRepository(session)
        self.outbox = SqlOutbox(session)
        self.inbox = SqlInbox(session)
        self.staff = SqlStaffRepository(session)
        self.statistics = SqlStatisticsQueries(session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self.session, None
        try:
            session.rollback()
        finally:
            session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def now(self) -> datetime:
        return self.clock()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
