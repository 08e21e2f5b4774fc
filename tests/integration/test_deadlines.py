"""Deadlines on real storage: counted on the fallback calendar, marked so, counted again when the
official calendar covers them (the person and the department told); the overdue view; the query
log's retention in the report and in the sweep.

The official 2026 arrangement (chinese-calendar): 1-7 October off, Saturday 10 October worked.
Narrowing `official_years` makes 2026 a year whose arrangement is "not published yet".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from tests.conftest import BACKENDS, PG_URL, Clock, _drop_postgres, _fresh_postgres
from tests.factories import PUBLIC_URL, agency_key, citizen_id, debtor_row, penalty_row
from xinyong.db.audit import AuditEventRow
from xinyong.db.deadlines import RECOUNTED
from xinyong.db.engine import make_engine
from xinyong.db.feed import FeedWithdrawalRow
from xinyong.db.migrate import downgrade, upgrade
from xinyong.db.querylog import CheckFeedbackRow
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain import calendar
from xinyong.domain.audit import EventTag
from xinyong.domain.calendar import Deadline, business_date
from xinyong.domain.checks import Feedback
from xinyong.domain.deadlines import CREDIT_CENTRE, DeadlineKind
from xinyong.domain.feed import FeedItem
from xinyong.domain.index import subject_key
from xinyong.domain.objections import Objection
from xinyong.domain.policy import Policy
from xinyong.domain.querylog import QueryEntry
from xinyong.domain.records import RecordStatus
from xinyong.domain.repairs import Repair
from xinyong.services import (
    authorisations,
    deadlines,
    departments,
    expiry,
    feed,
    list_proposals,
    lists,
    objections,
    repairs,
)
from xinyong.services.deadlines import RecountSummary
from xinyong.services.records import Stored, revoke_record, submit_record
from xinyong.services.reports import build_report, query_log_page

UowFactory = Callable[[], SqlUnitOfWork]

COVERED = calendar.official_years()
AGENCY = "AGENCY-BAIHANG"
BEFORE_2026 = frozenset(y for y in COVERED if y < 2026)
COMMITMENT = "本人承诺今后严格遵守食品安全法律法规，按时履行义务。"


def on(day: date) -> datetime:
    """10:00 in Beijing on `day`, as the UTC instant the clock holds."""
    return datetime.combine(day, time(2, 0), tzinfo=UTC)


def _submit(make_uow: UowFactory, policy: Policy, **row: object) -> Stored:
    department = str(row.pop("department", "BJ-AMR"))
    make = debtor_row if department == "BJ-HCOURT" else penalty_row
    return submit_record(make_uow(), policy, make(**row), department=department, actor="clerk")


def _object(make_uow: UowFactory, policy: Policy, stored: Stored) -> Objection:
    return objections.file_objection(
        make_uow(),
        policy,
        subject_id=stored.record.subject_id,
        record_id=stored.record.id,
        entry_id=None,
        ground="error_or_omission",
        reasons="罚款金额有误",
        actor="account:1",
    )


def _repair(make_uow: UowFactory, policy: Policy, stored: Stored) -> Repair:
    return repairs.apply_for_repair(
        make_uow(),
        policy,
        subject_id=stored.record.subject_id,
        record_id=stored.record.id,
        obligations_performed=True,
        commitment=COMMITMENT,
        actor="account:1",
    )


def _dues(make_uow: UowFactory, subject_id: int) -> dict[str, Deadline]:
    """Every deadline of the person's cases as stored."""
    found: dict[str, Deadline] = {}
    for o in objections.objections_of(make_uow(), subject_id):
        found[f"objection {o.id} centre"] = o.centre_due
        if o.source_due is not None:
            found[f"objection {o.id} source"] = o.source_due
    uow = make_uow()
    with uow:
        for r in uow.repairs.of_subject(subject_id):
            found[f"repair {r.id} accept"] = r.accept_due
            found[f"repair {r.id} feedback"] = r.feedback_due
    return found


@dataclass(frozen=True)
class Audited:
    entity_type: str
    subject_id: int | None
    data: dict[str, Any]


