"""A chunk's records written as a set (`SqlRecordRepository.write_set`).

The decided rows go into a temporary staging table shaped like `credit_records` (its `id` the
record a changed row overwrites, empty for a new one): `COPY` on PostgreSQL, one `executemany` on
SQLite. Then one statement inserts the new records and one their documents (`record_documents`,
which holds one record per document), one keeps the current version of each changed record as a
revision and one overwrites them, all in the caller's transaction. Both find a changed record by
its id and its subject, so that on PostgreSQL, where the records are hashed by subject
(docs/scale.md), a lookup of one record can be pruned to the one partition that holds it. The
staged values are the stored ones: identifiers in `fields` and `original` are sealed before they
are staged (db/types.py SealedJson), and the staging table is emptied before the transaction
ends, so no clear ID number is ever written, not even to a temporary table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Dialect, bindparam, text
from sqlalchemy.orm import Session

from xinyong.db.base import copy_in, table_of
from xinyong.db.records import CreditRecordRow, record_values
from xinyong.db.types import UTCDateTime
from xinyong.domain.records import RecordStatus, Submission
from xinyong.services.records import STOPPED, NewRecord

STAGE = "record_stage"

#: Columns a submission does not set: the id, a revocation (and its withdrawal day) and the
#: objection marks.
_KEPT = frozenset(("id", "revoked_at", "revocation_reason", "under_objection", "marked_at_origin"))
#: Columns a submission sets (`record_values`), in the staging table's order after `id`.
_COLUMNS = tuple(
    c.name
    for c in table_of(CreditRecordRow).columns
    if c.name not in _KEPT and not c.name.startswith("withdraw_by")
)
_INDEX = {name: i for i, name in enumerate(_COLUMNS)}
_LIST = ", ".join(_COLUMNS)
_INSERT = text(
    f"INSERT INTO credit_records ({_LIST}) SELECT {_LIST} FROM {STAGE}"  # noqa: S608 - constants
    " WHERE id IS NULL ORDER BY source_row"
)
#: The new records' documents: a document held twice fails here, as a unique key would.
_DOCUMENTS = text(
    "INSERT INTO record_documents (department_code, document_key, subject_id, record_id)"  # noqa: S608
    " SELECT c.department_code, c.document_key, c.subject_id, c.id"
    f" FROM {STAGE} s JOIN credit_records c ON c.subject_id = s.subject_id"
    " AND c.department_code = s.department_code AND c.document_key = s.document_key"
    " WHERE s.id IS NULL"
)
_REVISIONS = text(
    "INSERT INTO record_revisions (subject_id, record_subject_id, record_id, content_hash,"  # noqa: S608
    " original, fields, batch_id, received_at, superseded_at)"
    " SELECT c.subject_id, c.subject_id, c.id, c.content_hash, c.original, c.fields, c.batch_id,"
    " c.received_at, :at"
    f" FROM credit_records c JOIN {STAGE} s ON s.id = c.id AND s.subject_id = c.subject_id"
    " ORDER BY s.source_row"
).bindparams(bindparam("at", type_=UTCDateTime()))
#: A record out of display for good keeps the retention end it was given when it stopped: a
#: resubmission of its document may bring that nearer, never push it back.
_STOPPED = ", ".join(f"'{s.value}'" for s in STOPPED)
_OVERWRITE = {
    "retention_ends": f"CASE WHEN credit_records.status IN ({_STOPPED})"
    " AND credit_records.retention_ends IS NOT NULL"
    " AND (s.retention_ends IS NULL OR s.retention_ends > credit_records.retention_ends)"
    " THEN credit_records.retention_ends ELSE s.retention_ends END"
}
_UPDATE = text(
    "UPDATE credit_records SET "  # noqa: S608 - constant columns
    + ", ".join(f"{name} = {_OVERWRITE.get(name, f's.{name}')}" for name in _COLUMNS)
    + f" FROM {STAGE} s WHERE credit_records.id = s.id"
    " AND credit_records.subject_id = s.subject_id"
)


#: Columns whose value depends on more than the submission: set when the rows are written.
_PER_RECORD = ("subject_id", "status", "batch_id", "received_at", "updated_at")
_STAMPS = ("received_at", "updated_at")
_PLACEHOLDER = datetime(2000, 1, 1, tzinfo=UTC)


class Prepared:
    """Each submission's row as the driver takes it, computed before the write transaction
    begins (sealing and encoding are most of a row's storing work; SQLite's write lock is not
    held while they run). Kept for one chunk: `prepare` replaces it."""

    def __init__(self) -> None:
        self.rows: dict[int, tuple[Submission, list[Any]]] = {}
        self.dialect: Dialect | None = None
        self._at: tuple[datetime, dict[int, Any]] | None = None

    def prepare(self, dialect: Dialect, submissions: Sequence[Submission]) -> None:
        # The columns set per record (`row`) are left unconverted here.
        convert = [
            _same if name in _PER_RECORD else f
            for name, f in zip(_COLUMNS, _converters(dialect), strict=True)
        ]
        self.rows = {}
        self.dialect = dialect
        for s in submissions:
            values = record_values(NewRecord(s, 0, RecordStatus.ACTIVE, None), _PLACEHOLDER)
            self.rows[id(s)] = (
                s,
                [f(values[name]) for name, f in zip(_COLUMNS, convert, strict=True)],
            )

    def row(
        self, dialect: Dialect, record_id: int | None, record: NewRecord, at: datetime
    ) -> tuple[Any, ...]:
        convert = _converters(dialect)
        found = self.rows.get(id(record.submission)) if self.dialect is dialect else None
        if found is None or found[0] is not record.submission:
            values = record_values(record, at)
            return (
                record_id,
                *(f(values[name]) for name, f in zip(_COLUMNS, convert, strict=True)),
            )
        row = list(found[1])
        stamp = self._stamp(convert, at)
        for name in _PER_RECORD:
            i = _INDEX[name]
            if name == "subject_id":
                row[i] = convert[i](record.subject_id)
            elif name == "status":
                row[i] = convert[i](record.status.value)
            elif name == "batch_id":
                row[i] = convert[i](record.batch_id)
            else:
                row[i] = stamp[i]
        return (record_id, *row)

    def _stamp(self, convert: list[Callable[[Any], Any]], at: datetime) -> dict[int, Any]:
        """The chunk's time as each timestamp column takes it, converted once per chunk."""
        if self._at is None or self._at[0] != at:
            self._at = (at, {_INDEX[n]: convert[_INDEX[n]](at) for n in _STAMPS})
        return self._at[1]


