"""SQL for lists, the change log, the query log, and the reads the listing index follows."""

from __future__ import annotations

import contextlib
import functools
import logging
import sqlite3
import threading
import weakref
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, cast

from sqlalchemy import Engine, Table, func, insert, or_, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from xinyong.db.base import Base
from xinyong.db.rows import (
    ChangeRow,
    CheckFeedbackRow,
    ListEntryRow,
    QueryRow,
    ScreeningRow,
    SubjectRoleRow,
    SubjectRow,
)
from xinyong.domain.calendar import Deadline
from xinyong.domain.errors import NotFound
from xinyong.domain.index import Posting, organisation_key, person_key, postings_for
from xinyong.domain.lists import EntryState, ListEntry, ListType
from xinyong.domain.subjects import RoleKind
from xinyong.services.checks import QueryAppender, ScreeningSink
from xinyong.services.ports import Feedback, QueryEntry

log = logging.getLogger(__name__)

_IN_CHUNK = 5000

#: PostgreSQL advisory lock taken by every transaction that appends to the change log, so that
#: sequence numbers commit in order (SQLite has a single writer and needs nothing).
CHANGE_LOG_LOCK = 0x78_69_6E_79  # "xiny"


def _table(row: type[Base]) -> Table:
    return cast(Table, row.__table__)


def _chunks(values: Sequence[int]) -> Iterator[Sequence[int]]:
    for i in range(0, len(values), _IN_CHUNK):
        yield values[i : i + _IN_CHUNK]


def _entry(row: ListEntryRow, list_types: Mapping[str, ListType]) -> ListEntry:
    list_type = list_types.get(row.list_code)
    if list_type is None:
        raise NotFound(f"list entry {row.id} is on {row.list_code}, which the policy no longer has")
    return ListEntry(
        id=row.id,
        list_type=list_type,
        subject_id=row.subject_id,
        state=EntryState(row.state),
        proposed_by=row.proposed_by,
        grounds=row.grounds,
        basis_records=tuple(row.basis_records or ()),
        proposed_at=row.proposed_at,
        noticed_on=row.noticed_on,
        defence_deadline=(
            Deadline(row.defence_deadline, row.deadline_official) if row.defence_deadline else None
        ),
        defence=row.defence,
        decided_on=row.decided_on,
        decision_reasons=row.decision_reasons,
        ends_on=row.ends_on,
        published_on=row.published_on,
        exited_on=row.exited_on,
        exit_ground=row.exit_ground,
        under_objection=row.under_objection,
    )


def _entry_values(entry: ListEntry) -> dict[str, Any]:
    return {
        "state": entry.state.value,
        "noticed_on": entry.noticed_on,
        "defence_deadline": entry.defence_deadline.day if entry.defence_deadline else None,
        "deadline_official": entry.defence_deadline.official if entry.defence_deadline else True,
        "defence": entry.defence,
        "decided_on": entry.decided_on,
        "decision_reasons": entry.decision_reasons,
        "ends_on": entry.ends_on,
        "published_on": entry.published_on,
        "exited_on": entry.exited_on,
        "exit_ground": entry.exit_ground,
        "under_objection": entry.under_objection,
    }


class SqlListEntryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self, entry: ListEntry, *, department: str | None, source_record: int | None, at: datetime
    ) -> int:
        row = ListEntryRow(
            list_code=entry.list_type.code,
            subject_id=entry.subject_id,
            department_code=department,
            proposed_by=entry.proposed_by,
            grounds=entry.grounds,
            basis_records=list(entry.basis_records),
            source_record_id=source_record,
            proposed_at=entry.proposed_at or at,
            updated_at=at,
            **_entry_values(entry),
        )
        self.session.add(row)
        self.session.flush()
        entry.id = row.id
        return row.id

    def _row(self, entry_id: int) -> ListEntryRow:
        row = self.session.get(ListEntryRow, entry_id)
        if row is None:
            raise NotFound(f"list entry {entry_id} does not exist")
        return row

    def get(self, entry_id: int, list_types: Mapping[str, ListType]) -> ListEntry:
        return _entry(self._row(entry_id), list_types)

    def department_of(self, entry_id: int) -> str | None:
        return self._row(entry_id).department_code

    def save(self, entry: ListEntry, *, at: datetime) -> None:
        if entry.id is None:
            raise ValueError("save() needs a stored entry")
        row = self._row(entry.id)
        for key, value in _entry_values(entry).items():
            setattr(row, key, value)
        row.updated_at = at
        self.session.flush()

    def of_subject(self, subject_id: int, list_types: Mapping[str, ListType]) -> list[ListEntry]:
        rows = self.session.scalars(
            select(ListEntryRow)
            .where(ListEntryRow.subject_id == subject_id)
            .order_by(ListEntryRow.id)
        )
        return [_entry(row, list_types) for row in rows]

    def source_record_of(self, entry_id: int) -> int | None:
        return self._row(entry_id).source_record_id

    def past_period(self, day: date, list_types: Mapping[str, ListType]) -> list[ListEntry]:
        """Entries still decided or published whose period has ended by `day`."""
        rows = self.session.scalars(
            select(ListEntryRow)
            .where(
                ListEntryRow.state.in_([EntryState.DECIDED.value, EntryState.PUBLISHED.value]),
                ListEntryRow.ends_on <= day,
            )
            .order_by(ListEntryRow.id)
        )
        return [_entry(row, list_types) for row in rows]

    def linked_records(self, record_ids: Collection[int]) -> set[int]:
        found: set[int] = set()
        for part in _chunks(sorted(record_ids)):
            found.update(
                self.session.scalars(
                    select(ListEntryRow.source_record_id).where(
                        ListEntryRow.source_record_id.in_(part)
                    )
                )
            )
        return found

    def count(self, state: str | None = None) -> int:
        query = select(func.count()).select_from(ListEntryRow)
        if state:
            query = query.where(ListEntryRow.state == state)
        return int(self.session.scalar(query) or 0)


class SqlChangeLog:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._locked = False

    def append(
        self, kind: str, *, subject_id: int | None, entity_id: int | None, at: datetime
    ) -> int:
        if not self._locked and self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(select(func.pg_advisory_xact_lock(CHANGE_LOG_LOCK)))
            self._locked = True
        result = self.session.execute(
            insert(ChangeRow)
            .values(at=at, kind=kind, subject_id=subject_id, entity_id=entity_id)
            .returning(ChangeRow.seq)
        )
        return int(result.scalar_one())


class SqlQueryLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_many(self, entries: Sequence[QueryEntry]) -> list[int]:
        return insert_queries(self.session.connection(), entries)

    @staticmethod
    def _to_domain(row: QueryRow) -> QueryEntry:
        return QueryEntry(
            at=row.at,
            subject_key=row.subject_key,
            kind=row.kind,
            department=row.department_code,
            actor=row.actor,
            purpose=row.purpose,
            authority=row.authority,
            returned=row.returned,
            screening_id=row.screening_id,
        )

    def get(self, query_id: int) -> QueryEntry:
        row = self.session.get(QueryRow, query_id)
        if row is None:
            raise NotFound(f"check {query_id} does not exist")
        return self._to_domain(row)

    def for_key(self, subject_key: int, *, limit: int = 100) -> list[tuple[int, QueryEntry]]:
        rows = self.session.scalars(
            select(QueryRow)
            .where(QueryRow.subject_key == subject_key)
            .order_by(QueryRow.id.desc())
            .limit(limit)
        )
        return [(row.id, self._to_domain(row)) for row in rows]

    def add_feedback(self, feedback: Feedback) -> None:
        self.session.add(
            CheckFeedbackRow(
                query_id=feedback.query_id,
                measure_code=feedback.measure,
                applied=feedback.applied,
                reason=feedback.reason,
                actor=feedback.actor,
                at=feedback.at,
            )
        )
        self.session.flush()

    def feedback_of(self, query_id: int) -> list[Feedback]:
        rows = self.session.scalars(
            select(CheckFeedbackRow)
            .where(CheckFeedbackRow.query_id == query_id)
            .order_by(CheckFeedbackRow.id)
        )
        return [
            Feedback(r.query_id, r.measure_code, r.applied, r.reason, r.actor, r.at) for r in rows
        ]

    def open_screening(self, *, department: str, matter: str, actor: str, at: datetime) -> int:
        row = ScreeningRow(department_code=department, matter=matter, actor=actor, at=at)
        self.session.add(row)
        self.session.flush()
        return row.id

    def close_screening(
        self, screening_id: int, *, screened: int, matched: int, rejected: int
    ) -> None:
        row = self.session.get(ScreeningRow, screening_id)
        if row is None:
            raise NotFound(f"screening {screening_id} does not exist")
        row.screened, row.matched, row.rejected = screened, matched, rejected
        self.session.flush()

    def count(self, kind: str | None = None) -> int:
        query = select(func.count()).select_from(QueryRow)
        if kind:
            query = query.where(QueryRow.kind == kind)
        return int(self.session.scalar(query) or 0)


