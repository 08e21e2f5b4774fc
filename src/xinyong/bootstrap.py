"""The composition root: everything a running platform needs, built once from its settings.

`create_app` (web/app.py), every CLI command (cli/context.py) and the tests call `build()`; nothing
else creates engines, units of work, the checker or the query-log writer. Long-lived parts (the
checker's index, the writer thread) start on first use and stop with `close()`.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from xinyong.config import Settings, get_settings
from xinyong.db.checks import SqlIndexSource
from xinyong.db.engine import make_engine
from xinyong.db.querylog_writers import bulk_query_writer, query_log_appender
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain import vault
from xinyong.domain.calendar import business_date
from xinyong.domain.policy import Policy, load_policy
from xinyong.domain.querylog import QueryEntry
from xinyong.domain.vault import Vault
from xinyong.services import accounts, report_render
from xinyong.services.checks import Checker
from xinyong.services.pdf import Printer, PrintWorkers, render_pdf
from xinyong.services.querylog import QueryLogWriter
from xinyong.services.registrations import VERIFIERS, IdentityVerifier
from xinyong.services.reports import build_report, withdraw_unprinted
from xinyong.services.screening import ScreeningSink

Clock = Callable[[], datetime]

log = logging.getLogger(__name__)


def utcnow() -> datetime:
    """The wall clock, in UTC: the default clock of every unit of work."""
    return datetime.now(UTC)


@dataclass
class Platform:
    """One configured platform: settings, policy, engines, units of work, and the check path."""

    settings: Settings
    policy: Policy
    engine: Engine
    #: Reads beside the writers (API keys, the listing index) take no write lock on SQLite.
    read_engine: Engine
    clock: Clock
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    index_source: SqlIndexSource
    _checker: Checker | None = field(default=None, repr=False)
    _writer: QueryLogWriter | None = field(default=None, repr=False)
    _printer: PrintWorkers | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def uow(self) -> SqlUnitOfWork:
        """A unit of work for one use case (one transaction per `with`)."""
        return SqlUnitOfWork(self.sessions, self.clock)

    def read_uow(self) -> SqlUnitOfWork:
        """A unit of work for reads beside the writers (it never takes SQLite's write lock)."""
        return SqlUnitOfWork(self.read_sessions, self.clock)

    def uow_at(self, moment: datetime | None) -> SqlUnitOfWork:
        """A unit of work whose clock reads `moment` (None: this platform's clock), for history
        entered after the fact (the demo's dated procedures)."""
        if moment is None:
            return self.uow()
        return SqlUnitOfWork(self.sessions, lambda: moment)

    def today(self) -> date:
        """Today's business date (in China), by this platform's clock."""
        return business_date(self.clock())

    @property
    def loaded_checker(self) -> Checker | None:
        """The checker if its index is built already (an event loop must not wait for a build)."""
        return self._checker

    def checker(self) -> Checker:
        """The checker, its index built from the database on first use (once)."""
        checker = self._checker
        if checker is None:
            with self._lock:
                checker = self._checker
                if checker is None:
                    checker = Checker(self.policy, self.index_source, clock=self.clock)
                    checker.load()
                    self._checker = checker
                    if self.settings.freeze_heap:
                        # What exists now lives as long as the process: keep the collector from
                        # walking it again and again (full collections of a large heap stall
                        # every request for ~40 ms).
                        gc.freeze()
        return checker

    def query_writer(self) -> QueryLogWriter:
        """The group-committing query-log writer of the check path, started on first use."""
        writer = self._writer
        if writer is None:
            with self._lock:
                writer = self._writer
                if writer is None:
                    writer = QueryLogWriter(query_log_appender(self.engine))
                    self._writer = writer
        return writer

    def identity_verifier(self) -> IdentityVerifier:
        """The verifier the settings name (`identity_verifier`): counter verification ships."""
        return VERIFIERS[self.settings.identity_verifier]()

    def printer(self) -> Printer:
        """How this platform prints PDFs: in worker processes (`pdf_processes`), else here."""
        if self.settings.pdf_processes == 0:
            return render_pdf
        return self._print_workers()

    def start_printing(self) -> None:
        """Start the print workers now (the server's start-up), so the first PDF asked for does
        not wait for a worker to load WeasyPrint, the font and the stylesheets."""
        if self.settings.pdf_processes > 0:
            self._print_workers().start()

    def _print_workers(self) -> PrintWorkers:
        with self._lock:
            if self._printer is None:
                self._printer = self.print_workers()
            return self._printer

    def print_workers(self, job: Printer = render_pdf) -> PrintWorkers:
        """New print workers for this platform (`pdf_processes` of them), each of which can also
        read and issue a person's report (`report_pdf`); `job` prints (tests pass another)."""
        return PrintWorkers(
            self.settings.pdf_processes,
            timeout=self.settings.pdf_timeout,
            # the report's stylesheet, and the notices' and decisions' (none)
            warm=(report_render.stylesheet(), ""),
            job=job,
            prepare=partial(_start_report_worker, self.settings, self.policy),
        )

    def report_pdf(self, subject_id: int, *, actor: str, lang: str) -> tuple[bytes, datetime]:
        """Issue a person's report (`build_report`: gathered, numbered, registered, logged) and
        print it; return the PDF and when the report was generated.

        With print workers the whole of it runs in a worker, which reads the database on its own
        connections: gathering a report is a dozen queries and their Python, which on the
        server's interpreter held the checks' tail up as much as printing did (bench/README.md).
        Only the subject's id, the actor, the moment and the language cross to the worker; the
        PDF, its moment and the read's query-log entry come back, and the entry is written here
        by the check path's writer before the PDF is returned, as every read of the report is.

        A report that is registered but not printed (the print failed, its worker was killed or
        overran its time, its read could not be logged) is withdrawn from the register before
        the error goes on (`withdraw_unprinted`): the register holds the reports that left.
        """
        printer = self.printer()
        write = self.query_writer().write
        moment = self.clock()
        try:
            if isinstance(printer, PrintWorkers):
                pdf, generated_at, read = printer.run(
                    _issue_report_pdf, subject_id, actor, moment, lang
                )
            else:
                pdf, generated_at, read = _issue_report(
                    self, printer, subject_id, actor, moment, lang
                )
            write(read)
        except BaseException as exc:
            self._withdraw_unprinted(subject_id, moment, actor, exc)
            raise
        return pdf, generated_at

    def _withdraw_unprinted(
        self, subject_id: int, moment: datetime, actor: str, failure: BaseException
    ) -> None:
        try:
            withdraw_unprinted(
                self.uow(), subject_id, moment, actor=actor, reason=type(failure).__name__
            )
        except Exception:  # the print's own error is the one the caller must see
            log.exception("a report that was not printed could not be withdrawn")

    def screening_sink(self) -> ScreeningSink:
        """How a screening writes its query log (COPY on PostgreSQL)."""
        return bulk_query_writer(self.engine)

    def close(self) -> None:
        """Stop the writer (every answered check is logged already) and release connections."""
        with self._lock:
            writer, self._writer = self._writer, None
            printer, self._printer = self._printer, None
        if writer is not None:
            writer.stop()
        if printer is not None:
            printer.close()
        self.index_source.close()
        self.read_engine.dispose()
        self.engine.dispose()


def policy_of(settings: Settings) -> Policy:
    """The policy the settings name (the packaged one by default), checked: a broken file raises
    CatalogError naming the file, the item and the field."""
    return load_policy(settings.policy_dir, catalog_version=settings.catalog_version)


def install_keys(settings: Settings) -> Vault:
    """Load the keys the settings name (never from the database) and make them the process's:
    every sealed column and every subject key uses them (docs/at-rest.md)."""
    keys = Vault.from_material(settings.key_material())
    vault.install(keys, reload=lambda: Vault.from_material(settings.key_material()))
    return keys


def build(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    policy: Policy | None = None,
    short_lived: bool = False,
) -> Platform:
    """Build a platform from settings (the environment's when None).

    `short_lived` (a CLI command) opens connections without a pool, so every connection closes
    with its unit of work. The policy files are checked now: a broken one raises CatalogError.
    """
    settings = settings or get_settings()
    install_keys(settings)
    policy = policy or policy_of(settings)
    pooling: dict[str, Any] = {"poolclass": NullPool} if short_lived else {}
    engine = make_engine(settings.database_url, cache_mib=settings.sqlite_cache_mib, **pooling)
    read_engine = make_engine(settings.database_url, reads=True, **pooling)
    # How many argon2 verifications run at once in this process (docs/security.md).
    accounts.limit_password_work(settings.password_workers, settings.password_queue)
    return Platform(
        settings=settings,
        policy=policy,
        engine=engine,
        read_engine=read_engine,
        clock=clock or utcnow,
        sessions=make_session_factory(engine),
        read_sessions=make_session_factory(read_engine),
        index_source=SqlIndexSource(read_engine, policy.list_types),
    )


#: In a print worker: the platform it reads and issues reports with, built when the worker starts
#: from the server's settings and policy (`_start_report_worker`).
_worker_platform: Platform | None = None


def _start_report_worker(settings: Settings, policy: Policy) -> None:
    """In each new print worker: load the report's template, and open the database and the keys
    the server uses (connections of the worker's own)."""
    global _worker_platform
    report_render.prepare()
    _worker_platform = build(settings, policy=policy)


def _issue_report_pdf(
    printer: Printer, subject_id: int, actor: str, moment: datetime, lang: str
) -> tuple[bytes, datetime, QueryEntry]:
    """In a print worker: `Platform.report_pdf` at the server's `moment` (its clock). The read's
    query-log entry goes back to the server, whose writer logs it: this worker's transaction
    never holds the query log, for which the server's checks wait."""
    platform = _worker_platform
    if platform is None:
        raise RuntimeError("this print worker was started without a platform to read reports from")
    return _issue_report(platform, printer, subject_id, actor, moment, lang)


def _issue_report(
    platform: Platform, printer: Printer, subject_id: int, actor: str, moment: datetime, lang: str
) -> tuple[bytes, datetime, QueryEntry]:
    """Gather, number and register the report at `moment`, and print it; the read's query-log
    entry is returned for the caller to log once the PDF is in hand."""
    reads: list[QueryEntry] = []
    data = build_report(
        SqlUnitOfWork(platform.sessions, lambda: moment),
        platform.policy,
        subject_id,
        actor=actor,
        secret_key=platform.settings.secret_key,
        public_url=platform.settings.base_url(),
        reads=SqlUnitOfWork(platform.read_sessions, lambda: moment),
        log=reads.append,
    )
    return report_render.render_report_pdf(data, lang, printer), data.generated_at, reads[0]
