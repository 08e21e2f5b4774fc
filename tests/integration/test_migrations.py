"""Migrations: `upgrade head` builds the schema the areas' tables describe, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, MetaData, Table, insert, inspect, text

from tests.conftest import BACKENDS, PG_URL, Clock, _drop_postgres, _fresh_postgres
from xinyong.db.base import Base, table_of
from xinyong.db.engine import QUERY_LOG_SCHEMA, make_engine
from xinyong.db.migrate import current_revision, upgrade
from xinyong.db.partitions import include_name, include_object
from xinyong.db.records import CreditRecordRow
from xinyong.db.schema import metadata, stored_metadata
from xinyong.domain.policy import Policy
from xinyong.domain.records import CreditRecord, RecordStatus


def as_stored(conn: Connection, row: type[Base]) -> Table:
    """The row's table as the database holds it at its current revision: its columns that
    exist by then, with their types (sealing, UTC timestamps), so that an insert at an earlier
    revision names no column a later one adds (a column's default would name it)."""
    have = {c["name"] for c in inspect(conn).get_columns(row.__tablename__)}
    full = table_of(row)
    return Table(full.name, MetaData(), *(c._copy() for c in full.columns if c.name in have))


def _drift(engine: Engine, *, log_file: bool = True) -> list[object]:
    """How the database's schema differs from the tables the rows describe (on SQLite, the query
    log's in their own file unless `log_file` is false: before revision 6f41cbb8a562)."""
    stored = stored_metadata(engine.dialect.name) if log_file else metadata
    with engine.connect() as conn:
        # Partitions (PostgreSQL, db/partitions.py) are storage of the tables the rows describe.
        opts = {
            # On SQLite the query log's tables are in their own file (db/engine.py).
            "include_schemas": engine.dialect.name == "sqlite",
            "compare_type": True,
            "include_name": include_name,
            "include_object": include_object,
        }
        context = MigrationContext.configure(conn, opts=opts)
        return list(compare_metadata(context, stored))


def _tables_of(diff: object) -> set[str]:
    """The tables one entry of `_drift` concerns: its own, and a reference's target."""
    if isinstance(diff, list):
        return {name for part in diff for name in _tables_of(part)}
    if not isinstance(diff, tuple):
        return set()
    if diff[0].startswith("modify_") or diff[0] in ("add_column", "remove_column"):
        # (op, schema, table, column, ...)
        return {str(diff[2])}
    found: set[str] = set()
    thing = diff[1]
    for owner in (getattr(thing, "table", None), thing):
        name = getattr(owner, "name", None)
        if owner is not None and hasattr(owner, "columns") and isinstance(name, str):
            found.add(name)
    referred = getattr(thing, "referred_table", None)
    if referred is not None:
        found.add(str(referred.name))
    return found


def test_the_migrated_schema_matches_the_rows_exactly(engine: Engine) -> None:
    drift = _drift(engine)
    assert drift == [], f"the tables (db/<area>.py) and the migrations differ: {drift}"


def test_the_database_is_at_the_newest_revision(engine: Engine) -> None:
    from alembic.script import ScriptDirectory

    from xinyong.db.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    assert current_revision(engine) == head


def test_every_table_the_rows_declare_exists(engine: Engine) -> None:
    found = inspect(engine)
    names = set(found.get_table_names())
    if engine.dialect.name == "sqlite":  # the query log's file too (db/engine.py)
        names |= set(found.get_table_names(schema=QUERY_LOG_SCHEMA))
    assert set(metadata.tables) <= names


MERGE_REVISION = "def4f1ba58ff"  # the one before document keys


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own, to migrate step by step."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'steps.db'}"
        return
    assert PG_URL
    url = _fresh_postgres(PG_URL, "steps")
    yield url
    _drop_postgres(PG_URL, url)


def test_document_keys_merge_the_records_of_one_document_with_their_history(
    fresh_url: str,
) -> None:
    engine = make_engine(fresh_url)
    upgrade(engine, MERGE_REVISION)
    at = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    common = {
        "department_code": "BJ-TAX",
        "item_code": "ADM-PEN-01",
        "catalog_version": "2024.1",
        "subject_id": 1,
        "status": "active",
        "published": True,
        "decision_date": date(2025, 3, 1),
        "authority_name": "国家税务总局北京市税务局",
        "authority_uscc": "11110000000021186X",
        "fields": {},
        "original": {},
        "source_row": 1,
        "updated_at": at,
    }
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO departments (code, name, uscc, region_code, kind, items, updated_at)"
                " VALUES ('BJ-TAX', '税务局', '11110000000021186X', '110000', 'tax', '[]', :at)"
            ),
            {"at": at},
        )
        conn.execute(
            text(
                "INSERT INTO subjects (id, kind, number, name, created_at)"
                " VALUES (1, 'person', '11010519491231002X', '王秀英', :at)"
            ),
            {"at": at},
        )
        records = as_stored(conn, CreditRecordRow)
        for record_id, number, digest, received in (
            (1, "京税强〔2025〕11号", "a", at),
            (2, "京税强[2025]11号", "b", at + timedelta(days=1)),
            (3, "京税强〔2025〕12号", "c", at),
        ):
            conn.execute(
                insert(records).values(
                    id=record_id,
                    document_number=number,
                    content_hash=digest,
                    received_at=received,
                    **common,
                )
            )
        conn.execute(
            text(
                "INSERT INTO objections (subject_id, record_id, department_code, ground, reasons,"
                " status, filed_by, filed_at, centre_due, extended)"
                " VALUES (1, 1, 'BJ-TAX', 'error_or_omission', '重复', 'filed', 'p', :at,"
                " '2026-11-02', false)"
            ),
            {"at": at},
        )
    upgrade(engine)
    with engine.connect() as conn:
        kept = conn.execute(text("SELECT id, document_key FROM credit_records ORDER BY id")).all()
        revisions = conn.execute(text("SELECT record_id, content_hash FROM record_revisions")).all()
        objection = conn.execute(text("SELECT record_id FROM objections")).scalar_one()
    engine.dispose()
    # The newest of the two forms stays; the older is its revision; the objection follows it.
    assert [(i, k) for i, k in kept] == [(2, "京税强〔2025〕11号"), (3, "京税强〔2025〕12号")]
    assert [(r, h) for r, h in revisions] == [(2, "a")]
    assert objection == 2


