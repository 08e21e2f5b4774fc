"""The logs' partitions (db/partitions.py): on PostgreSQL each log is ranges of its sequence
number and a default partition, the sweep keeps empty ranges ahead of the newest row, a row
past every range is kept and read like any other, and the chains still verify. SQLite keeps
plain tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from itertools import pairwise

from sqlalchemy import Engine, text

from tests.conftest import Clock
from xinyong.db import partitions
from xinyong.db.chain import SqlChainStore
from xinyong.db.partitions import Range
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain import vault
from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.checks import Feedback
from xinyong.domain.feed import FeedItem, FeedKind
from xinyong.domain.querylog import QueryEntry
from xinyong.services import audit
from xinyong.services.audit import verify_logs

UowFactory = Callable[[], SqlUnitOfWork]
#: The logs `_write` writes to (the outbox is written only on an exchange node).
WRITTEN = {"queries": "id", "audit_events": "id", "feed_items": "seq"}


def _write(make_uow: UowFactory, clock: Clock, n: int) -> None:
    """`n` rows in each log, as the platform writes them."""
    for _ in range(n):
        clock.advance(seconds=1)
        with make_uow() as uow:
            at = uow.now()
            uow.queries.add_many(
                [QueryEntry(at, 1001, "check", None, "desk", "flight", "registry", "")]
            )
            uow.audit.add(AuditEvent(EventTag.RECORD_EXPIRED, "test", "record", "1", at))
            uow.feed.add([FeedItem("BJ-TAX", FeedKind.EXPIRED, "record", 1, 1001, "x", at)])
            uow.commit()


def _where(engine: Engine, table: str, column: str) -> dict[int, str]:
    """Each row's number and the partition that holds it."""
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {column}, tableoid::regclass::text FROM {table}"))  # noqa: S608
        return {int(n): str(p) for n, p in rows}


def test_each_log_is_ranges_of_its_numbers_from_zero_with_ranges_ahead(
    make_uow: UowFactory, engine: Engine
) -> None:
    if engine.dialect.name == "sqlite":
        assert partitions.maintain(engine) == 0
        with engine.connect() as conn:
            assert partitions.ranges(conn, "queries") == []
        return
    partitions.maintain(engine)  # other tests may have moved a sequence on
    with engine.connect() as conn:
        for table, column in partitions.PARTITIONED.items():
            found = partitions.ranges(conn, table)  # from 0 (retention may have dropped some)
            assert found[0].start % (found[0].end - found[0].start) == 0
            assert all(a.end == b.start for a, b in pairwise(found))
            sequence = conn.scalar(
                text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table, "c": column}
            )
            issued = int(conn.scalar(text(f"SELECT last_value FROM {sequence}")) or 0)  # noqa: S608
            assert len([r for r in found if r.start > issued]) >= partitions.AHEAD
            kind = conn.scalar(
                text("SELECT relkind FROM pg_class WHERE relname = :t"), {"t": table}
            )
            assert kind == "p"
    assert partitions.maintain(engine) == 0  # the ranges ahead are there already


def test_the_sweep_adds_ranges_as_a_log_fills_its_last_one(
    make_uow: UowFactory, engine: Engine, clock: Clock
) -> None:
    if engine.dialect.name == "sqlite":
        return
    with engine.begin() as conn:
        last = partitions.ranges(conn, "audit_events")[-1]
        # The newest audit event half way into the last range: two more are wanted after it.
        conn.execute(text("SELECT setval('audit_events_id_seq', :n)"), {"n": last.start + 5})
    _write(make_uow, clock, 2)
    assert partitions.maintain(engine) == partitions.AHEAD
    with engine.connect() as conn:
        grown = partitions.ranges(conn, "audit_events")
    assert [(r.start, r.end) for r in grown[-partitions.AHEAD :]] == [
        (last.end + i * (last.end - last.start), last.end + (i + 1) * (last.end - last.start))
        for i in range(partitions.AHEAD)
    ]
    assert partitions.maintain(engine) == 0
    assert set(_where(engine, "audit_events", "id").values()) == {last.name}


def test_a_row_past_every_range_is_kept_and_the_next_ranges_begin_after_it(
    make_uow: UowFactory, engine: Engine, clock: Clock
) -> None:
    """The sweep did not run while a whole range filled: the rows past it went to the default
    partition, stay there and read as before; the new ranges start after them."""
    if engine.dialect.name == "sqlite":
        return
    with engine.begin() as conn:
        last = {t: partitions.ranges(conn, t)[-1] for t in partitions.PARTITIONED}
        for table, column in partitions.PARTITIONED.items():
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence(:t, :c), :n)"),
                {"t": table, "c": column, "n": last[table].end + 10},
            )
    _write(make_uow, clock, 2)
    assert set(_where(engine, "queries", "id").values()) == {"queries_default"}
    assert partitions.maintain(engine) == len(partitions.PARTITIONED) * (1 + partitions.AHEAD)
    clock.advance(days=1)
    _write(make_uow, clock, 1)
    for table, column in WRITTEN.items():
        held = _where(engine, table, column)
        width = last[table].end - last[table].start
        assert sorted(held.values()) == [f"{table}_default"] * 2 + [
            f"{table}_p{last[table].end // width + 1}"
        ]
    with make_uow() as uow:
        assert uow.audit.count(EventTag.RECORD_EXPIRED.value) == 3
        assert [e.at for _, e in uow.queries.for_key(1001)] == sorted(
            [e.at for _, e in uow.queries.for_key(1001)], reverse=True
        )
        assert len(uow.feed.after("BJ-TAX", 0, limit=10)) == 3
    states = verify_logs(SqlChainStore(engine), vault.current())
    assert [(s.entries, s.findings) for s in states] == [(3, []), (3, [])]


