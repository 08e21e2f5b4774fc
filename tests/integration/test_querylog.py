"""The check writer's appender: every entry committed under the id it was given back."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.pool import NullPool

from xinyong.db import querylog_writers
from xinyong.db.engine import (
    QUERY_LOG_BULK_CACHE_MIB,
    QUERY_LOG_SCHEMA,
    SQLITE_CACHE_MIB,
    make_engine,
)
from xinyong.db.querylog import QueryRow
from xinyong.db.querylog_writers import bulk_query_writer, query_log_appender
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.checks import Feedback
from xinyong.domain.querylog import QueryEntry
from xinyong.services.querylog import QueryAppender, QueryLogWriter

UowFactory = Callable[[], SqlUnitOfWork]


def page_cache_mib(dbapi_connection: Any, schema: str = "main") -> float:
    """A SQLite driver connection's page cache limit for one file, in MiB."""
    pages = int(dbapi_connection.execute(f"PRAGMA {schema}.cache_size").fetchone()[0])
    if pages < 0:  # in KiB
        return -pages / 1024
    size = int(dbapi_connection.execute(f"PRAGMA {schema}.page_size").fetchone()[0])
    return pages * size / 2**20


AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def entry(key: int, returned: str = "none") -> QueryEntry:
    return QueryEntry(
        at=AT,
        subject_key=key,
        kind="check",
        department="BJ-CAAC-NC",
        actor="test",
        purpose="flight",
        authority="measure registry check: flight",
        returned=returned,
    )


def stored(engine: Engine) -> dict[int, tuple[int, str, datetime]]:
    columns = select(QueryRow.id, QueryRow.subject_key, QueryRow.returned, QueryRow.at)
    with engine.connect() as conn:
        return {r.id: (r.subject_key, r.returned, r.at) for r in conn.execute(columns)}


@pytest.fixture
def append(engine: Engine, seeded: UowFactory) -> Iterator[QueryAppender]:
    """The appender the check writer uses, on an empty database; closed afterwards."""
    appender = query_log_appender(engine)
    yield appender
    appender.close()


def sqlite_connection(append: QueryAppender) -> Any:
    """The SQLite appender's own connection (opened by its first batch)."""
    if not hasattr(append, "_raw"):
        pytest.skip("the appender's own connection is SQLite's")
    append([entry(0)])
    return append._raw.dbapi_connection


def test_each_entry_is_stored_under_the_id_returned_for_it(
    engine: Engine, seeded: UowFactory, append: QueryAppender
) -> None:
    first = append([entry(k, f"M@{k}") for k in range(1, 4)])
    # Another writer's rows in between: the next batch's ids must skip them.
    with seeded() as uow:
        uow.queries.add_many([entry(900), entry(901)])
        uow.commit()
    second = append([entry(k, f"M@{k}") for k in range(1000, 3500)])
    rows = stored(engine)
    assert len(rows) == 3 + 2 + 2500
    for query_id, key in zip(first + second, [*range(1, 4), *range(1000, 3500)], strict=True):
        subject_key, returned, at = rows[query_id]
        assert (subject_key, returned) == (key, f"M@{key}")
        assert at == AT
    assert len(set(first + second)) == len(first + second)


def test_a_batch_too_large_for_one_statement_commits_whole_or_not_at_all(
    engine: Engine, append: QueryAppender
) -> None:
    # As an SQLite before 3.32 would have it: 999 parameters, 111 rows a statement.
    sqlite_connection(append).setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    ids = append([entry(k, f"M@{k}") for k in range(1, 501)])
    assert [stored(engine)[i][0] for i in ids] == list(range(1, 501))
    broken = [entry(k) for k in range(1000, 1300)]
    broken[-1] = replace(broken[-1], actor=None)  # type: ignore[arg-type]  # NOT NULL
    with pytest.raises(sqlite3.IntegrityError):
        append(broken)
    assert len(stored(engine)) == 1 + 500  # none of the broken batch's first 299 rows