BEFORE_AT_REST = "8a3f52c1d7e4"  # the revision before identifiers were sealed


def test_sealing_converts_the_rows_already_stored(fresh_url: str) -> None:
    """Numbers sealed and looked up by keyed hash, originals sealed where they hold a number,
    query-log keys moved to keyed ones (a person never stored too), existing logs chained."""
    from xinyong.db.chain import SqlChainStore
    from xinyong.db.subjects import number_hash
    from xinyong.domain import vault
    from xinyong.services.audit import verify_logs

    number, stranger = "11010519491231002X", "11010519800101001X"
    engine = make_engine(fresh_url)
    upgrade(engine, BEFORE_AT_REST)
    at = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO departments (code, name, uscc, region_code, kind, items, updated_at)"
                " VALUES ('BJ-TAX', '税务局', '11110000000021186X', '110000', 'tax', '[]', :at)"
            ),
            {"at": at},
        )
        conn.execute(
            text(
                "INSERT INTO subjects (id, kind, number, name, created_at)"
                " VALUES (1, 'person', :number, '王秀英', :at)"
            ),
            {"number": number, "at": at},
        )
        conn.execute(
            text(
                "INSERT INTO credit_records (id, department_code, document_number, document_key,"
                " item_code, catalog_version, subject_id, status, published, decision_date,"
                " authority_name, authority_uscc, fields, original, content_hash, source_row,"
                " received_at, updated_at, publish_by_official, under_objection)"
                " VALUES (1, 'BJ-TAX', 'd1', 'd1', 'ADM-PEN-01', '2024.1', 1, 'active', true,"
                " '2025-03-01', '税务局', '11110000000021186X', '{}', :original, 'h', 1, :at, :at,"
                " true, false)"
            ),
            {"original": f'{{"subject_id": "{number}", "amount": "100"}}', "at": at},
        )
        for key in (int(number[:17]), int(stranger[:17])):
            conn.execute(
                text(
                    "INSERT INTO queries (at, subject_key, kind, actor, purpose, authority,"
                    " returned) VALUES (:at, :key, 'check', 'desk', 'flight', 'basis', '')"
                ),
                {"at": at, "key": key},
            )
        conn.execute(
            text(
                "INSERT INTO audit_events (at, tag, actor, entity_type, entity_id, data)"
                " VALUES (:at, 'record:created', 'test', 'record', '1', '{}')"
            ),
            {"at": at},
        )
    upgrade(engine)
    keys = vault.current()
    with engine.connect() as conn:
        stored, digest, key = conn.execute(
            text("SELECT number, number_hash, subject_key FROM subjects")
        ).one()
        original = conn.execute(text("SELECT original FROM credit_records")).scalar_one()
        logged = [k for (k,) in conn.execute(text("SELECT subject_key FROM queries ORDER BY id"))]
    states = verify_logs(SqlChainStore(engine), keys)
    engine.dispose()
    assert stored.startswith("sealed:")
    assert keys.open(stored) == number
    assert digest == number_hash(number)
    assert key == keys.subject_key(number, organisation=False)
    assert number not in str(original)
    assert logged == [key, keys.subject_key(stranger, organisation=False)]
    assert [s.findings for s in states] == [[], []]
    assert [s.entries for s in states] == [1, 2]


BEFORE_SEALED_TOTP = "c4a9e1f27b63"  # the revision before staff TOTP secrets were sealed


def test_staff_totp_secrets_stored_in_clear_are_sealed_and_opened_again_on_downgrade(
    fresh_url: str,
) -> None:
    from xinyong.db.migrate import downgrade
    from xinyong.db.staff import SqlStaffRepository
    from xinyong.db.unit_of_work import make_session_factory
    from xinyong.domain import vault

    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    engine = make_engine(fresh_url)
    upgrade(engine, BEFORE_SEALED_TOTP)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO staff (id, username, name, role, password_hash, totp_secret,"
                " created_at, created_by, failed_logins)"
                " VALUES (1, 'li.centre', '李', 'credit_centre', 'h', :secret, :at, 't', 0)"
            ),
            {"secret": secret, "at": datetime(2026, 11, 1, 2, 0, tzinfo=UTC)},
        )
    try:
        upgrade(engine)
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT totp_secret FROM staff")).scalar_one()
        assert stored.startswith("sealed:")
        assert secret not in stored
        assert vault.current().open(stored) == secret
        with make_session_factory(engine)() as session:
            assert SqlStaffRepository(session).get(1).totp_secret == secret

        downgrade(engine, BEFORE_SEALED_TOTP)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT totp_secret FROM staff")).scalar_one() == secret
    finally:
        engine.dispose()


BEFORE_SEALED_NODE_KEYS = "c4f8a2e61b93"  # the revision before the node's keys were sealed


