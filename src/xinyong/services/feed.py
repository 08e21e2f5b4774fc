"""The feed: every party that received an item (a check's list entry, an agency's record) is told
what became of it, in order; parties that received other items, or nothing, are not told."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.catalog import SubjectType
from xinyong.domain.feed import FeedItem, FeedKind
from xinyong.domain.identifiers import redact_id_numbers
from xinyong.domain.index import subject_key
from xinyong.domain.querylog import ItemKind, decode_returned
from xinyong.domain.subjects import Subject

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


class FeedRepository(Protocol):
    def add(self, items: Sequence[FeedItem]) -> None: ...
    def after(self, recipient: str, seq: int, *, limit: int) -> list[FeedItem]: ...
    def deliveries(self, subject_keys: Collection[int]) -> dict[int, list[tuple[str, str]]]:
        """Per subject key: (party, what it was given, as the query log stores it) for every
        answered query about that subject (keys nobody received anything about are absent)."""
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
    due_on: date | None = None


def notify(
    uow: UnitOfWork,
    subject: Subject,
    kind: FeedKind,
    entity_type: str,
    entity_id: int,
    detail: str,
    *,
    due_on: date | None = None,
) -> int:
    """Tell every party that received this item what became of it (and by when it must act on
    it, `due_on`); return how many were told."""
    return notify_many(uow, [Notice(key_of(subject), kind, entity_type, entity_id, detail, due_on)])


def notify_many(uow: UnitOfWork, notices: Sequence[Notice]) -> int:
    """`notify` for many items at once: one read of the query log for all their subjects and
    one write of the feed (the sweep's chunks). Items are told in the order given, each to its
    recipients in order of name; return how many notices were written."""
    if not notices:
        return 0
    given = {
        key: [(party, decode_returned(returned)) for party, returned in found]
        for key, found in uow.feed.deliveries({n.subject_key for n in notices}).items()
    }
    at = uow.now()
    items: list[FeedItem] = []
    for n in notices:
        key = n.subject_key
        wanted = (ItemKind.RECORD if n.entity_type == "record" else ItemKind.ENTRY, n.entity_id)
        recipients = sorted(
            {
                party
                for party, delivered in given.get(key, ())
                if any((d.kind, d.id) == wanted for d in delivered)
            }
        )
        clean = redact_id_numbers(n.detail)
        items += [
            FeedItem(r, n.kind, n.entity_type, n.entity_id, key, clean, at, due_on=n.due_on)
            for r in recipients
        ]
    uow.feed.add(items)
    return len(items)


def read_feed(uow: UnitOfWork, *, recipient: str, after: int, limit: int) -> list[FeedItem]:
    """What became of items `recipient` received, after the `seq` it last saw."""
    with uow:
        return uow.feed.after(recipient, after, limit=limit)
