"""`xinyong audit verify` and `checkpoint`: the chained logs notice every direct edit, insert
and delete in the database, and name the entry (docs/at-rest.md)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, make_url, text

from tests.conftest import Clock
from tests.functional.helpers import run
from xinyong.db.chain import SqlChainStore
from xinyong.db.engine import QUERY_LOG_SCHEMA, query_log_file
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain import vault
from xinyong.domain.access import Scope
from xinyong.domain.policy import Policy
from xinyong.domain.querylog import QueryEntry
from xinyong.services import audit, expiry, keys

UowFactory = Callable[[], SqlUnitOfWork]


@pytest.fixture
def history(
    seeded: UowFactory,
    database_url: str,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[str, dict[str, Any] | None], None]:
    """Audit events and query-log entries written by the platform, and a way to run SQL on the
    database behind its back (sqlite3 on the file itself; PostgreSQL through its own driver)."""
    for n in range(4):
        keys.create_api_key(
            seeded(), label=f"desk {n}", scopes={Scope.CHECKS_RUN}, department=None, actor="test"
        )
    for n in range(6):
        clock.advance(seconds=1)
        entry = QueryEntry(
            at=clock(),
            subject_key=1000 + n,
            kind="check",
            department=None,
            actor="desk",
            purpose="flight",
            authority="measure registry check: flight",
            returned="",
        )
        with seeded() as uow:
            uow.queries.add_many([entry])
            uow.commit()
    monkeypatch.setenv("XINYONG_DATABASE_URL", database_url)

    def behind_its_back(sql: str, params: dict[str, Any] | None = None) -> None:
        if database_url.startswith("sqlite"):
            main = make_url(database_url).database or ""
            db = sqlite3.connect(main)
            # The query log is a file of its own (db/engine.py): tampering opens it too.
            db.execute(f"ATTACH DATABASE ? AS {QUERY_LOG_SCHEMA}", (query_log_file(main),))
            db.execute(sql, params or {})
            db.commit()
            db.close()
        else:
            import psycopg

            url = make_url(database_url).set(drivername="postgresql")
            with psycopg.connect(url.render_as_string(hide_password=False)) as db:
                db.execute(sql.replace(":id", "%(id)s"), params or {})

    return behind_its_back


def ids(engine: Engine, table: str) -> list[int]:
    with engine.connect() as conn:
        return [int(i) for (i,) in conn.execute(text(f"SELECT id FROM {table} ORDER BY id"))]  # noqa: S608


def test_untouched_logs_verify_and_take_a_checkpoint(history: Any) -> None:
    verified = run("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "0 broken" in verified.output

    signed = run("audit", "checkpoint")
    assert signed.exit_code == 0, signed.output
    assert "queries: signed at 6 entries" in signed.output
    again = run("audit", "verify")
    assert again.exit_code == 0, again.output
    assert "last good checkpoint at entry" in again.output


def test_an_edited_audit_event_is_named(history: Any, engine: Engine) -> None:
    middle = ids(engine, "audit_events")[2]
    history("UPDATE audit_events SET actor = 'someone else' WHERE id = :id", {"id": middle})

    verified = run("audit", "verify")

    assert verified.exit_code == 1, verified.output
    assert f"audit_events entry {middle}: altered" in verified.output


def test_an_inserted_query_log_entry_is_named(history: Any, engine: Engine) -> None:
    first = ids(engine, "queries")[0]
    history(
        "INSERT INTO queries (id, at, subject_key, kind, department_code, actor, purpose,"
        " authority, returned, screening_id, prev_hash, chain)"
        " SELECT :id, at, subject_key, kind, department_code, 'forged', purpose, authority,"
        " returned, screening_id, prev_hash, chain FROM queries"
        " WHERE id = :id + 1",
        {"id": first - 1},
    )

    verified = run("audit", "verify")

    assert verified.exit_code == 1, verified.output
    assert f"queries entry {first - 1}: inserted" in verified.output


def test_a_deleted_query_log_entry_is_named(history: Any, engine: Engine) -> None:
    entries = ids(engine, "queries")
    history("DELETE FROM queries WHERE id = :id", {"id": entries[3]})

    verified = run("audit", "verify")

    assert verified.exit_code == 1, verified.output
    assert f"queries entry {entries[4]}: deleted" in verified.output
    assert f"between {entries[2]} and it" in verified.output


def test_entries_cut_from_the_end_are_named_by_the_checkpoint(history: Any, engine: Engine) -> None:
    assert run("audit", "checkpoint").exit_code == 0
    entries = ids(engine, "queries")
    history("DELETE FROM queries WHERE id >= :id", {"id": entries[-2]})

    verified = run("audit", "verify")

    assert verified.exit_code == 1, verified.output
    assert f"queries entry {entries[-1]}: truncated" in verified.output
    assert run("audit", "checkpoint").exit_code == 1  # no signature blesses a broken log


def test_the_sweep_deletes_old_entries_and_the_log_still_verifies(
    history: Any, seeded: UowFactory, engine: Engine, clock: Clock, policy: Policy
) -> None:
    store = SqlChainStore(engine)
    assert not any(s.findings for s in audit.write_checkpoints(store, vault.current(), at=clock()))
    clock.advance(days=365 * 11)  # past the query log's retention
    summary = expiry.sweep(seeded(), policy, actor="test")
    assert summary.queries_deleted == 6
    audit.mark_retention(store, vault.current(), at=clock())
    with seeded() as uow:
        uow.queries.add_many([entry_at(clock())])
        uow.commit()
    clean = run("audit", "verify")
    assert clean.exit_code == 0, clean.output
    history("INSERT INTO queries (at, subject_key, kind, actor, purpose, authority, returned)"
            " VALUES ('2037-01-01 00:00:00', 1, 'check', 'x', 'y', 'z', '')", None)  # fmt: skip
    forged = ids(engine, "queries")[-1]

    verified = run("audit", "verify")

    assert verified.exit_code == 1, verified.output
    assert f"queries entry {forged}: altered" in verified.output
    assert verified.output.count("queries entry") == 1


def entry_at(moment: datetime) -> QueryEntry:
    return QueryEntry(
        at=moment,
        subject_key=2000,
        kind="check",
        department=None,
        actor="desk",
        purpose="flight",
        authority="measure registry check: flight",
        returned="",
    )