def test_the_nodes_private_keys_stored_in_clear_are_sealed_and_opened_again_on_downgrade(
    fresh_url: str,
) -> None:
    from xinyong.db.exchange import SqlNodeRepository
    from xinyong.db.migrate import downgrade
    from xinyong.db.unit_of_work import make_session_factory
    from xinyong.domain import vault
    from xinyong.domain.envelopes import NodeKeys

    signing, sealing = NodeKeys.generate().as_text()
    engine = make_engine(fresh_url)
    upgrade(engine, BEFORE_SEALED_NODE_KEYS)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO exchange_node (code, region, level, signing_key, sealing_key,"
                " created_at) VALUES ('BJ', '110000', 'provincial', :signing, :sealing, :at)"
            ),
            {"signing": signing, "sealing": sealing, "at": datetime(2026, 11, 1, tzinfo=UTC)},
        )

    def stored() -> tuple[str, str]:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT signing_key, sealing_key FROM exchange_node")).one()
            return str(row[0]), str(row[1])

    try:
        upgrade(engine)
        assert all(v.startswith("sealed:") for v in stored())
        assert signing not in "".join(stored())
        assert sealing not in "".join(stored())
        with make_session_factory(engine)() as session:
            node = SqlNodeRepository(session).get()
        assert node is not None
        assert node.keys.as_text() == (signing, sealing)

        downgrade(engine, BEFORE_SEALED_NODE_KEYS)
        assert stored() == (signing, sealing)
        upgrade(engine)  # and a node made after the change is stored sealed
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM exchange_node"))
        with make_session_factory(engine)() as session:
            SqlNodeRepository(session).add(node, at=datetime(2026, 11, 2, tzinfo=UTC))
            session.commit()
        assert all(v.startswith("sealed:") for v in stored())
        assert vault.current().open(stored()[0]) == signing
    finally:
        engine.dispose()


BEFORE_PARTITIONS = "d3b8f0a4c6e1"  # the revision before the logs were partitioned
LOGS = ("queries", "audit_events", "feed_items", "exchange_outbox")


def test_the_logs_are_partitioned_and_back_with_their_rows_links_and_references(
    fresh_url: str,
) -> None:
    """PostgreSQL: the logs become partitioned tables and plain ones again, their rows, chains
    and the reference from feedback to its query intact both ways. SQLite: nothing changes."""
    from sqlalchemy.exc import IntegrityError

    from xinyong.db.chain import SqlChainStore
    from xinyong.db.migrate import downgrade
    from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
    from xinyong.domain import vault
    from xinyong.domain.audit import AuditEvent, EventTag
    from xinyong.domain.checks import Feedback
    from xinyong.domain.feed import FeedItem, FeedKind
    from xinyong.domain.querylog import QueryEntry
    from xinyong.services.audit import verify_logs

    engine = make_engine(fresh_url)
    upgrade(engine)
    at = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    uow = SqlUnitOfWork(make_session_factory(engine), lambda: at)
    with uow:
        entry = QueryEntry(at, 1001, "check", "BJ-TAX", "desk", "flight", "registry", "")
        [query_id] = uow.queries.add_many([entry])
        uow.queries.add_feedback(Feedback(query_id, "M-COURT-FLIGHT", True, None, "desk", at))
        uow.audit.add(AuditEvent(EventTag.RECORD_EXPIRED, "test", "record", "1", at))
        uow.feed.add([FeedItem("BJ-TAX", FeedKind.EXPIRED, "record", 1, 1001, "x", at)])
        uow.commit()

    def kinds() -> set[str]:
        if engine.dialect.name != "postgresql":
            return set()
        with engine.connect() as conn:
            found = conn.execute(
                text("SELECT relkind FROM pg_class WHERE relname = ANY(:names)"),
                {"names": list(LOGS)},
            )
            return {str(kind) for (kind,) in found}

    def kept() -> list[int]:
        with engine.connect() as conn:
            counts = [
                int(conn.scalar(text(f"SELECT count(*) FROM {t}")) or 0)  # noqa: S608 - constant
                for t in (*LOGS, "check_feedback")
            ]
        states = verify_logs(SqlChainStore(engine), vault.current())
        assert [s.findings for s in states] == [[], []]
        return counts

    partitioned = {"p"} if engine.dialect.name == "postgresql" else set()
    plain = {"r"} if engine.dialect.name == "postgresql" else set()
    assert (kinds(), kept()) == (partitioned, [1, 1, 1, 0, 1])
    downgrade(engine, BEFORE_PARTITIONS)
    assert (kinds(), kept()) == (plain, [1, 1, 1, 0, 1])
    # The same tables, indexes and references as before (later migrations, undone with it, are
    # not this test's business: only what concerns the logs is compared).
    drift = _drift(engine, log_file=False)
    assert [d for d in drift if _tables_of(d) & {*LOGS, "check_feedback"}] == []
    upgrade(engine)
    assert (kinds(), kept()) == (partitioned, [1, 1, 1, 0, 1])
    # Feedback still refers to a query that exists.
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO check_feedback (query_id, measure_code, applied, actor, at)"
                " VALUES (:q, 'M-COURT-FLIGHT', true, 'desk', :at)"
            ),
            {"q": query_id + 1000, "at": at},
        )
    engine.dispose()


BEFORE_REJECT_CODES = "923f32211d91"  # the revision before refused rows kept their codes


def test_refused_rows_keep_their_reasons_code_and_lose_only_it_on_downgrade(
    fresh_url: str,
) -> None:
    from xinyong.db.batches import SqlBatchRepository
    from xinyong.db.migrate import downgrade
    from xinyong.db.unit_of_work import make_session_factory
    from xinyong.domain.errors import FieldProblem

    engine = make_engine(fresh_url)
    upgrade(engine, BEFORE_REJECT_CODES)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO departments (code, name, uscc, region_code, kind, items, updated_at)"
                " VALUES ('D1', 'd', '11110000000021135N', '110000', 'k', '[]', :at)"
            ),
            {"at": datetime(2026, 11, 1, 2, 0, tzinfo=UTC)},
        )
        conn.execute(
            text(
                "INSERT INTO batches (id, department_code, source, status, rows_done, accepted,"
                " updated, unchanged, rejected, held, actor, received_at)"
                " VALUES (1, 'D1', 'api', 'complete', 2, 0, 0, 0, 2, 0, 't', :at)"
            ),
            {"at": datetime(2026, 11, 1, 2, 0, tzinfo=UTC)},
        )
        conn.execute(
            text(
                "INSERT INTO batch_rejects (batch_id, row, field, reason)"
                " VALUES (1, 1, 'item', 'is required')"
            )
        )
    try:
        upgrade(engine)
        coded = FieldProblem.refused("fine_amount", 2, "too_long", count=12, limit=10)
        with make_session_factory(engine)() as session:
            SqlBatchRepository(session).add_rejects(1, [coded])
            session.commit()
            assert SqlBatchRepository(session).rejects(1) == [
                FieldProblem("item", "is required", 1),  # stored before codes: none
                coded,
            ]

        downgrade(engine, BEFORE_REJECT_CODES)
        with engine.connect() as conn:
            kept = conn.execute(text("SELECT row, field, reason FROM batch_rejects ORDER BY row"))
            assert [tuple(r) for r in kept] == [
                (1, "item", "is required"),
                (2, "fine_amount", "is 12 characters long; at most 10 are allowed"),
            ]
    finally:
        engine.dispose()


