"""The query log's writers outside a unit of work: the check path's group-committed batches
and a screening's bulk entries. On SQLite both lock the query log's own file only
(db/engine.py), so neither waits for a batch's write lock on the main file."""

from __future__ import annotations

import functools
import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import Engine

from xinyong.db.chain import CHAIN_LOCKS, chained_values
from xinyong.db.engine import (
    QUERY_LOG_BULK_CACHE_MIB,
    QUERY_LOG_SCHEMA,
    begin_query_log,
    set_cache_mib,
)
from xinyong.db.querylog import QUERY_COLUMNS, insert_queries, query_fields
from xinyong.domain.chain import GENESIS
from xinyong.domain.querylog import QueryEntry
from xinyong.services.querylog import QueryAppender
from xinyong.services.screening import ScreeningSink

log = logging.getLogger(__name__)


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
    columns = ", ".join(QUERY_COLUMNS)
    marks = ", ".join("?" * len(QUERY_COLUMNS))
    statement = f"INSERT INTO queries ({columns}) VALUES ({marks})"  # noqa: S608 - constant columns
    raw = engine.raw_connection()
    try:
        connection: Any = raw.driver_connection
        with _bulk_cache(connection):
            # The query log's file only (never main's lock: a batch beside it does not hold it
            # up), locked before the chain's last link is read, so that it stays the last.
            begin_query_log(connection)
            try:
                prev = _newest_link(connection)
                linked = chained_values(
                    prev,
                    [(t.at, key, *shared, returned, t.screening_id) for key, returned in rows],
                )
                connection.executemany(statement, [(at, *values[1:]) for values in linked])
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
    finally:
        raw.close()


@contextmanager
def _bulk_cache(connection: Any) -> Iterator[None]:
    """The query log's large page cache on a pooled connection while it writes a screening's
    entries; its own again before it goes back to the pool, the pages beyond it given back."""
    (before,) = connection.execute(f"PRAGMA {QUERY_LOG_SCHEMA}.cache_size").fetchone()
    set_cache_mib(connection, QUERY_LOG_BULK_CACHE_MIB, schemas=(QUERY_LOG_SCHEMA,))
    try:
        yield
    finally:
        connection.execute(f"PRAGMA {QUERY_LOG_SCHEMA}.cache_size={int(before)}")


def _newest_link(connection: Any) -> str:
    """The query log's last link, read through a SQLite driver connection."""
    found = connection.execute("SELECT chain FROM queries ORDER BY id DESC LIMIT 1").fetchone()
    return str(found[0]) if found and found[0] else GENESIS


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
    columns = ", ".join(QUERY_COLUMNS)
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
        size = max(1, variables // len(QUERY_COLUMNS))
        chunks = [entries[i : i + size] for i in range(0, len(entries), size)]
        # One transaction, so that the chain's last link is still the last when the rows
        # linked to it are inserted (db/chain.py), and all commit or none.
        # The query log's file only: its own lock, never main's (docs/scale.md).
        begin_query_log(connection)
        try:
            prev = _newest_link(connection)
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
            # It writes the query log all day: the log's large page cache, on this one connection.
            set_cache_mib(connection, QUERY_LOG_BULK_CACHE_MIB, schemas=(QUERY_LOG_SCHEMA,))
            self._checkpointer = _Checkpointer(self.engine)
        return self._raw.dbapi_connection

    @staticmethod
    def _insert(connection: Any, chunk: Sequence[QueryEntry], prev: str) -> tuple[list[int], str]:
        values: list[Any] = []
        linked = chained_values(prev, [query_fields(e) for e in chunk])
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
    one = "(" + ", ".join("?" * len(QUERY_COLUMNS)) + ")"
    columns = ", ".join(QUERY_COLUMNS)
    return f"INSERT INTO queries ({columns}) VALUES " + ", ".join([one] * rows)  # noqa: S608 - constant columns
