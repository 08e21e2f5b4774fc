"""Deadlines: the working-day deadlines stored with objections, repairs, list entries, records,
agencies' acknowledgements and the withdrawals a revocation asks of each recipient, read together
(the overdue view, the recount) and written back when counted again; and the notices kept in a
person's file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    ForeignKey,
    String,
    Text,
    exists,
    false,
    insert,
    select,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute, Mapped, Session, mapped_column

from xinyong.db.base import Base, deadline_values, stored_deadline
from xinyong.db.feed import FeedAcknowledgementRow, FeedWithdrawalRow
from xinyong.db.lists import ListEntryRow
from xinyong.db.objections import ObjectionRow
from xinyong.db.records import CreditRecordRow
from xinyong.db.repairs import RepairRow
from xinyong.db.types import BigId, Json, UTCDateTime
from xinyong.domain.calendar import Deadline
from xinyong.domain.deadlines import (
    CREDIT_CENTRE,
    Counted,
    DeadlineKind,
    Notice,
    NoticeKind,
    Watched,
)
from xinyong.domain.lists import EntryState
from xinyong.domain.objections import ObjectionStatus
from xinyong.domain.records import RecordStatus
from xinyong.domain.repairs import RepairStatus


class NoticeRow(Base):
    """Something the platform told a person about their file (a deadline that moved, ...);
    their report lists it."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    detail: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: What happened, as data the person reads in their language (services/notice_words.py);
    #: null for notices kept before they kept data.
    data: Mapped[dict[str, Any] | None] = mapped_column(Json)


Column = InstrumentedAttribute[Any]
_OPEN_REPAIR = (RepairStatus.APPLIED.value, RepairStatus.ACCEPTED.value)


class _Spec:
    """Where one kind of deadline is stored, whose case it is, when it still runs, and when the
    view lists it (`watched`: while it runs, unless the step's end cannot be seen)."""

    def __init__(
        self,
        kind: DeadlineKind,
        row: type[Base],
        entity_type: str,
        column: str,
        *,
        official_column: str | None = None,
        department: Callable[[Any], str | None],
        must_act: Callable[[Any], str],
        running: Callable[[], ColumnElement[bool]],
        watched: Callable[[], ColumnElement[bool]] | None = None,
        tells_department: bool = True,
    ) -> None:
        self.kind = kind
        self.row = row
        self.entity_type = entity_type
        self.column = column
        self.official_column = official_column or f"{column}_official"
        self.department = department
        self.must_act = must_act
        self.running = running
        self.watched = watched or running
        self.tells_department = tells_department

    def attr(self, name: str) -> Column:
        attribute: Column = getattr(self.row, name)
        return attribute

    @property
    def day(self) -> Column:
        return self.attr(self.column)

    @property
    def official(self) -> Column:
        return self.attr(self.official_column)

    @property
    def department_column(self) -> Column:
        return self.attr("department_code")

    def deadline(self, row: Any) -> Deadline:
        return stored_deadline(
            getattr(row, self.column),
            getattr(row, self.official_column),
            getattr(row, f"{self.column}_from"),
            getattr(row, f"{self.column}_days"),
        )


def _department(row: Any) -> str | None:
    code: str | None = row.department_code
    return code


def _centre(row: Any) -> str:
    return CREDIT_CENTRE


def _own(row: Any) -> str:
    return str(row.department_code)


def _acknowledged(given: bool) -> ColumnElement[bool]:
    """Whether the recipient's acknowledgement of the feed item that told it to withdraw is
    owed and given (`given`), or owed and not given yet."""
    ack = FeedAcknowledgementRow
    done = ack.acknowledged_at.is_not(None) if given else ack.acknowledged_at.is_(None)
    return exists().where(ack.id == FeedWithdrawalRow.id, done)