def _audits(make_uow: UowFactory, tag: EventTag) -> list[Audited]:
    uow = make_uow()
    with uow:
        rows = uow.session.scalars(select(AuditEventRow).where(AuditEventRow.tag == tag))
        return [Audited(r.entity_type, r.subject_id, dict(r.data)) for r in rows]


def test_deadlines_counted_monday_to_friday_stay_marked_until_counted_again_then_move_and_tell(
    seeded: UowFactory, policy: Policy, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calendar, "official_years", lambda: BEFORE_2026)  # 2026 "not out yet"
    clock.at = on(date(2026, 9, 30))  # Wednesday, the day before the National Day week
    number = citizen_id(born=date(1975, 3, 3))
    filed_on = _submit(seeded, policy, subject_id=number, decision_date="2026-06-01")
    forwarded_on = _submit(seeded, policy, subject_id=number, decision_date="2026-06-02")
    repaired_on = _submit(seeded, policy, subject_id=number, decision_date="2026-06-03")
    subject_id = filed_on.record.subject_id
    checked = _object(seeded, policy, filed_on)
    decided = _object(seeded, policy, forwarded_on)
    objections.forward_objection(seeded(), policy, decided.id or 0, department=None, actor="staff")
    repair = _repair(seeded, policy, repaired_on)
    guessed = {
        f"objection {checked.id} centre": date(2026, 10, 1),
        f"objection {decided.id} centre": date(2026, 10, 1),
        f"objection {decided.id} source": date(2026, 10, 2),
        f"repair {repair.id} accept": date(2026, 10, 5),
        f"repair {repair.id} feedback": date(2026, 10, 14),
    }
    stored = _dues(seeded, subject_id)
    assert {k: d.day for k, d in stored.items()} == guessed
    assert not any(d.official for d in stored.values())
    report = build_report(
        seeded(), policy, subject_id, actor="account:1", secret_key="test", public_url=PUBLIC_URL
    )
    assert [c.due_official for c in report.cases] == [False, False, False]

    # A chinese-calendar release with the 2026 arrangement is installed. Until the deadlines
    # are counted again, they still say they were counted Monday to Friday.
    monkeypatch.setattr(calendar, "official_years", lambda: COVERED)
    assert {k: (d.day, d.official) for k, d in _dues(seeded, subject_id).items()} == {
        k: (day, False) for k, day in guessed.items()
    }

    summary = expiry.sweep(seeded(), policy, actor="sweep")

    # Three records' publish-by days (same day, now official), five case deadlines.
    assert summary.deadlines_recounted == 8
    official = {
        f"objection {checked.id} centre": date(2026, 10, 8),
        f"objection {decided.id} centre": date(2026, 10, 8),
        f"objection {decided.id} source": date(2026, 10, 9),
        f"repair {repair.id} accept": date(2026, 10, 10),  # the make-up Saturday
        f"repair {repair.id} feedback": date(2026, 10, 20),
    }
    assert {k: (d.day, d.official) for k, d in _dues(seeded, subject_id).items()} == {
        k: (day, True) for k, day in official.items()
    }
    uow = seeded()
    with uow:
        record = uow.records.get(filed_on.record.id)
    assert (record.publish_by, record.publish_by_official) == (date(2026, 6, 10), True)
    audits = _audits(seeded, EventTag.DEADLINE_RECOUNTED)
    assert len(audits) == 8
    assert {(a.entity_type, a.data["kind"], a.data["from"], a.data["to"]) for a in audits} >= {
        ("objection", "objection_check", "2026-10-01", "2026-10-08"),
        ("repair", "repair_feedback", "2026-10-14", "2026-10-20"),
        ("record", "double_publicity", "2026-06-10", "2026-06-10"),
    }

    # The person is told of every running deadline that moved (not of the centre's check that
    # is over, nor of publication days); the department of each one that binds it.
    told = deadlines.notices_of(seeded(), subject_id)
    assert sorted((n.entity_type, n.entity_id) for n in told) == sorted(
        [
            ("objection", checked.id),
            ("objection", decided.id),
            ("repair", repair.id),
            ("repair", repair.id),
        ]
    )
    assert any("moved from 2026-10-14 to 2026-10-20" in n.detail for n in told)
    items = feed.read_feed(seeded(), recipient="BJ-AMR", after=0, limit=100)
    assert sorted((i.kind.value, i.entity_type, i.entity_id) for i in items) == sorted(
        [
            ("deadline_moved", "objection", decided.id),
            ("deadline_moved", "repair", repair.id),
            ("deadline_moved", "repair", repair.id),
        ]
    )
    report = build_report(
        seeded(), policy, subject_id, actor="account:1", secret_key="test", public_url=PUBLIC_URL
    )
    assert [c.due_official for c in report.cases] == [True, True, True]
    assert len(report.notices) == 4

    # Safe to run again: nothing left to count, nobody told twice.
    assert deadlines.recount_deadlines(seeded(), policy, actor="sweep") == RecountSummary()
    assert len(deadlines.notices_of(seeded(), subject_id)) == 4


