"""The change log checks follow, and the reads the listing index builds itself from."""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Engine,
    ForeignKey,
    String,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.db.base import Base, in_chunks, table_of
from xinyong.db.lists import ListEntryRow
from xinyong.db.subjects import SubjectRoleRow, SubjectRow
from xinyong.db.types import BigId, UTCDateTime
from xinyong.domain.calendar import Deadline
from xinyong.domain.checks import ChangeKind
from xinyong.domain.index import Posting, postings_for
from xinyong.domain.lists import EntryState, ListEntry, ListType
from xinyong.domain.subjects import RoleKind

#: PostgreSQL advisory lock taken by every transaction that appends to the change log, so that
#: sequence numbers commit in order (SQLite has a single writer and needs nothing).
CHANGE_LOG_LOCK = 0x78_69_6E_79  # "xiny"


class ChangeRow(Base):
    """The ordered change log: one row per change a check must see, numbered by `seq`.

    Writers append under a lock (PostgreSQL: an advisory lock; SQLite: its single writer), so
    sequence numbers become visible in order and a follower that has read up to N missed nothing.
    """

    __tablename__ = "changes"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"))
    entity_id: Mapped[int | None] = mapped_column(BigInteger)


class SqlChangeLog:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._locked = False

    def _lock(self) -> None:
        if not self._locked and self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(select(func.pg_advisory_xact_lock(CHANGE_LOG_LOCK)))
            self._locked = True

    def append(
        self, kind: ChangeKind, *, subject_id: int | None, entity_id: int | None, at: datetime
    ) -> int:
        self._lock()
        result = self.session.execute(
            insert(ChangeRow)
            .values(at=at, kind=kind.value, subject_id=subject_id, entity_id=entity_id)
            .returning(ChangeRow.seq)
        )
        return int(result.scalar_one())

    def append_many(
        self, kind: ChangeKind, changed: Sequence[tuple[int | None, int | None]], *, at: datetime
    ) -> None:
        if not changed:
            return
        self._lock()
        self.session.execute(
            insert(ChangeRow),
            [
                {"at": at, "kind": kind.value, "subject_id": subject_id, "entity_id": entity_id}
                for subject_id, entity_id in changed
            ],
        )


_LIVE_STATES = (EntryState.DECIDED.value, EntryState.PUBLISHED.value, EntryState.EXITED.value)


def _close_all(connections: list[Any]) -> None:
    """Close the connections `latest_seq` opened: on `close()`, on collection or at exit."""
    while connections:
        conn = connections.pop()
        with contextlib.suppress(Exception):  # best effort: the server drops it with the process
            conn.close()


