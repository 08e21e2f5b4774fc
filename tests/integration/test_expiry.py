"""Expiry through the services on real storage: one rule at query time, then the sweep.

A record past its display period is shown, shared, used and published nowhere (the report keeps
it in the person's archive) from the day its display ends, whether or not the sweep has run; the
sweep then moves its state, tells every party that received it, and deletes it past retention.
"""

from __future__ import annotations

import threading
import time as pytime
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine, text, update

from tests.conftest import Clock
from tests.factories import PUBLIC_URL, agency_key, citizen_id, debtor_row, penalty_row
from xinyong.db.records import CreditRecordRow
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.audit import EventTag
from xinyong.domain.errors import Invalid
from xinyong.domain.feed import FeedItem
from xinyong.domain.keys import ApiKey
from xinyong.domain.lists import EntryState, ListEntry
from xinyong.domain.policy import Policy, load_policy
from xinyong.domain.records import CreditRecord, Outcome, RecordStatus
from xinyong.services import (
    authorisations,
    decided_lists,
    expiry,
    feed,
    list_proposals,
    objections,
    publication,
    records,
    repairs,
)
from xinyong.services.authorisations import NotAuthorised
from xinyong.services.checks import Checker, run_check
from xinyong.services.expiry import SweepSummary
from xinyong.services.records import Stored, submit_record
from xinyong.services.report_data import ReportData, ReportRecord
from xinyong.services.reports import build_report

UowFactory = Callable[[], SqlUnitOfWork]

SUBMITTED = date(2026, 11, 20)
DECIDED = date(2026, 9, 1)  # a fine of 5,000 yuan by ordinary procedure: general
DISPLAY_ENDS = date(2027, 9, 1)  # 12 months after the decision
RETENTION_ENDS = date(2032, 9, 1)  # 5 years after display ends


def on(day: date) -> datetime:
    """10:00 in Beijing on `day`, as the UTC instant the clock holds."""
    return datetime.combine(day, time(2, 0), tzinfo=UTC)


def party(make_uow: UowFactory, code: str) -> ApiKey:
    """A credit reporting agency's key, issued to one of its staff members (only its department,
    scope and staff member matter here)."""
    return agency_key(make_uow(), code, at=on(SUBMITTED))


def _submit(
    make_uow: UowFactory, policy: Policy, row: dict[str, object], department: str
) -> Stored:
    return submit_record(make_uow(), policy, row, department=department, actor="clerk-3")


def _report(make_uow: UowFactory, policy: Policy, subject_id: int) -> ReportData:
    return build_report(
        make_uow(), policy, subject_id, actor="account:1", secret_key="test", public_url=PUBLIC_URL
    )


def _shown(data: ReportData) -> list[int]:
    """The report's current records: those not in the person's archive."""
    return [r.id for r in data.records if not r.archived]


def _in(data: ReportData, record_id: int) -> ReportRecord:
    (found,) = [r for r in data.records if r.id == record_id]
    return found


def _published(make_uow: UowFactory, day: date) -> list[int]:
    found = publication.published(make_uow(), load_policy(), day, item=None, limit=200, offset=0)
    return [record.id for record in found]


def _feed(make_uow: UowFactory, recipient: str) -> list[FeedItem]:
    """The recipient's feed (an agency's through the key of one of its staff members)."""
    staff = party(make_uow, recipient).agency_staff_id if recipient.startswith("AGENCY") else None
    return feed.read_feed(make_uow(), recipient=recipient, after=0, limit=100, staff=staff)


def _query(make_uow: UowFactory, policy: Policy, agency: str, number: str) -> list[int]:
    answer = authorisations.agency_query(
        make_uow(),
        policy,
        caller=party(make_uow, agency),
        number=number,
        purpose="loan_approval",
        scope="records",
    )
    return [r.id for r in answer.records]


def _propose(make_uow: UowFactory, policy: Policy, stored: Stored) -> int:
    """Open a listing on the record: the listing procedure's check of the records it rests on
    (whether it is in display, then whether it is heavy enough)."""
    view = list_proposals.propose(
        make_uow(),
        policy,
        list_code="FOOD-DRUG-SERIOUS",
        subject_number=stored.subject_number,
        grounds="多次销售超过保质期的食品",
        basis_records=[stored.record.id],
        department="BJ-AMR",
        actor="amr-officer",
    )
    assert view.entry.id is not None
    return view.entry.id