def test_a_deadline_beyond_the_official_calendar_waits_and_stays_marked(
    seeded: UowFactory, policy: Policy, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calendar, "official_years", lambda: BEFORE_2026)
    clock.at = on(date(2026, 9, 30))
    stored = _submit(seeded, policy, subject_id=citizen_id(), decision_date="2026-06-01")
    _object(seeded, policy, stored)

    summary = deadlines.recount_deadlines(seeded(), policy, actor="sweep")

    assert summary == RecountSummary(waiting=2)  # the objection's check, the publish-by day
    [due] = _dues(seeded, stored.record.subject_id).values()
    assert (due.day, due.official) == (date(2026, 10, 1), False)
    assert _audits(seeded, EventTag.DEADLINE_RECOUNTED) == []


def _given(make_uow: UowFactory, stored: Stored, *parties: str) -> None:
    """Each party received the record (the query log says so): a revocation tells it."""
    key = subject_key(stored.subject_number, organisation=False)
    uow = make_uow()
    with uow:
        uow.queries.add_many(
            [
                QueryEntry(uow.now(), key, "query", party, "t", "loan_approval", "authorisation",
                           f"record@{stored.record.id}")
                for party in parties
            ]
        )  # fmt: skip
        uow.commit()


def _told(make_uow: UowFactory, party: str) -> list[FeedItem]:
    with make_uow() as uow:
        return uow.feed.after(party, 0, limit=100)


def _withdrawals(make_uow: UowFactory) -> dict[str, tuple[date, bool]]:
    """Each party's withdrawal as stored (whether the view lists it or not): its day, and
    whether that day is official."""
    uow = make_uow()
    with uow:
        rows = uow.session.scalars(select(FeedWithdrawalRow))
        return {r.department_code: (r.withdraw_by, r.withdraw_by_official) for r in rows}


def test_a_deadline_counted_again_is_stored_back_only_where_its_kind_is_kept(
    seeded: UowFactory,
) -> None:
    # one place for each kind and entity it is kept with (a withdrawal: a record's, a copy's)
    assert len({(s.kind, s.entity_type) for s in RECOUNTED}) == len(RECOUNTED)
    uow = seeded()
    with uow, pytest.raises(ValueError, match=r"^no defence deadline is kept with a record$"):
        uow.deadlines.store(DeadlineKind.DEFENCE, "record", 1, Deadline(date(2026, 10, 9), True))


