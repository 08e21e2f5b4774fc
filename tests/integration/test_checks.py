"""Checks through the services, on real storage: they follow listings, exits and roles at once,
every answer is logged, and feedback says what was done with each measure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import update

from tests.factories import (
    citizen_id,
    credit_code,
    debtor_row,
    organisation_debtor_row,
)
from xinyong.db.subjects import SubjectRow, number_hash
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.catalog import SubjectType
from xinyong.domain.errors import Conflict, Invalid, NotFound
from xinyong.domain.index import Hit, person_key
from xinyong.domain.lists import ListEntry
from xinyong.domain.policy import Policy
from xinyong.domain.subjects import RoleKind, Subject
from xinyong.services import decided_lists, lists, reports
from xinyong.services.checks import Checker, give_feedback, run_check
from xinyong.services.records import Stored, submit_record
from xinyong.services.screening import screen
from xinyong.services.subjects import record_role

UowFactory = Callable[[], SqlUnitOfWork]


def _entries_of(make_uow: UowFactory, policy: Policy, subject_id: int) -> list[ListEntry]:
    uow = make_uow()
    with uow:
        return uow.entries.of_subject(subject_id, policy.list_types)


def _submit(
    make_uow: UowFactory, policy: Policy, row: dict[str, object], department: str = "BJ-AMR"
) -> Stored:
    return submit_record(make_uow(), policy, row, department=department, actor="clerk-3")


def _hits(hits: list[Hit]) -> list[tuple[str, int]]:
    return [(h.measure.code, h.posting.entry_id) for h in hits]


def _court_listing(make_uow: UowFactory, policy: Policy) -> tuple[str, int]:
    stored = _submit(make_uow, policy, debtor_row(), department="BJ-HCOURT")
    assert decided_lists.record_court_listings(make_uow(), policy, actor="court-feed") == 1
    (entry,) = _entries_of(make_uow, policy, stored.record.subject_id)
    assert entry.id is not None
    return stored.subject_number, entry.id


def test_a_check_sees_a_court_listing_at_once_and_its_end_at_once(
    seeded: UowFactory, policy: Policy, checker: Checker
) -> None:
    number, entry_id = _court_listing(seeded, policy)

    query_id, answer = run_check(
        seeded(), checker, number, "flight", department="BJ-CAAC-NC", actor="counter-7"
    )
    assert _hits(answer.hits) == [("M-COURT-FLIGHT", entry_id)]
    assert answer.hits[0].measure.legal_basis  # the answer cites the basis
    uow = seeded()
    with uow:
        assert uow.queries.count() == 1
        logged = uow.queries.get(query_id)
    assert logged.returned == f"M-COURT-FLIGHT@{entry_id}"
    assert (logged.department, logged.actor, logged.purpose) == (
        "BJ-CAAC-NC",
        "counter-7",
        "flight",
    )
    assert logged.subject_key == person_key(number)
    assert number not in repr(logged)  # the log keeps the key, never the number

    _, other = run_check(seeded(), checker, number, "star_hotel", department=None, actor="t")
    assert _hits(other.hits) == [("M-COURT-STAR-HOTEL", entry_id)]
    _, unrelated = run_check(seeded(), checker, number, "train_ticket", department=None, actor="t")
    assert unrelated.hits == []

    lists.end_listing(
        seeded(),
        policy,
        entry_id,
        ground="performance",
        note="已履行完毕",
        department="BJ-HCOURT",
        actor="court-feed",
    )
    _, after = run_check(
        seeded(), checker, number, "flight", department="BJ-CAAC-NC", actor="counter-7"
    )
    assert after.hits == []
    uow = seeded()
    with uow:
        assert uow.queries.count() == 4
        newest = uow.queries.for_key(person_key(number) or 0, limit=1)
    assert [q.returned for _, q in newest] == ["none"]


def test_a_check_refuses_an_unknown_matter_and_a_malformed_number(
    seeded: UowFactory, checker: Checker
) -> None:
    with pytest.raises(NotFound):
        run_check(seeded(), checker, citizen_id(), "space_flight", department=None, actor="t")
    with pytest.raises(Invalid) as caught:
        run_check(seeded(), checker, "11010519491231002Y", "flight", department=None, actor="t")
    assert "11010519491231002Y" not in caught.value.detail
    uow = seeded()
    with uow:
        assert uow.queries.count() == 0


def test_feedback_says_what_was_done_with_each_measure_once(
    seeded: UowFactory, policy: Policy, checker: Checker
) -> None:
    number, _ = _court_listing(seeded, policy)
    first, _ = run_check(seeded(), checker, number, "flight", department="BJ-CAAC-NC", actor="c")
    second, _ = run_check(seeded(), checker, number, "flight", department="BJ-CAAC-NC", actor="c")

    def feedback(query_id: int, **kw: object) -> object:
        args: dict[str, object] = {
            "measure": "M-COURT-FLIGHT",
            "applied": True,
            "reason": None,
            "department": "BJ-CAAC-NC",
            "actor": "counter-7",
        }
        args.update(kw)
        return give_feedback(seeded(), query_id, **args)  # type: ignore[arg-type]

    feedback(first)
    with pytest.raises(Conflict):
        feedback(first)
    with pytest.raises(Conflict):
        feedback(first, applied=False, reason="旅客已出示履行证明")
    with pytest.raises(Invalid):
        feedback(first, measure="M-COURT-STAR-HOTEL")  # a measure this check did not return
    with pytest.raises(Invalid):
        feedback(first, measure="M-NO-SUCH-MEASURE")
    with pytest.raises(NotFound):
        feedback(first, department="BJ-RAIL")  # another department's check
    with pytest.raises(NotFound):
        feedback(second + 100)

    with pytest.raises(Invalid):
        feedback(second, applied=False, reason=None)
    with pytest.raises(Invalid):
        feedback(second, applied=False, reason="   ")
    feedback(second, applied=False, reason="旅客已出示法院出具的解除限制决定书")

    uow = seeded()
    with uow:
        (applied,) = uow.queries.feedback_of(first)
        (refused,) = uow.queries.feedback_of(second)
    assert (applied.measure, applied.applied, applied.actor) == (
        "M-COURT-FLIGHT",
        True,
        "counter-7",
    )
    assert (refused.applied, refused.reason) == (False, "旅客已出示法院出具的解除限制决定书")


def test_feedback_on_a_check_that_returned_nothing_is_refused(
    seeded: UowFactory, checker: Checker
) -> None:
    clear, answer = run_check(
        seeded(), checker, citizen_id(), "flight", department="BJ-CAAC-NC", actor="c"
    )
    assert answer.hits == []
    for measure in ("none", "M-COURT-FLIGHT"):
        with pytest.raises(Invalid):
            give_feedback(
                seeded(),
                clear,
                measure=measure,
                applied=True,
                reason=None,
                department="BJ-CAAC-NC",
                actor="c",
            )


def test_an_organisations_listing_reaches_a_person_only_where_the_measure_names_the_role(
    seeded: UowFactory, policy: Policy, checker: Checker
) -> None:
    organisation = credit_code()
    _submit(seeded, policy, organisation_debtor_row(subject_id=organisation), "BJ-HCOURT")
    assert decided_lists.record_court_listings(seeded(), policy, actor="court-feed") == 1
    uow = seeded()
    with uow:
        org = uow.subjects.get_by_number(organisation)
        assert org is not None
        assert org.id is not None
        (org_entry,) = uow.entries.of_subject(org.id, policy.list_types)
        boss, clerk = citizen_id(), citizen_id()
        people = [
            Subject(None, SubjectType.PERSON, boss, "赵某", date(1980, 5, 17)),
            Subject(None, SubjectType.PERSON, clerk, "钱某", date(1980, 5, 17)),
        ]
        uow.subjects.add_many(people, at=uow.now())
        uow.commit()

    def check(number: str, matter: str) -> list[tuple[str, int]]:
        _, answer = run_check(seeded(), checker, number, matter, department=None, actor="t")
        return _hits(answer.hits)

    assert check(boss, "flight") == []  # not yet known to answer for it
    assert check(organisation, "government_procurement") == [
        ("M-GOV-PROCUREMENT-BAR", org_entry.id)
    ]

    record_role(
        seeded(),
        organisation=organisation,
        person=boss,
        kind=RoleKind.LEGAL_REPRESENTATIVE,
        since=date(2019, 6, 1),
        until=None,
        actor="amr-clerk",
    )
    record_role(
        seeded(),
        organisation=organisation,
        person=clerk,
        kind=RoleKind.LEGAL_REPRESENTATIVE,
        since=date(2015, 1, 1),
        until=date(2019, 5, 31),
        actor="amr-clerk",
    )

    _, flight = run_check(seeded(), checker, boss, "flight", department=None, actor="t")
    assert _hits(flight.hits) == [("M-COURT-FLIGHT", org_entry.id)]
    assert flight.hits[0].posting.role is RoleKind.LEGAL_REPRESENTATIVE
    assert check(boss, "star_hotel") == [("M-COURT-STAR-HOTEL", org_entry.id)]
    # The procurement bar and the recruitment bar name no roles: they stop at the organisation.
    assert check(boss, "government_procurement") == []
    assert check(boss, "civil_service_recruitment") == []
    # A former legal representative is no longer reached.
    assert check(clerk, "flight") == []
    assert check(organisation, "flight") == [("M-COURT-FLIGHT", org_entry.id)]


def test_the_persons_own_file_names_every_role_a_measure_reaches_them_through_as_checks_do(
    seeded: UowFactory, policy: Policy, checker: Checker
) -> None:
    organisation = credit_code()
    _submit(seeded, policy, organisation_debtor_row(subject_id=organisation), "BJ-HCOURT")
    assert decided_lists.record_court_listings(seeded(), policy, actor="court-feed") == 1
    boss = citizen_id()
    uow = seeded()
    with uow:
        uow.subjects.add_many(
            [Subject(None, SubjectType.PERSON, boss, "赵某", date(1980, 5, 17))], at=uow.now()
        )
        uow.commit()
        person = uow.subjects.get_by_number(boss)
        assert person is not None
        assert person.id is not None
    for kind in (RoleKind.LEGAL_REPRESENTATIVE, RoleKind.PRINCIPAL_RESPONSIBLE):
        record_role(
            seeded(),
            organisation=organisation,
            person=boss,
            kind=kind,
            since=date(2019, 6, 1),
            until=None,
            actor="amr-clerk",
        )

    _, answer = run_check(seeded(), checker, boss, "flight", department=None, actor="t")
    checked = {
        (h.measure.code, h.posting.role.value if h.posting.role else None) for h in answer.hits
    }
    assert checked == {
        ("M-COURT-FLIGHT", "legal_representative"),
        ("M-COURT-FLIGHT", "principal_responsible"),
    }
    own = reports.read_own_file(seeded(), policy, person.id)
    in_file = {(m.code, m.via_role) for m in own.measures if m.code == "M-COURT-FLIGHT"}
    assert in_file == checked


def test_a_number_whose_index_key_another_subject_holds_is_not_listed(
    seeded: UowFactory, policy: Policy, checker: Checker
) -> None:
    """Index keys are keyed 62-bit hashes, so two numbers may share one: a hit is confirmed
    against the stored subject's number hash, singly and in a screening, and a number that only
    shares the listed subject's key is answered clear."""
    number, _ = _court_listing(seeded, policy)
    other = citizen_id(born=date(1975, 3, 9))
    with seeded() as uow:  # the listed subject now sits under the other number's key
        uow.session.execute(
            update(SubjectRow)
            .where(SubjectRow.number_hash == number_hash(number))
            .values(subject_key=person_key(other))
        )
        uow.commit()
    checker.load()

    _, answer = run_check(seeded(), checker, other, "flight", department=None, actor="t")
    assert answer.hits == []
    rows = [(1, other), (2, number)]
    screened = list(
        screen(
            checker,
            rows,
            "flight",
            department="BJ-CAAC-NC",
            actor="t",
            screening_id=1,
            sink=lambda template, logged: None,
        )
    )
    assert [r[2] for r in screened] == ["clear", "clear"]