def _audits(make_uow: UowFactory, tag: EventTag) -> int:
    uow = make_uow()
    with uow:
        return uow.audit.count(tag.value)


def test_a_general_record_is_shown_until_its_display_ends_then_archived_expired_and_deleted(
    seeded: UowFactory, policy: Policy, clock: Clock, checker: Checker
) -> None:
    clock.at = on(SUBMITTED)
    number = citizen_id(born=date(1978, 2, 14))
    stored = _submit(seeded, policy, penalty_row(subject_id=number), "BJ-AMR")
    record = stored.record
    subject_id = record.subject_id
    assert (record.severity, record.published) == ("general", True)
    assert (record.decision_date, record.display_ends) == (DECIDED, DISPLAY_ENDS)
    assert record.retention_ends == RETENTION_ENDS
    # Who receives something about the person: a department's check, staff, agencies.
    run_check(seeded(), checker, number, "flight", department="BJ-CAAC-NC", actor="counter-7")
    run_check(seeded(), checker, number, "flight", department=None, actor="staff-1")

    clock.at = on(date(2027, 8, 31))  # the day before display ends
    authorisations.grant_authorisation(
        seeded(),
        policy,
        subject_id=subject_id,
        grantee="AGENCY-BAIHANG",
        purpose="loan_approval",
        scope="records",
        expires_on=date(2027, 12, 31),
        actor="account:1",
    )
    assert _shown(_report(seeded, policy, subject_id)) == [record.id]
    assert record.id in _published(seeded, date(2027, 8, 31))
    assert _query(seeded, policy, "AGENCY-BAIHANG", number) == [record.id]
    with pytest.raises(NotAuthorised):  # refused: logged, but it received nothing
        _query(seeded, policy, "AGENCY-PUDAO", number)
    # Still in display: a proposal passes the display check and is refused for the record's
    # weight alone (a general fine grounds no serious food-safety listing).
    with pytest.raises(Invalid, match="is of general severity"):
        _propose(seeded, policy, stored)

    clock.at = on(DISPLAY_ENDS)  # the sweep has not run: the one rule applies at query time
    data = _report(seeded, policy, subject_id)
    assert _shown(data) == []
    assert (_in(data, record.id).archived, _in(data, record.id).status) == (True, "active")
    assert record.id not in _published(seeded, DISPLAY_ENDS)
    assert _query(seeded, policy, "AGENCY-BAIHANG", number) == []
    with pytest.raises(Invalid, match="display period ended"):
        _propose(seeded, policy, stored)
    assert _feed(seeded, "BJ-CAAC-NC") == []

    assert expiry.sweep(seeded(), policy, actor="sweep") == SweepSummary(expired=1)
    uow = seeded()
    with uow:
        assert uow.records.get(record.id).status is RecordStatus.EXPIRED
    # Only who received the record is told: the agency did; the check returned nothing.
    [item] = _feed(seeded, "AGENCY-BAIHANG")
    assert (item.kind, item.entity_type, item.entity_id) == ("expired", "record", record.id)
    assert item.detail == f"display ended {DISPLAY_ENDS}"
    assert _feed(seeded, "BJ-CAAC-NC") == []
    assert _feed(seeded, "AGENCY-PUDAO") == []  # refused, so never a recipient
    assert _feed(seeded, "BJ-AMR") == []  # it submitted the record; it never queried the person
    data = _report(seeded, policy, subject_id)
    assert (_in(data, record.id).archived, _in(data, record.id).status) == (True, "expired")
    assert _audits(seeded, EventTag.RECORD_EXPIRED) == 1

    # Safe to run again: nothing changes, nobody is told twice.
    assert expiry.sweep(seeded(), policy, actor="sweep") == SweepSummary()
    assert [len(_feed(seeded, r)) for r in ("BJ-CAAC-NC", "AGENCY-BAIHANG")] == [0, 1]
    assert _audits(seeded, EventTag.RECORD_EXPIRED) == 1

    clock.at = on(date(2032, 8, 31))  # the last day of retention
    # The query log keeps five years: the two checks of 20 November 2026 go. Three years after
    # the fine's display ended (1 September 2030) the person holds the derived clean status.
    assert expiry.sweep(seeded(), policy, actor="sweep") == SweepSummary(
        queries_deleted=2, clean_granted=1
    )
    assert _in(_report(seeded, policy, subject_id), record.id).archived

    clock.at = on(RETENTION_ENDS)
    # ... and the report read and the two agency queries of 31 August 2027.
    assert expiry.sweep(seeded(), policy, actor="sweep") == SweepSummary(
        deleted=1, queries_deleted=3
    )
    assert _report(seeded, policy, subject_id).records == ()
    uow = seeded()
    with uow:
        assert uow.records.of_subject(subject_id) == []
    assert _audits(seeded, EventTag.RECORD_DELETED) == 1
    # The fine is gone, and the clean status stays: its deletion speaks against nobody.
    assert expiry.sweep(seeded(), policy, actor="sweep") == SweepSummary()


