"""The listing procedure through the services, on real storage.

The dates rest on the State Council's 2026 holiday arrangement as chinese-calendar carries it:
National Day 1-7 October, with Saturday 10 October worked. A notice served on Monday 28 September
gives five working days to Saturday 10 October: 29 and 30 September, then 8, 9 and 10 October.
"""

from __future__ import annotations

import threading
import time as pytime
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine, func, select, text

from tests.conftest import Clock
from tests.factories import (
    CHAOYANG_COURT,
    citizen_id,
    debtor_row,
    penalty_row,
    rail_row,
    serious_penalty_row,
    tax_violation_row,
    volunteer_row,
)
from xinyong.db.audit import AuditEventRow
from xinyong.db.checks import ChangeRow
from xinyong.db.lists import ListEntryRow
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.audit import EventTag
from xinyong.domain.batches import BatchSource
from xinyong.domain.calendar import Deadline
from xinyong.domain.deadlines import DeadlineKind
from xinyong.domain.errors import Conflict, Invalid, NotAllowed, NotFound, OutsideMandate
from xinyong.domain.index import subject_key
from xinyong.domain.list_proposals import AlreadyOnList
from xinyong.domain.lists import EntryState, IllegalTransition, ListEntry, MinorNeverListed
from xinyong.domain.policy import Policy
from xinyong.domain.querylog import QueryEntry
from xinyong.services import deadlines, decided_lists, expiry, list_proposals, lists
from xinyong.services.batches import ingest_batch
from xinyong.services.checks import Checker, run_check
from xinyong.services.identity_reviews import resolve_identity_review
from xinyong.services.records import Stored, revoke_record, submit_record
from xinyong.services.subjects import list_identity_reviews

UowFactory = Callable[[], SqlUnitOfWork]

FOOD = "FOOD-DRUG-SERIOUS"  # platform-run, five working days of defence

GROUNDS = "因销售有毒有害食品被吊销食品经营许可证"

NOTICE_DAY = date(2026, 9, 28)

DEADLINE = date(2026, 10, 10)  # the make-up working Saturday after National Day

NEXT_WORKING_DAY = date(2026, 10, 12)  # Sunday 11 October is a rest day

AGENCY = "AGENCY-BAIHANG"


def on(day: date) -> datetime:
    """10:00 in Beijing on `day`, as the UTC instant the clock holds."""
    return datetime.combine(day, time(2, 0), tzinfo=UTC)


def _count(make_uow: UowFactory, table: type) -> int:
    uow = make_uow()
    with uow:
        return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def _trail(make_uow: UowFactory, entry_id: int) -> list[tuple[str, str]]:
    """(tag, actor) of every audit event about one entry, oldest first."""
    uow = make_uow()
    with uow:
        rows = uow.session.execute(
            select(AuditEventRow.tag, AuditEventRow.actor)
            .where(
                AuditEventRow.entity_type == "list_entry",
                AuditEventRow.entity_id == str(entry_id),
            )
            .order_by(AuditEventRow.id)
        )
        return [(tag, actor) for tag, actor in rows]


def _entries_of(make_uow: UowFactory, policy: Policy, subject_id: int) -> list[ListEntry]:
    uow = make_uow()
    with uow:
        return uow.entries.of_subject(subject_id, policy.list_types)


def _submit(
    make_uow: UowFactory, policy: Policy, row: dict[str, object], department: str = "BJ-AMR"
) -> Stored:
    return submit_record(make_uow(), policy, row, department=department, actor="clerk-3")


#: A penalty that revoked a food business licence: it grounds the food-licence list.
LICENCE_REVOKED = {"penalty_type": "licence_revocation", "fine_amount": None}


def _record_revocation_listing(
    make_uow: UowFactory, policy: Policy, number: str, *, department: str | None = "BJ-AMR"
) -> int:
    view = decided_lists.record_decided(
        make_uow(),
        policy,
        list_code="FOOD-LICENCE-REVOKED",
        subject_number=number,
        grounds="京市监罚〔2026〕吊销许可",
        decided_on=date(2026, 11, 2),
        months=None,
        department=department,
        actor="amr-officer",
    )
    assert view.entry.id is not None
    return view.entry.id


def _propose(make_uow: UowFactory, policy: Policy, stored: Stored, **kw: object) -> int:
    args: dict[str, object] = {
        "list_code": FOOD,
        "subject_number": stored.subject_number,
        "grounds": GROUNDS,
        "basis_records": [stored.record.id],
        "department": "BJ-AMR",
        "actor": "amr-officer",
    }
    args.update(kw)
    view = list_proposals.propose(make_uow(), policy, **args)  # type: ignore[arg-type]
    assert view.entry.id is not None
    return view.entry.id


def _decide(make_uow: UowFactory, policy: Policy, entry_id: int) -> lists.EntryView:
    return lists.decide(
        make_uow(),
        policy,
        entry_id,
        reasons="查证属实，申辩理由不成立",
        months=None,
        department="BJ-AMR",
        actor="amr-head",
    )


# -- the platform's own procedure -----------------------------------------------------------------


