"""List entries and their procedure."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    insert,
    select,
    true,
)
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from xinyong.db.base import (
    Base,
    deadline_values,
    in_chunks,
    record_reference,
    stored_deadline,
    subject_of_record,
    table_of,
)
from xinyong.db.types import BigId, Json, UTCDateTime
from xinyong.domain.errors import NotFound
from xinyong.domain.lists import IN_PROCEDURE, EntryState, ListEntry, ListType


class ListEntryRow(Base):
    """One subject on one list, and where its listing procedure stands."""

    __tablename__ = "list_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    list_code: Mapped[str] = mapped_column(String(40), index=True)
    #: Whom it is about; on PostgreSQL the column the table is hashed by (docs/scale.md).
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    state: Mapped[str] = mapped_column(String(16), index=True)
    department_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    proposed_by: Mapped[str] = mapped_column(String(100))
    grounds: Mapped[str] = mapped_column(Text)
    basis_records: Mapped[list[int]] = mapped_column(Json, default=list)
    #: The record a court's or another authority's listing was made from, and its subject.
    source_record_id: Mapped[int | None] = mapped_column(BigId)
    source_subject_id: Mapped[int | None] = mapped_column(BigId)
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    noticed_on: Mapped[date | None] = mapped_column(Date)
    defence_deadline: Mapped[date | None] = mapped_column(Date)
    # What the defence deadline was counted from, so it can be counted again (db/deadlines.py).
    defence_deadline_from: Mapped[date | None] = mapped_column(Date)
    defence_deadline_days: Mapped[int | None] = mapped_column(Integer)
    deadline_official: Mapped[bool] = mapped_column(Boolean, default=True)
    defence: Mapped[str | None] = mapped_column(Text)
    decided_on: Mapped[date | None] = mapped_column(Date)
    decision_reasons: Mapped[str | None] = mapped_column(Text)
    ends_on: Mapped[date | None] = mapped_column(Date)
    published_on: Mapped[date | None] = mapped_column(Date)
    #: The last day of the public notice publication opened (lists with one), counted from
    #: `published_on`; the listing binds the day after once it is official (domain/lists.py).
    notice_ends: Mapped[date | None] = mapped_column(Date)
    notice_ends_from: Mapped[date | None] = mapped_column(Date)
    notice_ends_days: Mapped[int | None] = mapped_column(Integer)
    notice_ends_official: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    exited_on: Mapped[date | None] = mapped_column(Date)
    exit_ground: Mapped[str | None] = mapped_column(String(40))
    under_objection: Mapped[bool] = mapped_column(Boolean, default=False)
    #: A copy of a peer's listing: the mark its origin's last event gave it (services/inbound.py).
    marked_at_origin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The list ground it rests on, when the list names grounds (each with its own period).
    ground: Mapped[str | None] = mapped_column(String(40))
    #: A deletion ground the deciding authority was told of, and the working day by which the
    #: listing must be deleted on it, counted from the day the ground arose (`_from`).
    deletion_ground: Mapped[str | None] = mapped_column(String(40))
    deletion_due: Mapped[date | None] = mapped_column(Date)
    deletion_due_from: Mapped[date | None] = mapped_column(Date)
    deletion_due_days: Mapped[int | None] = mapped_column(Integer)
    deletion_due_official: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        # Keys and references name the subject: on PostgreSQL the table is hashed by it.
        UniqueConstraint("subject_id", "id"),
        # A record grounds at most one listing (of the person it is about).
        UniqueConstraint("subject_id", "source_record_id"),
        record_reference("source_subject_id", "source_record_id"),
        Index("ix_list_entries_source", "source_record_id", "source_subject_id"),
        CheckConstraint(
            "(source_record_id IS NULL) = (source_subject_id IS NULL)", name="source_subject"
        ),
        CheckConstraint(
            "state IN ('proposed', 'noticed', 'decided', 'published', 'exited', 'withdrawn')",
            name="state",
        ),
    )


def _entry(row: ListEntryRow, list_types: Mapping[str, ListType]) -> ListEntry:
    list_type = list_types.get(row.list_code)
    if list_type is None:
        raise NotFound(f"list entry {row.id} is on {row.list_code}, which the policy no longer has")
    return ListEntry(
        id=row.id,
        list_type=list_type,
        subject_id=row.subject_id,
        state=EntryState(row.state),
        proposed_by=row.proposed_by,
        grounds=row.grounds,
        basis_records=tuple(row.basis_records or ()),
        proposed_at=row.proposed_at,
        noticed_on=row.noticed_on,
        defence_deadline=(
            stored_deadline(
                row.defence_deadline,
                row.deadline_official,
                row.defence_deadline_from,
                row.defence_deadline_days,
            )
            if row.defence_deadline
            else None
        ),
        defence=row.defence,
        decided_on=row.decided_on,
        decision_reasons=row.decision_reasons,
        ends_on=row.ends_on,
        published_on=row.published_on,
        notice_ends=(
            stored_deadline(
                row.notice_ends,
                row.notice_ends_official,
                row.notice_ends_from,
                row.notice_ends_days,
            )
            if row.notice_ends
            else None
        ),
        exited_on=row.exited_on,
        exit_ground=row.exit_ground,
        under_objection=row.under_objection,
        marked_at_origin=row.marked_at_origin,
        ground=row.ground,
        deletion_ground=row.deletion_ground,
        deletion_due=(
            stored_deadline(
                row.deletion_due,
                row.deletion_due_official,
                row.deletion_due_from,
                row.deletion_due_days,
            )
            if row.deletion_due
            else None
        ),
    )


def _entry_values(entry: ListEntry) -> dict[str, Any]:
    return {
        "state": entry.state.value,
        "noticed_on": entry.noticed_on,
        **deadline_values(
            "defence_deadline", entry.defence_deadline, official_column="deadline_official"
        ),
        "defence": entry.defence,
        "decided_on": entry.decided_on,
        "decision_reasons": entry.decision_reasons,
        "ends_on": entry.ends_on,
        "published_on": entry.published_on,
        **deadline_values("notice_ends", entry.notice_ends),
        "exited_on": entry.exited_on,
        "exit_ground": entry.exit_ground,
        "under_objection": entry.under_objection,
        "marked_at_origin": entry.marked_at_origin,
        "ground": entry.ground,
        "deletion_ground": entry.deletion_ground,
        **deadline_values("deletion_due", entry.deletion_due),
    }


class SqlListEntryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self, entry: ListEntry, *, department: str | None, source_record: int | None, at: datetime
    ) -> int:
        row = ListEntryRow(
            list_code=entry.list_type.code,
            subject_id=entry.subject_id,
            department_code=department,
            proposed_by=entry.proposed_by,
            grounds=entry.grounds,
            basis_records=list(entry.basis_records),
            source_record_id=source_record,
            source_subject_id=subject_of_record(source_record),
            proposed_at=entry.proposed_at or at,
            updated_at=at,
            **_entry_values(entry),
        )
        self.session.add(row)
        self.session.flush()
        entry.id = row.id
        return row.id

    def add_many(self, entries: Sequence[ListEntry], *, at: datetime) -> None:
        """One `executemany` (a multi-row INSERT … RETURNING of thousands of rows costs psycopg
        seconds of parsing), then the new ids read back by list and subject: at most one new
        entry per list and subject in a call."""
        keys = [(entry.list_type.code, entry.subject_id) for entry in entries]
        if not keys:
            return
        if len(set(keys)) != len(keys):
            raise ValueError("add_many() takes at most one new entry per list and subject")
        before = self.session.scalar(select(func.max(ListEntryRow.id))) or 0
        self.session.connection().execute(
            insert(table_of(ListEntryRow)),
            [
                {
                    "list_code": entry.list_type.code,
                    "subject_id": entry.subject_id,
                    "department_code": None,
                    "proposed_by": entry.proposed_by,
                    "grounds": entry.grounds,
                    "basis_records": list(entry.basis_records),
                    "source_record_id": None,
                    "source_subject_id": None,
                    "proposed_at": entry.proposed_at or at,
                    "updated_at": at,
                    **_entry_values(entry),
                }
                for entry in entries
            ],
        )
        wanted = set(keys)
        found = {
            (code, subject_id): entry_id
            for entry_id, code, subject_id in self.session.execute(
                select(ListEntryRow.id, ListEntryRow.list_code, ListEntryRow.subject_id).where(
                    ListEntryRow.id > before, ListEntryRow.updated_at == at
                )
            )
            if (code, subject_id) in wanted
        }
        for entry, key in zip(entries, keys, strict=True):
            entry.id = found[key]

    def _row(self, entry_id: int) -> ListEntryRow:
        row = self.session.get(ListEntryRow, entry_id)
        if row is None:
            raise NotFound(f"list entry {entry_id} does not exist")
        return row

    def get(self, entry_id: int, list_types: Mapping[str, ListType]) -> ListEntry:
        return _entry(self._row(entry_id), list_types)

    def department_of(self, entry_id: int) -> str | None:
        return self._row(entry_id).department_code

    def save(self, entry: ListEntry, *, at: datetime) -> None:
        if entry.id is None:
            raise ValueError("save() needs a stored entry")
        row = self._row(entry.id)
        for key, value in _entry_values(entry).items():
            setattr(row, key, value)
        row.updated_at = at
        self.session.flush()

    def of_subject(self, subject_id: int, list_types: Mapping[str, ListType]) -> list[ListEntry]:
        rows = self.session.scalars(
            select(ListEntryRow)
            .where(ListEntryRow.subject_id == subject_id)
            .order_by(ListEntryRow.id)
        )
        return [_entry(row, list_types) for row in rows]

    def in_procedure(
        self,
        department: str | None,
        list_types: Mapping[str, ListType],
        *,
        limit: int,
        offset: int = 0,
    ) -> list[ListEntry]:
        rows = self.session.scalars(
            select(ListEntryRow)
            .where(*_in_procedure(department))
            .order_by(ListEntryRow.id)
            .limit(limit)
            .offset(offset)
        )
        return [_entry(row, list_types) for row in rows]

    def count_in_procedure(self, department: str | None) -> int:
        found = self.session.scalar(
            select(func.count()).select_from(ListEntryRow).where(*_in_procedure(department))
        )
        return int(found or 0)

    def source_record_of(self, entry_id: int) -> int | None:
        return self._row(entry_id).source_record_id

    def past_period(self, day: date, list_types: Mapping[str, ListType]) -> list[ListEntry]:
        """Entries still decided or published whose period has ended by `day`."""
        rows = self.session.scalars(
            select(ListEntryRow)
            .where(
                ListEntryRow.state.in_([EntryState.DECIDED.value, EntryState.PUBLISHED.value]),
                ListEntryRow.ends_on <= day,
            )
            .order_by(ListEntryRow.id)
        )
        return [_entry(row, list_types) for row in rows]

    def published_with_end(
        self, codes: Collection[str], list_types: Mapping[str, ListType], *, after: int, limit: int
    ) -> list[ListEntry]:
        rows = self.session.scalars(
            select(ListEntryRow)
            .where(
                ListEntryRow.list_code.in_(sorted(codes)),
                ListEntryRow.state.in_([EntryState.PUBLISHED.value, EntryState.EXITED.value]),
                ListEntryRow.published_on.is_not(None),
                ListEntryRow.ends_on.is_not(None),
                ListEntryRow.id > after,
            )
            .order_by(ListEntryRow.id)
            .limit(limit)
        )
        return [_entry(row, list_types) for row in rows]

    def linked_records(self, record_ids: Collection[int]) -> set[int]:
        found: set[int] = set()
        for part in in_chunks(sorted(record_ids)):
            found.update(
                self.session.scalars(
                    select(ListEntryRow.source_record_id).where(
                        ListEntryRow.source_record_id.in_(part)
                    )
                )
            )
        return found

    def subjects_listed(self, subject_ids: Collection[int]) -> set[int]:
        found: set[int] = set()
        for part in in_chunks(sorted(subject_ids)):
            found.update(
                self.session.scalars(
                    select(ListEntryRow.subject_id)
                    .where(ListEntryRow.subject_id.in_(part), ListEntryRow.state.in_(_OPEN))
                    .distinct()
                )
            )
        return found

    def live_of_lists(
        self,
        codes: Collection[str],
        subject_ids: Collection[int] | None,
        list_types: Mapping[str, ListType],
    ) -> list[ListEntry]:
        live = select(ListEntryRow).where(
            ListEntryRow.list_code.in_(sorted(codes)),
            ListEntryRow.state.in_([EntryState.DECIDED.value, EntryState.PUBLISHED.value]),
        )
        if subject_ids is None:
            rows = list(self.session.scalars(live.order_by(ListEntryRow.id)))
        else:
            rows = []
            for part in in_chunks(sorted(subject_ids)):
                rows.extend(self.session.scalars(live.where(ListEntryRow.subject_id.in_(part))))
            rows.sort(key=lambda row: row.id)
        return [_entry(row, list_types) for row in rows]

    def count(self, state: str | None = None) -> int:
        query = select(func.count()).select_from(ListEntryRow)
        if state:
            query = query.where(ListEntryRow.state == state)
        return int(self.session.scalar(query) or 0)


#: The states of an entry a record may still ground: in its procedure or in force.
_OPEN = [*IN_PROCEDURE, EntryState.PUBLISHED.value]


def _in_procedure(department: str | None) -> list[ColumnElement[bool]]:
    """Entries still in their procedure: one department's, or everybody's."""
    return [
        ListEntryRow.state.in_(IN_PROCEDURE),
        *([ListEntryRow.department_code == department] if department else []),
    ]
