"""The feed of notices to the parties that received an item, the acknowledgements agencies owe
for corrections, repairs and revocations, and the withdrawals a revocation asks of every party
that received what no longer stands (each with its working-day deadline)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    insert,
    select,
    text,
    true,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.db.base import Base, among, copy_rows, deadline_values, stored_deadline, table_of
from xinyong.db.querylog import QueryRow
from xinyong.db.types import BigId, UTCDateTime
from xinyong.domain.feed import Acknowledgement, FeedItem, FeedKind, Withdrawal


class FeedItemRow(Base):
    """A notice to a party that once received an item: corrected, revoked, repaired, expired.

    Numbered by `seq`; a party reads its own items after the last one it has seen.
    """

    __tablename__ = "feed_items"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    subject_key: Mapped[int] = mapped_column(BigInteger)
    detail: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The day the item told the recipient to withdraw its copy by, as told; the deadline
    #: itself, counted again when the official calendar covers it, is its `feed_withdrawals` row.
    due_on: Mapped[date | None] = mapped_column(Date)


class FeedAcknowledgementRow(Base):
    """What an agency owes for a feed item that asks for an acknowledgement (a correction, repair
    or revocation): the working-day deadline, and when (and by whom) it acknowledged.

    `id` is the feed item's `seq`: one acknowledgement per item, so acknowledging again changes
    nothing. `flagged_at`: when the sweep first found it overdue and audited the agency.
    """

    __tablename__ = "feed_acknowledgements"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("feed_items.seq"),
        primary_key=True,
        autoincrement=False,
    )
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    ack_due: Mapped[date] = mapped_column(Date, index=True)
    ack_due_from: Mapped[date | None] = mapped_column(Date)
    ack_due_days: Mapped[int | None] = mapped_column(Integer)
    ack_due_official: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FeedWithdrawalRow(Base):
    """What a party told that an item it received no longer stands must do: withdraw its copy
    by a working-day deadline (stored like every other: the day, what it was counted from, how
    many working days, whether on the official calendar).

    `id` is the feed item's `seq`; `department_code` is its recipient (a department or an
    agency), who must act. An agency's withdrawal is done when it acknowledges the same item
    (`feed_acknowledgements`); a department gives no answer.
    """

    __tablename__ = "feed_withdrawals"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"),
        ForeignKey("feed_items.seq"),
        primary_key=True,
        autoincrement=False,
    )
    department_code: Mapped[str] = mapped_column(String(32), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    entity_type: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    withdraw_by: Mapped[date] = mapped_column(Date, index=True)
    withdraw_by_from: Mapped[date | None] = mapped_column(Date)
    withdraw_by_days: Mapped[int | None] = mapped_column(Integer)
    withdraw_by_official: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


def _acknowledgement(row: FeedAcknowledgementRow) -> Acknowledgement:
    return Acknowledgement(
        row.id,
        row.department_code,
        row.subject_id,
        FeedKind(row.kind),
        row.entity_type,
        row.entity_id,
        stored_deadline(row.ack_due, row.ack_due_official, row.ack_due_from, row.ack_due_days),
        row.acknowledged_at,
        row.acknowledged_by,
        row.flagged_at,
    )


class SqlFeed:
    """The feed, and what each party was given (read from the query log)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, items: Sequence[FeedItem]) -> list[int]:
        if not items:
            return []
        values = [
            {
                "recipient": i.recipient,
                "kind": i.kind.value,
                "entity_type": i.entity_type,
                "entity_id": i.entity_id,
                "subject_key": i.subject_key,
                "detail": i.detail,
                "at": i.at,
                "due_on": i.due_on,
            }
            for i in items
        ]
        conn = self.session.connection()
        if conn.dialect.name != "postgresql":
            query = insert(FeedItemRow).returning(FeedItemRow.seq, sort_by_parameter_order=True)
            return list(self.session.scalars(query, values))
        # The numbers drawn from the table's sequence first, in order, then one COPY: an
        # insert returning them rendered thousands of parameters that psycopg parsed anew.
        seqs = sorted(
            int(seq)
            for seq in conn.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('feed_items', 'seq')::regclass)"
                    " FROM generate_series(1, :n)"
                ),
                {"n": len(values)},
            )
        )
        copy_rows(
            conn,
            table_of(FeedItemRow),
            [{"seq": n, **v} for n, v in zip(seqs, values, strict=True)],
        )
        return seqs

    def after(self, recipient: str, seq: int, *, limit: int) -> list[FeedItem]:
        ack = FeedAcknowledgementRow
        rows = self.session.execute(
            select(FeedItemRow, ack.ack_due, ack.acknowledged_at)
            .outerjoin(ack, ack.id == FeedItemRow.seq)
            .where(FeedItemRow.recipient == recipient, FeedItemRow.seq > seq)
            .order_by(FeedItemRow.seq)
            .limit(limit)
        )
        return [
            FeedItem(
                r.recipient,
                FeedKind(r.kind),
                r.entity_type,
                r.entity_id,
                r.subject_key,
                r.detail,
                r.at,
                r.seq,
                r.due_on,
                acknowledge_by,
                acknowledged_at,
            )
            for r, acknowledge_by, acknowledged_at in rows
        ]

    def deliveries(self, subject_keys: Collection[int]) -> dict[int, list[tuple[str, str]]]:
        """Per subject key, (party, what it was given) for every answered query about it."""
        out: dict[int, list[tuple[str, str]]] = {}
        for among_keys in among(self.session, QueryRow.subject_key, sorted(set(subject_keys))):
            rows = self.session.execute(
                select(QueryRow.subject_key, QueryRow.department_code, QueryRow.returned).where(
                    among_keys,
                    QueryRow.department_code.is_not(None),
                    QueryRow.kind != "agency_refused",
                    QueryRow.returned != "none",
                )
            )
            for key, party, returned in rows:
                out.setdefault(int(key), []).append((str(party), str(returned)))
        return out

    def add_acknowledgements(self, acknowledgements: Sequence[Acknowledgement]) -> None:
        if not acknowledgements:
            return
        self.session.execute(
            insert(FeedAcknowledgementRow),
            [
                {
                    "id": a.seq,
                    "department_code": a.agency,
                    "subject_id": a.subject_id,
                    "kind": a.kind.value,
                    "entity_type": a.entity_type,
                    "entity_id": a.entity_id,
                    "ack_due": a.due.day,
                    "ack_due_from": a.due.start,
                    "ack_due_days": a.due.working_days,
                    "ack_due_official": a.due.official,
                }
                for a in acknowledgements
            ],
        )

    def add_withdrawals(self, withdrawals: Sequence[Withdrawal]) -> None:
        if not withdrawals:
            return
        self.session.execute(
            insert(FeedWithdrawalRow),
            [
                {
                    "id": w.seq,
                    "department_code": w.recipient,
                    "subject_id": w.subject_id,
                    "entity_type": w.entity_type,
                    "entity_id": w.entity_id,
                    **deadline_values("withdraw_by", w.due),
                }
                for w in withdrawals
            ],
        )

    def acknowledgement(self, seq: int) -> Acknowledgement | None:
        row = self.session.get(FeedAcknowledgementRow, seq)
        return _acknowledgement(row) if row is not None else None

    def save_acknowledgement(self, acknowledgement: Acknowledgement) -> None:
        self.session.execute(
            update(FeedAcknowledgementRow)
            .where(FeedAcknowledgementRow.id == acknowledgement.seq)
            .values(
                acknowledged_at=acknowledgement.acknowledged_at,
                acknowledged_by=acknowledgement.acknowledged_by,
                flagged_at=acknowledgement.flagged_at,
            )
        )

    def overdue_acknowledgements(self, day: date) -> list[Acknowledgement]:
        """Acknowledgements not given whose due day is before `day`, oldest due first."""
        rows = self.session.scalars(
            select(FeedAcknowledgementRow)
            .where(
                FeedAcknowledgementRow.acknowledged_at.is_(None),
                FeedAcknowledgementRow.ack_due < day,
            )
            .order_by(FeedAcknowledgementRow.ack_due, FeedAcknowledgementRow.id)
        )
        return [_acknowledgement(r) for r in rows]