def _entry(make_uow: UowFactory, policy: Policy, entry_id: int) -> ListEntry:
    uow = make_uow()
    with uow:
        return uow.entries.get(entry_id, policy.list_types)


def test_a_listing_whose_period_ends_stops_applying_that_day_and_the_sweep_ends_it(
    seeded: UowFactory, policy: Policy, clock: Clock, checker: Checker
) -> None:
    clock.at = on(SUBMITTED)
    number = citizen_id(born=date(1971, 10, 1))
    stored = _submit(seeded, policy, debtor_row(subject_id=number), "BJ-HCOURT")
    assert decided_lists.record_court_listings(seeded(), policy, actor="court-feed") == 1
    uow = seeded()
    with uow:
        (entry,) = uow.entries.of_subject(stored.record.subject_id, policy.list_types)
    assert entry.id is not None
    ends_on = date(2028, 10, 15)  # two years from the court's decision of 15 October 2026
    assert entry.ends_on == ends_on

    def check() -> list[tuple[str, int]]:
        _, answer = run_check(
            seeded(), checker, number, "flight", department="BJ-CAAC-NC", actor="counter-7"
        )
        return [(h.measure.code, h.posting.entry_id) for h in answer.hits]

    assert check() == [("M-COURT-FLIGHT", entry.id)]
    clock.at = on(date(2028, 10, 14))
    assert check() == [("M-COURT-FLIGHT", entry.id)]
    assert expiry.sweep(seeded(), policy, actor="sweep") == SweepSummary()

    clock.at = on(ends_on)  # before any sweep: the check already returns nothing for it
    assert check() == []
    assert _entry(seeded, policy, entry.id).state is EntryState.DECIDED

    assert expiry.sweep(seeded(), policy, actor="sweep") == SweepSummary(listings_ended=1)
    ended = _entry(seeded, policy, entry.id)
    assert (ended.state, ended.exit_ground, ended.exited_on) == (
        EntryState.EXITED,
        "expiry",
        ends_on,
    )
    assert check() == []
    [item] = _feed(seeded, "BJ-CAAC-NC")
    assert (item.kind, item.entity_type, item.entity_id) == ("expired", "list_entry", entry.id)
    assert expiry.sweep(seeded(), policy, actor="sweep") == SweepSummary()
    assert len(_feed(seeded, "BJ-CAAC-NC")) == 1
    # The debtor record itself is serious (three years of display): still shown.
    assert (
        _in(_report(seeded, policy, stored.record.subject_id), stored.record.id).archived is False
    )