BEFORE_LOG_FILE = "84897315ef4f"  # the revision before SQLite's query log had a file of its own


def test_on_sqlite_the_query_log_moves_to_its_own_file_and_back_with_its_rows(
    fresh_url: str,
) -> None:
    """SQLite: `queries` and `check_feedback` go into the attached file with their ids, links
    and the reference between them, and come back on downgrade. PostgreSQL: nothing changes."""
    from xinyong.db.chain import SqlChainStore
    from xinyong.db.migrate import downgrade
    from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
    from xinyong.domain import vault
    from xinyong.domain.checks import Feedback
    from xinyong.domain.querylog import QueryEntry
    from xinyong.services.audit import verify_logs

    engine = make_engine(fresh_url)
    upgrade(engine, BEFORE_LOG_FILE)
    at = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    uow = SqlUnitOfWork(make_session_factory(engine), lambda: at)
    with uow:
        entries = [
            QueryEntry(at, key, "check", "BJ-TAX", "desk", "flight", "registry", "M@1")
            for key in (1001, 1002, 1003)
        ]
        ids = uow.queries.add_many(entries)
        uow.queries.add_feedback(Feedback(ids[1], "M-COURT-FLIGHT", True, None, "desk", at))
        uow.commit()
    sqlite = engine.dialect.name == "sqlite"

    def where() -> dict[str, str]:
        """The schema each table of the log is in (SQLite), and that the rows are all there."""
        states = verify_logs(SqlChainStore(engine), vault.current())
        assert [s.findings for s in states] == [[], []]
        with engine.connect() as conn:
            assert conn.execute(text("SELECT id FROM queries ORDER BY id")).scalars().all() == ids
            assert conn.execute(text("SELECT query_id FROM check_feedback")).scalars().all() == [
                ids[1]
            ]
            if not sqlite:
                return {}
            # Migrated with rollback journals (both files commit or neither), then WAL again.
            for schema in ("main", QUERY_LOG_SCHEMA):
                mode = conn.exec_driver_sql(f"PRAGMA {schema}.journal_mode").scalar()
                assert mode == "wal"
            found = {}
            for schema in ("main", QUERY_LOG_SCHEMA):
                for (name,) in conn.exec_driver_sql(
                    f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table'"  # noqa: S608
                ):
                    if name in ("queries", "check_feedback"):
                        found[name] = schema
            return found

    def refused_feedback_on_a_missing_query() -> None:
        from sqlalchemy.exc import IntegrityError

        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO check_feedback (query_id, measure_code, applied, actor, at)"
                    " VALUES (999999, 'M', true, 'desk', :at)"
                ),
                {"at": at},
            )

    before = where()
    upgrade(engine)
    moved = where()
    refused_feedback_on_a_missing_query()
    downgrade(engine, BEFORE_LOG_FILE)
    back = where()
    refused_feedback_on_a_missing_query()
    if sqlite:
        in_main = {"queries": "main", "check_feedback": "main"}
        own = {"queries": QUERY_LOG_SCHEMA, "check_feedback": QUERY_LOG_SCHEMA}
        assert (before, moved, back) == (in_main, own, in_main)
        # Back at that revision the tables match the rows, but for the tables later revisions
        # changed: a7c3e9d41f20, b4d91e6c2a57 (objections: challenges, a stopped clock),
        # e5a1c7d93b40 (records and what refers to them keyed by subject) and c5e8a2f7d913
        # (agency staff, and the key issued to one), d2b7f4a9c611 (staff who left),
        # 7a3c9e5d1b28 (notices keep data), c7e2a94d5f18 (withdrawals watched) and
        # d201695010c5 (departments the policy dropped).
        later = {"objections", "repairs", "identity_reviews", "list_entries", "credit_records"}
        later |= {"record_revisions", "record_documents", "feed_withdrawals"}
        later |= {"api_keys", "agency_staff", "agency_staff_blacklistings", "notices"}
        later |= {"departments"}
        drift = _drift(engine, log_file=False)
        assert [d for d in drift if not _tables_of(d) & later] == []
    upgrade(engine)
    where()
    assert _drift(engine) == []
    engine.dispose()


BEFORE_AGENCY_STAFF = "e5a1c7d93b40"  # the revision before agency staff and their blacklist