def test_a_platform_listing_runs_notice_defence_decision_publication_and_exit(
    seeded: UowFactory, policy: Policy, clock: Clock
) -> None:
    clock.at = on(NOTICE_DAY)
    stored = _submit(seeded, policy, serious_penalty_row())
    entry_id = _propose(seeded, policy, stored)
    changes = _count(seeded, ChangeRow)

    with pytest.raises(IllegalTransition) as early:
        _decide(seeded, policy, entry_id)
    assert isinstance(early.value, Conflict)

    served = lists.serve_notice(seeded(), policy, entry_id, department="BJ-AMR", actor="amr-clerk")
    assert served.entry.state is EntryState.NOTICED
    assert served.entry.noticed_on == NOTICE_DAY
    assert served.entry.defence_deadline == Deadline(DEADLINE, official=True)

    clock.at = on(date(2026, 10, 9))
    lists.state_defence(
        seeded(),
        policy,
        entry_id,
        "已停止销售并召回全部产品",
        department="BJ-AMR",
        actor="amr-clerk",
    )

    clock.at = on(DEADLINE)
    with pytest.raises(IllegalTransition):
        _decide(seeded, policy, entry_id)
    assert _count(seeded, ChangeRow) == changes  # neither refusal left a trace

    clock.at = on(NEXT_WORKING_DAY)
    decided = _decide(seeded, policy, entry_id)
    assert decided.entry.state is EntryState.DECIDED
    assert (decided.entry.decided_on, decided.entry.ends_on) == (
        NEXT_WORKING_DAY,
        date(2029, 10, 12),
    )
    assert _count(seeded, ChangeRow) == changes + 1

    published = lists.publish(seeded(), policy, entry_id, department="BJ-AMR", actor="amr-web")
    assert published.entry.published_on == NEXT_WORKING_DAY
    assert _count(seeded, ChangeRow) == changes + 1  # publication changes no check

    clock.at = on(date(2026, 12, 1))
    ended = lists.end_listing(
        seeded(),
        policy,
        entry_id,
        ground="revocation",
        note="原处罚决定经复议撤销",
        department="BJ-AMR",
        actor="amr-head",
    )
    assert (ended.entry.state, ended.entry.exit_ground) == (EntryState.EXITED, "revocation")
    assert ended.entry.exited_on == date(2026, 12, 1)
    assert _count(seeded, ChangeRow) == changes + 2

    assert _trail(seeded, entry_id) == [
        (EventTag.LISTING_PROPOSED.value, "amr-officer"),
        (EventTag.LISTING_NOTICE_SERVED.value, "amr-clerk"),
        (EventTag.LISTING_DEFENCE_STATED.value, "amr-clerk"),
        (EventTag.LISTING_DECIDED.value, "amr-head"),
        (EventTag.LISTING_PUBLISHED.value, "amr-web"),
        (EventTag.LISTING_EXITED.value, "amr-head"),
    ]
    stored_entry = lists.get_entry(seeded(), policy, entry_id, department=None, actor="test").entry
    assert stored_entry == ended.entry
    assert stored_entry.defence == "已停止销售并召回全部产品"


def test_a_defence_after_the_window_is_refused_and_a_withdrawal_ends_the_procedure(
    seeded: UowFactory, policy: Policy, clock: Clock
) -> None:
    clock.at = on(NOTICE_DAY)
    entry_id = _propose(seeded, policy, _submit(seeded, policy, serious_penalty_row()))
    lists.serve_notice(seeded(), policy, entry_id, department=None, actor="centre-1")
    clock.at = on(NEXT_WORKING_DAY)
    with pytest.raises(IllegalTransition):
        lists.state_defence(
            seeded(), policy, entry_id, "迟到的申辩", department="BJ-AMR", actor="amr-clerk"
        )
    withdrawn = lists.withdraw(seeded(), policy, entry_id, department="BJ-AMR", actor="amr-head")
    assert withdrawn.entry.state is EntryState.WITHDRAWN
    with pytest.raises(IllegalTransition):
        _decide(seeded, policy, entry_id)
    assert _count(seeded, ChangeRow) == 0  # nothing that was never in force reaches the checks


# -- what the procedure refuses -------------------------------------------------------------------


def test_a_minor_is_never_proposed_nor_recorded(
    seeded: UowFactory, policy: Policy, clock: Clock
) -> None:
    minor = citizen_id(born=date(2010, 3, 1))  # 16 on 20 November 2026
    stored = _submit(seeded, policy, penalty_row(subject_id=minor))
    with pytest.raises(MinorNeverListed):
        _propose(seeded, policy, stored)
    revoked = _submit(seeded, policy, penalty_row(subject_id=minor, **LICENCE_REVOKED))
    with pytest.raises(MinorNeverListed):
        _record_revocation_listing(seeded, policy, minor)
    assert revoked.record.id
    assert _count(seeded, ListEntryRow) == 0


def test_the_age_at_the_conduct_decides_not_the_age_at_the_listing(
    seeded: UowFactory, policy: Policy, clock: Clock
) -> None:
    """Conduct at 17, decided on then: it grounds no listing once the person has turned 18."""
    person = citizen_id(born=date(2008, 11, 1))  # 18 since 1 November 2026
    stored = _submit(
        seeded, policy, serious_penalty_row(subject_id=person, decision_date="2026-10-20")
    )
    _submit(
        seeded,
        policy,
        penalty_row(subject_id=person, decision_date="2026-10-21", **LICENCE_REVOKED),
    )
    with pytest.raises(MinorNeverListed):
        _propose(seeded, policy, stored)
    with pytest.raises(MinorNeverListed):
        _record_revocation_listing(seeded, policy, person)
    assert _count(seeded, ListEntryRow) == 0


def test_a_proposal_must_rest_on_the_subjects_own_active_records_of_the_right_kind(
    seeded: UowFactory, policy: Policy
) -> None:
    mine = _submit(seeded, policy, penalty_row())
    theirs = _submit(seeded, policy, penalty_row())
    with pytest.raises(NotAllowed):
        _propose(seeded, policy, mine, basis_records=[])
    with pytest.raises(Invalid, match="someone else"):
        _propose(seeded, policy, mine, basis_records=[theirs.record.id])
    with pytest.raises(Invalid, match="does not exist"):
        _propose(seeded, policy, mine, basis_records=[mine.record.id + 1000])

    revoke_record(
        seeded(),
        policy,
        mine.record.id,
        department="BJ-AMR",
        reason="复议撤销原处罚决定",
        actor="t",
    )
    with pytest.raises(Invalid, match="revoked"):
        _propose(seeded, policy, mine)

    # A railway listing cannot rest on a food-safety penalty: its records are SU-RAIL-01 (asked
    # of the credit centre, which proposes any platform list; market regulation proposes none).
    with pytest.raises(Invalid, match="SU-RAIL-01"):
        _propose(seeded, policy, theirs, list_code="RAIL-SERIOUS", department=None)
    assert _count(seeded, ListEntryRow) == 0


