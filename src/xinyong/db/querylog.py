"""The query log: its tables, single entries in a unit of work, and feedback (the writers of the
check path and of screening: db/querylog_writers.py)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
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
from xinyong.db.chain import chained_values, last_link, lock_chain
from xinyong.db.engine import lock_query_log
from xinyong.db.partitions import drop_ranges_before
from xinyong.db.types import BigId, UTCDateTime
from xinyong.domain.checks import Feedback
from xinyong.domain.errors import NotFound
from xinyong.domain.querylog import QueryEntry

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
    """The query log in a unit of work. On SQLite its tables live in a file of their own
    (db/engine.py): each method takes that file's write lock before its first statement, since
    a transaction that has read the log cannot go on to write it while the check path does."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _locked(self) -> Connection:
        conn = self.session.connection()
        lock_query_log(conn)
        return conn

    def add_many(self, entries: Sequence[QueryEntry]) -> list[int]:
        # The audit chain's lock first, as every unit of work takes them (db/chain.py).
        lock_chain(self.session.connection(), "audit_events")
        return insert_queries(self._locked(), entries)

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
        self._locked()
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
        self._locked()
        query = select(QueryRow).where(QueryRow.subject_key == subject_key)
        if since is not None:
            query = query.where(QueryRow.at >= since)
        query = query.order_by(QueryRow.id.desc()).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return [(row.id, self._to_domain(row)) for row in self.session.scalars(query)]

    def count_for_key(self, subject_key: int, *, since: datetime | None = None) -> int:
        self._locked()
        query = (
            select(func.count()).select_from(QueryRow).where(QueryRow.subject_key == subject_key)
        )
        if since is not None:
            query = query.where(QueryRow.at >= since)
        return int(self.session.scalar(query) or 0)

    def delete_before(self, moment: datetime, *, limit: int) -> tuple[int, int]:
        # Whole ranges first (PostgreSQL: db/partitions.py), then what is left, a chunk at a time.
        dropped, dropped_feedback = drop_ranges_before(self._locked(), moment)
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
        self._locked()
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
        self._locked()
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
        self._locked()
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
    lock_query_log(conn)
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
        # SQLite: this transaction holds the query log's only write lock, so max is ours.
        first = int(conn.scalar(select(func.coalesce(func.max(QueryRow.id), 0))) or 0) + 1
        ids = list(range(first, first + len(entries)))
    linked = chained_values(prev, [query_fields(e) for e in entries])
    rows = [
        {"id": i, **dict(zip(QUERY_COLUMNS, values, strict=True))}
        for i, values in zip(ids, linked, strict=True)
    ]
    conn.execute(insert(QueryRow), rows)
    return ids


def query_fields(entry: QueryEntry) -> tuple[Any, ...]:
    """A query-log row's values, in the order of `QUERY_COLUMNS`."""
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


QUERY_COLUMNS = (
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