def test_agency_staff_come_and_go_and_keys_issued_before_name_nobody(fresh_url: str) -> None:
    from xinyong.db.migrate import downgrade

    engine = make_engine(fresh_url)
    at = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    upgrade(engine, BEFORE_AGENCY_STAFF)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO departments (code, name, uscc, region_code, kind, items, updated_at)"
                " VALUES ('A1', 'a', '11110000000021135N', '110000', 'credit_agency', '[]', :at)"
            ),
            {"at": at},
        )
        conn.execute(
            text(
                "INSERT INTO api_keys (prefix, secret_hash, label, department_code, scopes,"
                " created_at) VALUES ('old1', 'h', 'old', 'A1', '[\"agency:query\"]', :at)"
            ),
            {"at": at},
        )
    try:
        upgrade(engine)
        assert _drift(engine) == []
        with engine.begin() as conn:
            assert conn.execute(text("SELECT agency_staff_id FROM api_keys")).scalar() is None
            conn.execute(
                text(
                    "INSERT INTO agency_staff (id, department_code, staff_number, name,"
                    " registered_by, registered_at) VALUES (1, 'A1', 'S-1', 'n', 't', :at)"
                ),
                {"at": at},
            )
            conn.execute(
                text(
                    "INSERT INTO agency_staff_blacklistings (staff_id, ground, listed_on,"
                    " listed_by, listed_at) VALUES (1, 'leak', :on, 't', :at)"
                ),
                {"on": at.date(), "at": at},
            )
            conn.execute(text("UPDATE api_keys SET agency_staff_id = 1"))
        downgrade(engine, BEFORE_AGENCY_STAFF)
        names = set(inspect(engine).get_table_names())
        assert not {"agency_staff", "agency_staff_blacklistings"} & names
        with engine.connect() as conn:
            assert conn.execute(text("SELECT prefix FROM api_keys")).scalars().all() == ["old1"]
        upgrade(engine)
        assert _drift(engine) == []
    finally:
        engine.dispose()


BEFORE_REVISIONS_KEEP_SUBJECT = "7a3c9e5d1b28"  # revisions followed their record when it moved


def test_revisions_that_moved_with_their_record_go_back_to_the_person_they_were_about(
    fresh_url: str,
) -> None:
    from xinyong.db.migrate import downgrade
    from xinyong.db.records import RecordRevisionRow
    from xinyong.db.subjects import IdentityReviewRow, SubjectRow

    engine = make_engine(fresh_url)
    at = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    moved_at = at + timedelta(days=2)
    upgrade(engine, BEFORE_REVISIONS_KEEP_SUBJECT)
    with engine.begin() as conn:
        for subject_id, name in ((1, "王秀英"), (2, "张伟")):
            conn.execute(
                insert(as_stored(conn, SubjectRow)).values(
                    id=subject_id, kind="person", number=f"n{subject_id}",
                    number_hash=f"h{subject_id}", subject_key=subject_id, name=name, created_at=at,
                )
            )  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO departments (code, name, uscc, region_code, kind, items, updated_at)"
                " VALUES ('BJ-AMR', '市场监管局', '11110000000021135N', '110000', 'amr', '[]', :at)"
            ),
            {"at": at},
        )
        # Record 1 was 1's; an identity review moved it to 2, taking its revisions along.
        conn.execute(
            insert(as_stored(conn, CreditRecordRow)).values(
                id=1, department_code="BJ-AMR", document_number="京市监罚〔2026〕1号",
                document_key="京市监罚〔2026〕1号", item_code="ADM-PEN-01",
                catalog_version="2024.1",
                subject_id=2, status="active", published=True, decision_date=date(2026, 9, 1),
                authority_name="北京市市场监督管理局", authority_uscc="11110000000021135N",
                fields={}, original={}, content_hash="c", source_row=1, received_at=moved_at,
                updated_at=moved_at,
            )
        )  # fmt: skip
        conn.execute(
            insert(as_stored(conn, IdentityReviewRow)).values(
                id=1, subject_id=1, record_id=1, record_subject_id=2, kind="subject",
                known_value="王秀英", submitted_value="张伟", status="resolved",
                resolution="different_person", created_at=at, resolved_at=moved_at,
                resolved_by="centre", other_subject_id=2,
            )
        )  # fmt: skip
        # 1's two versions (one replaced when the review applied the resubmission), and one
        # that replaced 2's version after the move.
        for revision_id, digest, superseded in (
            (1, "a", at + timedelta(days=1)),
            (2, "b", moved_at),
            (3, "c0", moved_at + timedelta(days=1)),
        ):
            conn.execute(
                insert(as_stored(conn, RecordRevisionRow)).values(
                    id=revision_id, subject_id=2, record_id=1, content_hash=digest,
                    original={}, fields={}, received_at=at, superseded_at=superseded,
                )
            )  # fmt: skip

    def revisions() -> list[tuple[int, ...]]:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, subject_id, record_subject_id FROM record_revisions ORDER BY id")
            )
            return [tuple(r) for r in rows]

    try:
        upgrade(engine)
        assert _drift(engine) == []
        assert revisions() == [(1, 1, 2), (2, 1, 2), (3, 2, 2)]
        with engine.begin() as conn:  # a move now leaves the revisions with their subject
            conn.execute(text("UPDATE credit_records SET subject_id = 1 WHERE id = 1"))
        assert revisions() == [(1, 1, 1), (2, 1, 1), (3, 2, 1)]
        downgrade(engine, BEFORE_REVISIONS_KEEP_SUBJECT)
        with engine.connect() as conn:
            back = conn.execute(text("SELECT subject_id FROM record_revisions ORDER BY id"))
            assert back.scalars().all() == [1, 1, 1]  # each follows its record again
        upgrade(engine)
        assert _drift(engine) == []
    finally:
        engine.dispose()


BEFORE_STOPS_CORRECTED = "e8b2d5a7c314"  # stop_display had moved records to `expired`


def _stop_as_before_the_fix(self: CreditRecord, *, at: datetime, archive_years: int) -> None:
    """`CreditRecord.stop_display` as it was before displays stopped on objection were
    `corrected`: the record went to `expired` (its retention end untouched)."""
    self._move(RecordStatus.ACTIVE, RecordStatus.EXPIRED, at, "stop its display")