def test_a_record_past_its_display_period_grounds_no_proposal(
    seeded: UowFactory, policy: Policy, clock: Clock
) -> None:
    stored = _submit(seeded, policy, serious_penalty_row())
    ends = stored.record.display_ends
    assert ends is not None
    clock.at = on(ends)  # still active: no sweep has run, but its display is over
    with pytest.raises(Invalid, match="display period ended"):
        _propose(seeded, policy, stored)
    clock.at = on(ends - timedelta(days=1))
    assert _propose(seeded, policy, stored)


def test_a_court_list_is_recorded_never_proposed_and_a_platform_list_never_recorded(
    seeded: UowFactory, policy: Policy
) -> None:
    stored = _submit(seeded, policy, debtor_row(), department="BJ-HCOURT")
    penalty = _submit(seeded, policy, penalty_row())
    with pytest.raises(NotAllowed, match="record its decision"):
        _propose(seeded, policy, stored, list_code="COURT-DEBTORS", department="BJ-HCOURT")
    with pytest.raises(NotAllowed, match="record its decision"):  # whatever the record
        _propose(seeded, policy, penalty, list_code="COURT-DEBTORS")
    with pytest.raises(NotAllowed, match="propose it instead"):
        decided_lists.record_decided(
            seeded(),
            policy,
            list_code=FOOD,
            subject_number=stored.subject_number,
            grounds=GROUNDS,
            decided_on=date(2026, 11, 2),
            months=None,
            department="BJ-AMR",
            actor="centre-1",
        )
    assert _count(seeded, ListEntryRow) == 0


def test_an_exit_ground_must_be_one_of_the_lists(seeded: UowFactory, policy: Policy) -> None:
    number = _submit(seeded, policy, tax_violation_row(), department="BJ-TAX").subject_number
    view = decided_lists.record_decided(
        seeded(),
        policy,
        list_code="TAX-MAJOR-VIOLATION",
        subject_number=number,
        grounds="京税稽罚〔2026〕12号",
        decided_on=date(2026, 11, 2),
        months=None,
        department="BJ-TAX",
        actor="tax-1",
    )
    entry_id = view.entry.id
    assert entry_id is not None
    for ground in ("performance", "expiry"):  # a court ground; a period that has not run out
        with pytest.raises(IllegalTransition):
            lists.end_listing(
                seeded(),
                policy,
                entry_id,
                ground=ground,
                note="",
                department="BJ-TAX",
                actor="tax-1",
            )
    ended = lists.end_listing(
        seeded(),
        policy,
        entry_id,
        ground="early_withdrawal",
        note="已缴清税款、滞纳金和罚款",
        department="BJ-TAX",
        actor="tax-1",
    )
    assert ended.entry.exit_ground == "early_withdrawal"


def test_a_department_cannot_see_or_move_another_departments_entry(
    seeded: UowFactory, policy: Policy, clock: Clock
) -> None:
    clock.at = on(NOTICE_DAY)
    entry_id = _propose(seeded, policy, _submit(seeded, policy, serious_penalty_row()))
    with pytest.raises(NotFound):
        lists.serve_notice(seeded(), policy, entry_id, department="BJ-TAX", actor="tax-1")
    with pytest.raises(NotFound):
        lists.withdraw(seeded(), policy, entry_id, department="BJ-TAX", actor="tax-1")
    with pytest.raises(NotFound):
        lists.get_entry(seeded(), policy, entry_id, department="BJ-TAX", actor="tax-1")
    with pytest.raises(NotFound):
        lists.serve_notice(seeded(), policy, entry_id + 1, department=None, actor="centre-1")
    stored = lists.get_entry(seeded(), policy, entry_id, department=None, actor="centre-1")
    assert stored.entry.state is EntryState.PROPOSED
    assert [tag for tag, _ in _trail(seeded, entry_id)] == [EventTag.LISTING_PROPOSED.value]


# -- court lists come from the court's records ----------------------------------------------------


def test_court_records_are_recorded_on_the_court_list_once_each(
    seeded: UowFactory, policy: Policy
) -> None:
    stored = [
        _submit(seeded, policy, debtor_row(decision_date=day), department="BJ-HCOURT")
        for day in ("2026-10-15", "2026-10-20", "2026-11-02")
    ]
    _submit(seeded, policy, penalty_row())  # not a court record: never listed from here
    assert decided_lists.record_court_listings(seeded(), policy, actor="court-feed") == 3
    assert decided_lists.record_court_listings(seeded(), policy, actor="court-feed") == 0

    for s in stored:
        (listed,) = _entries_of(seeded, policy, s.record.subject_id)
        decided = s.record.decision_date
        assert listed.list_type.code == "COURT-DEBTORS"
        assert listed.state is EntryState.DECIDED
        assert (listed.decided_on, listed.ends_on) == (decided, decided.replace(year=2028))
        assert listed.proposed_by == "court-feed"
    assert _count(seeded, ListEntryRow) == 3
    assert _count(seeded, ChangeRow) == 3
    uow = seeded()
    with uow:
        assert uow.audit.count(EventTag.LISTING_RECORDED.value) == 3
        linked = uow.entries.linked_records([s.record.id for s in stored])
    assert linked == {s.record.id for s in stored}

    later = _submit(seeded, policy, debtor_row(**CHAOYANG_COURT), department="BJ-COURT-CY")
    assert decided_lists.record_court_listings(seeded(), policy, actor="court-feed") == 1
    uow = seeded()
    with uow:
        assert uow.entries.linked_records([later.record.id]) == {later.record.id}
        assert uow.entries.count() == 4


