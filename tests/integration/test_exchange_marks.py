"""A peer's objection mark on its record reaches this node's outputs and parties as a local
objection's does: the listings recorded here on the copy are marked and unmarked (one held by an
open objection here stays marked), and every party here that received the copy or such a
listing is told once, of the mark and then of the outcome the origin decided."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy.pool import NullPool

from tests.conftest import Clock
from tests.exchange_support import (
    FakeBroker,
    migrated_sqlite,  # noqa: F401 - a fixture
)
from tests.factories import debtor_row, penalty_row
from tests.integration.test_exchange_wiring import (
    AGENCY,
    LocalDigests,
    Platform,
    _paired,
    agency_received,
    flow,
    states_of,
)
from xinyong.db.engine import copy_sqlite, make_engine
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain.exchange import SubjectType, subject_reference
from xinyong.domain.feed import FeedKind
from xinyong.domain.objections import Objection
from xinyong.domain.policy import Policy
from xinyong.services import decided_lists, departments, objections
from xinyong.services.checks import Checker, run_check
from xinyong.services.exchange import Outcome
from xinyong.services.reconciliation import reconcile
from xinyong.services.records import Stored, submit_record

AIRLINE = "BJ-CAAC-NC"


@pytest.fixture
def receiving(
    seeded: Platform,
    tmp_path: Path,
    clock: Clock,
    migrated_sqlite: Path,  # noqa: F811
    policy: Policy,
) -> tuple[Platform, Platform]:
    """Beijing's node on a file of its own, the national node on the database under test, so
    that what the receiver does runs on each backend."""
    path = tmp_path / "bj.db"
    copy_sqlite(migrated_sqlite, path)
    engine = make_engine(f"sqlite:///{path}", poolclass=NullPool)
    origin = partial(SqlUnitOfWork, make_session_factory(engine), clock)
    departments.sync_departments(origin(), policy.departments, actor="test")
    return _paired(origin, seeded)


def told(uow: Platform, party: str) -> list[tuple[FeedKind, str, int]]:
    with uow() as u:
        return [(i.kind, i.entity_type, i.entity_id) for i in u.feed.after(party, 0, limit=50)]


def object_at_origin(bj: Platform, policy: Policy, stored: Stored) -> Objection:
    return objections.file_objection(
        bj(),
        policy,
        subject_id=stored.record.subject_id,
        record_id=stored.record.id,
        entry_id=None,
        ground="error_or_omission",
        reasons="执行案件已结案",
        actor="account:1",
    )


def object_to_listing(uow: Platform, policy: Policy, subject_id: int, entry_id: int) -> Objection:
    """The person objects to a listing itself (not to a record under it) on the node `uow`."""
    return objections.file_objection(
        uow(),
        policy,
        subject_id=subject_id,
        record_id=None,
        entry_id=entry_id,
        ground="error_or_omission",
        reasons="名单有误",
        actor="account:1",
    )


def reject_at_origin(bj: Platform, policy: Policy, objection: Objection) -> None:
    objection_id = objection.id or 0
    objections.forward_objection(bj(), policy, objection_id, department=None, actor="centre")
    objections.decide_objection(
        bj(),
        policy,
        objection_id,
        outcome="reject",
        reasons="执行依据记载无误",
        department="BJ-HCOURT",
        actor="court",
    )


def test_a_peers_mark_reaches_the_listing_here_and_each_party_here_is_told_once(
    receiving: tuple[Platform, Platform], checker: Checker, policy: Policy
) -> None:
    bj, cn = receiving
    broker = FakeBroker()
    row = debtor_row()
    stored = submit_record(bj(), policy, row, department="BJ-HCOURT", actor="court")
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    number = stored.subject_number
    # A listing recorded here on the copy, which an airline's two checks returned, and the copy
    # itself, which an agency was given.
    listed = decided_lists.record_decided(
        cn(),
        policy,
        list_code="COURT-DEBTORS",
        subject_number=number,
        grounds="失信被执行人",
        decided_on=date(2026, 10, 15),
        months=None,
        department="BJ-HCOURT",
        actor="court",
    )
    entry_id = listed.entry.id or 0
    for _ in range(2):
        run_check(cn(), checker, number, "flight", department=AIRLINE, actor="counter-7")
    subject_id, copy = agency_received(cn, policy, number)

    def marked() -> bool:
        with cn() as u:
            return u.entries.get(entry_id, policy.list_types).under_objection

    # The person objects at the origin: the listing here is marked, and each party told once.
    objection = object_at_origin(bj, policy, stored)
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    assert marked()
    assert told(cn, AIRLINE) == [(FeedKind.UNDER_OBJECTION, "list_entry", entry_id)]
    assert told(cn, AGENCY) == [(FeedKind.UNDER_OBJECTION, "record", copy)]
    _, answer = run_check(cn(), checker, number, "flight", department=AIRLINE, actor="counter-7")
    assert [h.posting.under_objection for h in answer.hits] == [True]

    # The origin rejects it: the mark is lifted here too, and the outcome told once each.
    reject_at_origin(bj, policy, objection)
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    assert not marked()
    rejected = [(FeedKind.OBJECTION_REJECTED, "list_entry", entry_id)]
    assert told(cn, AIRLINE)[1:] == rejected
    assert told(cn, AGENCY)[1:] == [(FeedKind.OBJECTION_REJECTED, "record", copy)]

    # The person objects here to the listing itself, and again at the origin to the record: the
    # origin's decision lifts the record's mark, and the listing stays marked for the objection
    # here, which is still open.
    here = objections.file_objection(
        cn(),
        policy,
        subject_id=subject_id,
        record_id=None,
        entry_id=entry_id,
        ground="error_or_omission",
        reasons="名单有误",
        actor=f"account:{subject_id}",
    )
    again = object_at_origin(bj, policy, stored)
    flow(broker, bj, "BJ", cn, "CN", policy)
    reject_at_origin(bj, policy, again)
    flow(broker, bj, "BJ", cn, "CN", policy)
    assert marked()
    with cn() as u:
        assert u.records.get(copy).under_objection is False

    # And the other way round: the origin marks the record again, then the objection here is
    # decided. The listing stays marked while the record it rests on is contested at the origin.
    third = object_at_origin(bj, policy, stored)
    flow(broker, bj, "BJ", cn, "CN", policy)
    objections.forward_objection(cn(), policy, here.id or 0, department=None, actor="centre")
    objections.decide_objection(
        cn(),
        policy,
        here.id or 0,
        outcome="reject",
        reasons="名单记载无误",
        department="BJ-HCOURT",
        actor="court",
    )
    assert marked()
    reject_at_origin(bj, policy, third)
    flow(broker, bj, "BJ", cn, "CN", policy)
    assert not marked()


def listed_at_origin(
    bj: Platform, cn: Platform, broker: FakeBroker, policy: Policy, checker: Checker
) -> tuple[Stored, int, int, int]:
    """A court record listed at its origin, both copied here; an airline's check here returned
    the listing's copy and an agency was given the record's. Return the record as stored at the
    origin, the origin's listing, its copy here and the record's copy here."""
    stored = submit_record(bj(), policy, debtor_row(), department="BJ-HCOURT", actor="court")
    assert decided_lists.record_court_listings(bj(), policy, actor="court-feed") == 1
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 2
    number = stored.subject_number
    with bj() as u:
        (listing,) = u.entries.of_subject(stored.record.subject_id, policy.list_types)
    _, answer = run_check(cn(), checker, number, "flight", department=AIRLINE, actor="counter-7")
    [listing_copy] = [h.posting.entry_id for h in answer.hits]
    _, record_copy = agency_received(cn, policy, number)
    return stored, listing.id or 0, listing_copy, record_copy


def test_an_objection_to_a_peers_listing_tells_who_received_its_copy_here_once(
    receiving: tuple[Platform, Platform], checker: Checker, policy: Policy
) -> None:
    bj, cn = receiving
    broker = FakeBroker()
    stored, listing, copy, record_copy = listed_at_origin(bj, cn, broker, policy, checker)

    # The person objects at the origin to the listing itself: the airline that received its copy
    # here is told once; the agency, which received the record only, is not told.
    objection = object_to_listing(bj, policy, stored.record.subject_id, listing)
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    with cn() as u:
        assert u.entries.get(copy, policy.list_types).under_objection
    assert told(cn, AIRLINE) == [(FeedKind.UNDER_OBJECTION, "list_entry", copy)]
    assert told(cn, AGENCY) == []

    # The origin rejects it: the mark is lifted here, and the airline told the outcome once.
    reject_at_origin(bj, policy, objection)
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    with cn() as u:
        assert not u.entries.get(copy, policy.list_types).under_objection
    assert told(cn, AIRLINE)[1:] == [(FeedKind.OBJECTION_REJECTED, "list_entry", copy)]
    assert told(cn, AGENCY) == []
    with cn() as u:
        assert u.records.get(record_copy).under_objection is False


def test_an_objection_to_the_record_under_a_peers_listing_is_told_once_not_through_it_too(
    receiving: tuple[Platform, Platform], checker: Checker, policy: Policy
) -> None:
    bj, cn = receiving
    broker = FakeBroker()
    stored, _, copy, record_copy = listed_at_origin(bj, cn, broker, policy, checker)

    # The record's event tells each party once; the listing's mark that follows it, nothing.
    objection = object_at_origin(bj, policy, stored)
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 2
    with cn() as u:
        assert u.entries.get(copy, policy.list_types).under_objection
    assert told(cn, AIRLINE) == [(FeedKind.UNDER_OBJECTION, "list_entry", copy)]
    assert told(cn, AGENCY) == [(FeedKind.UNDER_OBJECTION, "record", record_copy)]

    reject_at_origin(bj, policy, objection)
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 2
    with cn() as u:
        assert not u.entries.get(copy, policy.list_types).under_objection
    assert told(cn, AIRLINE)[1:] == [(FeedKind.OBJECTION_REJECTED, "list_entry", copy)]
    assert told(cn, AGENCY)[1:] == [(FeedKind.OBJECTION_REJECTED, "record", record_copy)]


def test_an_objection_here_to_a_peers_listing_keeps_its_copy_marked_whatever_the_origin_sends(
    receiving: tuple[Platform, Platform], checker: Checker, policy: Policy
) -> None:
    bj, cn = receiving
    broker = FakeBroker()
    stored, listing, copy, _ = listed_at_origin(bj, cn, broker, policy, checker)
    with cn() as u:
        here = u.subjects.get_by_number(stored.subject_number)
    assert here is not None
    assert here.id is not None
    object_to_listing(cn, policy, here.id, copy)

    # The origin marks its listing for an objection there and lifts the mark on its decision:
    # the copy here stays marked, for the objection here is still open.
    rejected = object_to_listing(bj, policy, stored.record.subject_id, listing)
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    reject_at_origin(bj, policy, rejected)
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    with cn() as u:
        assert u.entries.get(copy, policy.list_types).under_objection
    _, answer = run_check(
        cn(), checker, stored.subject_number, "flight", department=AIRLINE, actor="c"
    )
    assert [h.posting.under_objection for h in answer.hits] == [True]


def test_an_objection_decided_here_leaves_a_peers_listing_marked_while_its_origin_marks_it(
    receiving: tuple[Platform, Platform], checker: Checker, policy: Policy
) -> None:
    bj, cn = receiving
    broker = FakeBroker()
    stored, listing, copy, _ = listed_at_origin(bj, cn, broker, policy, checker)
    number = stored.subject_number

    def marked() -> list[bool]:
        """The copy's mark as stored, and as a check here shows it."""
        with cn() as u:
            stored_mark = u.entries.get(copy, policy.list_types).under_objection
        _, answer = run_check(cn(), checker, number, "flight", department=AIRLINE, actor="c")
        return [stored_mark, *(h.posting.under_objection for h in answer.hits)]

    # The origin marks its listing for an objection there; the person objects here too.
    at_origin = object_to_listing(bj, policy, stored.record.subject_id, listing)
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    with cn() as u:
        here = u.subjects.get_by_number(number)
    assert here is not None
    assert here.id is not None
    objection = object_to_listing(cn, policy, here.id, copy)
    assert marked() == [True, True]

    # The objection here is decided: the origin's mark still stands, so the copy stays marked.
    objections.forward_objection(cn(), policy, objection.id or 0, department=None, actor="centre")
    objections.decide_objection(
        cn(),
        policy,
        objection.id or 0,
        outcome="reject",
        reasons="名单记载无误",
        department="BJ-HCOURT",
        actor="court",
    )
    assert marked() == [True, True]

    # The origin lifts its mark: nothing holds the copy's any more.
    reject_at_origin(bj, policy, at_origin)
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    assert marked() == [False, False]


