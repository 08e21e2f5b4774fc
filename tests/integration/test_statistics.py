"""The statistics' SQL (db/statistics.py) gives the same tables as the fakes' Python on the same
history, on SQLite and PostgreSQL: records by month, double publicity, objections and repairs on
time, the feedback rate of checks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.factories import citizen_id, penalty_row
from tests.fakes import FakeUnitOfWork
from xinyong.domain.policy import Policy
from xinyong.domain.querylog import (
    NOTHING,
    Delivered,
    ItemKind,
    QueryEntry,
    QueryKind,
    encode_returned,
)
from xinyong.services import checks, objections, repairs, statistics
from xinyong.services.departments import sync_departments
from xinyong.services.records import Stored, resolve_identity_review, submit_record
from xinyong.services.subjects import list_identity_reviews

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
COMMITMENT = "本人承诺已缴清罚款并停止违法行为，今后诚信守法经营，如有违反愿承担相应责任。"


def _fines(uow: Callable[[], Any], policy: Policy, *days: str) -> list[Stored]:
    return [
        submit_record(
            uow(),
            policy,
            penalty_row(subject_id=citizen_id(), decision_date=day),
            department="BJ-AMR",
            actor="clerk",
        )
        for day in days
    ]


def _history(uow: Callable[[], Any], policy: Policy) -> None:
    stored = _fines(uow, policy, "2026-06-01", "2026-09-01", "2026-09-20", "2026-11-18")
    for s in stored[:3]:
        filed = objections.file_objection(
            uow(),
            policy,
            subject_id=s.record.subject_id,
            record_id=s.record.id,
            entry_id=None,
            ground="error_or_omission",
            reasons="记载有误",
            actor="account:1",
        )
        if s is stored[0]:
            objections.decide_objection(
                uow(), policy, filed.id or 0, outcome="correct", reasons="已更正",
                department=None, actor="centre",
            )  # fmt: skip
        if s is stored[2]:  # its clock stopped for testing: open, never overdue
            objections.pause_objection(
                uow(), policy, filed.id or 0, kind="testing", department=None, actor="centre"
            )
    _repairs(uow, policy)
    _checks(uow)


def _repairs(uow: Callable[[], Any], policy: Policy) -> None:
    """Two fines of May, repairable since August: one repair decided at once, one still open."""
    for n, s in enumerate(_fines(uow, policy, "2026-05-04", "2026-05-06")):
        repair = repairs.apply_for_repair(
            uow(), policy, subject_id=s.record.subject_id, record_id=s.record.id,
            obligations_performed=True, commitment=COMMITMENT, actor="account:2",
        )  # fmt: skip
        if n == 0:
            repairs.decide_repair(
                uow(), policy, repair.id or 0, repaired=True, reasons="已履行",
                department=None, actor="centre",
            )  # fmt: skip


def _checks(uow: Callable[[], Any]) -> None:
    """Three checks that returned a measure, two of them answered; one that returned nothing."""
    flight = encode_returned([Delivered(ItemKind.ENTRY, 7, "M-COURT-FLIGHT")])
    logged = []
    for returned in (flight, flight, flight, NOTHING):
        with uow() as log:
            (query_id,) = log.queries.add_many(
                [QueryEntry(log.now(), 42, QueryKind.CHECK, "BJ-CAAC-NC", "counter-7", "flight",
                            "registry check", returned)]
            )  # fmt: skip
            log.commit()
        logged.append(query_id)
    with uow() as log:  # the credit centre's own look: it applies no measure, owes no feedback
        log.queries.add_many(
            [QueryEntry(log.now(), 42, QueryKind.CHECK, None, "centre-staff", "flight",
                        "registry check", flight)]
        )  # fmt: skip
        log.commit()
    for query_id in logged[:2]:
        checks.give_feedback(
            uow(), query_id, measure="M-COURT-FLIGHT", applied=True, reason=None,
            department="BJ-CAAC-NC", actor="counter-7",
        )  # fmt: skip


def test_the_sql_statistics_are_the_fakes(seeded: Callable[[], Any], policy: Policy) -> None:
    _history(seeded, policy)
    fake = FakeUnitOfWork(at=NOW)
    sync_departments(fake, policy.departments, actor="test")
    _history(lambda: fake, policy)
    since = NOW - timedelta(days=366)
    today = (NOW + timedelta(hours=8)).date()
    sql = statistics.all_tables(seeded(), policy, since=since, today=today)
    assert [t.rows for t in sql] == [
        t.rows for t in statistics.all_tables(fake, policy, since=since, today=today)
    ]
    records, publicity, cases, feedback, regions = sql
    assert sum(int(r[3]) for r in records.rows) == 6
    assert publicity.rows == (("BJ-AMR", 1, 5),)
    assert cases.rows == (("objection", 1, 0, 0, 2), ("repair", 1, 0, 0, 1))
    later = today + timedelta(days=10)  # past the centre's day for both open objections
    sql_later = statistics.cases_on_time(seeded(), since=since, today=later)
    assert sql_later.rows == statistics.cases_on_time(fake, since=since, today=later).rows
    assert sql_later.rows[0] == ("objection", 1, 0, 1, 1)
    assert feedback.rows == (("BJ-CAAC-NC", 3, 2, 67),)
    # BJ-AMR and the civil-aviation desk are both in Beijing's region (policy/departments.toml).
    assert regions.rows == (("110000 北京市", 1, 5, 1, 0, 0, 1, 0, 0, 3, 2),)


def _moved_cases(uow: Callable[[], Any], policy: Policy) -> None:
    """A fine of May with its person's objection and repair application, then found by an
    identity review to be another person's: both cases close undecided (not_about_subject)."""
    row = penalty_row(subject_id=citizen_id(), decision_date="2026-05-04")
    stored = submit_record(uow(), policy, row, department="BJ-AMR", actor="clerk")
    a, record_id = stored.record.subject_id, stored.record.id
    objections.file_objection(
        uow(), policy, subject_id=a, record_id=record_id, entry_id=None,
        ground="error_or_omission", reasons="不是我", actor="account:1",
    )  # fmt: skip
    repairs.apply_for_repair(
        uow(), policy, subject_id=a, record_id=record_id, obligations_performed=True,
        commitment=COMMITMENT, actor="account:1",
    )  # fmt: skip
    moved = {**row, "subject_id": citizen_id(), "subject_name": "张伟"}
    submit_record(uow(), policy, moved, department="BJ-AMR", actor="clerk")
    [review] = list_identity_reviews(uow())
    resolve_identity_review(uow(), policy, review.id, same_person=False, note="核对", actor="c")