def test_the_overdue_view_lists_every_running_step_earliest_first_with_who_must_act(
    seeded: UowFactory, policy: Policy, clock: Clock
) -> None:
    clock.at = on(date(2026, 11, 2))
    number = citizen_id(born=date(1980, 1, 1))
    contested = _submit(seeded, policy, subject_id=number, decision_date="2026-06-01")
    objected = _object(seeded, policy, contested)  # the centre's check is due 3 November
    repair = _repair(  # acceptance due 5 November, an answer by 16 November
        seeded, policy, _submit(seeded, policy, subject_id=number, decision_date="2026-06-02")
    )
    held = _submit(  # the same number with another name: held, so not published yet
        seeded, policy, subject_id=number, subject_name="王小明", decision_date="2026-09-01"
    )
    assert held.record.status is RecordStatus.IDENTITY_HOLD
    assert held.record.publish_by == date(2026, 9, 10)
    clock.at = on(date(2026, 11, 13))  # a Friday
    revoked = _submit(seeded, policy, subject_id=citizen_id(), decision_date="2026-06-03")
    _given(seeded, revoked, AGENCY, "BJ-CAAC-NC")
    # Both withdraw their copy by Wednesday 18 November; the agency acknowledges by then too.
    revoke_record(seeded(), policy, revoked.record.id, department=None, reason="撤销", actor="c")
    [item] = _told(seeded, AGENCY)
    clock.at = on(date(2026, 11, 18))
    court = _submit(seeded, policy, department="BJ-HCOURT", decision_date="2026-10-15")
    courts = _object(seeded, policy, court)
    objections.forward_objection(seeded(), policy, courts.id or 0, department=None, actor="staff")
    clock.at = on(date(2026, 11, 20))

    def view(**kw: object) -> list[tuple[str, int, str, str | None, date, int]]:
        found = deadlines.watched_deadlines(seeded(), **kw)  # type: ignore[arg-type]
        today = date(2026, 11, 20)
        return [
            (
                w.kind.value,
                w.entity_id,
                w.must_act,
                w.department,
                w.due.day,
                w.working_days_overdue(today),
            )
            for w in found
        ]

    overdue = view(department=None, overdue=True)
    assert overdue[0][:5] == (
        "double_publicity",
        held.record.id,
        CREDIT_CENTRE,
        "BJ-AMR",
        date(2026, 9, 10),
    )
    assert overdue[1:] == [
        ("objection_check", objected.id, CREDIT_CENTRE, "BJ-AMR", date(2026, 11, 3), 13),
        ("repair_acceptance", repair.id, "BJ-AMR", "BJ-AMR", date(2026, 11, 5), 11),
        ("repair_feedback", repair.id, "BJ-AMR", "BJ-AMR", date(2026, 11, 16), 4),
        ("acknowledgement", item.seq, AGENCY, AGENCY, date(2026, 11, 18), 2),
        ("withdrawal", item.seq, AGENCY, AGENCY, date(2026, 11, 18), 2),
    ]
    # The court's objection is due today: running, not overdue.
    running = view(department=None, overdue=False)
    assert running[-1] == (
        "objection_decision",
        courts.id,
        "BJ-HCOURT",
        "BJ-HCOURT",
        date(2026, 11, 20),
        0,
    )
    assert view(department="BJ-HCOURT", overdue=False) == running[-1:]
    assert view(department="BJ-HCOURT", overdue=True) == []
    assert view(department=None, overdue=True, kinds=[DeadlineKind.REPAIR_FEEDBACK]) == [overdue[3]]
    # The agency's withdrawal is late until it acknowledges; the airline's desk, told the same
    # day, gives no answer: its withdrawal is kept, never shown late.
    assert view(department=None, overdue=True, kinds=[DeadlineKind.WITHDRAWAL]) == [overdue[-1]]
    assert _withdrawals(seeded) == {
        AGENCY: (date(2026, 11, 18), True),
        "BJ-CAAC-NC": (date(2026, 11, 18), True),
    }
    assert view(department="BJ-CAAC-NC", overdue=False) == []
    assert view(department=None, overdue=True, limit=2, offset=1) == overdue[1:3]


def _log(make_uow: UowFactory, key: int, moments: list[datetime]) -> list[int]:
    uow = make_uow()
    with uow:
        ids = uow.queries.add_many(
            [
                QueryEntry(at, key, "check", "BJ-CAAC-NC", "counter-7", "flight", "M", "none")
                for at in moments
            ]
        )
        uow.commit()
    return ids