def test_an_objection_here_to_the_record_under_a_peers_listing_keeps_its_copy_marked(
    receiving: tuple[Platform, Platform], checker: Checker, policy: Policy
) -> None:
    bj, cn = receiving
    broker = FakeBroker()
    stored, listing, copy, record_copy = listed_at_origin(bj, cn, broker, policy, checker)
    number = stored.subject_number
    with cn() as u:
        here = u.subjects.get_by_number(number)
    assert here is not None
    assert here.id is not None

    def marked() -> list[bool]:
        with cn() as u:
            stored_mark = u.entries.get(copy, policy.list_types).under_objection
        _, answer = run_check(cn(), checker, number, "flight", department=AIRLINE, actor="c")
        return [stored_mark, *(h.posting.under_objection for h in answer.hits)]

    # The person objects here to the record's copy: the listing's copy resting on it is marked.
    mine = objections.file_objection(
        cn(), policy, subject_id=here.id, record_id=record_copy, entry_id=None,
        ground="error_or_omission", reasons="执行案件已结案", actor=f"account:{here.id}",
    )  # fmt: skip
    assert marked() == [True, True]

    # The origin marks its listing and lifts the mark: the copy stays marked for the objection
    # here, which the event's own state knows nothing of.
    rejected = object_to_listing(bj, policy, stored.record.subject_id, listing)
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    reject_at_origin(bj, policy, rejected)
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    assert marked() == [True, True]

    # Decided here: nothing holds the copy's mark any more.
    objections.forward_objection(cn(), policy, mine.id or 0, department=None, actor="centre")
    objections.decide_objection(
        cn(), policy, mine.id or 0, outcome="reject", reasons="执行依据记载无误",
        department="BJ-HCOURT", actor="court",
    )  # fmt: skip
    assert marked() == [False, False]