def insert_queries(conn: Connection, entries: Sequence[QueryEntry]) -> list[int]:
    """Insert in the connection's transaction, ids allocated up front (no RETURNING per row)."""
    if not entries:
        return []
    if conn.dialect.name == "postgresql":
        ids = list(
            conn.scalars(
                text("SELECT nextval('queries_id_seq') FROM generate_series(1, :n)"),
                {"n": len(entries)},
            )
        )
    else:
        # SQLite: this transaction holds the only write lock (BEGIN IMMEDIATE), so max is ours.
        first = int(conn.scalar(select(func.coalesce(func.max(QueryRow.id), 0))) or 0) + 1
        ids = list(range(first, first + len(entries)))
    rows = [{"id": i, **query_values(e)} for i, e in zip(ids, entries, strict=True)]
    conn.execute(insert(QueryRow), rows)
    return ids


def query_values(entry: QueryEntry) -> dict[str, Any]:
    return dict(zip(_QUERY_COLUMNS, _query_fields(entry), strict=True))


def _query_fields(entry: QueryEntry) -> tuple[Any, ...]:
    """A query-log row's values, in the order of `_QUERY_COLUMNS`."""
    e = entry
    return (
        e.at,
        e.subject_key,
        e.kind,
        e.department,
        e.actor,
        e.purpose,
        e.authority,
        e.returned,
        e.screening_id,
    )


_LIVE_STATES = (EntryState.DECIDED.value, EntryState.PUBLISHED.value, EntryState.EXITED.value)


def _close_all(connections: list[Any]) -> None:
    """Close the connections `latest_seq` opened: on `close()`, on collection or at exit."""
    while connections:
        conn = connections.pop()
        with contextlib.suppress(Exception):  # best effort: the server drops it with the process
            conn.close()