def test_the_report_shows_every_query_within_retention_and_the_sweep_deletes_older_ones(
    seeded: UowFactory, policy: Policy, clock: Clock
) -> None:
    clock.at = on(date(2026, 11, 20))
    stored = _submit(seeded, policy, subject_id=citizen_id(), decision_date="2026-09-01")
    key = subject_key(stored.subject_number, organisation=False)
    kept_since = datetime(2021, 11, 19, 16, 0, tzinfo=UTC)  # midnight, 20 Nov 2021, Beijing
    recent = [kept_since + timedelta(hours=7 * i) for i in range(600)]
    old = [kept_since - timedelta(minutes=1 + i) for i in range(5)]
    recent_ids = _log(seeded, key, recent)
    old_ids = _log(seeded, key, old)
    uow = seeded()
    with uow:
        for query_id in (old_ids[0], recent_ids[0]):
            uow.queries.add_feedback(
                Feedback(query_id, "M-COURT-FLIGHT", True, None, "counter-7", old[0])
            )
        uow.commit()

    report = build_report(
        seeded(),
        policy,
        stored.record.subject_id,
        actor="account:1",
        secret_key="test",
        public_url=PUBLIC_URL,
    )

    assert len(report.queries) == 600  # all within retention, the boundary's first minute too
    assert min(q.at for q in report.queries) == kept_since
    assert report.queries_since == kept_since
    page = query_log_page(seeded(), policy, stored.record.subject_id, page=3, size=250)
    assert (page.total, len(page.items)) == (601, 101)  # and the report's own read
    first = query_log_page(seeded(), policy, stored.record.subject_id, page=1, size=250)
    assert first.items[0].kind == "report"
    assert first.items[1].at == recent[-1]

    summary = expiry.sweep(seeded(), policy, actor="sweep")

    assert summary.queries_deleted == 5
    uow = seeded()
    with uow:
        assert uow.queries.count_for_key(key) == 601
        left = list(uow.session.scalars(select(CheckFeedbackRow.query_id)))
    assert left == [recent_ids[0]]
    [event] = _audits(seeded, EventTag.QUERIES_DELETED)
    assert event.subject_id is None
    assert event.data == {
        "queries": 5,
        "feedback": 1,
        "before": kept_since.isoformat(),
        "retention_years": 5,
    }
    assert expiry.sweep(seeded(), policy, actor="sweep").queries_deleted == 0
    assert len(_audits(seeded, EventTag.QUERIES_DELETED)) == 1