def store_set(
    session: Session,
    prepared: Prepared,
    new: Sequence[NewRecord],
    changed: Sequence[tuple[int, NewRecord]],
    at: datetime,
) -> None:
    """Insert `new` and overwrite `changed` (record id, resubmission), revisions kept."""
    if not new and not changed:
        return
    session.flush()  # what the session holds reaches the database before the set
    conn = session.connection()
    rows = [
        prepared.row(conn.dialect, record_id, record, at)
        for record_id, record in [*((None, r) for r in new), *changed]
    ]
    _stage(conn, rows)
    if new:
        conn.execute(_INSERT)
        conn.execute(_DOCUMENTS)
    if changed:
        kept = conn.execute(_REVISIONS, {"at": at}).rowcount
        written = conn.execute(_UPDATE).rowcount
        if kept != len(changed) or written != len(changed):
            # An overwrite names its record and the record's own subject (a resubmission under
            # another person is held, never overwritten); one that found no such record is an
            # error in the caller, not a row to skip.
            raise RuntimeError(
                f"{len(changed)} records to overwrite, {written} found under their subject"
            )
        overwritten = {record_id for record_id, _ in changed}
        for obj in list(session.identity_map.values()):
            if isinstance(obj, CreditRecordRow) and obj.id in overwritten:
                session.expire(obj)  # read again, as the statement left it
    conn.exec_driver_sql(f"DELETE FROM {STAGE}")  # noqa: S608 - a constant


def _same(value: object) -> object:
    return value


@lru_cache(maxsize=16)  # one per engine a process makes
def _converters(dialect: Dialect) -> list[Callable[[Any], Any]]:
    """Each column's value as the driver takes it: sealed JSON, dates and times as the column's
    type writes them (SQLAlchemy's own bind processors, looked up once per dialect)."""
    columns = table_of(CreditRecordRow).columns
    out: list[Callable[[Any], Any]] = []
    for name in _COLUMNS:
        processor = columns[name].type.dialect_impl(dialect).bind_processor(dialect)
        out.append(processor or _same)
    return out


def _stage(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    names = ", ".join(("id", *_COLUMNS))
    # Shaped like the table it feeds, whatever migrations did to it; one per connection.
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGE} AS"  # noqa: S608 - constants
        f" SELECT {names} FROM credit_records WHERE 1 = 0"
    )
    if conn.dialect.name == "postgresql":
        copy_in(conn, STAGE, ("id", *_COLUMNS), rows)
        return
    raw: Any = conn.connection.dbapi_connection
    marks = ", ".join("?" * (len(_COLUMNS) + 1))
    cursor = raw.cursor()
    try:
        cursor.executemany(f"INSERT INTO {STAGE} ({names}) VALUES ({marks})", rows)  # noqa: S608
    finally:
        cursor.close()