def test_the_sweep_expires_a_chunk_at_a_time_and_tells_each_party_of_its_own_records(
    seeded: UowFactory, policy: Policy, clock: Clock, engine: Engine
) -> None:
    """Several persons' records in chunks of two: each record moves once, each party is told of
    the records it received (and of no other), one chained audit event each."""
    from xinyong.db.chain import SqlChainStore
    from xinyong.domain import vault
    from xinyong.services.audit import verify_logs

    clock.at = on(SUBMITTED)
    numbers = [citizen_id(born=date(1980 + i, 3, 1)) for i in range(2)]
    stored = [
        _submit(seeded, policy, penalty_row(subject_id=n), "BJ-AMR")
        for n in (numbers[0], numbers[0], numbers[1])
    ]
    ids = [s.record.id for s in stored]
    clock.at = on(date(2027, 8, 31))
    for n, agency in zip(numbers, ("AGENCY-BAIHANG", "AGENCY-PUDAO"), strict=True):
        (subject_id,) = {s.record.subject_id for s in stored if s.subject_number == n}
        authorisations.grant_authorisation(
            seeded(),
            policy,
            subject_id=subject_id,
            grantee=agency,
            purpose="loan_approval",
            scope="records",
            expires_on=date(2027, 12, 31),
            actor="account:1",
        )
        assert sorted(_query(seeded, policy, agency, n)) == [
            s.record.id for s in stored if s.subject_number == n
        ]

    clock.at = on(DISPLAY_ENDS)
    assert expiry.sweep(seeded(), policy, actor="sweep", chunk=2) == SweepSummary(expired=3)
    uow = seeded()
    with uow:
        assert [uow.records.get(i).status for i in ids] == [RecordStatus.EXPIRED] * 3
    assert [(i.kind, i.entity_id) for i in _feed(seeded, "AGENCY-BAIHANG")] == [
        ("expired", ids[0]),
        ("expired", ids[1]),
    ]
    assert [(i.kind, i.entity_id) for i in _feed(seeded, "AGENCY-PUDAO")] == [("expired", ids[2])]
    assert _audits(seeded, EventTag.RECORD_EXPIRED) == 3
    assert [s.findings for s in verify_logs(SqlChainStore(engine), vault.current())] == [[], []]
    assert expiry.sweep(seeded(), policy, actor="sweep", chunk=2) == SweepSummary()
    assert _audits(seeded, EventTag.RECORD_EXPIRED) == 3


def test_a_display_held_while_the_sweep_waits_for_the_record_keeps_it_shown(
    seeded: UowFactory, policy: Policy, clock: Clock, engine: Engine
) -> None:
    """A listing holds a record's display in a transaction the sweep has to wait for (it has the
    row): once that commits, the sweep reads the record again and leaves it shown, unexpired and
    unaudited. The concurrent change wins. (PostgreSQL: SQLite has a single writer.)"""
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks and concurrent writers: PostgreSQL")
    from sqlalchemy import func, select

    clock.at = on(SUBMITTED)
    held, other = (
        _submit(
            seeded, policy, penalty_row(subject_id=citizen_id(born=date(1980 + i, 3, 1))), "BJ-AMR"
        )
        for i in range(2)
    )
    clock.at = on(DISPLAY_ENDS)
    found: list[SweepSummary] = []
    with engine.connect() as listing:
        listing.execute(
            update(CreditRecordRow)
            .where(CreditRecordRow.id == held.record.id)
            .values(display_ends=date(2030, 1, 1))
        )
        worker = threading.Thread(
            target=lambda: found.append(expiry.sweep(seeded(), policy, actor="sweep"))
        )
        worker.start()
        waiting = (
            select(func.count())
            .where(text("wait_event_type = 'Lock' AND datname = current_database()"))
            .select_from(text("pg_stat_activity"))
        )
        with engine.connect() as watch:
            for _ in range(200):  # until the sweep waits for the row (at most 10 s)
                if watch.scalar(waiting):
                    break
                watch.rollback()
                pytime.sleep(0.05)
        listing.commit()
        worker.join(timeout=60)
    assert [s.expired for s in found] == [1]
    uow = seeded()
    with uow:
        assert uow.records.get(held.record.id).status is RecordStatus.ACTIVE
        assert uow.records.get(other.record.id).status is RecordStatus.EXPIRED
    assert _audits(seeded, EventTag.RECORD_EXPIRED) == 1


# A record whose display stops early is archived from that day, its archive years at most.

