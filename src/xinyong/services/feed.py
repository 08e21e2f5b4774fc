"""The feed: every party that received an item (a check's list entry, an agency's record) is told
what became of it, in order; parties that received other items, or nothing, are not told."""

from __future__ import annotations

from collections.abc import Sequence
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
    def deliveries(self, subject_key: int) -> list[tuple[str, str]]:
        """(party, what it was given, as the query log stores it) for every answered query
        about this subject."""
        ...


def key_of(subject: Subject) -> int:
    """The key a subject's queries and feed items are filed under."""
    return subject_key(subject.number, organisation=subject.kind is SubjectType.ORGANISATION)


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
    key = key_of(subject)
    wanted = (ItemKind.RECORD if entity_type == "record" else ItemKind.ENTRY, entity_id)
    recipients = sorted(
        {
            party
            for party, returned in uow.feed.deliveries(key)
            if any((d.kind, d.id) == wanted for d in decode_returned(returned))
        }
    )
    at = uow.now()
    clean = redact_id_numbers(detail)
    uow.feed.add(
        [
            FeedItem(r, kind, entity_type, entity_id, key, clean, at, due_on=due_on)
            for r in recipients
        ]
    )
    return len(recipients)


def read_feed(uow: UnitOfWork, *, recipient: str, after: int, limit: int) -> list[FeedItem]:
    """What became of items `recipient` received, after the `seq` it last saw."""
    with uow:
        return uow.feed.after(recipient, after, limit=limit)