def test_displays_stopped_as_expired_become_corrected_and_a_resubmission_keeps_them_stopped(
    fresh_url: str, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records an objection stopped while that made them `expired` are `corrected` after the
    upgrade, the day they stopped kept, and stay stopped when their document is resubmitted; a
    record expired otherwise keeps `expired`. Running the data step again changes nothing."""
    from functools import partial

    from tests.factories import debtor_row, penalty_row
    from xinyong.db.migrate import downgrade
    from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
    from xinyong.domain.calendar import business_date
    from xinyong.domain.lists import EntryState
    from xinyong.domain.records import Outcome
    from xinyong.services import decided_lists, departments, objections
    from xinyong.services.records import submit_record

    engine = make_engine(fresh_url)
    # The code of today writes the newest schema; the records it stops as before the fix are
    # then taken back to the revision before this one, which changes no table of theirs.
    upgrade(engine)
    clock = Clock(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    uow = partial(SqlUnitOfWork, make_session_factory(engine), clock)
    departments.sync_departments(uow(), policy.departments, actor="test")

    def objected(record_id: int, subject_id: int, department: str, outcome: str) -> int:
        """The person's objection, forwarded by the centre and decided by `department`."""
        objection = objections.file_objection(
            uow(), policy, subject_id=subject_id, record_id=record_id, entry_id=None,
            ground="error_or_omission", reasons="记载有误", actor="account:1",
        )  # fmt: skip
        assert objection.id is not None
        objections.forward_objection(uow(), policy, objection.id, department=None, actor="c")
        objections.decide_objection(
            uow(), policy, objection.id, outcome=outcome, reasons="经核查作出决定",
            department=department, actor=f"{department}-officer",
        )  # fmt: skip
        return objection.id

    try:
        monkeypatch.setattr(CreditRecord, "stop_display", _stop_as_before_the_fix)
        # A court's record, listed, its display stopped on objection.
        row = debtor_row()
        court = submit_record(uow(), policy, row, department="BJ-HCOURT", actor="court")
        assert decided_lists.record_court_listings(uow(), policy, actor="court-feed") == 1
        stopped = court.record.id
        clock.advance(days=1)
        objected(stopped, court.record.subject_id, "BJ-HCOURT", "stop_display")
        # A fine stopped on objection, the person then went to reconsideration, which rejected
        # the objection: the stop stood.
        fine = submit_record(uow(), policy, penalty_row(), department="BJ-AMR", actor="amr")
        challenged = objected(fine.record.id, fine.record.subject_id, "BJ-AMR", "stop_display")
        objections.challenge_objection(
            uow(), policy, challenged, kind="reconsideration", reference="京复〔2026〕7号",
            department=None, actor="centre",
        )  # fmt: skip
        objections.decide_objection(
            uow(), policy, challenged, outcome="reject", reasons="复议维持",
            department="BJ-AMR", actor="BJ-AMR-officer",
        )  # fmt: skip
        # A fine past its display when it arrived, whose objection was decided otherwise.
        old = penalty_row(decision_date="2025-06-02")
        archived = submit_record(uow(), policy, old, department="BJ-AMR", actor="amr")
        objected(archived.record.id, archived.record.subject_id, "BJ-AMR", "correct")
        monkeypatch.undo()
        downgrade(engine, BEFORE_STOPS_CORRECTED)

        ids = (stopped, fine.record.id, archived.record.id)

        def states() -> list[tuple[str, object]]:
            # Read as stored: the rows describe the newest schema, not the one downgraded to.
            with engine.connect() as conn:
                found = conn.execute(text("SELECT id, status, updated_at FROM credit_records"))
                rows = {int(i): (str(status), at) for i, status, at in found}
            return [rows[i] for i in ids]

        before = states()
        assert [s for s, _ in before] == ["expired", "expired", "expired"]
        upgrade(engine)
        after = states()
        assert after == [
            ("corrected", before[0][1]),  # the day it stopped stays
            ("corrected", before[1][1]),
            before[2],
        ]
        downgrade(engine, BEFORE_STOPS_CORRECTED)  # nothing undone
        assert states() == after
        upgrade(engine)  # nor done twice
        assert states() == after

        # The court resubmits the stopped document with a corrected obligation: kept as a new
        # version, the record is not shown again, nor listed again by the court's feed.
        clock.advance(days=1)
        again = {**row, "obligation": "支付货款（已更正）"}
        resubmitted = submit_record(uow(), policy, again, department="BJ-HCOURT", actor="court")
        assert resubmitted.outcome is Outcome.UPDATED
        with uow() as unit:
            record = unit.records.get(stopped)
            entries = unit.entries.of_subject(record.subject_id, policy.list_types)
        assert record.status is RecordStatus.CORRECTED
        assert not record.is_displayable_on(business_date(clock()))
        assert decided_lists.record_court_listings(uow(), policy, actor="court-feed") == 0
        assert [e.state for e in entries] == [EntryState.EXITED]
    finally:
        engine.dispose()


BEFORE_ORIGIN_MARKS = "a8e749dc890a"  # a copy's mark was the origin's and this node's in one


def test_copies_of_peers_listings_take_their_mark_as_their_origins(fresh_url: str) -> None:
    from xinyong.db.migrate import downgrade
    from xinyong.db.subjects import SubjectRow

    engine = make_engine(fresh_url)
    at = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    upgrade(engine, BEFORE_ORIGIN_MARKS)
    with engine.begin() as conn:
        conn.execute(
            insert(as_stored(conn, SubjectRow)).values(
                id=1, kind="person", number="n1", number_hash="h1", subject_key=1, name="王秀英",
                created_at=at,
            )
        )  # fmt: skip
        # A marked copy, an unmarked copy, and a marked listing of this node's own.
        for entry_id, proposed_by, marked in (
            (1, "node:BJ", True),
            (2, "node:BJ", False),
            (3, "court", True),
        ):
            # As the table was then (the row's own defaults name the new column).
            conn.execute(
                text(
                    "INSERT INTO list_entries (id, list_code, subject_id, state, proposed_by,"
                    " grounds, basis_records, proposed_at, deadline_official, under_objection,"
                    " deletion_due_official, updated_at) VALUES (:id, 'L', 1, 'decided', :by,"
                    " 'g', '[]', :at, true, :marked, true, :at)"
                ),
                {"id": entry_id, "by": proposed_by, "marked": marked, "at": at},
            )

    def origin_marks() -> list[tuple[int, bool]]:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, marked_at_origin FROM list_entries ORDER BY id"))
            return [(int(i), bool(m)) for i, m in rows]

    try:
        upgrade(engine)
        assert _drift(engine) == []
        assert origin_marks() == [(1, True), (2, False), (3, False)]
        downgrade(engine, BEFORE_ORIGIN_MARKS)
        with engine.connect() as conn:
            kept = conn.execute(text("SELECT id, under_objection FROM list_entries ORDER BY id"))
            assert [(int(i), bool(m)) for i, m in kept] == [(1, True), (2, False), (3, True)]
        upgrade(engine)
        assert _drift(engine) == []
    finally:
        engine.dispose()


BEFORE_RECORD_ORIGIN_MARKS = "b4d9e1f6a273"  # a record copy's mark was the origin's and ours


def test_copies_of_peers_records_take_their_mark_as_their_origins(fresh_url: str) -> None:
    from xinyong.db.migrate import downgrade
    from xinyong.db.subjects import SubjectRow

    engine = make_engine(fresh_url)
    at = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    upgrade(engine, BEFORE_RECORD_ORIGIN_MARKS)
    with engine.begin() as conn:
        conn.execute(
            insert(as_stored(conn, SubjectRow)).values(
                id=1, kind="person", number="n1", number_hash="h1", subject_key=1, name="王秀英",
                created_at=at,
            )
        )  # fmt: skip
        conn.execute(
            text(
                "INSERT INTO departments (code, name, uscc, region_code, kind, items, updated_at)"
                " VALUES ('BJ-AMR', '市场监管局', '11110000000021135N', '110000', 'amr', '[]', :at)"
            ),
            {"at": at},
        )
        # A marked copy, an unmarked copy (both owned by the origin BJ), and a marked record of
        # this node's own.
        for record_id, document, marked, origin in (
            (1, "京罚1号", True, "BJ"),
            (2, "京罚2号", False, "BJ"),
            (3, "京罚3号", True, None),
        ):
            # As the table was then (the row's own defaults name the new column).
            conn.execute(
                text(
                    "INSERT INTO credit_records (id, department_code, document_number,"
                    " document_key, item_code, catalog_version, subject_id, status, published,"
                    " decision_date, authority_name, authority_uscc, fields, original,"
                    " content_hash, source_row, received_at, updated_at, publish_by_official,"
                    " under_objection) VALUES (:id, 'BJ-AMR', :doc, :doc, 'ADM-PEN-01', '2024.1',"
                    " 1, 'active', true, '2026-09-01', '北京市市场监督管理局',"
                    " '11110000000021135N', '{}', '{}', 'c', 1, :at, :at, true, :marked)"
                ),
                {"id": record_id, "doc": document, "marked": marked, "at": at},
            )
            if origin is not None:
                conn.execute(
                    text(
                        "INSERT INTO exchange_entities (entity_type, entity_key, origin, last_seq)"
                        " VALUES ('record', :key, :origin, 1)"
                    ),
                    {"key": f"BJ-AMR:{document}", "origin": origin},
                )

    def origin_marks() -> list[tuple[int, bool]]:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, marked_at_origin FROM credit_records ORDER BY id"))
            return [(int(i), bool(m)) for i, m in rows]

    try:
        upgrade(engine)
        assert _drift(engine) == []
        assert origin_marks() == [(1, True), (2, False), (3, False)]
        downgrade(engine, BEFORE_RECORD_ORIGIN_MARKS)
        with engine.connect() as conn:
            kept = conn.execute(text("SELECT id, under_objection FROM credit_records ORDER BY id"))
            assert [(int(i), bool(m)) for i, m in kept] == [(1, True), (2, False), (3, True)]
        upgrade(engine)
        assert _drift(engine) == []
    finally:
        engine.dispose()


BEFORE_WITHDRAWALS = "c5e2a8f4d713"  # withdrawal days were kept as bare days


def _withdrawal_days(engine: Engine) -> dict[tuple[str, int], tuple[object, ...]]:
    """Every stored withdrawal deadline: (table, id) → its columns, days as ISO text."""
    found: dict[tuple[str, int], tuple[object, ...]] = {}
    deadline = "withdraw_by, withdraw_by_from, withdraw_by_days, withdraw_by_official"
    with engine.connect() as conn:
        for table, more in (
            ("credit_records", ""),
            ("feed_withdrawals", ", department_code, subject_id, entity_type, entity_id"),
        ):
            query = f"SELECT id, {deadline}{more} FROM {table} WHERE withdraw_by IS NOT NULL"  # noqa: S608 - constant names
            for row_id, day, start, days, official, *rest in conn.execute(text(query)):
                found[(table, int(row_id))] = (str(day), str(start), days, bool(official), *rest)
    return found


def test_withdrawal_days_are_backfilled_as_they_were_counted_on_both_sides_of_the_calendar(
    fresh_url: str, policy: Policy
) -> None:
    """Revocations whose withdrawal day the official calendar counted and one it could not
    (its days run into a year the installed calendar does not cover): downgraded to bare days
    and upgraded again, each record and each party told keeps the same deadline, and only a
    feed item whose record is gone gets no withdrawal."""
    from functools import partial

    from tests.factories import citizen_id, penalty_row
    from xinyong.db.feed import FeedItemRow
    from xinyong.db.migrate import downgrade
    from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
    from xinyong.domain import calendar
    from xinyong.domain.index import subject_key
    from xinyong.domain.querylog import QueryEntry
    from xinyong.services import departments
    from xinyong.services.records import revoke_record, submit_record

    engine = make_engine(fresh_url)
    upgrade(engine)
    last = max(calendar.official_years())  # the last year the installed calendar covers
    clock = Clock(datetime(last, 6, 10, 2, 0, tzinfo=UTC))
    uow = partial(SqlUnitOfWork, make_session_factory(engine), clock)
    departments.sync_departments(uow(), policy.departments, actor="test")

    def revoked(decided: str, *parties: str) -> int:
        row = penalty_row(subject_id=citizen_id(), decision_date=decided)
        stored = submit_record(uow(), policy, row, department="BJ-AMR", actor="clerk")
        key = subject_key(stored.subject_number, organisation=False)
        given = f"record@{stored.record.id}"
        with uow() as unit:
            unit.queries.add_many(
                [QueryEntry(clock(), key, "query", p, "t", "loan", "authorisation", given)
                 for p in parties]
            )  # fmt: skip
            unit.commit()
        revoke_record(uow(), policy, stored.record.id, department=None, reason="撤销", actor="c")
        return stored.record.id

    try:
        revoked(f"{last}-06-01", "AGENCY-BAIHANG", "BJ-CAAC-NC")
        clock.at = datetime(last, 12, 30, 2, 0, tzinfo=UTC)
        revoked(f"{last}-12-01", "AGENCY-BAIHANG")
        before = _withdrawal_days(engine)
        assert (
            sorted(table for table, _ in before)
            == ["credit_records"] * 2 + ["feed_withdrawals"] * 3
        )
        assert {official for _, _, _, official, *_ in before.values()} == {True, False}

        downgrade(engine, BEFORE_WITHDRAWALS)
        assert "feed_withdrawals" not in inspect(engine).get_table_names()
        with engine.begin() as conn:
            told = conn.execute(text("SELECT count(*) FROM feed_items WHERE due_on IS NOT NULL"))
            assert told.scalar() == 3
            # A party told to withdraw a record since deleted after its retention.
            conn.execute(
                insert(table_of(FeedItemRow)).values(
                    recipient="AGENCY-BAIHANG", kind="revoked", entity_type="record",
                    entity_id=999_999, subject_key=1, detail="revoked", at=clock(),
                    due_on=date(last, 12, 31),
                )
            )  # fmt: skip
        upgrade(engine)
        assert _drift(engine) == []
        assert _withdrawal_days(engine) == before
    finally:
        engine.dispose()


BEFORE_DEPARTMENTS_ACTIVE = "c7e2a94d5f18"  # a department the policy dropped stayed as it was


def test_departments_stored_before_are_active_and_one_dropped_is_kept_inactive_on_downgrade(
    fresh_url: str,
) -> None:
    from xinyong.db.migrate import downgrade

    engine = make_engine(fresh_url)
    at = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    upgrade(engine, BEFORE_DEPARTMENTS_ACTIVE)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO departments (code, name, uscc, region_code, kind, items, updated_at)"
                " VALUES ('D1', 'd', '11110000000021135N', '110000', 'court', '[]', :at)"
            ),
            {"at": at},
        )
    try:
        upgrade(engine)
        assert _drift(engine) == []
        with engine.begin() as conn:
            active = conn.execute(text("SELECT code FROM departments WHERE active"))
            assert active.scalars().all() == ["D1"]
            conn.execute(text("UPDATE departments SET active = :no"), {"no": False})
        downgrade(engine, BEFORE_DEPARTMENTS_ACTIVE)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT code FROM departments")).scalars().all() == ["D1"]
        assert "active" not in {c["name"] for c in inspect(engine).get_columns("departments")}
        upgrade(engine)
        assert _drift(engine) == []
    finally:
        engine.dispose()


