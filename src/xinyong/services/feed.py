"""The feed: every party that received an item (a check's list entry, an agency's record) is told
what became of it, in order; parties that received other items, or nothing, are not told.

An agency reads its feed only while it may query (a valid licence, not on the agency blacklist):
a suspended agency's read is refused and audited. An agency acknowledges each correction, repair,
revocation and withheld record it is told of (the kinds of `rights.toml [agencies]`) within the
policy's working days; acknowledging again changes nothing. Every party told to withdraw its copy
by a day (a revocation, a listing that lost its basis) owes that withdrawal, kept with its
working-day deadline.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.agencies import AGENCY_KIND, AgencySuspended
from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.calendar import Deadline, add_working_days, business_date
from xinyong.domain.catalog import SubjectType
from xinyong.domain.errors import Conflict, NotFound
from xinyong.domain.feed import (
    Acknowledgement,
    AcknowledgementRules,
    FeedItem,
    FeedKind,
    Withdrawal,
)
from xinyong.domain.identifiers import redact_id_numbers
from xinyong.domain.index import subject_key
from xinyong.domain.querylog import ItemKind, decode_returned
from xinyong.domain.subjects import Subject
from xinyong.services.agencies import require_staff_standing, require_standing

if TYPE_CHECKING:
    from xinyong.domain.lists import ListEntry
    from xinyong.domain.records import CreditRecord
    from xinyong.services.ports import UnitOfWork


class FeedRepository(Protocol):
    def add(self, items: Sequence[FeedItem]) -> list[int]:
        """Append the items; return their `seq`s, in order."""
        ...

    def after(self, recipient: str, seq: int, *, limit: int) -> list[FeedItem]: ...
    def deliveries(self, subject_keys: Collection[int]) -> dict[int, list[tuple[str, str]]]:
        """Per subject key: (party, what it was given, as the query log stores it) for every
        answered query about that subject (keys nobody received anything about are absent)."""
        ...

    def add_acknowledgements(self, acknowledgements: Sequence[Acknowledgement]) -> None: ...
    def add_withdrawals(self, withdrawals: Sequence[Withdrawal]) -> None: ...
    def acknowledgement(self, seq: int) -> Acknowledgement | None: ...
    def save_acknowledgement(self, acknowledgement: Acknowledgement) -> None: ...
    def overdue_acknowledgements(self, day: date) -> list[Acknowledgement]:
        """Acknowledgements not given whose due day is before `day`, the oldest due first."""
        ...


def key_of(subject: Subject) -> int:
    """The key a subject's queries and feed items are filed under."""
    return subject_key(subject.number, organisation=subject.kind is SubjectType.ORGANISATION)


@dataclass(frozen=True, slots=True)
class Notice:
    """What became of one item about the subject filed under `subject_key` (`key_of`), for
    every party that received it."""

    subject_key: int
    kind: FeedKind
    entity_type: str
    entity_id: int
    detail: str
    #: The working day by which each party told must withdraw its copy (None: nothing to do).
    due_on: Deadline | None = None
    #: The subject's id, which an agency's acknowledgement and a withdrawal are filed under
    #: (None: none is asked).
    subject_id: int | None = None
    #: The event this notice tells through its item, when several items tell one (a record held
    #: by an identity review, then the listings resting on it): a party that received several of
    #: them is told once, of the first it received (None: the notice is an event of its own).
    event: tuple[str, int] | None = None


def record_notices(
    subject_key: int,
    kind: FeedKind,
    record: CreditRecord,
    entries: Sequence[ListEntry],
    *,
    record_detail: str,
    entry_detail: str,
    event: tuple[str, int] | None = None,
    due_on: Deadline | None = None,
) -> list[Notice]:
    """One event about a record told through the record, then each listing resting on it (the
    listing's notice names the list and the record's document, never the person's number), each
    to be acted on by `due_on`."""
    document = f"{record.item_code} {record.document_number}"
    subject_id = record.subject_id
    notices = [
        Notice(subject_key, kind, "record", record.id, record_detail, due_on, subject_id, event)
    ]
    notices += [
        Notice(
            subject_key,
            kind,
            "list_entry",
            entry.id or 0,
            f"{entry.list_type.code} listing resting on {document}: {entry_detail}",
            due_on,
            subject_id,
            event,
        )
        for entry in entries
    ]
    return notices


def notify(
    uow: UnitOfWork,
    subject: Subject,
    kind: FeedKind,
    entity_type: str,
    entity_id: int,
    detail: str,
    *,
    due_on: Deadline | None = None,
    acknowledgements: AcknowledgementRules | None = None,
) -> int:
    """Tell every party that received this item what became of it (and by when it must act on
    it, `due_on`: each of them owes that withdrawal); return how many were told. With
    `acknowledgements` (the policy's rules), every agency told of a kind they name owes an
    acknowledgement within their working days."""
    notice = Notice(key_of(subject), kind, entity_type, entity_id, detail, due_on, subject.id)
    return notify_many(uow, [notice], acknowledgements=acknowledgements)


def notify_many(
    uow: UnitOfWork,
    notices: Sequence[Notice],
    *,
    acknowledgements: AcknowledgementRules | None = None,
    once: bool = False,
) -> int:
    """`notify` for many items at once: one read of the query log for all their subjects, one
    write of the feed, one of the withdrawals owed and one of the acknowledgements asked (the
    sweep's and the ingest's chunks). Items are told in the order given, each to its recipients
    in order of name; return how many notices were written.

    With `once`, the notices are one event told through several items (an objection to a
    record: the record, then the listings resting on it): each party is told once, of the first
    item in the order given that it received. Notices that name their `event` are told so
    whatever `once` says, an event at a time: a chunk's holds tell a party of each record held,
    once, and of nothing twice."""
    told = _tell(uow, notices, once=once)
    uow.feed.add_withdrawals(
        [
            Withdrawal(seq, item.recipient, n.subject_id, n.entity_type, n.entity_id, n.due_on)
            for n, item, seq in told
            if n.due_on is not None and n.subject_id is not None
        ]
    )
    if acknowledgements is not None:
        _ask(uow, told, acknowledgements)
    return len(told)


