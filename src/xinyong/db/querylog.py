"""The query log: single entries, group-committed checks, bulk screening, and feedback."""

from __future__ import annotations

import functools
import logging
import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Engine,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.db.base import Base, in_chunks
from xinyong.db.chain import CHAIN_LOCKS, chained_values, last_link, lock_chain
from xinyong.db.partitions import drop_ranges_before
from xinyong.db.types import BigId, UTCDateTime
from xinyong.domain.chain import GENESIS
from xinyong.domain.checks import Feedback
from xinyong.domain.errors import NotFound
from xinyong.domain.querylog import QueryEntry
from xinyong.services.querylog import QueryAppender
from xinyong.services.screening import ScreeningSink

log = logging.getLogger(__name__)


class QueryRow(Base):
    """The query log: one row each time someone looked at a subject's file, and on what authority.

    `subject_key` is the number's key (see domain.index.subject_key), so that a screened person
    without any record still finds, later, who looked them up.
    """

    __tablename__ = "queries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # the retention sweep reads it
    subject_key: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    department_code: Mapped[str | None] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(String(64))
    authority: Mapped[str] = mapped_column(String(200))
    returned: Mapped[str] = mapped_column(Text)
    screening_id: Mapped[int | None] = mapped_column(BigInteger)
    #: The previous entry's link and this one's (domain/chain.py): edits break the chain.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    chain: Mapped[str | None] = mapped_column(String(64))


class CheckFeedbackRow(Base):
    """What a department did after a check: applied the measure or not, and why."""

    __tablename__ = "check_feedback"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    query_id: Mapped[int] = mapped_column(ForeignKey("queries.id"), index=True)
    measure_code: Mapped[str] = mapped_column(String(40))
    applied: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("query_id", "measure_code"),)


class ScreeningRow(Base):
    """One batch screening: a department's list of numbers checked for one matter."""

    __tablename__ = "screenings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    matter: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    screened: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)


class SqlQueryLog:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_many(self, entries: Sequence[QueryEntry]) -> list[int]:
        # The audit chain's lock first, as every unit of work takes them (db/chain.py).
        lock_chain(self.session.connection(), "audit_events")
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

    def for_key(
        self,
        subject_key: int,
        *,
        limit: int | None = 100,
        since: datetime | None = None,
        offset: int = 0,
    ) -> list[tuple[int, QueryEntry]]:
        query = select(QueryRow).where(QueryRow.subject_key == subject_key)
        if since is not None:
            query = query.where(QueryRow.at >= since)
        query = query.order_by(QueryRow.id.desc()).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return [(row.id, self._to_domain(row)) for row in self.session.scalars(query)]

    def count_for_key(self, subject_key: int, *, since: datetime | None = None) -> int:
        query = (
            select(func.count()).select_from(QueryRow).where(QueryRow.subject_key == subject_key)
        )
        if since is not None:
            query = query.where(QueryRow.at >= since)
        return int(self.session.scalar(query) or 0)

    def delete_before(self, moment: datetime, *, limit: int) -> tuple[int, int]:
        # Whole ranges first (PostgreSQL: db/partitions.py), then what is left, a chunk at a time.
        dropped, dropped_feedback = drop_ranges_before(self.session.connection(), moment)
        deleted, feedback = self._delete_chunk_before(moment, limit=limit)
        return dropped + deleted, dropped_feedback + feedback

    def _delete_chunk_before(self, moment: datetime, *, limit: int) -> tuple[int, int]:
        ids = list(
            self.session.scalars(
                select(QueryRow.id).where(QueryRow.at < moment).order_by(QueryRow.id).limit(limit)
            )
        )
        feedback = 0
        for part in in_chunks(ids):
            feedback += _rowcount(
                self.session.execute(
                    delete(CheckFeedbackRow).where(CheckFeedbackRow.query_id.in_(part))
                )
            )
            self.session.execute(delete(QueryRow).where(QueryRow.id.in_(part)))
        return len(ids), feedback

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


def _rowcount(result: Any) -> int:
    """How many rows a DELETE touched."""
    return int(result.rowcount or 0)


def insert_queries(conn: Connection, entries: Sequence[QueryEntry]) -> list[int]:
    """Insert in the connection's transaction, ids allocated up front (no RETURNING per row),
    each entry linked to the one before it (db/chain.py)."""
    if not entries:
        return []
    lock_chain(conn, "queries")
    prev = last_link(conn, "queries")
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
    linked = chained_values(prev, [_query_fields(e) for e in entries])
    rows = [
        {"id": i, **dict(zip(_QUERY_COLUMNS, values, strict=True))}
        for i, values in zip(ids, linked, strict=True)
    ]
    conn.execute(insert(QueryRow), rows)
    return ids


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
    "prev_hash",
    "chain",
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
    marks = ", ".join("?" * len(_QUERY_COLUMNS))
    statement = f"INSERT INTO queries ({columns}) VALUES ({marks})"  # noqa: S608 - constant columns
    with engine.begin() as conn:  # BEGIN IMMEDIATE: the chain's last link stays the last
        prev = last_link(conn, "queries")
        linked = chained_values(
            prev, [(t.at, key, *shared, returned, t.screening_id) for key, returned in rows]
        )
        cursor = conn.connection.cursor()
        cursor.executemany(statement, [(at, *values[1:]) for values in linked])
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
    fields = (t.kind, t.department, t.actor, t.purpose, t.authority)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        # The chain's lock until commit, then its last link (db/chain.py).
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", (CHAIN_LOCKS["queries"],))
        cursor.execute("SELECT chain FROM queries ORDER BY id DESC LIMIT 1")
        found = cursor.fetchone()
        linked = chained_values(
            found[0] if found and found[0] else GENESIS,
            [(t.at, key, *fields, returned, t.screening_id) for key, returned in rows],
        )
        # Keys are integers, `returned` is measure codes and entry ids and links are hex:
        # none needs escaping.
        lines = "".join(f"{at}\t{v[1]}\t{shared}\t{v[7]}\t{sid}\t{v[9]}\t{v[10]}\n" for v in linked)
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
        # One transaction, so that the chain's last link is still the last when the rows
        # linked to it are inserted (db/chain.py), and all commit or none.
        connection.execute("BEGIN IMMEDIATE")
        try:
            found = connection.execute(
                "SELECT chain FROM queries ORDER BY id DESC LIMIT 1"
            ).fetchone()
            prev = found[0] if found and found[0] else GENESIS
            ids: list[int] = []
            for chunk in chunks:
                done, prev = self._insert(connection, chunk, prev)
                ids += done
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
    def _insert(connection: Any, chunk: Sequence[QueryEntry], prev: str) -> tuple[list[int], str]:
        values: list[Any] = []
        linked = chained_values(prev, [_query_fields(e) for e in chunk])
        for at, *rest in linked:
            values += (_sqlite_time(at), *rest)
        cursor = connection.cursor()
        try:
            cursor.execute(_multi_row_insert(len(chunk)), values)
            last = int(cursor.lastrowid)
        finally:
            cursor.close()
        return list(range(last - len(chunk) + 1, last + 1)), linked[-1][-1]

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