def test_a_court_listing_recorded_by_hand_is_linked_to_its_record_and_never_recorded_twice(
    seeded: UowFactory, policy: Policy
) -> None:
    stored = _submit(seeded, policy, debtor_row(), department="BJ-HCOURT")
    view = decided_lists.record_decided(
        seeded(),
        policy,
        list_code="COURT-DEBTORS",
        subject_number=stored.subject_number,
        grounds="recorded from the court's notice",
        decided_on=stored.record.decision_date,
        months=None,
        department="BJ-HCOURT",
        actor="court-clerk",
    )
    uow = seeded()
    with uow:
        assert uow.entries.source_record_of(view.entry.id or 0) == stored.record.id
    assert decided_lists.record_court_listings(seeded(), policy, actor="court-feed") == 0
    assert _count(seeded, ListEntryRow) == 1


# -- the derived clean status --------------------------------------------------------------------


def test_three_clean_years_open_the_green_channel_until_a_new_negative_record_arrives(
    seeded: UowFactory, policy: Policy, clock: Clock, checker: Checker
) -> None:
    """A fine decided 1 September 2026 is shown to 1 September 2027; three years on the person
    holds "no negative record for three consecutive years", and an approval desk's check gives
    the green channel. The next fine ends the status in its own transaction."""
    clock.at = on(date(2026, 11, 20))
    number = citizen_id(born=date(1979, 3, 8))
    stored = submit_record(
        seeded(), policy, penalty_row(subject_id=number), department="BJ-AMR", actor="clerk"
    )

    def rewards() -> list[str]:
        _, answer = run_check(
            seeded(), checker, number, "administrative_permit", department="BJ-AMR", actor="desk"
        )
        return sorted(h.measure.code for h in answer.hits if h.measure.category == "reward")

    clock.at = on(date(2030, 8, 30))
    assert expiry.sweep(seeded(), policy, actor="sweep").clean_granted == 0
    assert rewards() == []

    clock.at = on(date(2030, 9, 2))
    summary = expiry.sweep(seeded(), policy, actor="sweep")
    assert (summary.clean_granted, summary.clean_ended) == (1, 0)
    assert rewards() == ["R-GREEN-CHANNEL", "R-PERMISSIVE-ACCEPTANCE"]
    assert expiry.sweep(seeded(), policy, actor="sweep").clean_granted == 0  # once

    submit_record(
        seeded(),
        policy,
        penalty_row(subject_id=number, decision_date="2030-08-28"),
        department="BJ-AMR",
        actor="clerk",
    )
    assert rewards() == []
    uow = seeded()
    with uow:
        [entry] = [
            e
            for e in uow.entries.of_subject(stored.record.subject_id, policy.list_types)
            if e.list_type.derived
        ]
    assert (entry.state, entry.exit_ground, entry.exited_on) == (
        EntryState.EXITED,
        "new_negative_record",
        date(2030, 9, 2),
    )


def test_a_minor_known_three_clean_years_gets_the_status_and_its_rewards_only_once_of_age(
    seeded: UowFactory, policy: Policy, clock: Clock, checker: Checker
) -> None:
    """Honoured as a volunteer at 12 (15 October 2026), known three years at 15: minors are
    never listed, so the status waits for their eighteenth birthday, 15 June 2032."""
    clock.at = on(date(2026, 11, 20))
    number = citizen_id(born=date(2014, 6, 15))
    stored = submit_record(
        seeded(), policy, volunteer_row(subject_id=number), department="BJ-CIVIL", actor="clerk"
    )

    def rewards() -> list[str]:
        _, answer = run_check(
            seeded(), checker, number, "administrative_permit", department="BJ-AMR", actor="desk"
        )
        return sorted(h.measure.code for h in answer.hits if h.measure.category == "reward")

    for day in (date(2029, 10, 15), date(2032, 6, 14)):
        clock.at = on(day)
        assert expiry.sweep(seeded(), policy, actor="sweep").clean_granted == 0
        assert rewards() == []

    clock.at = on(date(2032, 6, 15))
    assert expiry.sweep(seeded(), policy, actor="sweep").clean_granted == 1
    assert rewards() == ["R-GREEN-CHANNEL", "R-PERMISSIVE-ACCEPTANCE"]
    uow = seeded()
    with uow:
        [entry] = [
            e
            for e in uow.entries.of_subject(stored.record.subject_id, policy.list_types)
            if e.list_type.derived
        ]
    assert entry.decided_on == date(2032, 6, 15)


def test_a_listing_is_not_decided_on_a_record_whose_display_ended_after_the_proposal(
    seeded: UowFactory, policy: Policy, clock: Clock
) -> None:
    clock.at = on(date(2026, 11, 20))
    stored = _submit(seeded, policy, serious_penalty_row(decision_date="2023-11-25"))  # 3 years
    entry_id = _propose(seeded, policy, stored)
    lists.serve_notice(seeded(), policy, entry_id, department="BJ-AMR", actor="amr-clerk")

    clock.at = on(date(2026, 12, 1))  # the defence window is over, and so is the display
    with pytest.raises(Conflict) as refused:
        _decide(seeded, policy, entry_id)
    assert f"record {stored.record.id} is past its display period" in refused.value.detail
    (entry,) = _entries_of(seeded, policy, stored.record.subject_id)
    assert entry.state is EntryState.NOTICED


