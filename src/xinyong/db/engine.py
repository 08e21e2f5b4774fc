"""Engines: SQLite with WAL and foreign keys on every connection; PostgreSQL through psycopg 3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever driver the URL names (or none)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername != "postgresql+psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, reads: bool = False, **kwargs: Any) -> Engine:
    """Create an engine; for SQLite, create the file's folder and set the pragmas on connect.

    `reads=True` makes an engine for read-only work beside the writers: on SQLite its
    transactions begin DEFERRED (a snapshot, no write lock), so checks never queue behind a write.
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
        event.listen(engine, "connect", _sqlite_pragmas)
        if not reads:
            event.listen(engine, "connect", _sqlite_write_cache)
        event.listen(engine, "begin", _sqlite_begin_deferred if reads else _sqlite_begin_immediate)
        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, open transactions, so that BEGIN IMMEDIATE below applies.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=FULL")  # a commit we reported survives a crash or power loss
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock at BEGIN: two writers then queue instead of failing mid-transaction.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_begin_deferred(connection: Any) -> None:
    # A read snapshot that takes no lock until it writes (and read engines never write).
    connection.exec_driver_sql("BEGIN")


def _sqlite_write_cache(dbapi_connection: Any, _record: Any) -> None:
    # 64 MiB of page cache per writing connection (the default is 2 MiB): bulk writes into
    # large indexes (the query log's subject key) stop re-reading the same pages from disk.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()
