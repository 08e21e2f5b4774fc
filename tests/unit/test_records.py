"""Records: the catalog gate for one submitted row (what is accepted, and how every refusal is
named), and the record use cases over the fakes."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from tests.factories import AMR_USCC, citizen_id, penalty_row
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import submitted
from xinyong.domain.audit import EventTag
from xinyong.domain.catalog import Severity
from xinyong.domain.departments import Department
from xinyong.domain.errors import Conflict, FieldProblem, NotFound, RowRejected
from xinyong.domain.policy import Policy
from xinyong.domain.records import (
    CreditRecord,
    Outcome,
    RecordAlreadyRevoked,
    RecordStatus,
    Submission,
    validate_row,
)
from xinyong.services.records import get_record, revoke_record

TODAY = date(2026, 11, 20)
ROW = 7
EDU_USCC = "111100000000210477"  # BJ-EDU in the shipped departments
CREDIT_USCC = "12110000400005214X"  # BJ-CREDIT


def department(policy: Policy, code: str) -> Department:
    found = policy.department(code)
    assert found is not None, code
    return found


def submit(
    policy: Policy, raw: dict[str, object], dept: str = "BJ-AMR", today: date = TODAY
) -> Submission:
    return validate_row(raw, row=ROW, department=department(policy, dept), gate=policy.gate(today))


def rejected(
    policy: Policy, raw: dict[str, object], dept: str = "BJ-AMR", today: date = TODAY
) -> dict[str, str]:
    """Return {field: reason} of the refusal, checking every problem names the row."""
    with pytest.raises(RowRejected) as caught:
        submit(policy, raw, dept, today)
    problems = caught.value.problems
    assert all(p.row == ROW for p in problems)
    return {p.field: p.reason for p in problems}


def test_a_good_row_is_accepted_with_its_severity_and_periods(policy: Policy) -> None:
    raw = penalty_row(subject_id=" 11010519491231002x ", fine_amount="5,000")

    accepted = submit(policy, raw)

    assert accepted.item.code == "ADM-PEN-01"
    assert accepted.catalog_version == "2024.1"
    assert accepted.department == "BJ-AMR"
    assert accepted.subject_number == "11010519491231002X"
    assert accepted.person is not None
    assert accepted.authority_uscc == AMR_USCC
    assert accepted.fields["fine_amount"] == "5000.00"
    assert accepted.assessment.severity is Severity.GENERAL
    assert accepted.assessment.published
    assert accepted.assessment.display_ends == date(2027, 9, 1)
    assert not accepted.expired_on_arrival
    assert accepted.original == raw


def test_a_large_fine_is_assessed_serious(policy: Policy) -> None:
    accepted = submit(policy, penalty_row(fine_amount="60000"))

    assert accepted.assessment.severity is Severity.SERIOUS
    assert accepted.assessment.display_ends == date(2029, 9, 1)


def test_a_simplified_procedure_penalty_is_minor_and_unpublished(policy: Policy) -> None:
    accepted = submit(policy, penalty_row(procedure="simplified", fine_amount="200"))

    assert accepted.assessment.severity is Severity.MINOR
    assert not accepted.assessment.published


@pytest.mark.parametrize(
    ("overrides", "stored"),
    [
        (
            {
                "document_number": "京市监罚〔2026〕00001号",
                "birth_date": "1949-12-31",
                "valid_from": "2026-09-01",
                "valid_until": "2027-03-01",
            },
            "b41068eeff8410b0dde2efbfe51b2e85",
        ),
        (
            {
                "document_number": "京市监罚〔2026〕00002号",
                "fine_amount": "1,234.5",
                "subject_name": 'O\'Brien "Ann" 王',
            },
            "f571af0cc5d1f8c6c02340f1f0912af4",
        ),
    ],
)
def test_the_content_hash_is_the_one_stored_records_carry(
    policy: Policy, overrides: dict[str, object], stored: str
) -> None:
    # Stored records are compared with resubmissions by this hash: however it is computed, a
    # row must hash as it always did, or every resubmission would count as changed.
    raw = penalty_row(subject_id="11010519491231002X", **overrides)

    assert submit(policy, raw).content_hash == stored


def test_the_same_content_gives_the_same_hash(policy: Policy) -> None:
    raw = penalty_row()

    assert submit(policy, raw).content_hash == submit(policy, dict(raw)).content_hash
    assert (
        submit(policy, raw).content_hash
        != submit(policy, {**raw, "fine_amount": "5001"}).content_hash
    )


def test_every_bad_field_is_reported_in_one_refusal(policy: Policy) -> None:
    raw = penalty_row(
        subject_id="110105194912310021",
        decision_date="2026-13-01",
        authority_uscc="11110000000021135N",
        penalty_type="flogging",
        fine_amount="abc",
        violation="",
    )

    problems = rejected(policy, raw)

    assert set(problems) == {
        "subject_id",
        "decision_date",
        "authority_uscc",
        "penalty_type",
        "fine_amount",
        "violation",
    }
    assert problems["subject_id"] == (
        "not a valid citizen ID number: check character is 1, the number needs X"
    )
    assert problems["violation"] == "is required"
    assert "must be one of warning" in problems["penalty_type"]


def test_a_refusal_never_repeats_the_id_number(policy: Policy) -> None:
    with pytest.raises(RowRejected) as caught:
        submit(policy, penalty_row(subject_id="110105194912310021"))

    assert "110105194912310021" not in str(caught.value)
    assert all("110105194912310021" not in p.reason for p in caught.value.problems)


def test_an_unknown_item_is_refused(policy: Policy) -> None:
    problems = rejected(policy, penalty_row(item="ADM-XYZ-99"))

    assert problems["item"] == "is not an item of catalog 2024.1"


def test_a_row_without_an_item_is_refused(policy: Policy) -> None:
    assert rejected(policy, penalty_row(item=""))["item"] == "is required"


@pytest.mark.parametrize(
    "column",
    ["item", "document_number", "subject_id", "decision_date", "authority_uscc", "violation"],
)
@pytest.mark.parametrize("blank", ["", "   ", "\t\u3000", None, "absent"])
def test_a_blank_or_absent_required_field_is_required(
    policy: Policy, column: str, blank: str | None
) -> None:
    raw = penalty_row()
    if blank == "absent":
        del raw[column]
    else:
        raw[column] = blank

    assert rejected(policy, raw)[column] == "is required"


def test_a_department_may_submit_only_its_own_items(policy: Policy) -> None:
    raw = penalty_row(
        item="JUD-DEBTOR-01",
        case_number="（2026）京0105执12345号",
        court_name="北京市朝阳区人民法院",
        enforcement_basis="（2025）京0105民初6789号",
        obligation="偿还借款本金及利息",
        performance_status="not_performed",
        dishonest_conduct="able_but_refuses",
    )
    for name in ("penalty_type", "procedure", "violation", "legal_provision", "fine_amount"):
        raw.pop(name)

    problems = rejected(policy, raw, dept="BJ-AMR")

    assert problems == {"item": "department BJ-AMR may not provide JUD-DEBTOR-01"}
    court = {"authority_name": "北京市朝阳区人民法院", "authority_uscc": "1111010500001105X2"}
    accepted = submit(policy, {**raw, **court}, dept="BJ-COURT-CY")
    assert accepted.assessment.severity is Severity.SERIOUS


@pytest.mark.parametrize(
    ("column", "concept"),
    [
        ("blood_type", "blood type"),
        ("Blood Group", "blood type"),
        ("宗教信仰", "religious belief"),
        ("fingerprint", "fingerprints"),
        ("diagnosis", "disease and medical history"),
    ],
)
def test_a_banned_field_in_the_row_is_refused(policy: Policy, column: str, concept: str) -> None:
    problems = rejected(policy, penalty_row(**{column: "A"}))

    assert problems == {column: f"{concept} may never be collected (statutory ban)"}


def test_a_column_that_is_not_a_data_item_is_refused(policy: Policy) -> None:
    problems = rejected(policy, penalty_row(shoe_size="42"))

    assert problems == {"shoe_size": "is not a data item of ADM-PEN-01"}


def test_blank_unknown_columns_are_ignored(policy: Policy) -> None:
    accepted = submit(policy, penalty_row(shoe_size="", blood_type="   ", court_name=None))

    assert accepted.item.code == "ADM-PEN-01"


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("fine_amount", "abc", "must be a number"),
        ("fine_amount", "12.345", "must have at most two decimal places"),
        ("fine_amount", "-1", "must be at least 0"),
        ("fine_amount", True, "must be a number"),
        ("penalty_type", "flogging", "must be one of warning, criticism"),
        ("violation", ["a", "list"], "must be text"),
        ("decision_date", "01/09/2026", "must be a date as YYYY-MM-DD"),
        ("valid_from", "2026-02-30", "must be a date as YYYY-MM-DD"),
        ("document_number", "号" * 101, "is 101 characters long; at most 100 are allowed"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(
    policy: Policy, column: str, value: object, reason: str
) -> None:
    problems = rejected(policy, penalty_row(**{column: value}))

    assert list(problems) == [column]
    assert reason in problems[column]


def test_a_decision_dated_after_today_is_refused(policy: Policy) -> None:
    problems = rejected(policy, penalty_row(decision_date="2026-11-21"))

    assert problems == {"decision_date": "2026-11-21 is in the future"}


def test_a_validity_that_ends_before_it_starts_is_refused(policy: Policy) -> None:
    problems = rejected(policy, penalty_row(valid_from="2026-09-01", valid_until="2026-08-31"))

    assert problems == {"valid_until": "is before valid_from"}


def test_an_organisation_item_needs_a_credit_code(policy: Policy) -> None:
    # A fixed citizen number: about one in 31 made by the factory is also a well-formed credit
    # code (its check character happens to fit), which made this test depend on test order.
    raw = penalty_row(item="ADM-PEN-02", subject_id="11010519491231002X")

    problems = rejected(policy, raw)

    assert problems["subject_id"].startswith("not a valid unified social credit code")


def student_loan_row(subject_id: str, decision_date: str) -> dict[str, object]:
    return {
        "item": "CON-STULOAN-01",
        "document_number": "京教助贷〔2026〕0042号",
        "subject_id": subject_id,
        "subject_name": "李明",
        "decision_date": decision_date,
        "authority_name": "北京市教育委员会",
        "authority_uscc": EDU_USCC,
        "loan_contract_number": "GJZXDK-2024-000123",
        "school_name": "北京某大学",
        "overdue_principal": "6000",
        "overdue_days": "120",
    }


def test_a_minor_is_refused_for_an_item_that_applies_from_eighteen(policy: Policy) -> None:
    student = citizen_id(born=date(2008, 6, 1))

    problems = rejected(policy, student_loan_row(student, "2026-05-31"), dept="BJ-EDU")

    assert problems == {
        "subject_id": "the subject was 17 on the decision date; CON-STULOAN-01 applies from 18"
    }


def test_the_same_person_is_accepted_from_their_eighteenth_birthday(policy: Policy) -> None:
    student = citizen_id(born=date(2008, 6, 1))

    accepted = submit(policy, student_loan_row(student, "2026-06-01"), dept="BJ-EDU")

    assert accepted.person is not None
    assert accepted.person.age_on(accepted.decision_date) == 18


def test_a_region_code_newer_than_the_birth_year_is_accepted(policy: Policy) -> None:
    accepted = submit(policy, penalty_row(subject_id="440305196501011232"))

    assert accepted.person is not None
    assert accepted.person.region.code == "440305"
    assert not accepted.unknown_region


def test_a_region_code_unknown_to_the_table_is_accepted_and_flagged(policy: Policy) -> None:
    accepted = submit(policy, penalty_row(subject_id=citizen_id(region="449999")))

    assert accepted.subject_number.startswith("449999")
    assert accepted.unknown_region


@pytest.mark.parametrize(
    ("born", "reason"),
    [
        (date(1800, 1, 1), "birth date 1800-01-01 is more than 130 years ago"),
        (date(2027, 1, 1), "birth date 2027-01-01 is in the future"),
    ],
    ids=["1800", "future"],
)
def test_an_implausible_birth_date_is_refused(policy: Policy, born: date, reason: str) -> None:
    problems = rejected(policy, penalty_row(subject_id=citizen_id(born=born)))

    assert problems == {"subject_id": f"not a valid citizen ID number: {reason}"}


def income_row(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "item": "SELF-INC-01",
        "document_number": "京信申〔2026〕000118号",
        "subject_id": citizen_id(),
        "subject_name": "张伟",
        "decision_date": "2026-10-15",
        "authority_name": "北京市公共信用信息中心",
        "authority_uscc": CREDIT_USCC,
        "annual_income": "180000",
        "income_year": "2025",
        "income_source": "wages",
        "evidence": "individual_income_tax_record",
    }
    row.update(overrides)
    return row


def test_an_item_needing_consent_is_refused_without_a_consent_reference(policy: Policy) -> None:
    problems = rejected(policy, income_row(), dept="BJ-CREDIT")

    assert problems == {"consent_reference": "is required"}


def test_an_item_needing_consent_is_accepted_with_a_consent_reference(policy: Policy) -> None:
    accepted = submit(policy, income_row(consent_reference="SQ-2026-000118"), dept="BJ-CREDIT")

    assert accepted.consent_reference == "SQ-2026-000118"
    assert accepted.fields["annual_income"] == "180000.00"
    assert not accepted.assessment.published


def test_a_record_past_its_display_period_is_accepted_as_expired_on_arrival(
    policy: Policy,
) -> None:
    accepted = submit(policy, penalty_row(decision_date="2025-06-01"))

    assert accepted.assessment.display_ends == date(2026, 6, 1)
    assert accepted.expired_on_arrival


def test_a_record_past_its_retention_period_is_refused(policy: Policy) -> None:
    # general: shown until 2021-06-01, then archived for 5 years until 2026-06-01
    problems = rejected(policy, penalty_row(decision_date="2020-06-01"))

    assert list(problems) == ["decision_date"]
    assert "retention period ended on 2026-06-01" in problems["decision_date"]


def test_a_record_is_shown_only_while_active_and_before_its_display_ends() -> None:
    from datetime import UTC, datetime

    from xinyong.domain.records import CreditRecord, RecordStatus

    at = datetime(2026, 1, 5, tzinfo=UTC)
    record = CreditRecord(
        id=1,
        department="BJ-AMR",
        document_number="D-1",
        item_code="ADM-PEN-01",
        catalog_version="2024.1",
        subject_id=1,
        status=RecordStatus.ACTIVE,
        severity="general",
        published=True,
        decision_date=date(2026, 1, 5),
        display_ends=date(2027, 1, 5),
        repair_from=date(2026, 4, 5),
        retention_ends=date(2032, 1, 5),
        publish_by=None,
        authority_name="北京市市场监督管理局",
        fields={},
        content_hash="h",
        batch_id=None,
        received_at=at,
        updated_at=at,
    )
    assert record.is_displayable_on(date(2027, 1, 4))
    assert not record.is_displayable_on(date(2027, 1, 5))  # display_ends is the first day not shown
    record.revoke(reason="复议撤销", at=at, archive_years=5)
    assert not record.is_displayable_on(date(2026, 6, 1))


# An ID number sent where it does not belong is never repeated in a refusal


def refusal(policy: Policy, raw: dict[str, object]) -> list[FieldProblem]:
    department = policy.department("BJ-AMR")
    assert department is not None
    with pytest.raises(RowRejected) as caught:
        validate_row(raw, row=3, department=department, gate=policy.gate(TODAY))
    return caught.value.problems


@pytest.mark.parametrize(
    "field", ["item", "decision_date", "fine_amount", "penalty_type", "valid_until"]
)
def test_an_id_number_typed_into_another_column_is_never_repeated(
    policy: Policy, field: str
) -> None:
    number = citizen_id()
    problems = refusal(policy, penalty_row(**{field: number}))
    assert [p.field for p in problems] == [field]
    for spaced in (number, f"{number[:6]} {number[6:14]} {number[14:]}"):
        problems = refusal(policy, penalty_row(**{field: spaced}))
        assert number[:14] not in problems[0].reason.replace(" ", "")


def test_a_header_row_made_of_data_does_not_repeat_the_id_number_as_a_field_name(
    policy: Policy,
) -> None:
    number = citizen_id()  # a CSV sent without its header: the first row's cells become names
    problems = refusal(policy, {**penalty_row(), number: "x"})
    assert len(problems) == 1
    assert number not in problems[0].field
    assert number not in str(RowRejected(problems))


def test_a_field_name_with_control_characters_or_no_end_is_named_safely(
    policy: Policy,
) -> None:
    problems = refusal(policy, {**penalty_row(), "a\x00b": "1", "x" * 5000: "1"})
    names = [p.field for p in problems]
    assert all(name.isprintable() and len(name) <= 100 for name in names)
    assert "a?b" in names


# The record use cases over the fakes: stored once, held on a conflicting identity, revoked once


def test_a_record_is_stored_once_then_left_unchanged_and_its_acceptance_audited(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    row = penalty_row()
    first = submitted(uow, policy, row)
    again = submitted(uow, policy, row)
    assert (first.outcome, again.outcome) == (Outcome.ACCEPTED, Outcome.UNCHANGED)
    assert again.record.id == first.record.id
    assert first.subject_number == row["subject_id"]
    assert (first.record.status, first.held_for_review) == (RecordStatus.ACTIVE, False)
    assert (len(uow.committed.records), len(uow.committed.subjects)) == (1, 1)
    audited = [e for e in uow.committed.audit if e.entity_type == "record"]
    assert [(e.tag, e.entity_id) for e in audited] == [
        (EventTag.RECORD_ACCEPTED, str(first.record.id))
    ]


def test_a_changed_resubmission_replaces_the_record_and_keeps_the_old_version(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    row = penalty_row(fine_amount="1000")
    first = submitted(uow, policy, row)
    changed = submitted(uow, policy, {**row, "fine_amount": "80000"})
    assert changed.outcome is Outcome.UPDATED
    assert changed.record.id == first.record.id
    assert changed.record.severity == "serious"
    [revision] = uow.committed.revisions
    assert (revision.record_id, revision.content_hash) == (
        first.record.id,
        first.record.content_hash,
    )
    assert EventTag.RECORD_UPDATED in [e.tag for e in uow.committed.audit]


def test_a_name_that_disagrees_with_the_known_subject_holds_the_record_for_review(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    number = citizen_id()
    submitted(uow, policy, penalty_row(subject_id=number, subject_name="李建国"))
    held = submitted(uow, policy, penalty_row(subject_id=number, subject_name="李建围"))
    assert held.held_for_review is True
    assert held.record.status is RecordStatus.IDENTITY_HOLD
    [review] = uow.committed.reviews.values()
    assert (review.record_id, review.known_value, review.submitted_value) == (
        held.record.id,
        "李建国",
        "李建围",
    )
    assert [s.name for s in uow.committed.subjects.values()] == ["李建国"]  # never merged
    assert EventTag.RECORD_HELD in [e.tag for e in uow.committed.audit]


def test_a_refused_row_or_an_unregistered_department_stores_nothing(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    before = uow.snapshot()
    with pytest.raises(RowRejected):
        submitted(uow, policy, penalty_row(religion="佛教"))
    with pytest.raises(NotFound, match="not registered"):
        submitted(uow, policy, penalty_row(), department="NOPE")
    assert uow.committed == before


def test_a_row_outside_the_departments_mandate_is_refused_and_the_refusal_audited(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    """A court's decision sent by market regulation, and an item it may not provide: each is
    refused, stores nothing and is audited as `mandate:refused` without the row's values."""
    number = citizen_id()
    court = {"authority_name": "北京市朝阳区人民法院", "authority_uscc": "1111010500001105X2"}
    before = uow.snapshot()
    with pytest.raises(RowRejected) as caught:
        submitted(uow, policy, penalty_row(subject_id=number, **court))
    assert [p.code for p in caught.value.problems] == ["not_own_authority"]
    with pytest.raises(RowRejected):
        submitted(uow, policy, penalty_row(subject_id=number, item="SU-TAX-01"))
    assert (uow.committed.records, uow.committed.subjects) == (before.records, before.subjects)
    refused = [e for e in uow.committed.audit if e.tag is EventTag.MANDATE_REFUSED]
    assert [(e.actor, e.entity_id, e.data) for e in refused] == [
        ("clerk", "record:submit", {"department": "BJ-AMR", "batch_id": None, "rows": rows})
        for rows in ({"not_own_authority": [0]}, {"item_not_mandated": [0]})
    ]
    assert all(number not in str(e) for e in refused)