SPECS: dict[DeadlineKind, _Spec] = {
    spec.kind: spec
    for spec in (
        _Spec(
            DeadlineKind.OBJECTION_CHECK,
            ObjectionRow,
            "objection",
            "centre_due",
            department=_department,
            must_act=_centre,
            # a paused clock stands still: testing or expert review is not counted
            running=lambda: (
                (ObjectionRow.status == ObjectionStatus.FILED.value)
                & ObjectionRow.paused_since.is_(None)
            ),
            tells_department=False,  # the centre's own step: the source is not bound by it
        ),
        _Spec(
            DeadlineKind.OBJECTION_DECISION,
            ObjectionRow,
            "objection",
            "source_due",
            department=_department,
            must_act=_own,
            running=lambda: (
                (ObjectionRow.status == ObjectionStatus.FORWARDED.value)
                & ObjectionRow.paused_since.is_(None)
            ),
        ),
        _Spec(
            DeadlineKind.REPAIR_ACCEPTANCE,
            RepairRow,
            "repair",
            "accept_due",
            department=_department,
            must_act=_own,
            running=lambda: RepairRow.status == RepairStatus.APPLIED.value,
        ),
        _Spec(
            DeadlineKind.REPAIR_FEEDBACK,
            RepairRow,
            "repair",
            "feedback_due",
            department=_department,
            must_act=_own,
            running=lambda: RepairRow.status.in_(_OPEN_REPAIR),
        ),
        _Spec(
            DeadlineKind.DEFENCE,
            ListEntryRow,
            "list_entry",
            "defence_deadline",
            official_column="deadline_official",
            department=_department,
            must_act=_own,
            running=lambda: ListEntryRow.state == EntryState.NOTICED.value,
        ),
        # The public notice of a published listing: it binds nobody to act; while it runs
        # (published, not ended) the person and the department that published it are told.
        _Spec(
            DeadlineKind.PUBLIC_NOTICE,
            ListEntryRow,
            "list_entry",
            "notice_ends",
            department=_department,
            must_act=_own,
            running=lambda: ListEntryRow.state == EntryState.PUBLISHED.value,
        ),
        # A court (or another deciding authority) deletes a listing within its working days of
        # the day a deletion ground arose; until it does, the listing is still in force.
        _Spec(
            DeadlineKind.DELETION,
            ListEntryRow,
            "list_entry",
            "deletion_due",
            department=_department,
            must_act=_own,
            running=lambda: ListEntryRow.state.in_(
                [EntryState.DECIDED.value, EntryState.PUBLISHED.value]
            ),
        ),
        # An agency acknowledges a correction, repair or revocation in its feed (the row's id is
        # the feed item's seq, which the agency knows).
        _Spec(
            DeadlineKind.ACKNOWLEDGEMENT,
            FeedAcknowledgementRow,
            "feed_item",
            "ack_due",
            department=_department,
            must_act=_own,
            running=lambda: FeedAcknowledgementRow.acknowledged_at.is_(None),
        ),
        # Every party told that what it received no longer stands withdraws its copy by a day
        # (the row's id is the feed item's seq). It runs until the party says it has; only an
        # agency answers (its acknowledgement of the item), so only an agency's withdrawal is
        # listed: a department's is counted again and told, never shown as late.
        _Spec(
            DeadlineKind.WITHDRAWAL,
            FeedWithdrawalRow,
            "feed_item",
            "withdraw_by",
            department=_department,
            must_act=_own,
            running=lambda: ~_acknowledged(True),
            watched=lambda: _acknowledged(False),
        ),
        # The platform publishes a public record when it accepts it, so double publicity is
        # pending only while a public record is held for identity review: the centre's review
        # releases it (and so publishes it).
        _Spec(
            DeadlineKind.DOUBLE_PUBLICITY,
            CreditRecordRow,
            "record",
            "publish_by",
            department=_department,
            must_act=_centre,
            running=lambda: (
                (CreditRecordRow.status == RecordStatus.IDENTITY_HOLD.value)
                & CreditRecordRow.published.is_(True)
            ),
        ),
    )
}


