"""Listings on a list with a public notice published while their period still ran from their
decision, on both databases: `mend_notice_periods` counts the period of each one still standing
again from the day it binds, exactly as publication counts it now, audits it and moves the change
log (the checks follow); one whose shorter period ran out and the sweep ended stays ended and is
reported; a second run changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, update

from tests.conftest import Clock
from tests.factories import citizen_id, rail_row
from xinyong.db.audit import AuditEventRow
from xinyong.db.checks import ChangeRow
from xinyong.db.lists import ListEntryRow
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain import calendar
from xinyong.domain.audit import EventTag
from xinyong.domain.calendar import Deadline
from xinyong.domain.lists import EntryState, ListEntry
from xinyong.domain.policy import Policy
from xinyong.services import deadlines, expiry, list_proposals, lists
from xinyong.services.checks import Checker, run_check
from xinyong.services.notice_periods import Finding, find_notice_periods, mend_notice_periods
from xinyong.services.records import revoke_record, submit_record

UowFactory = Callable[[], SqlUnitOfWork]

CAAC_USCC = "111100000000121166"  # BJ-CAAC-NC, which decides air passengers' penalties


def on(day: date) -> datetime:
    """10:00 in Beijing on `day`, as the UTC instant the clock holds."""
    return datetime.combine(day, time(2, 0), tzinfo=UTC)


def _air_row(number: str) -> dict[str, object]:
    return {
        "item": "SU-AIR-01",
        "document_number": f"民航华北（2027）罚字第{number[-6:]}号",
        "subject_id": number,
        "subject_name": "钱晓航",
        "decision_date": "2027-02-20",
        "authority_name": "中国民用航空华北地区管理局",
        "authority_uscc": CAAC_USCC,
        "conduct": "violence_against_crew",
        "occurred_on": "2027-02-18",
        "facts": "CA1501航班上殴打乘务员",
    }


class Listing:
    """One listing taken through the procedure by its department, a step at a time."""

    def __init__(
        self, seeded: UowFactory, policy: Policy, row: dict[str, object], list_code: str, dept: str
    ) -> None:
        self.seeded, self.policy, self.number = seeded, policy, str(row["subject_id"])
        self.who = {"department": dept, "actor": f"{dept}-officer"}
        stored = submit_record(seeded(), policy, row, department=dept, actor="clerk")
        self.record_id = stored.record.id
        view = list_proposals.propose(
            seeded(),
            policy,
            list_code=list_code,
            subject_number=stored.subject_number,
            grounds="查证属实",
            basis_records=[stored.record.id],
            **self.who,
        )
        assert view.entry.id is not None
        self.id = view.entry.id
        noticed = lists.serve_notice(seeded(), policy, self.id, **self.who).entry
        assert noticed.defence_deadline is not None
        self.decide_after = noticed.defence_deadline.day

    def decide(self) -> None:
        lists.decide(
            self.seeded(), self.policy, self.id, reasons="查证属实", months=None, **self.who
        )

    def publish(self) -> None:
        lists.publish(self.seeded(), self.policy, self.id, **self.who)

    def entry(self) -> ListEntry:
        with self.seeded() as uow:
            return uow.entries.get(self.id, self.policy.list_types)

    def as_the_old_code_published_it(self) -> date:
        """Give the stored row the end the code before periods ran from the binding day left a
        published listing: the one its decision gave it. Return that end."""
        entry = self.entry()
        assert entry.decided_on is not None
        old = entry.list_type.ends_on(entry.decided_on, ground=entry.ground)
        assert old is not None
        uow = self.seeded()
        with uow:
            uow.session.execute(
                update(ListEntryRow).where(ListEntryRow.id == self.id).values(ends_on=old)
            )
            uow.commit()
        return old


def published_now(entry: ListEntry) -> date | None:
    """The end `ListEntry` itself gives a listing noticed, decided and published on these days."""
    assert entry.noticed_on
    assert entry.decided_on
    assert entry.published_on
    fresh = ListEntry(
        id=None,
        list_type=entry.list_type,
        subject_id=entry.subject_id,
        state=EntryState.PROPOSED,
        proposed_by="t",
        grounds="t",
        ground=entry.ground,
    )
    fresh.serve_notice(on=entry.noticed_on)
    fresh.decide(reasons="t", on=entry.decided_on)
    fresh.publish(on=entry.published_on)
    return fresh.ends_on


def _changes(seeded: UowFactory, entry_id: int) -> int:
    with seeded() as uow:
        query = select(func.count()).select_from(ChangeRow).where(ChangeRow.entity_id == entry_id)
        return int(uow.session.scalar(query) or 0)


def _recounts(seeded: UowFactory) -> dict[str, dict[str, object]]:
    with seeded() as uow:
        rows = uow.session.execute(
            select(AuditEventRow.entity_id, AuditEventRow.data, AuditEventRow.actor).where(
                AuditEventRow.tag == EventTag.LISTING_PERIOD_RECOUNTED.value
            )
        )
        return {entity: {**data, "actor": actor} for entity, data, actor in rows}


@pytest.fixture
def calendar_with_2027(monkeypatch: pytest.MonkeyPatch) -> None:
    """Take 2027, which the installed chinese-calendar does not cover yet, as published with
    Monday to Friday as its working days: a listing whose notice ends on a day counted on the
    fallback calendar binds on no day, and the mend below is about listings that bind."""
    covered, official = calendar.official_years(), calendar._official_workday
    monkeypatch.setattr(calendar, "official_years", lambda: covered | {2027})
    monkeypatch.setattr(
        calendar,
        "_official_workday",
        lambda day: day.weekday() < 5 if day.year == 2027 else official(day),
    )


@pytest.mark.usefixtures("calendar_with_2027")
def test_periods_counted_from_the_decision_are_counted_from_the_binding_day_once(
    seeded: UowFactory, policy: Policy, clock: Clock, checker: Checker
) -> None:
    # Published in November 2026 while periods ran from the decision; its 180 days from the
    # decision ran out on 10 April 2027, and the sweep ended it.
    clock.at = on(date(2026, 9, 28))
    rail = {"list_code": "RAIL-SERIOUS", "dept": "BJ-RAIL"}
    ran_out = Listing(seeded, policy, rail_row(), **rail)
    # Published at the same time under the current code: its end is right.
    right = Listing(seeded, policy, rail_row(), **rail)
    clock.at = on(date(2026, 10, 12))
    ran_out.decide()
    right.decide()
    clock.at = on(date(2026, 11, 2))
    ran_out.publish()
    right.publish()
    ran_out_end = ran_out.as_the_old_code_published_it()
    # Decided in March 2027, published on the first working day of April.
    clock.at = on(date(2027, 3, 1))
    number = citizen_id(born=date(1980, 3, 3))
    smoking = rail_row(subject_id=number, decision_date="2027-02-20", occurred_on="2027-02-18")
    train = Listing(seeded, policy, smoking, **rail)
    plane = Listing(seeded, policy, _air_row(citizen_id()), "AIR-SERIOUS", "BJ-CAAC-NC")
    clock.at = on(max(train.decide_after, plane.decide_after) + timedelta(days=1))
    train.decide()
    plane.decide()
    clock.at = on(date(2027, 4, 1))
    train.publish()
    plane.publish()
    train_end = train.as_the_old_code_published_it()
    plane_end = plane.as_the_old_code_published_it()
    right_end = right.entry().ends_on
    clock.at = on(date(2027, 4, 15))
    expiry.sweep(seeded(), policy, actor="sweep")
    swept = ran_out.entry()
    assert (swept.state, swept.exited_on, swept.ends_on) == (
        EntryState.EXITED,
        ran_out_end,
        ran_out_end,
    )

    def tickets(day: date) -> list[str]:
        clock.at = on(day)
        _, answer = run_check(
            seeded(), checker, number, "train_ticket", department="BJ-RAIL", actor="t"
        )
        return [h.measure.code for h in answer.hits]

    counted = published_now(train.entry())
    assert counted is not None
    late = train_end + (counted - train_end) // 2
    assert tickets(late) == []  # the old end has passed: the checks let the person travel

    clock.at = on(date(2027, 4, 20))
    changes_before = {e.id: _changes(seeded, e.id) for e in (train, plane, ran_out, right)}
    listed = find_notice_periods(seeded(), policy)
    assert {(f.entry_id, f.finding) for f in listed} == {
        (train.id, Finding.MENDED),
        (plane.id, Finding.MENDED),
        (ran_out.id, Finding.RAN_OUT),
    }
    assert (train.entry().ends_on, _recounts(seeded)) == (train_end, {})  # a dry run

    found = mend_notice_periods(seeded(), policy, actor="cli")

    assert {(f.entry_id, f.finding) for f in found} == {(f.entry_id, f.finding) for f in listed}
    for listing, was in ((train, train_end), (plane, plane_end)):
        entry = listing.entry()
        assert entry.ends_on == published_now(entry)
        assert entry.ends_on is not None
        assert entry.ends_on > was
        assert entry.state is EntryState.PUBLISHED
        assert _changes(seeded, listing.id) == changes_before[listing.id] + 1
        assert _recounts(seeded)[str(listing.id)] == {
            "list": entry.list_type.code,
            "state": "published",
            "was": str(was),
            "ends_on": str(entry.ends_on),
            "binds_from": str(entry.binds_from),
            "actor": "cli",
        }
    # Its period ran out early and the person was told; it is not put back in force.
    assert ran_out.entry() == swept
    assert (ran_out.entry().ends_on, _changes(seeded, ran_out.id)) == (
        ran_out_end,
        changes_before[ran_out.id],
    )
    [reported] = [f for f in found if f.finding is Finding.RAN_OUT]
    assert (reported.ends_on, reported.counted) == (ran_out_end, published_now(swept))
    assert right.entry().ends_on == right_end
    assert _changes(seeded, right.id) == changes_before[right.id]
    assert tickets(late) == ["M-RAIL-TICKET-BAR"]  # the index saw the new end

    clock.at = on(date(2027, 4, 21))
    again = mend_notice_periods(seeded(), policy, actor="cli")
    assert [(f.entry_id, f.finding) for f in again] == [(ran_out.id, Finding.RAN_OUT)]
    assert len(_recounts(seeded)) == 2
    assert train.entry().ends_on == published_now(train.entry())
    assert _changes(seeded, train.id) == changes_before[train.id] + 1


def test_a_notice_counted_monday_to_friday_binds_only_once_counted_officially(
    seeded: UowFactory,
    policy: Policy,
    clock: Clock,
    checker: Checker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """2026 not yet in the official calendar: a railway listing published on Wednesday 30
    September 2026 has its seven working days of notice counted Monday to Friday to 9 October;
    officially (National Day to 7 October, Saturday 10 October worked) they run to 15 October.
    No check bars a ticket inside the real notice: the listing binds on no day until the recount
    counts its notice officially, then from 16 October for 180 days, and the person is told."""
    clock.at = on(date(2026, 9, 1))
    number = citizen_id(born=date(1979, 5, 6))
    row = rail_row(subject_id=number, decision_date="2026-08-20", occurred_on="2026-08-18")
    listing = Listing(seeded, policy, row, "RAIL-SERIOUS", "BJ-RAIL")
    clock.at = on(listing.decide_after + timedelta(days=1))
    listing.decide()
    covered = calendar.official_years()
    monkeypatch.setattr(calendar, "official_years", lambda: frozenset(covered - {2026}))
    clock.at = on(date(2026, 9, 30))
    listing.publish()
    entry = listing.entry()
    assert entry.notice_ends == Deadline(date(2026, 10, 9), False, date(2026, 9, 30), 7)
    assert entry.binds_from is None

    def tickets(day: date) -> list[str]:
        clock.at = on(day)
        _, answer = run_check(
            seeded(), checker, number, "train_ticket", department="BJ-RAIL", actor="t"
        )
        return [h.measure.code for h in answer.hits]

    assert tickets(date(2026, 10, 10)) == []  # the day after the Monday-to-Friday end
    assert tickets(date(2026, 10, 16)) == []
    assert deadlines.recount_deadlines(seeded(), policy, actor="sweep").waiting >= 1
    assert tickets(date(2026, 10, 20)) == []

    monkeypatch.setattr(calendar, "official_years", lambda: covered)  # the calendar arrives
    changes = _changes(seeded, listing.id)
    summary = deadlines.recount_deadlines(seeded(), policy, actor="sweep")
    assert (summary.recounted, summary.moved) == (1, 1)
    entry = listing.entry()
    assert entry.notice_ends == Deadline(date(2026, 10, 15), True)
    assert entry.binds_from == date(2026, 10, 16)
    ends = date(2026, 10, 16) + timedelta(days=180)
    assert entry.ends_on == ends
    assert _changes(seeded, listing.id) > changes  # every index sees it bind
    assert _recounts(seeded)[str(listing.id)]["was"] == str(ends - timedelta(days=6))
    assert tickets(date(2026, 10, 15)) == []  # the real notice's last day
    assert tickets(date(2026, 10, 16)) == ["M-RAIL-TICKET-BAR"]
    assert tickets(ends - timedelta(days=1)) == ["M-RAIL-TICKET-BAR"]
    assert tickets(ends) == []
    [told] = deadlines.notices_of(seeded(), entry.subject_id)
    assert told.data == {
        "change": "recounted",
        "deadline": "public_notice",
        "from": "2026-10-09",
        "to": "2026-10-15",
    }
    assert deadlines.recount_deadlines(seeded(), policy, actor="sweep").recounted == 0


def test_a_notice_counted_again_after_its_listing_ended_moves_no_period(
    seeded: UowFactory, policy: Policy, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The railway listing of the test above, its record revoked during its notice counted
    Monday to Friday: the listing has ended, so the recount stores its notice officially and
    moves neither its period nor anything told of it."""
    clock.at = on(date(2026, 9, 1))
    row = rail_row(subject_id=citizen_id(born=date(1979, 5, 6)), decision_date="2026-08-20")
    listing = Listing(seeded, policy, row, "RAIL-SERIOUS", "BJ-RAIL")
    clock.at = on(listing.decide_after + timedelta(days=1))
    listing.decide()
    covered = calendar.official_years()
    monkeypatch.setattr(calendar, "official_years", lambda: frozenset(covered - {2026}))
    clock.at = on(date(2026, 9, 30))
    listing.publish()
    clock.at = on(date(2026, 10, 8))
    revoke_record(
        seeded(), policy, listing.record_id, department=None, reason="复议撤销", actor="c"
    )
    ended = listing.entry()
    assert ended.state is EntryState.EXITED
    assert ended.notice_ends == Deadline(date(2026, 10, 9), False, date(2026, 9, 30), 7)

    monkeypatch.setattr(calendar, "official_years", lambda: covered)  # the calendar arrives
    changes = _changes(seeded, listing.id)
    deadlines.recount_deadlines(seeded(), policy, actor="sweep")
    entry = listing.entry()
    assert entry.notice_ends == Deadline(date(2026, 10, 15), True)
    assert (entry.state, entry.ends_on, entry.exited_on) == (
        EntryState.EXITED,
        ended.ends_on,
        ended.exited_on,
    )
    assert str(listing.id) not in _recounts(seeded)
    assert _changes(seeded, listing.id) == changes
    told = deadlines.notices_of(seeded(), entry.subject_id)
    assert [n for n in told if (n.data or {}).get("deadline") == "public_notice"] == []