def test_the_writer_answers_every_submitted_check_with_its_own_id(
    engine: Engine, seeded: UowFactory
) -> None:
    writer = QueryLogWriter(query_log_appender(engine))
    answers: dict[int, int | None] = {}
    lock = threading.Lock()
    all_done = threading.Event()
    total = 600

    def done(key: int, query_id: int | None, error: BaseException | None) -> None:
        assert error is None
        with lock:
            answers[key] = query_id
            if len(answers) == total:
                all_done.set()

    def submit(keys: range) -> None:
        for k in keys:
            writer.submit(entry(k), lambda q, e, k=k: done(k, q, e))

    threads = [threading.Thread(target=submit, args=(range(i, total, 3),)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all_done.wait(30)
    writer.stop()
    rows = stored(engine)
    assert {rows[query_id][0] for query_id in answers.values() if query_id} == set(range(total))
    assert all(rows[answers[k]][0] == k for k in range(total))  # type: ignore[index]


def test_on_sqlite_the_appender_never_checkpoints_and_the_pool_still_does(
    engine: Engine, append: QueryAppender
) -> None:
    own = sqlite_connection(append)
    assert own.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000


def test_a_unit_of_work_that_read_the_log_still_writes_it_beside_the_check_writer(
    engine: Engine, seeded: UowFactory, append: QueryAppender
) -> None:
    """On SQLite a transaction that has read a file cannot go on to write it once another
    connection wrote it ("database is locked" at once, whatever the busy timeout). So a unit of
    work locks the query log's file before it first reads it (db/engine.py lock_query_log):
    the check writer waits for it instead (here it does not wait, and is refused)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the query log's own file and its lock are SQLite's")
    [query_id] = append([entry(1, "M-COURT-FLIGHT@7")])
    impatient = make_engine(str(engine.url), poolclass=NullPool)
    event.listen(impatient, "connect", lambda conn, _r: conn.execute("PRAGMA busy_timeout=0"))
    other = query_log_appender(impatient)
    try:
        with seeded() as uow:
            assert uow.queries.get(query_id).subject_key == 1  # the feedback path reads first
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other([entry(2)])
            uow.queries.add_feedback(Feedback(query_id, "M-COURT-FLIGHT", True, None, "t", AT))
            uow.commit()
        assert other([entry(3)])  # and once it committed, the writer goes on
    finally:
        other.close()
        impatient.dispose()
    with seeded() as uow:
        assert [f.measure for f in uow.queries.feedback_of(query_id)] == ["M-COURT-FLIGHT"]


def test_on_sqlite_only_the_logs_bulk_writers_keep_a_large_page_cache(
    engine: Engine, append: QueryAppender, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every pooled writing connection keeps its pages until it closes: a small cache each
    (docs/scale.md, "Peak memory"). The check path's own connection keeps the query log's large
    one; a screening's write has it on its pooled connection while it writes, and gives it back."""
    own = sqlite_connection(append)
    assert page_cache_mib(own, QUERY_LOG_SCHEMA) == QUERY_LOG_BULK_CACHE_MIB
    assert page_cache_mib(own) == SQLITE_CACHE_MIB

    def pooled() -> tuple[float, float]:
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            return page_cache_mib(raw), page_cache_mib(raw, QUERY_LOG_SCHEMA)

    assert pooled() == (SQLITE_CACHE_MIB, SQLITE_CACHE_MIB)
    while_writing: list[float] = []
    newest_link = querylog_writers._newest_link

    def watched(connection: Any) -> str:
        while_writing.append(page_cache_mib(connection, QUERY_LOG_SCHEMA))
        return newest_link(connection)

    monkeypatch.setattr(querylog_writers, "_newest_link", watched)
    bulk_query_writer(engine)(entry(0), [(5, "none"), (6, "none")])
    assert while_writing == [QUERY_LOG_BULK_CACHE_MIB]
    assert pooled() == (SQLITE_CACHE_MIB, SQLITE_CACHE_MIB)
    assert sorted(key for key, _, _ in stored(engine).values()) == [0, 5, 6]


def test_on_sqlite_the_writing_connections_cache_is_configurable(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's page cache")
    writes = make_engine(database_url, cache_mib=16)
    reads = make_engine(database_url, reads=True, cache_mib=16)
    try:
        with writes.connect() as conn:
            raw = conn.connection.driver_connection
            assert page_cache_mib(raw) == page_cache_mib(raw, QUERY_LOG_SCHEMA) == 16
        with reads.connect() as conn:  # a read engine keeps SQLite's own default
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -2000
    finally:
        writes.dispose()
        reads.dispose()