def _cases_a_month_later(
    seeded: Callable[[], Any], policy: Policy, cases: Callable[[Callable[[], Any], Policy], None]
) -> tuple[tuple[object, ...], ...]:
    """The cases table a month after `cases` were made, past every deadline they had, from the
    database and from the fakes alike."""
    cases(seeded, policy)
    fake = FakeUnitOfWork(at=NOW)
    sync_departments(fake, policy.departments, actor="test")
    cases(lambda: fake, policy)
    since, later = NOW - timedelta(days=366), (NOW + timedelta(days=30)).date()
    sql = statistics.cases_on_time(seeded(), since=since, today=later)
    assert sql.rows == statistics.cases_on_time(fake, since=since, today=later).rows
    return sql.rows


def test_cases_closed_because_their_record_is_another_persons_count_for_no_department(
    seeded: Callable[[], Any], policy: Policy
) -> None:
    rows = _cases_a_month_later(seeded, policy, _moved_cases)
    assert rows == (("objection", 0, 0, 0, 0), ("repair", 0, 0, 0, 0))


def _lacking_materials(uow: Callable[[], Any], policy: Policy) -> None:
    """A fine of May and its person's repair application, which lacks materials for good."""
    row = penalty_row(subject_id=citizen_id(), decision_date="2026-05-04")
    stored = submit_record(uow(), policy, row, department="BJ-AMR", actor="clerk")
    repairs.apply_for_repair(
        uow(), policy, subject_id=stored.record.subject_id, record_id=stored.record.id,
        obligations_performed=False, commitment="", actor="account:1",
    )  # fmt: skip


def test_an_application_lacking_materials_counts_for_no_department(
    seeded: Callable[[], Any], policy: Policy
) -> None:
    """It waits for its applicant: no department has it yet, so it is never late for one."""
    rows = _cases_a_month_later(seeded, policy, _lacking_materials)
    assert rows == (("objection", 0, 0, 0, 0), ("repair", 0, 0, 0, 0))