def test_a_mark_on_a_peers_listing_for_a_record_not_held_here_tells_who_received_its_copy(
    receiving: tuple[Platform, Platform], checker: Checker, policy: Policy
) -> None:
    bj, cn = receiving
    broker = FakeBroker()
    # The court is registered here without the debtor item in its mandate: its record is refused
    # here, while its listing (and another record of the person's) is kept.
    court = policy.department("BJ-HCOURT")
    assert court is not None
    held = [replace(d, items=frozenset()) if d is court else d for d in policy.departments]
    departments.sync_departments(cn(), held, actor="test")  # a sync names every department
    debtor = debtor_row()
    person = {"subject_id": debtor["subject_id"], "subject_name": debtor["subject_name"]}
    submit_record(bj(), policy, penalty_row(**person), department="BJ-AMR", actor="amr")
    stored = submit_record(bj(), policy, debtor, department="BJ-HCOURT", actor="court")
    assert decided_lists.record_court_listings(bj(), policy, actor="court-feed") == 1
    outcomes = flow(broker, bj, "BJ", cn, "CN", policy)
    assert (outcomes[Outcome.APPLIED], outcomes[Outcome.REFUSED]) == (2, 1)
    number = stored.subject_number
    _, answer = run_check(cn(), checker, number, "flight", department=AIRLINE, actor="counter-7")
    [copy] = [h.posting.entry_id for h in answer.hits]
    with cn() as u:
        assert u.records.find_states("BJ-HCOURT", [stored.record.document_number]) == {}

    def marked() -> bool:
        with cn() as u:
            return u.entries.get(copy, policy.list_types).under_objection

    # The person objects at the origin to the record: its event is refused here, and the
    # listing's mark that follows it tells the airline that received the copy, once.
    first = object_at_origin(bj, policy, stored)
    outcomes = flow(broker, bj, "BJ", cn, "CN", policy)
    assert (outcomes[Outcome.APPLIED], outcomes[Outcome.REFUSED]) == (1, 1)
    assert marked()
    assert told(cn, AIRLINE) == [(FeedKind.UNDER_OBJECTION, "list_entry", copy)]
    assert told(cn, AGENCY) == []

    # A second objection there marks nothing new: nothing more is told.
    second = object_at_origin(bj, policy, stored)
    flow(broker, bj, "BJ", cn, "CN", policy)
    assert told(cn, AIRLINE) == [(FeedKind.UNDER_OBJECTION, "list_entry", copy)]

    # The first decided there: the second holds the mark, and nothing is lifted or told here.
    reject_at_origin(bj, policy, first)
    flow(broker, bj, "BJ", cn, "CN", policy)
    assert marked()
    assert told(cn, AIRLINE) == [(FeedKind.UNDER_OBJECTION, "list_entry", copy)]

    # The second decided there: the mark is lifted here. The listing's lift carries the outcome
    # beside the record's key, of which this node holds no copy, so the airline is told it once.
    reject_at_origin(bj, policy, second)
    outcomes = flow(broker, bj, "BJ", cn, "CN", policy)
    assert (outcomes[Outcome.APPLIED], outcomes[Outcome.REFUSED]) == (1, 1)
    assert not marked()
    assert told(cn, AIRLINE) == [
        (FeedKind.UNDER_OBJECTION, "list_entry", copy),
        (FeedKind.OBJECTION_REJECTED, "list_entry", copy),
    ]
    assert told(cn, AGENCY) == []