BEFORE_REGISTRATION_REVIEWS = "d201695010c5"  # every identity review was about a record


def test_a_review_about_a_registration_is_about_it_alone_and_goes_on_downgrade(
    fresh_url: str,
) -> None:
    from sqlalchemy.exc import IntegrityError

    from xinyong.db.migrate import downgrade

    engine = make_engine(fresh_url)
    at = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    upgrade(engine, BEFORE_REGISTRATION_REVIEWS)
    upgrade(engine)
    assert _drift(engine) == []
    review = (
        "INSERT INTO identity_reviews (subject_id, record_id, record_subject_id, registration_id,"
        " kind, known_value, submitted_value, status, created_at)"
        " VALUES (1, NULL, NULL, {registration}, 'name', '王秀英', '王秀华', 'open', :at)"
    )
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO subjects (id, kind, number, number_hash, subject_key, name,"
                    " created_at) VALUES (1, 'person', 'sealed', 'h1', 7, '王秀英', :at)"
                ),
                {"at": at},
            )
            conn.execute(
                text(
                    "INSERT INTO registrations (id, number, number_hash, name, phone,"
                    " password_hash, created_at, status)"
                    " VALUES (1, 'sealed', 'h1', '王秀华', 'sealed', 'x', :at, 'pending')"
                ),
                {"at": at},
            )
            conn.execute(text(review.format(registration=1)), {"at": at})
        with pytest.raises(IntegrityError), engine.begin() as conn:  # about nothing
            conn.execute(text(review.format(registration="NULL")), {"at": at})
        downgrade(engine, BEFORE_REGISTRATION_REVIEWS)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM identity_reviews")).scalar() == 0
            pending = conn.execute(text("SELECT status FROM registrations")).scalars().all()
            assert pending == ["pending"]
        columns = {c["name"]: c for c in inspect(engine).get_columns("identity_reviews")}
        assert "registration_id" not in columns
        assert not columns["record_id"]["nullable"]
        upgrade(engine)
        assert _drift(engine) == []
    finally:
        engine.dispose()