class SqlIndexSource:
    """Reads for the listing index, on an engine whose transactions take no write lock."""

    def __init__(self, engine: Engine, list_types: Mapping[str, ListType]) -> None:
        self.engine = engine
        self.list_types = list_types
        self._local = threading.local()
        # Every connection `latest_seq` opened, whatever thread it belongs to: a thread-local
        # alone cannot be closed from outside, and an unclosed connection leaks until collected.
        self._opened: list[Any] = []
        weakref.finalize(self, _close_all, self._opened)

    def close(self) -> None:
        """Close the connections kept for `latest_seq` (the engine's pool is the caller's)."""
        self._local = threading.local()
        _close_all(self._opened)

    def latest_seq(self) -> int:
        """The change log's newest sequence number: one indexed read on a connection kept open
        per thread in autocommit mode (this runs before every check, so it must be cheap)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # Outside the pool, so that a thread holding one never starves the pool.
            dialect = self.engine.dialect
            cargs, cparams = dialect.create_connect_args(self.engine.url)
            if dialect.name == "sqlite":
                cparams["check_same_thread"] = False  # `close()` may run on another thread
            conn = dialect.connect(*cargs, **cparams)
            if dialect.name == "postgresql":
                conn.autocommit = True
            self._local.conn = conn
            self._opened.append(conn)
        try:
            cursor = conn.cursor()
            cursor.execute("SELECT max(seq) FROM changes")
            row = cursor.fetchone()
            cursor.close()
        except Exception:
            self._local.conn = None
            conn.close()
            raise
        return int(row[0] or 0) if row else 0

    def changes_after(self, seq: int) -> list[tuple[int, int | None]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(ChangeRow.seq, ChangeRow.subject_id)
                .where(ChangeRow.seq > seq)
                .order_by(ChangeRow.seq)
            )
            return [(int(s), subject) for s, subject in rows]

    def numbers_of(self, subject_ids: Collection[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        with self.engine.connect() as conn:
            for part in _chunks(sorted(subject_ids)):
                rows = conn.execute(
                    select(SubjectRow.id, SubjectRow.number).where(SubjectRow.id.in_(part))
                )
                out.update({int(i): str(n) for i, n in rows})
        return out

    def postings(
        self, subject_ids: Collection[int] | None, *, today: date
    ) -> tuple[set[int], list[Posting]]:
        with self.engine.connect() as conn:
            if subject_ids is None:
                return set(), list(self._all_postings(conn, today))
            return self._postings_of(conn, sorted(set(subject_ids)), today)

    def _keys(self, conn: Connection, ids: Sequence[int]) -> dict[int, int]:
        keys: dict[int, int] = {}
        for part in _chunks(ids):
            rows = conn.execute(
                select(SubjectRow.id, SubjectRow.kind, SubjectRow.number).where(
                    SubjectRow.id.in_(part)
                )
            )
            for subject_id, kind, number in rows:
                key = organisation_key(number) if kind == "organisation" else person_key(number)
                if key is not None:
                    keys[int(subject_id)] = key
        return keys

    def _postings_of(
        self, conn: Connection, ids: Sequence[int], today: date
    ) -> tuple[set[int], list[Posting]]:
        # A change to an organisation reaches the persons who answer for it; each person's key
        # is then rebuilt whole, from all the organisations they answer for.
        affected = set(ids)
        for part in _chunks(ids):
            affected.update(
                conn.scalars(
                    select(SubjectRoleRow.person_id).where(
                        SubjectRoleRow.organisation_id.in_(part), self._not_ended(today)
                    )
                )
            )
        # person -> (organisation, role, the days it is held)
        persons_orgs: dict[int, list[tuple[int, RoleKind, tuple[date, date | None]]]] = {}
        for part in _chunks(sorted(affected)):
            roles = conn.execute(
                select(
                    SubjectRoleRow.person_id,
                    SubjectRoleRow.organisation_id,
                    SubjectRoleRow.kind,
                    SubjectRoleRow.since,
                    SubjectRoleRow.until,
                ).where(SubjectRoleRow.person_id.in_(part), self._not_ended(today))
            )
            for person, org, kind, since, until in roles:
                persons_orgs.setdefault(person, []).append((org, RoleKind(kind), (since, until)))
        keys = self._keys(conn, sorted(affected))
        owners = sorted(affected | {link[0] for links in persons_orgs.values() for link in links})
        entries = self._entries(conn, owners, today)
        postings: list[Posting] = []
        for subject_id in affected:
            key = keys.get(subject_id)
            if key is None:
                continue
            for entry in entries.get(subject_id, ()):
                posting = postings_for(key, entry)
                if posting:
                    postings.append(posting)
            for org, role, held in persons_orgs.get(subject_id, ()):
                for entry in entries.get(org, ()):
                    posting = postings_for(key, entry, role=role, subject_id=subject_id, held=held)
                    if posting:
                        postings.append(posting)
        return set(keys.values()), postings

    @staticmethod
    def _not_ended(today: date) -> Any:
        """Roles held today or from a later day: each posting carries the days it is held."""
        return or_(SubjectRoleRow.until.is_(None), SubjectRoleRow.until >= today)

    def _entries(
        self, conn: Connection, subject_ids: Sequence[int], today: date
    ) -> dict[int, list[ListEntry]]:
        found: dict[int, list[ListEntry]] = {}
        for part in _chunks(subject_ids):
            rows = conn.execute(
                select(ListEntryRow).where(
                    ListEntryRow.subject_id.in_(part), ListEntryRow.state.in_(_LIVE_STATES)
                )
            )
            for row in rows:
                entry = self._light_entry(row)
                if entry is not None:
                    found.setdefault(entry.subject_id, []).append(entry)
        return found

    def _light_entry(self, row: Any) -> ListEntry | None:
        list_type = self.list_types.get(row.list_code)
        if list_type is None:
            return None
        return ListEntry(
            id=row.id,
            list_type=list_type,
            subject_id=row.subject_id,
            state=EntryState(row.state),
            proposed_by="",
            grounds="",
            decided_on=row.decided_on,
            ends_on=row.ends_on,
            exited_on=row.exited_on,
            under_objection=row.under_objection,
        )

    def _all_postings(self, conn: Connection, today: date) -> Iterator[Posting]:
        """Every posting in force today or later, streamed (a million entries in one pass)."""
        entries = _table(ListEntryRow)
        subjects = _table(SubjectRow)
        query = (
            select(
                entries.c.id,
                entries.c.list_code,
                entries.c.subject_id,
                entries.c.state,
                entries.c.decided_on,
                entries.c.ends_on,
                entries.c.exited_on,
                entries.c.under_objection,
                subjects.c.kind,
                subjects.c.number,
            )
            .join(subjects, subjects.c.id == entries.c.subject_id)
            .where(entries.c.state.in_(_LIVE_STATES))
            .where(or_(entries.c.ends_on.is_(None), entries.c.ends_on > today))
            .where(or_(entries.c.exited_on.is_(None), entries.c.exited_on > today))
        )
        org_entries: dict[int, list[ListEntry]] = {}
        for row in conn.execution_options(yield_per=20_000).execute(query):
            entry = self._light_entry(row)
            if entry is None:
                continue
            if row.kind == "organisation":
                org_entries.setdefault(entry.subject_id, []).append(entry)
                key: int | None = organisation_key(row.number)
            else:
                key = person_key(row.number)
            if key is None:
                continue
            posting = postings_for(key, entry)
            if posting:
                yield posting
        if not org_entries:
            return
        # Listed organisations reach the persons who answer for them.
        org_ids = sorted(org_entries)
        for part in _chunks(org_ids):
            roles = conn.execute(
                select(
                    SubjectRoleRow.organisation_id,
                    SubjectRoleRow.kind,
                    SubjectRoleRow.since,
                    SubjectRoleRow.until,
                    subjects.c.id,
                    subjects.c.number,
                )
                .join(subjects, subjects.c.id == SubjectRoleRow.person_id)
                .where(SubjectRoleRow.organisation_id.in_(part), self._not_ended(today))
            )
            for org, kind, since, until, person_id, number in roles:
                person = person_key(number)
                if person is None:
                    continue
                for entry in org_entries[org]:
                    posting = postings_for(
                        person,
                        entry,
                        role=RoleKind(kind),
                        subject_id=int(person_id),
                        held=(since, until),
                    )
                    if posting:
                        yield posting


_QUERY_COLUMNS = (
    "at",
    "subject_key",
    "kind",
    "department_code",
    "actor",
    "purpose",
    "authority",
    "returned",
    "screening_id",
)


def bulk_query_writer(engine: Engine) -> ScreeningSink:
    """A screening's query-log writer: many entries per transaction, committed before it
    returns. COPY on PostgreSQL; one prepared executemany on SQLite."""
    if engine.dialect.name == "postgresql":
        return _Sink(partial(_copy_queries, engine), concurrent=True)
    # SQLite's executemany takes the GIL back for every row: overlapping it with screening
    # would only make the two threads queue for the lock.
    return _Sink(partial(_insert_queries, engine), concurrent=False)


class _Sink:
    """A screening sink that says whether it may run beside the screening (on another thread)."""

    def __init__(self, write: ScreeningSink, *, concurrent: bool) -> None:
        self.write = write
        self.concurrent = concurrent

    def __call__(self, template: QueryEntry, rows: Sequence[tuple[int, str]]) -> None:
        self.write(template, rows)


def _insert_queries(engine: Engine, template: QueryEntry, rows: Sequence[tuple[int, str]]) -> None:
    t = template
    at = _sqlite_time(t.at)
    shared = (t.kind, t.department, t.actor, t.purpose, t.authority)
    columns = ", ".join(_QUERY_COLUMNS)
    statement = f"INSERT INTO queries ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608 - constant columns
    with engine.begin() as conn:
        cursor = conn.connection.cursor()
        cursor.executemany(
            statement, [(at, key, *shared, returned, t.screening_id) for key, returned in rows]
        )
        cursor.close()


def _copy_field(value: object) -> str:
    r"""A value in COPY's text format: \N for NULL; backslash, tab and newlines escaped."""
    if value is None:
        return "\\N"
    text_value = str(value)
    for raw, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
        text_value = text_value.replace(raw, escaped)
    return text_value