def test_a_record_resubmitted_under_another_person_stops_the_listing_resting_on_it(
    seeded: UowFactory, policy: Policy, checker: Checker
) -> None:
    stored = _submit(seeded, policy, debtor_row(), department="BJ-HCOURT")
    assert decided_lists.record_court_listings(seeded(), policy, actor="court-feed") == 1
    number = stored.subject_number
    _, before = run_check(seeded(), checker, number, "flight", department=None, actor="t")
    assert [h.measure.code for h in before.hits] == ["M-COURT-FLIGHT"]

    moved = dict(debtor_row(), document_number=stored.record.document_number)
    moved["case_number"] = stored.record.document_number
    held = _submit(seeded, policy, moved, department="BJ-HCOURT")
    assert held.held_for_review

    _, after = run_check(seeded(), checker, number, "flight", department=None, actor="t")
    assert after.hits == []
    (entry,) = _entries_of(seeded, policy, stored.record.subject_id)
    assert entry.state is EntryState.EXITED
    assert entry.exit_ground == "identity_review"


@pytest.mark.parametrize("same_person", [True, False])
def test_a_review_that_keeps_the_record_with_its_person_restores_the_listing(
    seeded: UowFactory, policy: Policy, checker: Checker, same_person: bool
) -> None:
    stored = _submit(seeded, policy, debtor_row(), department="BJ-HCOURT")
    assert decided_lists.record_court_listings(seeded(), policy, actor="court-feed") == 1
    number = stored.subject_number
    moved = dict(debtor_row(), document_number=stored.record.document_number)
    moved["case_number"] = stored.record.document_number
    assert _submit(seeded, policy, moved, department="BJ-HCOURT").held_for_review
    [review] = list_identity_reviews(seeded())

    resolve_identity_review(
        seeded(), policy, review.id, same_person=same_person, note="核对原件", actor="centre"
    )

    _, after = run_check(seeded(), checker, number, "flight", department=None, actor="t")
    (entry,) = _entries_of(seeded, policy, stored.record.subject_id)
    if same_person:  # the court's listing stands again, for the rest of its period
        assert [h.measure.code for h in after.hits] == ["M-COURT-FLIGHT"]
        assert entry.state is EntryState.DECIDED
        assert (entry.exit_ground, entry.exited_on) == (None, None)
        with seeded() as uow:
            tags = uow.session.scalars(select(AuditEventRow.tag)).all()
        assert EventTag.LISTING_BASIS_REGAINED.value in tags
    else:  # the document is about the other person: nothing rests on this one any more
        assert after.hits == []
        assert entry.state is EntryState.EXITED


def _at_once(engine: Engine, subject_id: int, *listings: Callable[[], object]) -> list[str]:
    """Run each listing of one person in a thread of its own, all meeting the person held: each
    "listed" or "refused" (409). (PostgreSQL: SQLite has a single writer.)"""
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks and concurrent writers: PostgreSQL")
    from xinyong.db.subjects import SubjectRow

    outcomes: list[str] = []

    def attempt(listing: Callable[[], object]) -> None:
        try:
            listing()
            outcomes.append("listed")
        except AlreadyOnList:
            outcomes.append("refused")

    workers = [threading.Thread(target=attempt, args=(listing,)) for listing in listings]
    waiting = (
        select(func.count())
        .where(text("wait_event_type = 'Lock' AND datname = current_database()"))
        .select_from(text("pg_stat_activity"))
    )
    with engine.connect() as holding:  # the person held, so that every listing meets the lock
        holding.execute(select(SubjectRow.id).where(SubjectRow.id == subject_id).with_for_update())
        for worker in workers:
            worker.start()
        with engine.connect() as watch:
            for _ in range(200):  # until all wait for the person (at most 10 s)
                if watch.scalar(waiting) == len(workers):
                    break
                watch.rollback()
                pytime.sleep(0.05)
            assert watch.scalar(waiting) == len(workers)
        holding.commit()
    for worker in workers:
        worker.join(timeout=60)
    return sorted(outcomes)


def test_two_proposals_about_one_person_at_once_open_one_entry(
    seeded: UowFactory, policy: Policy, clock: Clock, engine: Engine
) -> None:
    """Two departments' officers propose the same person on the same list at the same moment:
    each proposal holds the person while it looks for an open entry, so the second sees the
    first's and is refused (409), never a second procedure."""
    clock.at = on(NOTICE_DAY)
    first = _submit(seeded, policy, serious_penalty_row())
    second = _submit(seeded, policy, serious_penalty_row(subject_id=first.subject_number))

    outcomes = _at_once(
        engine,
        first.record.subject_id,
        *(lambda s=s: _propose(seeded, policy, s) for s in (first, second)),
    )

    assert outcomes == ["listed", "refused"]
    assert len(_entries_of(seeded, policy, first.record.subject_id)) == 1


def test_two_decisions_about_one_person_recorded_at_once_are_two_listings_one_on_each(
    seeded: UowFactory, policy: Policy, engine: Engine
) -> None:
    """The court records two of its cases about one person at the same moment: a decided
    listing is one per decision (the court lists a debtor case by case), so each recording holds
    the person while it picks a decision no listing rests on yet, and the two never pick the
    same one (which the unique link of a listing to its record would refuse with an error)."""
    first = _submit(seeded, policy, debtor_row(), department="BJ-HCOURT")
    number = first.subject_number
    second = _submit(seeded, policy, debtor_row(subject_id=number), department="BJ-HCOURT")

    def record() -> object:
        return decided_lists.record_decided(
            seeded(), policy, list_code="COURT-DEBTORS", subject_number=number,
            grounds="（2026）京执行裁定", decided_on=date(2026, 10, 15), months=None,
            department="BJ-HCOURT", actor="court-clerk",
        )  # fmt: skip

    outcomes = _at_once(engine, first.record.subject_id, record, record)

    assert outcomes == ["listed", "listed"]
    entries = _entries_of(seeded, policy, first.record.subject_id)
    with seeded() as uow:
        linked = {uow.entries.source_record_of(e.id or 0) for e in entries}
    assert linked == {first.record.id, second.record.id}