def test_a_revocation_is_audited_and_a_second_one_is_a_conflict_that_commits_nothing(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    record, number = revoke_record(
        uow,
        policy,
        stored.record.id,
        department="BJ-AMR",
        reason="复议撤销原处罚决定",
        actor="amr-1",
    )
    assert (record.status, record.revocation_reason) == (RecordStatus.REVOKED, "复议撤销原处罚决定")
    assert record.revoked_at == uow.now()
    assert number == stored.subject_number
    before = uow.snapshot()
    with pytest.raises(Conflict):
        revoke_record(
            uow, policy, stored.record.id, department="BJ-AMR", reason="再次撤销", actor="amr-1"
        )
    assert uow.committed == before
    assert [e.tag for e in uow.committed.audit].count(EventTag.RECORD_REVOKED) == 1


def test_a_department_neither_reads_nor_revokes_another_departments_record(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    with pytest.raises(NotFound):
        get_record(uow, stored.record.id, department="BJ-TAX")
    with pytest.raises(NotFound):
        revoke_record(
            uow, policy, stored.record.id, department="BJ-TAX", reason="不是我们的", actor="t"
        )
    record, number = get_record(uow, stored.record.id, department=None)
    assert (record.status, number) == (RecordStatus.ACTIVE, stored.subject_number)


AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def record(status: RecordStatus = RecordStatus.ACTIVE) -> CreditRecord:
    return CreditRecord(
        id=7,
        department="BJ-AMR",
        document_number="京市监罚〔2026〕1号",
        item_code="ADM-PEN-01",
        catalog_version="2024.1",
        subject_id=1,
        status=status,
        severity="general",
        published=True,
        decision_date=date(2026, 9, 1),
        display_ends=date(2027, 9, 1),
        repair_from=date(2026, 12, 1),
        retention_ends=date(2031, 9, 1),
        publish_by=None,
        authority_name="北京市市场监督管理局",
        fields={},
        content_hash="x",
        batch_id=None,
        received_at=AT,
        updated_at=AT,
    )


Move = Callable[[CreditRecord], None]
MOVES: dict[str, tuple[Move, RecordStatus, RecordStatus]] = {
    "expire": (lambda r: r.expire(at=AT), RecordStatus.ACTIVE, RecordStatus.EXPIRED),
    "stop_display": (
        lambda r: r.stop_display(at=AT, archive_years=5),
        RecordStatus.ACTIVE,
        RecordStatus.CORRECTED,
    ),
    "repair": (
        lambda r: r.repair(at=AT, archive_years=5),
        RecordStatus.ACTIVE,
        RecordStatus.REPAIRED,
    ),
    "release": (lambda r: r.release(at=AT), RecordStatus.IDENTITY_HOLD, RecordStatus.ACTIVE),
}


@pytest.mark.parametrize("name", MOVES)
def test_each_transition_moves_from_its_one_source_state(name: str) -> None:
    move, source, target = MOVES[name]
    r = record(source)
    move(r)
    assert (r.status, r.updated_at) == (target, AT)


@pytest.mark.parametrize(
    ("name", "status"), [(n, s) for n, m in MOVES.items() for s in RecordStatus if s is not m[1]]
)
def test_every_other_state_refuses_the_transition(name: str, status: RecordStatus) -> None:
    move, _, _ = MOVES[name]
    r = record(status)
    with pytest.raises(Conflict, match=status.value):
        move(r)
    assert r.status is status


@pytest.mark.parametrize("status", [s for s in RecordStatus if s is not RecordStatus.REVOKED])
def test_a_record_can_be_revoked_from_any_state_but_once(status: RecordStatus) -> None:
    r = record(status)
    r.revoke(reason="复议撤销", at=AT, archive_years=5)
    assert (r.status, r.revoked_at, r.revocation_reason) == (RecordStatus.REVOKED, AT, "复议撤销")
    with pytest.raises(RecordAlreadyRevoked):
        r.revoke(reason="again", at=AT, archive_years=5)


STOPS: dict[str, Callable[[CreditRecord, int], None]] = {
    "stop_display": lambda r, years: r.stop_display(at=AT, archive_years=years),
    "repair": lambda r, years: r.repair(at=AT, archive_years=years),
    "revoke": lambda r, years: r.revoke(reason="复议撤销", at=AT, archive_years=years),
}


@pytest.mark.parametrize("stop", STOPS)
def test_a_record_out_of_display_early_is_archived_from_that_day_at_most_its_years(
    stop: str,
) -> None:
    r = record(RecordStatus.ACTIVE)  # shown until 1 September 2027, kept until 2031
    STOPS[stop](r, 3)
    assert (r.retention_ends, r.updated_at) == (date(2029, 11, 20), AT)  # 3 years from today
    r = record(RecordStatus.ACTIVE)
    STOPS[stop](r, 5)
    assert r.retention_ends == date(2031, 9, 1)  # never later than the end it had
    r = dataclasses.replace(record(RecordStatus.ACTIVE), display_ends=None, retention_ends=None)
    STOPS[stop](r, 5)
    assert r.retention_ends == date(2031, 11, 20)  # an open-ended record is archived too


def test_an_expiry_keeps_the_end_counted_from_the_display_end() -> None:
    r = record(RecordStatus.ACTIVE)
    r.expire(at=AT)
    assert r.retention_ends == date(2031, 9, 1)


def test_the_objection_mark_is_orthogonal_to_the_status() -> None:
    r = record(RecordStatus.ACTIVE)
    r.mark_objection(True)
    assert r.under_objection
    assert r.is_displayable_on(date(2026, 12, 1))
    r.repair(at=AT, archive_years=5)
    assert r.under_objection
    assert r.status is RecordStatus.REPAIRED