COMMITMENT = "本人承诺已缴清罚款并停止违法行为，今后诚信守法经营，如有违反愿承担相应责任。"
#: A serious fine decided on 3 November 2025: shown until 3 November 2028 (kept until
#: 3 November 2033 had it been shown to its end), repairable from 3 November 2026.
SERIOUS = {"fine_amount": "80000", "decision_date": "2025-11-03"}
STOPPED_ON = date(2026, 12, 1)
ARCHIVE_ENDS = date(2031, 12, 1)  # five years after the stop


def _repair(make_uow: UowFactory, policy: Policy, stored: Stored) -> None:
    repair = repairs.apply_for_repair(
        make_uow(), policy, subject_id=stored.record.subject_id, record_id=stored.record.id,
        obligations_performed=True, commitment=COMMITMENT, actor="account:1",
    )  # fmt: skip
    repairs.decide_repair(
        make_uow(), policy, repair.id or 0, repaired=True, reasons="准予修复",
        department="BJ-AMR", actor="amr",
    )  # fmt: skip


def _stop(make_uow: UowFactory, policy: Policy, stored: Stored) -> None:
    objection = objections.file_objection(
        make_uow(), policy, subject_id=stored.record.subject_id, record_id=stored.record.id,
        entry_id=None, ground="error_or_omission", reasons="记载有误", evidence=(),
        actor="account:1",
    )  # fmt: skip
    objections.forward_objection(
        make_uow(), policy, objection.id or 0, department=None, actor="centre"
    )
    objections.decide_objection(
        make_uow(), policy, objection.id or 0, outcome="stop_display", reasons="经核查停止公示",
        department="BJ-AMR", actor="amr",
    )  # fmt: skip


def _revoke(make_uow: UowFactory, policy: Policy, stored: Stored) -> None:
    records.revoke_record(
        make_uow(), policy, stored.record.id, department="BJ-AMR", reason="复议撤销", actor="amr"
    )


STOPS = {
    "repaired": (_repair, RecordStatus.REPAIRED),
    "stopped by an objection": (_stop, RecordStatus.CORRECTED),
    "revoked": (_revoke, RecordStatus.REVOKED),
}


def _record(make_uow: UowFactory, record_id: int) -> CreditRecord:
    uow = make_uow()
    with uow:
        return uow.records.get(record_id)


@pytest.mark.parametrize("how", STOPS)
def test_a_record_out_of_display_early_is_deleted_its_archive_years_after_the_stop(
    seeded: UowFactory, policy: Policy, clock: Clock, engine: Engine, how: str
) -> None:
    stop, status = STOPS[how]
    clock.at = on(SUBMITTED)
    row = penalty_row(**SERIOUS)
    stored, kept = (_submit(seeded, policy, r, "BJ-AMR") for r in (row, penalty_row(**SERIOUS)))
    assert stored.record.retention_ends == date(2033, 11, 3)
    clock.at = on(STOPPED_ON)
    stop(seeded, policy, stored)
    stop(seeded, policy, kept)
    record = _record(seeded, stored.record.id)
    assert (record.status, record.retention_ends) == (status, ARCHIVE_ENDS)
    # The department sends the document again with a changed detail: the periods are counted
    # again, and the record stays out of display and in the archive no longer than it was.
    again = _submit(seeded, policy, {**row, "violation": "销售超过保质期的食品（更正）"}, "BJ-AMR")
    assert again.outcome is Outcome.UPDATED
    record = _record(seeded, stored.record.id)
    assert (record.status, record.retention_ends) == (status, ARCHIVE_ENDS)
    # As a record stopped before stops set its retention end: counted from the display end.
    with engine.begin() as conn:
        conn.execute(
            update(CreditRecordRow)
            .where(CreditRecordRow.id == kept.record.id)
            .values(retention_ends=date(2033, 11, 3))
        )

    clock.at = on(ARCHIVE_ENDS - timedelta(days=1))
    assert expiry.sweep(seeded(), policy, actor="sweep").deleted == 0
    clock.at = on(ARCHIVE_ENDS)
    assert expiry.sweep(seeded(), policy, actor="sweep").deleted == 2
    uow = seeded()
    with uow:
        assert uow.records.count() == 0
    assert _audits(seeded, EventTag.RECORD_DELETED) == 2