def test_the_court_sync_beside_a_recording_of_the_same_decision_lists_it_once(
    seeded: UowFactory, policy: Policy, engine: Engine
) -> None:
    """The daily sync and a court clerk list the same decision at the same moment: the sync
    holds the person too and looks again, so one listing is made and nothing fails."""
    stored = _submit(seeded, policy, debtor_row(), department="BJ-HCOURT")

    def sync() -> object:
        return decided_lists.record_court_listings(seeded(), policy, actor="sweep")

    def record() -> object:
        try:
            return decided_lists.record_decided(
                seeded(), policy, list_code="COURT-DEBTORS", subject_number=stored.subject_number,
                grounds="（2026）京执行裁定", decided_on=date(2026, 10, 15), months=None,
                department="BJ-HCOURT", actor="court-clerk",
            )  # fmt: skip
        except OutsideMandate:  # the sync listed it first: nothing left unlisted
            return None

    assert _at_once(engine, stored.record.subject_id, sync, record) == ["listed", "listed"]
    assert len(_entries_of(seeded, policy, stored.record.subject_id)) == 1


# -- a list with a public notice (the railway's) ---------------------------------------------------


def test_a_railway_listing_restricts_tickets_only_once_its_public_notice_has_ended(
    seeded: UowFactory, policy: Policy, clock: Clock, checker: Checker
) -> None:
    """Decided on 12 October 2026, published on 2 November (the month's first working day):
    the seven working days of notice run to 11 November, and checks bar tickets from the 12th.
    Until then the listing is open: a second proposal on the same list is refused."""
    clock.at = on(NOTICE_DAY)
    number = citizen_id(born=date(1985, 4, 2))
    stored = _submit(seeded, policy, rail_row(subject_id=number), department="BJ-RAIL")
    rail = {"department": "BJ-RAIL", "actor": "rail-officer"}
    entry_id = _propose(seeded, policy, stored, list_code="RAIL-SERIOUS", **rail)
    lists.serve_notice(seeded(), policy, entry_id, **rail)
    clock.at = on(NEXT_WORKING_DAY)
    lists.decide(seeded(), policy, entry_id, reasons="查证属实", months=None, **rail)

    def tickets() -> list[str]:
        _, answer = run_check(seeded(), checker, number, "train_ticket", **rail)
        return [h.measure.code for h in answer.hits]

    assert tickets() == []  # decided, not published: nobody has had the notice
    with pytest.raises(AlreadyOnList):
        _propose(seeded, policy, stored, list_code="RAIL-SERIOUS", **rail)

    clock.at = on(date(2026, 11, 2))
    published = lists.publish(seeded(), policy, entry_id, **rail)
    assert published.entry.ends_on == date(2027, 5, 11)  # 180 days from the 12 November
    clock.at = on(date(2026, 11, 11))  # the notice's last day
    assert tickets() == []
    clock.at = on(date(2026, 11, 12))
    assert tickets() == ["M-RAIL-TICKET-BAR"]


# -- a record varied below what its listing rests on ---------------------------------------------


def _vary(
    make_uow: UowFactory,
    policy: Policy,
    row: dict[str, object],
    path: str,
    department: str = "BJ-AMR",
    **changes: object,
) -> None:
    """The same document resent with changed content, alone or in a batch beside another row
    of the same department's."""
    varied = {**row, **changes}
    if path == "record":
        _submit(make_uow, policy, varied, department=department)
        return
    beside = {"BJ-AMR": serious_penalty_row, "BJ-HCOURT": debtor_row, "BJ-RAIL": rail_row}
    rows = [beside[department](), varied]
    ingest_batch(
        make_uow(),
        policy,
        list(enumerate(rows, start=1)),
        department=department,
        actor="clerk-3",
        source=BatchSource.API,
    )


def _decided_on(make_uow: UowFactory, policy: Policy, row: dict[str, object]) -> tuple[int, str]:
    """A FOOD-DRUG-SERIOUS listing decided on the record `row` makes: its id and the number."""
    stored = _submit(make_uow, policy, row)
    entry_id = _propose(make_uow, policy, stored)
    lists.serve_notice(make_uow(), policy, entry_id, department="BJ-AMR", actor="amr-clerk")
    return entry_id, stored.subject_number


@pytest.mark.parametrize("path", ["record", "batch"])
def test_a_record_varied_below_the_lists_floor_ends_the_listing_resting_on_it(
    seeded: UowFactory, policy: Policy, clock: Clock, checker: Checker, path: str
) -> None:
    clock.at = on(NOTICE_DAY)
    row = serious_penalty_row()
    entry_id, number = _decided_on(seeded, policy, row)
    clock.at = on(NEXT_WORKING_DAY)
    _decide(seeded, policy, entry_id)
    _, before = run_check(
        seeded(), checker, number, "administrative_permit", department=None, actor="t"
    )
    assert "M-NO-COMMITMENT-ROUTE" in {h.measure.code for h in before.hits}
    changes = _count(seeded, ChangeRow)
    with seeded() as uow:  # an agency received the listing
        key = subject_key(number, organisation=False)
        given = QueryEntry(uow.now(), key, "query", AGENCY, "t", "loan", "a", f"entry@{entry_id}")
        uow.queries.add_many([given])
        uow.commit()

    _vary(seeded, policy, row, path, fine_amount="5000")  # general severity now

    _, after = run_check(
        seeded(), checker, number, "administrative_permit", department=None, actor="t"
    )
    assert after.hits == []
    entry = lists.get_entry(seeded(), policy, entry_id, department=None, actor="test").entry
    assert (entry.state, entry.exit_ground) == (EntryState.EXITED, "revocation")
    assert entry.exited_on == NEXT_WORKING_DAY
    assert _count(seeded, ChangeRow) > changes
    assert _trail(seeded, entry_id)[-1] == (EventTag.LISTING_BASIS_LOST.value, "clerk-3")
    # The agency withdraws its copy within three working days, and is watched until it says so.
    with seeded() as uow:
        [told] = uow.feed.after(AGENCY, 0, limit=10)
    assert (told.kind.value, told.entity_type, told.entity_id) == (
        "revoked",
        "list_entry",
        entry_id,
    )
    assert told.detail.endswith("withdraw every copy by 2026-10-15")
    watched = deadlines.watched_deadlines(
        seeded(), kinds=[DeadlineKind.WITHDRAWAL], department=None, overdue=False
    )
    assert [(w.entity_id, w.must_act, w.due) for w in watched] == [
        (told.seq, AGENCY, Deadline(date(2026, 10, 15), True))
    ]


