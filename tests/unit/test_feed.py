"""The feed over the fakes: only a party that received an item is told what became of it, in
order, without ID numbers."""

from __future__ import annotations

import pytest

from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import authorised_query, party, submitted
from xinyong.domain.feed import FeedKind
from xinyong.domain.policy import Policy
from xinyong.services.authorisations import NotAuthorised, agency_query
from xinyong.services.feed import notify, read_feed
from xinyong.services.records import Stored


def _notify(uow: FakeUnitOfWork, stored: Stored, kind: FeedKind, detail: str) -> int:
    with uow:
        subject = uow.subjects.get(stored.record.subject_id)
        told = notify(uow, subject, kind, "record", stored.record.id, detail)
        uow.commit()
    return told


def test_only_the_parties_that_received_an_item_are_told_and_never_its_number(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored, other = submitted(uow, policy), submitted(uow, policy)
    authorised_query(uow, policy, stored, "AGENCY-BAIHANG")
    authorised_query(uow, policy, other, "AGENCY-PUDAO")
    detail = f"corrected: the number {stored.subject_number} was mistyped"
    assert _notify(uow, stored, FeedKind.CORRECTED, detail) == 1
    [item] = read_feed(uow, recipient="AGENCY-BAIHANG", after=0, limit=10)
    assert (item.kind, item.entity_type, item.entity_id) == (
        FeedKind.CORRECTED,
        "record",
        stored.record.id,
    )
    assert stored.subject_number not in item.detail
    assert stored.subject_number[:14] not in item.detail
    assert read_feed(uow, recipient="AGENCY-PUDAO", after=0, limit=10) == []
    assert read_feed(uow, recipient="BJ-AMR", after=0, limit=10) == []  # it only submitted


def test_a_refused_party_received_nothing_and_is_told_nothing(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    with pytest.raises(NotAuthorised):
        agency_query(
            uow,
            policy,
            caller=party("AGENCY-PUDAO"),
            number=stored.subject_number,
            purpose="loan_approval",
            scope="records",
        )
    assert _notify(uow, stored, FeedKind.REVOKED, "revoked") == 0
    assert uow.committed.feed == []


def test_the_feed_is_read_in_order_after_the_last_item_seen(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    authorised_query(uow, policy, stored, "AGENCY-BAIHANG")
    for kind in (FeedKind.UNDER_OBJECTION, FeedKind.OBJECTION_REJECTED, FeedKind.REPAIRED):
        _notify(uow, stored, kind, kind.value)
    items = read_feed(uow, recipient="AGENCY-BAIHANG", after=0, limit=10)
    assert [i.kind for i in items] == [
        FeedKind.UNDER_OBJECTION,
        FeedKind.OBJECTION_REJECTED,
        FeedKind.REPAIRED,
    ]
    seqs = [i.seq or 0 for i in items]
    assert seqs == sorted(set(seqs))
    assert read_feed(uow, recipient="AGENCY-BAIHANG", after=seqs[0], limit=1) == items[1:2]
    assert read_feed(uow, recipient="AGENCY-BAIHANG", after=seqs[2], limit=10) == []
