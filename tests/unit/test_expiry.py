"""The expiry sweep over the fakes: what is past its display period goes to the archive, listings
whose period ended end, what is past retention is deleted; every recipient is told, once."""

from __future__ import annotations

from datetime import date

from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import authorised_query, court_listing, on, submitted
from xinyong.domain.audit import EventTag
from xinyong.domain.checks import ChangeKind
from xinyong.domain.feed import FeedKind
from xinyong.domain.lists import EntryState
from xinyong.domain.policy import Policy
from xinyong.domain.querylog import Delivered, ItemKind, QueryEntry, QueryKind, encode_returned
from xinyong.domain.records import RecordStatus
from xinyong.services.expiry import SweepSummary, sweep
from xinyong.services.feed import key_of

#: A fine of 5,000 yuan by ordinary procedure, decided on 1 September 2026: twelve months shown,
#: then five years kept.
DISPLAY_ENDS = date(2027, 9, 1)
RETENTION_ENDS = date(2032, 9, 1)


def test_the_sweep_expires_a_record_past_display_and_notifies_its_recipients_once(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    assert (stored.record.display_ends, stored.record.retention_ends) == (
        DISPLAY_ENDS,
        RETENTION_ENDS,
    )
    authorised_query(uow, policy, stored)  # the agency received the record
    uow.at = on(date(2027, 8, 31))
    assert sweep(uow, policy, actor="sweep") == SweepSummary()

    uow.at = on(DISPLAY_ENDS)
    assert sweep(uow, policy, actor="sweep") == SweepSummary(expired=1)
    with uow:
        assert uow.records.get(stored.record.id).status is RecordStatus.EXPIRED
    [item] = uow.committed.feed
    assert (item.recipient, item.kind, item.entity_type, item.entity_id) == (
        "AGENCY-BAIHANG",
        FeedKind.EXPIRED,
        "record",
        stored.record.id,
    )
    assert item.detail == f"display ended {DISPLAY_ENDS}"
    [event] = [e for e in uow.committed.audit if e.tag is EventTag.RECORD_EXPIRED]
    assert (event.actor, event.subject_id) == ("sweep", stored.record.subject_id)

    before = uow.snapshot()
    assert sweep(uow, policy, actor="sweep") == SweepSummary()  # safe to run again
    assert uow.committed.feed == before.feed
    assert uow.committed.audit == before.audit


def test_the_sweep_works_through_what_is_due_a_chunk_at_a_time(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    for _ in range(3):
        submitted(uow, policy)
    uow.at = on(DISPLAY_ENDS)
    commits = uow.commits
    assert sweep(uow, policy, actor="sweep", chunk=2) == SweepSummary(expired=3)
    # Two chunks, then listings and retention, then the recount of fallback deadlines (nothing
    # of the query log is old enough to delete, so that step commits nothing), then the derived
    # clean status (one transaction for the one derived list); no agency is flagged, so that
    # step commits nothing either.
    assert uow.commits - commits == 5
    assert {r.status for r in uow.committed.records.values()} == {RecordStatus.EXPIRED}


def test_the_sweep_ends_a_listing_whose_period_is_over_and_tells_who_was_given_it(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored, entry = court_listing(uow, policy)
    assert entry.ends_on == date(2028, 10, 15)  # two years from the court's decision
    with uow:  # what a check that returned the listing leaves in the query log
        subject = uow.subjects.get(stored.record.subject_id)
        returned = encode_returned([Delivered(ItemKind.ENTRY, entry.id or 0, "M-COURT-FLIGHT")])
        uow.queries.add_many(
            [
                QueryEntry(
                    uow.now(),
                    key_of(subject),
                    QueryKind.CHECK,
                    "BJ-CAAC-NC",
                    "counter-7",
                    "flight",
                    "measure registry check: flight",
                    returned,
                )
            ]
        )
        uow.commit()
    changes = len(uow.committed.changes)
    uow.at = on(date(2028, 10, 15))
    assert sweep(uow, policy, actor="sweep") == SweepSummary(listings_ended=1)
    with uow:
        ended = uow.entries.get(entry.id or 0, policy.list_types)
        # The debtor record itself is serious (three years shown): untouched.
        assert uow.records.get(stored.record.id).status is RecordStatus.ACTIVE
    assert (ended.state, ended.exit_ground, ended.exited_on) == (
        EntryState.EXITED,
        "expiry",
        date(2028, 10, 15),
    )
    assert [c.kind for c in uow.committed.changes[changes:]] == [ChangeKind.LISTING]
    told = [(i.recipient, i.kind, i.entity_type, i.entity_id) for i in uow.committed.feed]
    assert told == [("BJ-CAAC-NC", FeedKind.EXPIRED, "list_entry", entry.id)]


def test_the_sweep_deletes_what_is_past_retention_and_audits_it(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    uow.at = on(date(2032, 8, 31))  # and three years clean since its display ended
    assert sweep(uow, policy, actor="sweep") == SweepSummary(expired=1, clean_granted=1)
    assert len(uow.committed.records) == 1  # archived, still kept
    uow.at = on(RETENTION_ENDS)
    assert sweep(uow, policy, actor="sweep") == SweepSummary(deleted=1)
    assert uow.committed.records == {}
    [event] = [e for e in uow.committed.audit if e.tag is EventTag.RECORD_DELETED]
    assert (event.entity_id, event.subject_id) == (str(stored.record.id), stored.record.subject_id)
    assert sweep(uow, policy, actor="sweep") == SweepSummary()