def test_a_variation_that_still_grounds_the_listing_changes_nothing(
    seeded: UowFactory, policy: Policy, clock: Clock
) -> None:
    clock.at = on(NOTICE_DAY)
    row = serious_penalty_row()
    entry_id, _ = _decided_on(seeded, policy, row)
    clock.at = on(NEXT_WORKING_DAY)
    _decide(seeded, policy, entry_id)

    _vary(seeded, policy, row, "batch", fine_amount="120000")

    entry = lists.get_entry(seeded(), policy, entry_id, department=None, actor="test").entry
    assert entry.state is EntryState.DECIDED
    assert _trail(seeded, entry_id)[-1] == (EventTag.LISTING_DECIDED.value, "amr-head")


def test_an_open_proposal_on_a_record_varied_below_the_floor_is_withdrawn(
    seeded: UowFactory, policy: Policy, clock: Clock
) -> None:
    """As on a revocation: the proposal is withdrawn, and can no longer be decided."""
    clock.at = on(NOTICE_DAY)
    row = serious_penalty_row()
    entry_id, _ = _decided_on(seeded, policy, row)  # noticed, not decided

    _vary(seeded, policy, row, "record", fine_amount="5000")

    entry = lists.get_entry(seeded(), policy, entry_id, department=None, actor="test").entry
    assert entry.state is EntryState.WITHDRAWN
    clock.at = on(NEXT_WORKING_DAY)
    with pytest.raises(Conflict):
        _decide(seeded, policy, entry_id)


def test_a_proposal_stands_on_its_other_record_while_that_one_still_grounds_it(
    seeded: UowFactory, policy: Policy, clock: Clock
) -> None:
    clock.at = on(NOTICE_DAY)
    first = serious_penalty_row()
    stored = _submit(seeded, policy, first)
    second = serious_penalty_row(subject_id=stored.subject_number)
    other = _submit(seeded, policy, second)
    entry_id = _propose(seeded, policy, stored, basis_records=[stored.record.id, other.record.id])

    _vary(seeded, policy, first, "record", fine_amount="5000")
    entry = lists.get_entry(seeded(), policy, entry_id, department=None, actor="test").entry
    assert entry.state is EntryState.PROPOSED

    _vary(seeded, policy, second, "record", fine_amount="4000")
    entry = lists.get_entry(seeded(), policy, entry_id, department=None, actor="test").entry
    assert entry.state is EntryState.WITHDRAWN


def test_a_court_record_varied_to_another_penalty_ends_the_listing_recorded_from_it(
    seeded: UowFactory, policy: Policy, checker: Checker
) -> None:
    """FOOD-LICENCE-REVOKED rests only on a licence revocation (its ground field): the same
    decision resent as a fine no longer grounds the listing recorded from it."""
    row = penalty_row(**LICENCE_REVOKED)
    stored = _submit(seeded, policy, row)
    entry_id = _record_revocation_listing(seeded, policy, stored.subject_number)

    _vary(seeded, policy, row, "record", penalty_type="fine", fine_amount="80000")

    entry = lists.get_entry(seeded(), policy, entry_id, department=None, actor="test").entry
    assert (entry.state, entry.exit_ground) == (EntryState.EXITED, "revocation")


# -- a record varied to another ground of its list ------------------------------------------------


def _court_listing(make_uow: UowFactory, policy: Policy, row: dict[str, object]) -> ListEntry:
    """The court's listing recorded from the debtor record `row` makes (by the court's feed)."""
    stored = _submit(make_uow, policy, row, department="BJ-HCOURT")
    assert decided_lists.record_court_listings(make_uow(), policy, actor="court-feed") == 1
    (entry,) = _entries_of(make_uow, policy, stored.record.subject_id)
    return entry


def _flights(make_uow: UowFactory, checker: Checker, number: str) -> list[str]:
    _, answer = run_check(make_uow(), checker, number, "flight", department=None, actor="t")
    return [h.measure.code for h in answer.hits]


@pytest.mark.parametrize("path", ["record", "batch"])
def test_a_court_record_varied_to_the_open_ended_ground_takes_its_listing_there(
    seeded: UowFactory, policy: Policy, clock: Clock, checker: Checker, path: str
) -> None:
    """The court resends its finding as "able to perform but refuses" instead of "evades
    enforcement": the listing recorded from it is the court's decision, so it follows the new
    ground, which has no fixed period (SPC 2017 provisions, Art. 2), and checks keep returning
    its measures past the two years its old ground would have run."""
    row = debtor_row()
    entry = _court_listing(seeded, policy, row)
    assert (entry.ground, entry.ends_on) == ("evades_enforcement", date(2028, 10, 15))
    number = str(row["subject_id"])
    changes = _count(seeded, ChangeRow)

    _vary(seeded, policy, row, path, "BJ-HCOURT", dishonest_conduct="able_but_refuses")

    (followed,) = _entries_of(seeded, policy, entry.subject_id)
    assert (followed.ground, followed.ends_on) == ("able_but_refuses", None)
    assert followed.state is EntryState.DECIDED
    assert _count(seeded, ChangeRow) > changes
    assert _trail(seeded, followed.id or 0)[-1] == (
        EventTag.LISTING_GROUND_FOLLOWED.value,
        "clerk-3",
    )
    with seeded() as uow:
        audited = uow.session.scalars(
            select(AuditEventRow.data).where(
                AuditEventRow.tag == EventTag.LISTING_GROUND_FOLLOWED.value
            )
        ).one()
    assert audited["ground_was"] == "evades_enforcement"
    assert (audited["ends_on_was"], audited["ends_on"]) == ("2028-10-15", None)
    clock.at = on(date(2029, 3, 1))  # past the two years of the old ground
    assert _flights(seeded, checker, number) == ["M-COURT-FLIGHT"]


