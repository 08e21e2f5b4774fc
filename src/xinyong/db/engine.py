"""Engines: SQLite with WAL and foreign keys on every connection; PostgreSQL through psycopg 3.

On SQLite the query log lives in a second database file beside the main one, attached to every
connection as `querylog` (`query_log_file`), so that a check's log line never waits for a batch's
write lock (docs/scale.md, "SQLite and the write lock"). A writing transaction locks the main
file only (`BEGIN`, then a write that changes nothing); the query log's file is locked by the
transactions that write it, before they read it (`lock_query_log`).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

#: The schema name of the query log's file on SQLite, and the tables it holds there. Their SQL
#: stays unqualified: SQLite finds a table the main file lacks in the attached one.
QUERY_LOG_SCHEMA = "querylog"
QUERY_LOG_TABLES = ("queries", "check_feedback")
#: The suffix that names the query log's file after the main one: `var/xinyong.db` keeps its
#: query log in `var/xinyong.db-querylog.db` (and its write-ahead log beside it).
QUERY_LOG_SUFFIX = "-querylog.db"
#: `Connection.info` key: whether this transaction still has to lock the query log's file
#: (False), has it (True), or never writes (absent: PostgreSQL, read engines).
_LOG_LOCKED = "xinyong_query_log_locked"
#: A no-op write on a table of the file to lock (every migrated main file has alembic's table).
_MAIN_LOCK = "DELETE FROM main.alembic_version WHERE 0"
_LOG_LOCK = f"DELETE FROM {QUERY_LOG_SCHEMA}.queries WHERE 0"  # noqa: S608 - constant names
#: SQLite: the page cache, per database file, of every connection of a writing engine (MiB;
#: `XINYONG_SQLITE_CACHE_MIB`), about SQLite's own default. Each pooled connection keeps what it
#: read until it closes, so a larger value costs up to twice that per connection.
SQLITE_CACHE_MIB = 2
#: SQLite: the query log's page cache on the connections that write it in bulk (the check path's
#: group commits, a screening's entries), for as long as they write it: inserts into its large
#: indexes (the subject key) stop re-reading the same pages from disk.
QUERY_LOG_BULK_CACHE_MIB = 64


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever driver the URL names (or none)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername != "postgresql+psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(
    url: str, *, reads: bool = False, cache_mib: int = SQLITE_CACHE_MIB, **kwargs: Any
) -> Engine:
    """Create an engine; for SQLite, create the file's folder and set the pragmas on connect.

    `reads=True` makes an engine for read-only work beside the writers: on SQLite its
    transactions begin DEFERRED (a snapshot, no write lock), so checks never queue behind a write.
    `cache_mib`: on SQLite, each writing connection's page cache per file (`SQLITE_CACHE_MIB`).
    """
    # A failed statement's parameters may hold an ID number: never in an error or a log.
    kwargs.setdefault("hide_parameters", True)
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        log_file = query_log_file(database)
        event.listen(engine, "connect", lambda conn, _record: _sqlite_pragmas(conn, log_file))
        if not reads:
            event.listen(engine, "connect", lambda conn, _record: set_cache_mib(conn, cache_mib))
        event.listen(engine, "begin", _sqlite_begin_deferred if reads else _sqlite_begin_main)
        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def query_log_file(database: str | None) -> str:
    """The query log's file for a SQLite database (a path, a `file:` URI, or in memory)."""
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return ":memory:"
    if database.startswith("file:"):
        path, mark, query = database.partition("?")
        return f"{path}{QUERY_LOG_SUFFIX}{mark}{query}"
    return f"{database}{QUERY_LOG_SUFFIX}"


def copy_sqlite(source: str | Path, target: str | Path) -> None:
    """Copy a SQLite database, the query log's file with it, each consistent (SQLite's backup
    API: what a committed transaction wrote, even while the platform writes). A copy or a backup
    of the main file alone is not the database: it would have no query log."""
    for origin, copy in (
        (str(source), str(target)),
        (query_log_file(str(source)), query_log_file(str(target))),
    ):
        Path(copy).parent.mkdir(parents=True, exist_ok=True)
        read, write = sqlite3.connect(origin), sqlite3.connect(copy)
        try:
            read.backup(write)
        finally:
            read.close()
            write.close()


def _sqlite_pragmas(dbapi_connection: Any, log_file: str) -> None:
    # Let SQLAlchemy, not the driver, open transactions, so that the BEGIN below applies.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"ATTACH DATABASE ? AS {QUERY_LOG_SCHEMA}", (log_file,))
    for schema in ("main", QUERY_LOG_SCHEMA):
        cursor.execute(f"PRAGMA {schema}.journal_mode=WAL")
        # a commit we reported survives a crash or power loss
        cursor.execute(f"PRAGMA {schema}.synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def begin_sqlite(dbapi_connection: Any, lock: str) -> None:
    """Begin a transaction that holds one file's write lock from its first statement: `BEGIN`,
    then a write that changes nothing (`BEGIN IMMEDIATE` would lock every attached file). Two
    writers of that file then queue (the busy timeout) instead of failing mid-transaction.
    Before the migrations made the table, it falls back to `BEGIN IMMEDIATE`."""
    dbapi_connection.execute("BEGIN")
    try:
        dbapi_connection.execute(lock)
    except sqlite3.OperationalError as exc:
        if "no such table" not in str(exc):
            dbapi_connection.execute("ROLLBACK")
            raise
        dbapi_connection.execute("ROLLBACK")
        dbapi_connection.execute("BEGIN IMMEDIATE")


def _sqlite_begin_main(connection: Connection) -> None:
    # The main file's write lock only: a check's query-log line never waits for this transaction
    # unless it writes the log itself (`lock_query_log`).
    begin_sqlite(connection.connection.driver_connection, _MAIN_LOCK)
    connection.info[_LOG_LOCKED] = False


def lock_query_log(connection: Connection) -> None:
    """Take the query log's write lock in a writing SQLite transaction, once, before any statement
    reads the log: SQLite cannot move a transaction that has read a file to writing it while
    another connection writes it (it answers "database is locked" at once, without waiting).
    Nothing on PostgreSQL or on a read engine."""
    if connection.info.get(_LOG_LOCKED) is not False:
        return
    try:
        connection.exec_driver_sql(_LOG_LOCK)
    except Exception as exc:  # before the migration that moves the log: it is in main, locked
        if "no such table" not in str(exc):
            raise
    connection.info[_LOG_LOCKED] = True


def _sqlite_begin_deferred(connection: Connection) -> None:
    # A read snapshot that takes no lock until it writes (and read engines never write).
    connection.exec_driver_sql("BEGIN")
    connection.info.pop(_LOG_LOCKED, None)


def begin_query_log(dbapi_connection: Any) -> None:
    """Begin a transaction on a driver connection that locks the query log's file only (the
    writers that never touch main: the check path's and a screening's)."""
    begin_sqlite(dbapi_connection, _LOG_LOCK)


def set_cache_mib(dbapi_connection: Any, mib: int, *, schemas: tuple[str, ...] = ()) -> None:
    """Set a SQLite driver connection's page cache, per file, to `mib` MiB: of the files named, or
    of both (main and the query log's). A smaller cache gives back the pages beyond it."""
    for schema in schemas or ("main", QUERY_LOG_SCHEMA):
        dbapi_connection.execute(f"PRAGMA {schema}.cache_size={-1024 * mib}")