def _copy_queries(engine: Engine, template: QueryEntry, rows: Sequence[tuple[int, str]]) -> None:
    t = template
    columns = ", ".join(_QUERY_COLUMNS)
    at = _copy_field(t.at.astimezone(UTC).isoformat())
    shared = "\t".join(
        _copy_field(v) for v in (t.kind, t.department, t.actor, t.purpose, t.authority)
    )
    sid = _copy_field(t.screening_id)
    # Keys are integers and `returned` is measure codes and entry ids: neither needs escaping.
    lines = "".join(f"{at}\t{key}\t{shared}\t{returned}\t{sid}\n" for key, returned in rows)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY queries ({columns}) FROM STDIN") as copy:
            copy.write(lines.encode())
        raw.commit()
    finally:
        raw.close()


def query_log_appender(engine: Engine) -> QueryAppender:
    """What the group-committing check writer commits its batches with."""
    in_memory = engine.url.database in (None, "", ":memory:")
    if engine.dialect.name == "sqlite" and not in_memory:  # a file: connections of its own
        return _SqliteAppender(engine)
    return _EngineAppender(engine)


class _EngineAppender:
    """One transaction per batch, through SQLAlchemy."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, entries: Sequence[QueryEntry]) -> list[int]:
        with self.engine.begin() as conn:
            return insert_queries(conn, entries)

    def close(self) -> None:
        pass


class _SqliteAppender:
    """A batch as one multi-row INSERT in autocommit: one statement, its own transaction.

    The writer thread shares the GIL with the event loop. The sqlite3 driver lets go of the GIL
    for every statement it steps (and executemany steps once per row); taking it back waits for
    the loop to yield, up to the interpreter's switch interval. A BEGIN, an id query, an insert
    per row and a COMMIT would wait that long several times per batch; one statement waits once.

    The ids: SQLite gives a row without a rowid one more than the table's largest, and the
    statement holds the write lock, so a batch's rows get consecutive ids ending at `lastrowid`.

    Checkpoints: a commit that takes the write-ahead log past its limit copies the log into the
    database file and syncs it, which makes that one commit take milliseconds. This connection
    never does that; a `_Checkpointer` does it beside it, on its own thread and connection.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._raw: Any = None
        self._checkpointer: _Checkpointer | None = None

    def __call__(self, entries: Sequence[QueryEntry]) -> list[int]:
        connection = self._connection()
        # Rows per statement: as many as SQLite's limit on a statement's parameters allows
        # (32 766 since SQLite 3.32, 999 before).
        variables = connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        size = max(1, variables // len(_QUERY_COLUMNS))
        chunks = [entries[i : i + size] for i in range(0, len(entries), size)]
        if len(chunks) == 1:
            return self._insert(connection, chunks[0])
        # More rows than one statement takes: one transaction, so that all commit or none.
        connection.execute("BEGIN IMMEDIATE")
        try:
            ids = [i for chunk in chunks for i in self._insert(connection, chunk)]
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        return ids

    def _connection(self) -> Any:
        if self._raw is None:
            self._raw = self.engine.raw_connection()
            self._raw.detach()  # its settings are its own: it never goes back to the pool
            connection = self._raw.dbapi_connection
            connection.execute("PRAGMA wal_autocheckpoint=0")
            self._checkpointer = _Checkpointer(self.engine)
        return self._raw.dbapi_connection

    @staticmethod
    def _insert(connection: Any, chunk: Sequence[QueryEntry]) -> list[int]:
        values: list[Any] = []
        for e in chunk:
            at, *rest = _query_fields(e)
            values += (_sqlite_time(at), *rest)
        cursor = connection.cursor()
        try:
            cursor.execute(_multi_row_insert(len(chunk)), values)
            last = int(cursor.lastrowid)
        finally:
            cursor.close()
        return list(range(last - len(chunk) + 1, last + 1))

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        if self._raw is not None:
            self._raw.close()
            self._raw = None


class _Checkpointer:
    """Checkpoints a SQLite database's write-ahead log every `every` seconds, from its own thread.

    PASSIVE: it copies what no reader still needs and never waits for, or blocks, a writer. A
    failure is logged and tried again at the next turn: the query log's writer relies on it.
    """

    def __init__(self, engine: Engine, *, every: float = 0.5) -> None:
        self.every = every
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(engine,), name="wal-checkpoint", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=30)

    def _run(self, engine: Engine) -> None:
        raw: Any = None
        try:
            while True:
                stopping = self._stopping.wait(self.every)
                try:
                    if raw is None:
                        raw = engine.raw_connection()
                        raw.detach()
                    raw.dbapi_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except Exception:
                    log.exception("checkpointing the write-ahead log failed; trying again")
                    if raw is not None:
                        raw.close()
                        raw = None
                if stopping:
                    return
        finally:
            if raw is not None:
                raw.close()


def _sqlite_time(at: datetime) -> str:
    """The storage format of the SQLite DateTime columns (naive UTC, microseconds)."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


@functools.lru_cache(maxsize=64)
def _multi_row_insert(rows: int) -> str:
    one = "(" + ", ".join("?" * len(_QUERY_COLUMNS)) + ")"
    columns = ", ".join(_QUERY_COLUMNS)
    return f"INSERT INTO queries ({columns}) VALUES " + ", ".join([one] * rows)  # noqa: S608 - constant columns