def test_a_court_listing_varied_to_a_ground_whose_period_has_run_out_ends_on_expiry(
    seeded: UowFactory, policy: Policy, clock: Clock, checker: Checker
) -> None:
    """Found "able to perform but refuses" in October 2026 and resent in 2029 as "evades
    enforcement": two years from the decision ran out in October 2028, so the listing ends,
    on that day, and checks stop returning its measures."""
    row = debtor_row(dishonest_conduct="able_but_refuses")
    entry = _court_listing(seeded, policy, row)
    assert entry.ends_on is None
    number = str(row["subject_id"])
    clock.at = on(date(2029, 1, 8))
    assert _flights(seeded, checker, number) == ["M-COURT-FLIGHT"]

    _vary(seeded, policy, row, "record", "BJ-HCOURT", dishonest_conduct="evades_enforcement")

    (ended,) = _entries_of(seeded, policy, entry.subject_id)
    assert (ended.state, ended.exit_ground) == (EntryState.EXITED, "expiry")
    assert (ended.ground, ended.ends_on, ended.exited_on) == (
        "evades_enforcement",
        date(2028, 10, 15),
        date(2028, 10, 15),
    )
    assert _flights(seeded, checker, number) == []


def _railway_listing(
    make_uow: UowFactory, policy: Policy, clock: Clock, row: dict[str, object], *, decide: bool
) -> int:
    """A RAIL-SERIOUS proposal on the record `row` makes, noticed; with `decide`, decided and
    published, binding from 12 November 2026."""
    clock.at = on(NOTICE_DAY)
    stored = _submit(make_uow, policy, row, department="BJ-RAIL")
    rail = {"department": "BJ-RAIL", "actor": "rail-officer"}
    entry_id = _propose(make_uow, policy, stored, list_code="RAIL-SERIOUS", **rail)
    lists.serve_notice(make_uow(), policy, entry_id, **rail)
    if decide:
        clock.at = on(NEXT_WORKING_DAY)
        lists.decide(make_uow(), policy, entry_id, reasons="查证属实", months=None, **rail)
        clock.at = on(date(2026, 11, 2))
        lists.publish(make_uow(), policy, entry_id, **rail)
        clock.at = on(date(2026, 11, 20))
    return entry_id


@pytest.mark.parametrize("path", ["record", "batch"])
def test_a_railway_record_varied_to_another_ground_ends_the_platforms_listing(
    seeded: UowFactory, policy: Policy, clock: Clock, checker: Checker, path: str
) -> None:
    """The platform decided the railway listing on smoking (180 days), after a notice and a
    defence on that ground; resent as fare evasion (until the fare is paid), the record grounds
    the list on a ground nobody was heard on: the listing ends as on a revocation, and a
    listing on fare evasion needs a procedure of its own."""
    row = rail_row()
    entry_id = _railway_listing(seeded, policy, clock, row, decide=True)
    number = str(row["subject_id"])
    _, before = run_check(seeded(), checker, number, "train_ticket", department=None, actor="t")
    assert [h.measure.code for h in before.hits] == ["M-RAIL-TICKET-BAR"]

    _vary(seeded, policy, row, path, "BJ-RAIL", conduct="fare_evasion_refusing_to_pay")

    _, after = run_check(seeded(), checker, number, "train_ticket", department=None, actor="t")
    assert after.hits == []
    entry = lists.get_entry(seeded(), policy, entry_id, department=None, actor="test").entry
    assert (entry.state, entry.exit_ground) == (EntryState.EXITED, "revocation")
    assert (entry.ground, entry.exited_on) == ("smoking_on_train", date(2026, 11, 20))
    assert _trail(seeded, entry_id)[-1] == (EventTag.LISTING_BASIS_LOST.value, "clerk-3")


def test_a_railway_proposal_on_a_record_varied_to_another_ground_is_withdrawn(
    seeded: UowFactory, policy: Policy, clock: Clock
) -> None:
    """The notice the person defends against named smoking: it cannot be decided as fare
    evasion."""
    row = rail_row()
    entry_id = _railway_listing(seeded, policy, clock, row, decide=False)

    _vary(seeded, policy, row, "record", "BJ-RAIL", conduct="fare_evasion_refusing_to_pay")

    entry = lists.get_entry(seeded(), policy, entry_id, department=None, actor="test").entry
    assert entry.state is EntryState.WITHDRAWN
    clock.at = on(NEXT_WORKING_DAY)
    with pytest.raises(Conflict):
        lists.decide(
            seeded(),
            policy,
            entry_id,
            reasons="查证属实",
            months=None,
            department="BJ-RAIL",
            actor="rail-officer",
        )


def test_a_railway_variation_within_the_same_ground_leaves_the_listing_standing(
    seeded: UowFactory, policy: Policy, clock: Clock
) -> None:
    """Disrupting order and violence against staff both make "endangering safety"."""
    row = rail_row(conduct="disrupting_order_endangering_safety")
    entry_id = _railway_listing(seeded, policy, clock, row, decide=True)

    _vary(seeded, policy, row, "record", "BJ-RAIL", conduct="violence_against_railway_staff")

    entry = lists.get_entry(seeded(), policy, entry_id, department=None, actor="test").entry
    assert (entry.state, entry.ground) == (EntryState.PUBLISHED, "endangering_safety")
    assert _trail(seeded, entry_id)[-1][0] == EventTag.LISTING_PUBLISHED.value