def copied_and_listed_here(
    bj: Platform, cn: Platform, broker: FakeBroker, policy: Policy, checker: Checker
) -> tuple[Stored, int, int, int]:
    """A court record of the origin's copied here, with a listing recorded here on the copy that
    an airline's check returned, and the copy given to an agency. Return the record as stored at
    the origin, the listing here, the record's copy and the person here."""
    stored = submit_record(bj(), policy, debtor_row(), department="BJ-HCOURT", actor="court")
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    number = stored.subject_number
    listed = decided_lists.record_decided(
        cn(), policy, list_code="COURT-DEBTORS", subject_number=number, grounds="失信被执行人",
        decided_on=date(2026, 10, 15), months=None, department="BJ-HCOURT", actor="court",
    )  # fmt: skip
    run_check(cn(), checker, number, "flight", department=AIRLINE, actor="counter-7")
    subject_id, copy = agency_received(cn, policy, number)
    return stored, listed.entry.id or 0, copy, subject_id


def object_here(cn: Platform, policy: Policy, subject_id: int, record_id: int) -> Objection:
    """The person objects here to the copy of the origin's record."""
    return objections.file_objection(
        cn(), policy, subject_id=subject_id, record_id=record_id, entry_id=None,
        ground="error_or_omission", reasons="执行案件已结案", actor=f"account:{subject_id}",
    )  # fmt: skip