def test_a_revocations_withdrawal_counted_monday_to_friday_is_counted_again_for_every_copy(
    seeded: UowFactory, policy: Policy, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Revoked on the eve of the National Day week while 2026 is not out yet: the withdrawal
    day is counted Monday to Friday on the record and for each party told; the recount moves
    every one to the official day, tells the person once and each party of its own."""
    monkeypatch.setattr(calendar, "official_years", lambda: BEFORE_2026)  # 2026 "not out yet"
    clock.at = on(date(2026, 9, 30))
    stored = _submit(seeded, policy, subject_id=citizen_id(), decision_date="2026-06-01")
    _given(seeded, stored, AGENCY, "BJ-CAAC-NC")
    record, _ = revoke_record(
        seeded(), policy, stored.record.id, department=None, reason="复议撤销", actor="c"
    )
    assert record.withdraw_by == Deadline(date(2026, 10, 5), False)
    assert (record.withdraw_by.start, record.withdraw_by.working_days) == (date(2026, 9, 30), 3)
    [item] = _told(seeded, AGENCY)
    [desk] = _told(seeded, "BJ-CAAC-NC")

    def withdrawals(**kw: Any) -> list[tuple[int, str, Deadline, int]]:
        found = deadlines.watched_deadlines(seeded(), kinds=[DeadlineKind.WITHDRAWAL], **kw)
        today = business_date(clock())
        return [(w.entity_id, w.must_act, w.due, w.working_days_overdue(today)) for w in found]

    assert withdrawals(department=None, overdue=False) == [
        (item.seq, AGENCY, Deadline(date(2026, 10, 5), False), 0)
    ]
    assert _withdrawals(seeded) == {
        AGENCY: (date(2026, 10, 5), False),
        "BJ-CAAC-NC": (date(2026, 10, 5), False),
    }

    monkeypatch.setattr(calendar, "official_years", lambda: COVERED)
    summary = deadlines.recount_deadlines(seeded(), policy, actor="sweep")

    # The record's withdrawal and publish-by days, each party's withdrawal, the agency's
    # acknowledgement; all but the publish-by day move to Saturday 10 October, a make-up day.
    assert (summary.recounted, summary.moved) == (5, 4)
    with seeded() as uow:
        again = uow.records.get(stored.record.id).withdraw_by
    assert again == Deadline(date(2026, 10, 10), True)
    assert _withdrawals(seeded) == {
        AGENCY: (date(2026, 10, 10), True),
        "BJ-CAAC-NC": (date(2026, 10, 10), True),
    }
    told = deadlines.notices_of(seeded(), stored.record.subject_id)
    assert sorted((n.entity_type, n.entity_id, n.data and n.data["deadline"]) for n in told) == [
        ("feed_item", item.seq, "acknowledgement"),
        ("record", stored.record.id, "withdrawal"),
    ]
    moved = "withdrawal: moved from 2026-10-05 to 2026-10-10"
    [news] = [i for i in _told(seeded, "BJ-CAAC-NC") if i.kind.value == "deadline_moved"]
    assert (news.entity_type, news.entity_id) == ("feed_item", desk.seq)
    assert news.detail.startswith(moved)
    assert [
        (i.entity_id, i.detail.startswith(moved))
        for i in _told(seeded, AGENCY)
        if i.kind.value == "deadline_moved"
    ] == [(item.seq, False), (item.seq, True)]  # its acknowledgement, then its withdrawal
    audited = _audits(seeded, EventTag.DEADLINE_RECOUNTED)
    assert sorted(
        (a.entity_type, a.data["to"]) for a in audited if a.data["kind"] == "withdrawal"
    ) == [("feed_item", "2026-10-10"), ("feed_item", "2026-10-10"), ("record", "2026-10-10")]

    clock.at = on(date(2026, 10, 12))  # Monday: one working day late
    late = [(item.seq, AGENCY, Deadline(date(2026, 10, 10), True), 1)]
    assert withdrawals(department=None, overdue=True) == late
    assert withdrawals(department=AGENCY, overdue=True) == late
    feed.acknowledge(seeded(), agency=AGENCY, seq=item.seq or 0, actor="key:baihang")
    assert withdrawals(department=None, overdue=False) == []
    assert deadlines.recount_deadlines(seeded(), policy, actor="sweep") == RecountSummary()


# The migration's backfill


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own (this test migrates down and up again)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'backfill.db'}"
        return
    assert PG_URL
    url = _fresh_postgres(PG_URL, "backfill")
    yield url
    _drop_postgres(PG_URL, url)


DEADLINE_COLUMNS = {
    "objections": ("centre_due", "source_due"),
    "repairs": ("accept_due", "feedback_due"),
    "credit_records": ("publish_by",),
    "list_entries": ("defence_deadline",),
}


def _stored(engine: Engine) -> dict[tuple[str, int, str], tuple[object, ...]]:
    """Every deadline as stored: (table, id, deadline) → (day, from, days, official), the days
    as ISO text."""
    found: dict[tuple[str, int, str], tuple[object, ...]] = {}
    with engine.connect() as conn:
        for table, names in DEADLINE_COLUMNS.items():
            for name in names:
                flag = "deadline_official" if table == "list_entries" else f"{name}_official"
                query = text(
                    f"SELECT id, {name}, {name}_from, {name}_days, {flag} FROM {table}"  # noqa: S608 - constant names
                    f" WHERE {name} IS NOT NULL"
                )
                for row_id, *values in conn.execute(query):
                    found[(table, row_id, name)] = (  # SQLite answers dates as text
                        str(values[0]),
                        str(values[1]),
                        values[2],
                        bool(values[3]),
                    )
    return found


def test_the_migration_backfills_what_every_stored_deadline_was_counted_from(
    fresh_url: str, policy: Policy
) -> None:
    engine = make_engine(fresh_url)
    upgrade(engine)
    last = max(calendar.official_years())  # the last year the installed calendar covers
    clock = Clock(on(date(last, 6, 10)))
    make = partial(SqlUnitOfWork, make_session_factory(engine), clock)
    departments.sync_departments(make(), policy.departments, actor="test")
    number = citizen_id(born=date(1980, 1, 1))
    # Counted on the official calendar: mid-year.
    _object(make, policy, _submit(make, policy, subject_id=number, decision_date=f"{last}-06-01"))
    _repair(make, policy, _submit(make, policy, subject_id=number, decision_date=f"{last}-03-01"))
    # Counted Monday to Friday: every count that runs into the next year.
    clock.at = on(date(last, 12, 30))
    # A fine of 80,000 yuan: serious, as the food-safety listing proposed on it needs.
    late = _submit(
        make, policy, subject_id=number, decision_date=f"{last}-12-28", fine_amount="80000"
    )
    objected = _object(make, policy, late)
    listed = list_proposals.propose(
        make(),
        policy,
        list_code="FOOD-DRUG-SERIOUS",
        subject_number=late.subject_number,
        grounds="多次销售超过保质期的食品",
        basis_records=[late.record.id],
        department="BJ-AMR",
        actor="amr-officer",
    )
    lists.serve_notice(make(), policy, listed.entry.id or 0, department="BJ-AMR", actor="amr")
    clock.at = on(date(last, 12, 31))
    objections.forward_objection(make(), policy, objected.id or 0, department=None, actor="staff")
    _repair(make, policy, _submit(make, policy, subject_id=number, decision_date=f"{last}-09-01"))
    before = _stored(engine)
    assert len(before) == 12  # 4 records, 2 objections with 3 deadlines, 2 repairs with 4, 1 notice
    assert {official for *_, official in before.values()} == {True, False}
    assert before[("objections", objected.id, "source_due")][1:] == (f"{last}-12-31", 2, False)

    downgrade(engine, "7c4e2a9b1f30")  # the deadlines' columns go (the revision before them)
    upgrade(engine)  # ... and come back, backfilled from what the rows still hold

    assert _stored(engine) == before
    engine.dispose()


def test_an_agencys_acknowledgement_counted_monday_to_friday_is_counted_again_and_it_is_told(
    seeded: UowFactory, policy: Policy, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calendar, "official_years", lambda: BEFORE_2026)  # 2026 "not out yet"
    clock.at = on(date(2026, 9, 29))
    stored = _submit(seeded, policy, subject_id=citizen_id(), decision_date="2026-06-01")
    authorisations.grant_authorisation(
        seeded(),
        policy,
        subject_id=stored.record.subject_id,
        grantee=AGENCY,
        purpose="loan_approval",
        scope="records",
        expires_on=date(2026, 12, 31),
        actor="account:1",
    )
    caller = agency_key(seeded(), AGENCY, at=clock.at)
    authorisations.agency_query(
        seeded(),
        policy,
        caller=caller,
        number=stored.subject_number,
        purpose="loan_approval",
        scope="records",
    )
    revoke_record(seeded(), policy, stored.record.id, department=None, reason="复议撤销", actor="c")
    staff = caller.agency_staff_id
    [item] = feed.read_feed(seeded(), recipient=AGENCY, after=0, limit=10, staff=staff)
    with seeded() as uow:
        owed = uow.feed.acknowledgement(item.seq or 0)
    assert owed is not None
    assert (owed.due.day, owed.due.official) == (date(2026, 10, 2), False)  # Monday to Friday

    monkeypatch.setattr(calendar, "official_years", lambda: COVERED)
    deadlines.recount_deadlines(seeded(), policy, actor="sweep")
    with seeded() as uow:
        owed = uow.feed.acknowledgement(item.seq or 0)
    assert owed is not None
    # The National Day holidays: three working days from 29 September end on 9 October.
    assert (owed.due.day, owed.due.official) == (date(2026, 10, 9), True)
    moved = feed.read_feed(seeded(), recipient=AGENCY, after=item.seq or 0, limit=10, staff=staff)
    # Its acknowledgement and its withdrawal of the record, each told by its own item.
    assert sorted((i.kind.value, i.entity_type, i.entity_id, i.detail) for i in moved) == [
        ("deadline_moved", "feed_item", item.seq, f"{kind}: moved from 2026-10-02 to 2026-10-09;"
         " it was counted Monday to Friday and is now counted on the official calendar")
        for kind in ("acknowledgement", "withdrawal")
    ]  # fmt: skip
    clock.at = on(date(2026, 10, 9))
    running = deadlines.watched_deadlines(
        seeded(), kinds=[DeadlineKind.ACKNOWLEDGEMENT], department=AGENCY, overdue=False
    )
    assert [(w.due.day, w.must_act) for w in running] == [(date(2026, 10, 9), AGENCY)]
    assert deadlines.watched_deadlines(seeded(), department=AGENCY, overdue=True) == []