OLD, NEW = datetime(2019, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
CUT = datetime(2020, 1, 1, tzinfo=UTC)


def _old_range_and_a_newer_one(make_uow: UowFactory, engine: Engine) -> tuple[Range, Range]:
    """Two old entries (one with feedback) in the first range; an old and a new one in the
    next."""

    def entry(at: datetime) -> QueryEntry:
        return QueryEntry(at, 1001, "check", "BJ-TAX", "desk", "flight", "registry", "")

    with engine.connect() as conn:
        first, second = partitions.ranges(conn, "queries")[:2]
    with engine.begin() as conn:
        conn.execute(text("SELECT setval('queries_id_seq', :n)"), {"n": first.start + 1})
    with make_uow() as uow:
        ids = uow.queries.add_many([entry(OLD), entry(OLD)])
        uow.queries.add_feedback(Feedback(ids[0], "M-COURT-FLIGHT", True, None, "desk", OLD))
        uow.commit()
    with engine.begin() as conn:
        conn.execute(text("SELECT setval('queries_id_seq', :n)"), {"n": second.start - 1})
    with make_uow() as uow:
        uow.queries.add_many([entry(OLD), entry(NEW)])
        uow.commit()
    return first, second


def test_retention_drops_the_query_logs_oldest_ranges_whole(
    make_uow: UowFactory, engine: Engine, clock: Clock
) -> None:
    """A range whose every entry is past retention goes at once, with the feedback on it; the
    range that still keeps an entry loses only its old ones; the chain starts after them."""
    if engine.dialect.name == "sqlite":
        return
    first, second = _old_range_and_a_newer_one(make_uow, engine)
    with make_uow() as uow:
        assert uow.queries.delete_before(CUT, limit=1000) == (3, 1)
        uow.commit()
    with engine.connect() as conn:
        left = [r.name for r in partitions.ranges(conn, "queries")]
    assert first.name not in left
    assert second.name in left
    assert list(_where(engine, "queries", "id").values()) == [second.name]
    store = SqlChainStore(engine)
    audit.mark_retention(store, vault.current(), at=clock())
    assert [s.findings for s in verify_logs(store, vault.current())] == [[], []]


def test_retention_deletes_row_by_row_while_a_reader_holds_the_query_log(
    make_uow: UowFactory, engine: Engine
) -> None:
    """Detaching a range waits for every reader of the log; past `LOCK_WAIT` the range stays
    and its entries are deleted as before."""
    if engine.dialect.name == "sqlite":
        return
    first, _ = _old_range_and_a_newer_one(make_uow, engine)
    with engine.connect() as reader, reader.begin():
        reader.execute(text("SELECT count(*) FROM queries"))  # its lock until it ends
        with make_uow() as uow:
            assert uow.queries.delete_before(CUT, limit=1000) == (3, 1)
            uow.commit()
    with engine.connect() as conn:
        assert first.name in [r.name for r in partitions.ranges(conn, "queries")]
    assert len(_where(engine, "queries", "id")) == 1


def test_retention_keeps_the_range_being_filled_even_when_all_its_entries_are_old(
    make_uow: UowFactory, engine: Engine
) -> None:
    """Every entry of the range the sequence is filling is past retention: they are deleted,
    but the range stays, so the next entry lands in it and never in the default partition."""
    if engine.dialect.name == "sqlite":
        return

    def entry(at: datetime) -> QueryEntry:
        return QueryEntry(at, 1001, "check", "BJ-TAX", "desk", "flight", "registry", "")

    with engine.connect() as conn:
        first = partitions.ranges(conn, "queries")[0]
    with engine.begin() as conn:
        conn.execute(text("SELECT setval('queries_id_seq', :n)"), {"n": first.start + 1})
    with make_uow() as uow:
        uow.queries.add_many([entry(OLD), entry(OLD)])
        uow.commit()
    with make_uow() as uow:
        assert uow.queries.delete_before(CUT, limit=1000) == (2, 0)
        uow.commit()
    with engine.connect() as conn:
        assert first.name in [r.name for r in partitions.ranges(conn, "queries")]
    with make_uow() as uow:
        uow.queries.add_many([entry(NEW)])
        uow.commit()
    assert list(_where(engine, "queries", "id").values()) == [first.name]