def decide_here(cn: Platform, policy: Policy, objection: Objection) -> None:
    objection_id = objection.id or 0
    objections.forward_objection(cn(), policy, objection_id, department=None, actor="centre")
    objections.decide_objection(
        cn(), policy, objection_id, outcome="reject", reasons="执行依据记载无误",
        department="BJ-HCOURT", actor="court",
    )  # fmt: skip


def test_an_objection_decided_here_leaves_a_peers_record_marked_while_its_origin_marks_it(
    receiving: tuple[Platform, Platform], checker: Checker, policy: Policy
) -> None:
    bj, cn = receiving
    broker = FakeBroker()
    stored, entry_id, copy, subject_id = copied_and_listed_here(bj, cn, broker, policy, checker)
    number = stored.subject_number

    def marked() -> list[bool]:
        """The record copy's mark, the listing's on it, and the listing's as a check shows it."""
        with cn() as u:
            record = u.records.get(copy).under_objection
            entry = u.entries.get(entry_id, policy.list_types).under_objection
        _, answer = run_check(cn(), checker, number, "flight", department=AIRLINE, actor="c")
        return [record, entry, *(h.posting.under_objection for h in answer.hits)]

    # The origin marks its record for an objection there; the person objects here too.
    at_origin = object_at_origin(bj, policy, stored)
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    here = object_here(cn, policy, subject_id, copy)
    assert marked() == [True, True, True]

    # The objection here is decided: the origin's mark still stands, so the copy (and the
    # listing resting on it) stays marked.
    decide_here(cn, policy, here)
    assert marked() == [True, True, True]

    # The origin lifts its mark: nothing holds the copy's any more, and the parties here are
    # told the origin's outcome.
    reject_at_origin(bj, policy, at_origin)
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    assert marked() == [False, False, False]
    assert told(cn, AGENCY)[-1] == (FeedKind.OBJECTION_REJECTED, "record", copy)