class SqlIndexSource:
    """Reads for the listing index, on an engine whose transactions take no write lock."""

    def __init__(self, engine: Engine, list_types: Mapping[str, ListType]) -> None:
        self.engine = engine
        self.list_types = list_types
        self._local = threading.local()
        # Every connection `latest_seq` opened, whatever thread it belongs to: a thread-local
        # alone cannot be closed from outside, and an unclosed connection leaks until collected.
        self._opened: list[Any] = []
        weakref.finalize(self, _close_all, self._opened)

    def close(self) -> None:
        """Close the connections kept for `latest_seq` (the engine's pool is the caller's)."""
        self._local = threading.local()
        _close_all(self._opened)

    def latest_seq(self) -> int:
        """The change log's newest sequence number: one indexed read on a connection kept open
        per thread in autocommit mode (this runs before every check, so it must be cheap)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # Outside the pool, so that a thread holding one never starves the pool.
            dialect = self.engine.dialect
            cargs, cparams = dialect.create_connect_args(self.engine.url)
            if dialect.name == "sqlite":
                cparams["check_same_thread"] = False  # `close()` may run on another thread
            conn = dialect.connect(*cargs, **cparams)
            if dialect.name == "postgresql":
                conn.autocommit = True
            self._local.conn = conn
            self._opened.append(conn)
        try:
            cursor = conn.cursor()
            cursor.execute("SELECT max(seq) FROM changes")
            row = cursor.fetchone()
            cursor.close()
        except Exception:
            self._local.conn = None
            conn.close()
            raise
        return int(row[0] or 0) if row else 0

    def changes_after(self, seq: int) -> list[tuple[int, int | None]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(ChangeRow.seq, ChangeRow.subject_id)
                .where(ChangeRow.seq > seq)
                .order_by(ChangeRow.seq)
            )
            return [(int(s), subject) for s, subject in rows]

    def number_hashes_of(self, subject_ids: Collection[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        with self.engine.connect() as conn:
            for part in in_chunks(sorted(subject_ids)):
                rows = conn.execute(
                    select(SubjectRow.id, SubjectRow.number_hash).where(SubjectRow.id.in_(part))
                )
                out.update({int(i): str(h) for i, h in rows})
        return out

    def postings(
        self, subject_ids: Collection[int] | None, *, today: date
    ) -> tuple[set[int], list[Posting]]:
        with self.engine.connect() as conn:
            if subject_ids is None:
                return set(), list(self._all_postings(conn, today))
            return self._postings_of(conn, sorted(set(subject_ids)), today)

    def _keys(self, conn: Connection, ids: Sequence[int]) -> dict[int, int]:
        keys: dict[int, int] = {}
        for part in in_chunks(ids):
            rows = conn.execute(
                select(SubjectRow.id, SubjectRow.subject_key).where(SubjectRow.id.in_(part))
            )
            for subject_id, key in rows:
                keys[int(subject_id)] = int(key)
        return keys

    def _postings_of(
        self, conn: Connection, ids: Sequence[int], today: date
    ) -> tuple[set[int], list[Posting]]:
        # A change to an organisation reaches the persons who answer for it; each person's key
        # is then rebuilt whole, from all the organisations they answer for.
        affected = set(ids)
        for part in in_chunks(ids):
            affected.update(
                conn.scalars(
                    select(SubjectRoleRow.person_id).where(
                        SubjectRoleRow.organisation_id.in_(part), self._not_ended(today)
                    )
                )
            )
        # person -> (organisation, role, the days it is held)
        persons_orgs: dict[int, list[tuple[int, RoleKind, tuple[date, date | None]]]] = {}
        for part in in_chunks(sorted(affected)):
            roles = conn.execute(
                select(
                    SubjectRoleRow.person_id,
                    SubjectRoleRow.organisation_id,
                    SubjectRoleRow.kind,
                    SubjectRoleRow.since,
                    SubjectRoleRow.until,
                ).where(SubjectRoleRow.person_id.in_(part), self._not_ended(today))
            )
            for person, org, kind, since, until in roles:
                persons_orgs.setdefault(person, []).append((org, RoleKind(kind), (since, until)))
        keys = self._keys(conn, sorted(affected))
        owners = sorted(affected | {link[0] for links in persons_orgs.values() for link in links})
        entries = self._entries(conn, owners, today)
        postings: list[Posting] = []
        for subject_id in affected:
            key = keys.get(subject_id)
            if key is None:
                continue
            for entry in entries.get(subject_id, ()):
                posting = postings_for(key, entry)
                if posting:
                    postings.append(posting)
            for org, role, held in persons_orgs.get(subject_id, ()):
                for entry in entries.get(org, ()):
                    posting = postings_for(key, entry, role=role, subject_id=subject_id, held=held)
                    if posting:
                        postings.append(posting)
        return set(keys.values()), postings

    @staticmethod
    def _not_ended(today: date) -> Any:
        """Roles held today or from a later day: each posting carries the days it is held."""
        return or_(SubjectRoleRow.until.is_(None), SubjectRoleRow.until >= today)

    def _entries(
        self, conn: Connection, subject_ids: Sequence[int], today: date
    ) -> dict[int, list[ListEntry]]:
        found: dict[int, list[ListEntry]] = {}
        for part in in_chunks(subject_ids):
            rows = conn.execute(
                select(ListEntryRow).where(
                    ListEntryRow.subject_id.in_(part), ListEntryRow.state.in_(_LIVE_STATES)
                )
            )
            for row in rows:
                entry = self._light_entry(row)
                if entry is not None:
                    found.setdefault(entry.subject_id, []).append(entry)
        return found

    def _light_entry(self, row: Any) -> ListEntry | None:
        list_type = self.list_types.get(row.list_code)
        if list_type is None:
            return None
        return ListEntry(
            id=row.id,
            list_type=list_type,
            subject_id=row.subject_id,
            state=EntryState(row.state),
            proposed_by="",
            grounds="",
            decided_on=row.decided_on,
            ends_on=row.ends_on,
            exited_on=row.exited_on,
            published_on=row.published_on,  # a list with a public notice binds after it
            # ... once its end is official (a stored end, kept as counted until recounted)
            notice_ends=(
                Deadline(row.notice_ends, row.notice_ends_official) if row.notice_ends else None
            ),
            under_objection=row.under_objection,
        )

    def _all_postings(self, conn: Connection, today: date) -> Iterator[Posting]:
        """Every posting in force today or later, streamed (a million entries in one pass)."""
        entries = table_of(ListEntryRow)
        subjects = table_of(SubjectRow)
        query = (
            select(
                entries.c.id,
                entries.c.list_code,
                entries.c.subject_id,
                entries.c.state,
                entries.c.decided_on,
                entries.c.ends_on,
                entries.c.exited_on,
                entries.c.published_on,
                entries.c.notice_ends,
                entries.c.notice_ends_official,
                entries.c.under_objection,
                subjects.c.kind,
                subjects.c.subject_key,
            )
            .join(subjects, subjects.c.id == entries.c.subject_id)
            .where(entries.c.state.in_(_LIVE_STATES))
            .where(or_(entries.c.ends_on.is_(None), entries.c.ends_on > today))
            .where(or_(entries.c.exited_on.is_(None), entries.c.exited_on > today))
        )
        org_entries: dict[int, list[ListEntry]] = {}
        for row in conn.execution_options(yield_per=20_000).execute(query):
            entry = self._light_entry(row)
            if entry is None:
                continue
            if row.kind == "organisation":
                org_entries.setdefault(entry.subject_id, []).append(entry)
            posting = postings_for(int(row.subject_key), entry)
            if posting:
                yield posting
        if not org_entries:
            return
        # Listed organisations reach the persons who answer for them.
        org_ids = sorted(org_entries)
        for part in in_chunks(org_ids):
            roles = conn.execute(
                select(
                    SubjectRoleRow.organisation_id,
                    SubjectRoleRow.kind,
                    SubjectRoleRow.since,
                    SubjectRoleRow.until,
                    subjects.c.id,
                    subjects.c.subject_key,
                )
                .join(subjects, subjects.c.id == SubjectRoleRow.person_id)
                .where(SubjectRoleRow.organisation_id.in_(part), self._not_ended(today))
            )
            for org, kind, since, until, person_id, person in roles:
                for entry in org_entries[org]:
                    posting = postings_for(
                        int(person),
                        entry,
                        role=RoleKind(kind),
                        subject_id=int(person_id),
                        held=(since, until),
                    )
                    if posting:
                        yield posting