#: Every stored deadline the recount reads: the view's, and a revoked record's own withdrawal
#: day (what its recipients were told; each one's withdrawal is watched on its own).
RECOUNTED: tuple[_Spec, ...] = (
    *SPECS.values(),
    _Spec(
        DeadlineKind.WITHDRAWAL,
        CreditRecordRow,
        "record",
        "withdraw_by",
        department=_department,
        must_act=_own,
        running=lambda: CreditRecordRow.status == RecordStatus.REVOKED.value,
        tells_department=False,  # the recipients are told through their own withdrawals
    ),
)

#: Where each deadline the recount reads is kept, by its kind and the entity it is kept with.
_BY_KEY: dict[tuple[DeadlineKind, str], _Spec] = {(s.kind, s.entity_type): s for s in RECOUNTED}


class SqlDeadlineRepository:
    """Every stored working-day deadline, by kind; and the person's notices."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def on_fallback(self) -> list[Counted]:
        """Every stored deadline counted on the fallback calendar, whether or not it still runs."""
        out: list[Counted] = []
        for spec in RECOUNTED:
            running = spec.running().label("running")
            query = (
                select(spec.row, running)
                .where(spec.day.is_not(None), spec.official.is_(false()))
                .order_by(spec.attr("id"))
            )
            found: list[Any] = list(self.session.execute(query))
            for row, still in found:
                out.append(
                    Counted(
                        spec.kind,
                        spec.entity_type,
                        row.id,
                        row.subject_id,
                        spec.department(row) if spec.tells_department else None,
                        spec.deadline(row),
                        bool(still),
                    )
                )
        return out

    def store(
        self, kind: DeadlineKind, entity_type: str, entity_id: int, deadline: Deadline
    ) -> None:
        """Write a deadline counted again back where it is kept."""
        spec = _BY_KEY.get((kind, entity_type))
        if spec is None:
            raise ValueError(f"no {kind.value} deadline is kept with a {entity_type}")
        values = deadline_values(spec.column, deadline, official_column=spec.official_column)
        self.session.execute(update(spec.row).where(spec.attr("id") == entity_id).values(**values))

    def watched(
        self,
        kinds: Sequence[DeadlineKind],
        *,
        department: str | None,
        due_before: date | None,
        limit: int,
    ) -> list[Watched]:
        """Running steps of the given kinds, each kind's nearest `limit` by due day; only one
        department's cases when `department` is given, only those due before a day if given."""
        out: list[Watched] = []
        for kind in kinds:
            spec = SPECS[kind]
            query = select(spec.row).where(spec.watched(), spec.day.is_not(None))
            if department is not None:
                query = query.where(spec.department_column == department)
            if due_before is not None:
                query = query.where(spec.day < due_before)
            query = query.order_by(spec.day, spec.attr("id")).limit(limit)
            rows: list[Any] = list(self.session.scalars(query))
            out.extend(
                Watched(
                    kind,
                    spec.entity_type,
                    row.id,
                    row.subject_id,
                    spec.department(row),
                    spec.must_act(row),
                    spec.deadline(row),
                )
                for row in rows
            )
        return out

    def add_notice(self, notice: Notice) -> None:
        self.session.execute(
            insert(NoticeRow),
            [
                {
                    "subject_id": notice.subject_id,
                    "kind": notice.kind.value,
                    "entity_type": notice.entity_type,
                    "entity_id": notice.entity_id,
                    "detail": notice.detail,
                    "at": notice.at,
                    "data": dict(notice.data) if notice.data is not None else None,
                }
            ],
        )

    def notices_of(self, subject_id: int) -> list[Notice]:
        rows = self.session.scalars(
            select(NoticeRow).where(NoticeRow.subject_id == subject_id).order_by(NoticeRow.id)
        )
        return [
            Notice(
                r.subject_id,
                NoticeKind(r.kind),
                r.entity_type,
                r.entity_id,
                r.detail,
                r.at,
                r.id,
                r.data,
            )
            for r in rows
        ]