def test_an_objection_here_keeps_a_peers_record_marked_when_its_origin_lifts_its_own(
    receiving: tuple[Platform, Platform], checker: Checker, policy: Policy
) -> None:
    bj, cn = receiving
    broker = FakeBroker()
    stored, entry_id, copy, subject_id = copied_and_listed_here(bj, cn, broker, policy, checker)

    def marked() -> list[bool]:
        with cn() as u:
            record = u.records.get(copy)
            entry = u.entries.get(entry_id, policy.list_types)
        return [record.under_objection, record.marked_at_origin, entry.under_objection]

    # The person objects here to the copy, then at the origin to the record.
    here = object_here(cn, policy, subject_id, copy)
    assert told(cn, AGENCY) == [(FeedKind.UNDER_OBJECTION, "record", copy)]
    at_origin = object_at_origin(bj, policy, stored)
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    assert marked() == [True, True, True]
    assert told(cn, AGENCY) == [(FeedKind.UNDER_OBJECTION, "record", copy)]  # not told twice

    # The origin rejects its objection: the copy stays marked for the one here, still open; the
    # agency is told what the origin decided.
    reject_at_origin(bj, policy, at_origin)
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 1
    assert marked() == [True, False, True]
    assert told(cn, AGENCY)[1:] == [(FeedKind.OBJECTION_REJECTED, "record", copy)]

    # Decided here: nothing holds the copy's mark any more.
    decide_here(cn, policy, here)
    assert marked() == [False, False, False]


def test_reconciliation_compares_a_copy_by_the_mark_its_origin_gave_it(
    receiving: tuple[Platform, Platform], checker: Checker, policy: Policy
) -> None:
    bj, cn = receiving
    broker = FakeBroker()
    stored, _, copy, record_copy = listed_at_origin(bj, cn, broker, policy, checker)
    ours, theirs = states_of(bj, policy), states_of(cn, policy)
    ref = subject_reference(SubjectType.PERSON, stored.subject_number)

    def differing() -> tuple[str, ...]:
        return reconcile(theirs, LocalDigests(ours), "BJ", depth=4).subjects

    assert differing() == ()
    # The person objects here to both copies: they show a mark the origin knows nothing of,
    # and are in step with it all the same.
    with cn() as u:
        here = u.subjects.get_by_number(stored.subject_number)
    assert here is not None
    assert here.id is not None
    object_here(cn, policy, here.id, record_copy)
    object_to_listing(cn, policy, here.id, copy)
    with cn() as u:
        assert u.records.get(record_copy).under_objection
        assert u.entries.get(copy, policy.list_types).under_objection
    assert differing() == ()

    # The origin marks its record and the listing on it; until its events arrive, the copies
    # differ from it (they show a mark, but not the origin's), and then they are in step.
    at_origin = object_at_origin(bj, policy, stored)
    assert differing() == (ref,)
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 2
    assert differing() == ()

    # The origin lifts its mark; the copies stay marked for the objections here, in step.
    reject_at_origin(bj, policy, at_origin)
    assert differing() == (ref,)
    assert flow(broker, bj, "BJ", cn, "CN", policy)[Outcome.APPLIED] == 2
    with cn() as u:
        assert u.records.get(record_copy).under_objection
        assert u.entries.get(copy, policy.list_types).under_objection
    assert differing() == ()
