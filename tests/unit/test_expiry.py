"""The expiry sweep over the fakes: what is past its display period goes to the archive, listings
whose period ended end, what is past retention is deleted; every recipient is told, once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.factories import penalty_row
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import authorised_query, court_listing, objected, on, submitted
from xinyong.domain.audit import EventTag
from xinyong.domain.checks import ChangeKind
from xinyong.domain.feed import FeedKind
from xinyong.domain.lists import EntryState
from xinyong.domain.policy import Policy
from xinyong.domain.querylog import Delivered, ItemKind, QueryEntry, QueryKind, encode_returned
from xinyong.domain.records import Outcome, RecordStatus
from xinyong.services.expiry import SweepSummary, sweep
from xinyong.services.feed import key_of
from xinyong.services.objections import decide_objection, forward_objection
from xinyong.services.records import Stored, revoke_record
from xinyong.services.repairs import apply_for_repair, decide_repair

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


# A record whose display stops early is archived from that day: at most its archive years.

COMMITMENT = "本人承诺已缴清罚款并停止违法行为，今后诚信守法经营，如有违反愿承担相应责任。"
#: A serious fine decided on 3 November 2025: shown until 3 November 2028, repairable from
#: 3 November 2026, kept until 3 November 2033 had it been shown to its end.
SERIOUS = {"fine_amount": "80000", "decision_date": "2025-11-03"}
STOPPED_ON = date(2026, 12, 1)
ARCHIVE_ENDS = date(2031, 12, 1)  # five years (`[archive] max_retention_years`) after the stop


def _repair(uow: FakeUnitOfWork, policy: Policy, stored: Stored) -> None:
    repair = apply_for_repair(
        uow,
        policy,
        subject_id=stored.record.subject_id,
        record_id=stored.record.id,
        obligations_performed=True,
        commitment=COMMITMENT,
        actor="account:1",
    )
    decide_repair(
        uow, policy, repair.id or 0, repaired=True, reasons="准予修复", department="BJ-AMR",
        actor="amr",
    )  # fmt: skip


def _stop(uow: FakeUnitOfWork, policy: Policy, stored: Stored) -> None:
    objection = objected(uow, policy, stored)
    forward_objection(uow, policy, objection.id or 0, department=None, actor="centre")
    decide_objection(
        uow, policy, objection.id or 0, outcome="stop_display", reasons="经核查停止公示",
        department="BJ-AMR", actor="amr",
    )  # fmt: skip


def _revoke(uow: FakeUnitOfWork, policy: Policy, stored: Stored) -> None:
    revoke_record(
        uow, policy, stored.record.id, department="BJ-AMR", reason="复议撤销", actor="amr"
    )


STOPS = {
    "repaired": (_repair, RecordStatus.REPAIRED),
    "stopped by an objection": (_stop, RecordStatus.CORRECTED),
    "revoked": (_revoke, RecordStatus.REVOKED),
}


@pytest.mark.parametrize("how", STOPS)
def test_a_record_out_of_display_early_is_deleted_its_archive_years_after_it_stopped(
    uow: FakeUnitOfWork, policy: Policy, how: str
) -> None:
    stop, status = STOPS[how]
    row = penalty_row(**SERIOUS)
    stored = submitted(uow, policy, row)
    assert (stored.record.display_ends, stored.record.retention_ends) == (
        date(2028, 11, 3),
        date(2033, 11, 3),
    )
    uow.at = on(STOPPED_ON)
    stop(uow, policy, stored)
    with uow:
        record = uow.records.get(stored.record.id)
    assert (record.status, record.retention_ends) == (status, ARCHIVE_ENDS)

    # The department resubmits the document with a changed detail: it recomputes the periods,
    # but the record stays out of display, and in the archive no longer than it was.
    again = submitted(uow, policy, {**row, "violation": "销售超过保质期的食品（更正）"})
    assert again.outcome is Outcome.UPDATED
    with uow:
        record = uow.records.get(stored.record.id)
    assert (record.status, record.retention_ends) == (status, ARCHIVE_ENDS)

    uow.at = on(ARCHIVE_ENDS - timedelta(days=1))
    assert sweep(uow, policy, actor="sweep").deleted == 0
    uow.at = on(ARCHIVE_ENDS)
    assert sweep(uow, policy, actor="sweep").deleted == 1
    assert stored.record.id not in uow.committed.records
    [event] = [e for e in uow.committed.audit if e.tag is EventTag.RECORD_DELETED]
    assert event.entity_id == str(stored.record.id)


@pytest.mark.parametrize("how", STOPS)
def test_a_record_stopped_before_its_stop_set_its_archive_end_is_deleted_on_time_too(
    uow: FakeUnitOfWork, policy: Policy, how: str
) -> None:
    stop, _ = STOPS[how]
    stored = submitted(uow, policy, penalty_row(**SERIOUS))
    uow.at = on(STOPPED_ON)
    stop(uow, policy, stored)
    # As stored before stops set the retention end: counted from the display end never reached.
    uow.committed.records[stored.record.id].retention_ends = date(2033, 11, 3)
    uow.at = on(ARCHIVE_ENDS - timedelta(days=1))
    assert sweep(uow, policy, actor="sweep").deleted == 0
    uow.at = on(ARCHIVE_ENDS)
    assert sweep(uow, policy, actor="sweep").deleted == 1
    assert stored.record.id not in uow.committed.records


def test_a_record_that_ran_its_display_keeps_the_end_counted_from_it(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)  # general: shown until 1 September 2027
    uow.at = on(DISPLAY_ENDS)
    assert sweep(uow, policy, actor="sweep").expired == 1
    uow.at = on(date(2030, 1, 4))  # revoked in the archive: never later than it was
    _revoke(uow, policy, stored)
    with uow:
        assert uow.records.get(stored.record.id).retention_ends == RETENTION_ENDS
    uow.at = on(RETENTION_ENDS - timedelta(days=1))
    assert sweep(uow, policy, actor="sweep").deleted == 0
    uow.at = on(RETENTION_ENDS)
    assert sweep(uow, policy, actor="sweep").deleted == 1


def test_a_court_record_stopped_keeps_its_archive_end_when_the_listing_on_it_ends(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    # shown until 15 October 2029 (and its listing two years), kept until 2034 had it been
    stored, entry = court_listing(uow, policy)
    assert stored.record.retention_ends == date(2034, 10, 15)
    uow.at = on(STOPPED_ON)
    objection = objected(uow, policy, stored)
    forward_objection(uow, policy, objection.id or 0, department=None, actor="centre")
    decide_objection(
        uow, policy, objection.id or 0, outcome="stop_display", reasons="经核查停止公示",
        department="BJ-HCOURT", actor="court",
    )  # fmt: skip
    with uow:  # the listing ended with the display, and gave the record back its own periods
        assert uow.entries.get(entry.id or 0, policy.list_types).state is EntryState.EXITED
        record = uow.records.get(stored.record.id)
    assert (record.status, record.retention_ends) == (RecordStatus.CORRECTED, ARCHIVE_ENDS)