def _tell(
    uow: UnitOfWork, notices: Sequence[Notice], *, once: bool = False
) -> list[tuple[Notice, FeedItem, int]]:
    """Write a feed item for every party that received each notice's item (one read of the query
    log, one write of the feed; none for a party told of an earlier notice of the same event: of
    any earlier notice with `once`, of its `event`'s otherwise); return each item written with its
    notice and sequence number."""
    if not notices:
        return []
    given = {
        key: [(party, decode_returned(returned)) for party, returned in found]
        for key, found in uow.feed.deliveries({n.subject_key for n in notices}).items()
    }
    at = uow.now()
    items: list[tuple[Notice, FeedItem]] = []
    told: dict[object, set[str]] = {}
    for position, n in enumerate(notices):
        key = n.subject_key
        wanted = (ItemKind.RECORD if n.entity_type == "record" else ItemKind.ENTRY, n.entity_id)
        event = told.setdefault(n.event or (None if once else position), set())
        recipients = sorted(
            {
                party
                for party, delivered in given.get(key, ())
                if any((d.kind, d.id) == wanted for d in delivered)
            }
            - event
        )
        event.update(recipients)
        clean = redact_id_numbers(n.detail)
        due_on = n.due_on.day if n.due_on is not None else None
        items += [
            (n, FeedItem(r, n.kind, n.entity_type, n.entity_id, key, clean, at, due_on=due_on))
            for r in recipients
        ]
    seqs = uow.feed.add([item for _, item in items])
    return [(n, item, seq) for (n, item), seq in zip(items, seqs, strict=True)]


def _ask(
    uow: UnitOfWork, told: Sequence[tuple[Notice, FeedItem, int]], rules: AcknowledgementRules
) -> None:
    """Every agency told of a kind the policy's rules name owes an acknowledgement of it within
    their working days (each recipient looked up once)."""
    asked = [(n, item, seq) for n, item, seq in told if rules.asks(n.kind)]
    if not asked:
        return
    agencies = {r for r in {item.recipient for _, item, _ in asked} if _is_agency(uow, r)}
    due = add_working_days(business_date(uow.now()), rules.working_days)
    uow.feed.add_acknowledgements(
        [
            Acknowledgement(
                seq, item.recipient, n.subject_id, n.kind, n.entity_type, n.entity_id, due
            )
            for n, item, seq in asked
            if item.recipient in agencies and n.subject_id is not None
        ]
    )


def _is_agency(uow: UnitOfWork, code: str) -> bool:
    party = uow.departments.get(code)
    return party is not None and party.kind == AGENCY_KIND


def read_feed(
    uow: UnitOfWork,
    *,
    recipient: str,
    after: int,
    limit: int,
    actor: str | None = None,
    staff: int | None = None,
) -> list[FeedItem]:
    """What became of items `recipient` received, after the `seq` it last saw. An agency that
    may not query today (blacklisted, no valid licence) is refused, and so is a read through a
    key whose staff member (`staff`, the key's) is on the staff blacklist or missing:
    AgencySuspended, audited."""
    with uow:
        if _is_agency(uow, recipient):
            try:
                require_standing(uow, recipient, on=business_date(uow.now()))
                require_staff_standing(uow, recipient, staff)
            except AgencySuspended as suspended:
                who = "agency" if suspended.staff is None else f"staff member {suspended.staff}"
                uow.audit.add(
                    AuditEvent(
                        EventTag.AGENCY_FEED_REFUSED,
                        actor or recipient,
                        "agency",
                        recipient,
                        uow.now(),
                        reason=f"{who} {suspended.why}"[:200],
                        data={"after": after, "agency_staff": staff},
                    )
                )
                uow.commit()
                raise AgencySuspended(
                    recipient, suspended.why, what="read its feed", staff=suspended.staff
                ) from None
        return uow.feed.after(recipient, after, limit=limit)


def acknowledge(uow: UnitOfWork, *, agency: str, seq: int, actor: str) -> Acknowledgement:
    """The agency acknowledges feed item `seq` (it put its copy right): stored and audited once;
    acknowledging again answers the stored acknowledgement and changes nothing. An item of
    another recipient is not found; an item that asks for nothing back is a Conflict."""
    with uow:
        owed = uow.feed.acknowledgement(seq)
        if owed is None or owed.agency != agency:
            mine = [i for i in uow.feed.after(agency, seq - 1, limit=1) if i.seq == seq]
            if owed is None and mine:
                raise Conflict(f"feed item {seq} asks for no acknowledgement")
            raise NotFound(f"feed item {seq} does not exist")
        now = uow.now()
        if owed.acknowledge(by=actor, at=now):
            uow.feed.save_acknowledgement(owed)
            uow.audit.add(
                AuditEvent(
                    EventTag.AGENCY_ACKNOWLEDGED,
                    actor,
                    "feed_item",
                    str(seq),
                    now,
                    subject_id=owed.subject_id,
                    data={
                        "agency": agency,
                        "kind": owed.kind.value,
                        "entity_type": owed.entity_type,
                        "entity_id": owed.entity_id,
                        "due": owed.due.day.isoformat(),
                        "late": owed.was_late,
                    },
                )
            )
            uow.commit()
    return owed
