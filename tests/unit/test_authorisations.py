"""Authorisations over the fakes: a party queries a person's records only under a live
authorisation for its scope and purpose; every query, answered or refused, is logged."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from tests.factories import citizen_id, penalty_row
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import authorised_query, court_listing, on, party, submitted
from xinyong.domain.audit import EventTag
from xinyong.domain.authorisations import AuthorisationRules
from xinyong.domain.errors import CatalogError, Conflict, Invalid, NotAllowed, NotFound
from xinyong.domain.index import person_key
from xinyong.domain.policy import Policy
from xinyong.domain.querylog import REFUSED, QueryKind
from xinyong.policy import PACKAGED, read_toml
from xinyong.services.authorisations import (
    NotAuthorised,
    agency_query,
    authorisations_of,
    grant_authorisation,
    revoke_authorisation,
)

AGENCY = "AGENCY-BAIHANG"


def _query(
    uow: FakeUnitOfWork, policy: Policy, number: str, *, scope: str = "records"
) -> list[int]:
    answer = agency_query(
        uow, policy, caller=party(uow, AGENCY), number=number, purpose="loan_approval", scope=scope
    )
    return [r.id for r in answer.records]


def test_an_authorised_party_receives_the_records_shown_today_and_the_query_is_logged(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    answer = authorised_query(uow, policy, stored, AGENCY)
    assert [r.id for r in answer.records] == [stored.record.id]
    assert answer.entries == []  # the scope is records
    logged = uow.committed.queries[answer.query_id]
    assert (logged.kind, logged.department, logged.returned) == (
        QueryKind.AGENCY,
        AGENCY,
        f"record@{stored.record.id}",
    )
    assert logged.authority == f"authorisation {answer.authorisation.id}"
    assert logged.subject_key == person_key(stored.subject_number)
    assert EventTag.AGENCY_QUERIED in [e.tag for e in uow.committed.audit]

    uow.at = on(date(2027, 9, 1))  # the record's display has ended: nothing is given out
    grant_authorisation(
        uow,
        policy,
        subject_id=stored.record.subject_id,
        grantee=AGENCY,
        purpose="loan_approval",
        scope="records",
        expires_on=date(2027, 12, 31),
        actor="account:1",
    )
    assert _query(uow, policy, stored.subject_number) == []


def test_a_revoked_authorisation_refuses_an_agency_query_and_the_refusal_is_logged(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    granted = authorised_query(uow, policy, stored, AGENCY).authorisation
    revoked = revoke_authorisation(
        uow,
        subject_id=stored.record.subject_id,
        authorisation_id=granted.id or 0,
        actor="account:1",
    )
    assert revoked.is_live_on(date(2026, 11, 20)) is False
    commits = uow.commits
    with pytest.raises(NotAuthorised, match="refused and logged") as refused:
        _query(uow, policy, stored.subject_number)
    assert stored.subject_number not in refused.value.detail
    assert uow.commits == commits + 1  # the refusal itself is committed
    newest = uow.committed.queries[max(uow.committed.queries)]
    assert (newest.kind, newest.returned, newest.department) == (
        QueryKind.AGENCY_REFUSED,
        REFUSED,
        AGENCY,
    )
    assert uow.committed.audit[-1].tag is EventTag.AGENCY_REFUSED


def test_a_query_about_an_unknown_person_is_refused_and_logged_like_any_other(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stranger = citizen_id()
    with pytest.raises(NotAuthorised) as refused:
        _query(uow, policy, stranger)
    assert stranger not in refused.value.detail
    [logged] = uow.committed.queries.values()
    assert (logged.kind, logged.subject_key) == (QueryKind.AGENCY_REFUSED, person_key(stranger))


def test_an_authorisation_opens_only_its_own_scope_and_purpose_for_its_own_party(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    grant_authorisation(
        uow,
        policy,
        subject_id=stored.record.subject_id,
        grantee=AGENCY,
        purpose="loan_approval",
        scope="lists",
        expires_on=date(2026, 12, 31),
        actor="account:1",
    )
    with pytest.raises(NotAuthorised):
        _query(uow, policy, stored.subject_number, scope="records")
    with pytest.raises(NotAuthorised):
        agency_query(
            uow,
            policy,
            caller=party(uow, "AGENCY-PUDAO"),
            number=stored.subject_number,
            purpose="loan_approval",
            scope="lists",
        )
    with pytest.raises(NotAuthorised):
        agency_query(
            uow,
            policy,
            caller=party(uow, AGENCY),
            number=stored.subject_number,
            purpose="credit_card_approval",
            scope="lists",
        )
    assert uow.committed.queries[max(uow.committed.queries)].kind == QueryKind.AGENCY_REFUSED


@pytest.mark.parametrize(
    ("scope", "gets_records", "gets_listings"),
    [("records", True, False), ("lists", False, True), ("report", True, True)],
)
def test_an_agency_receives_only_what_the_scope_the_person_authorised_covers(
    uow: FakeUnitOfWork, policy: Policy, scope: str, gets_records: bool, gets_listings: bool
) -> None:
    # the person has a court listing (on the court's record) and a fine of their own
    court, entry = court_listing(uow, policy)
    same_person = {"subject_id": court.subject_number, "subject_name": "李建国"}
    fine = submitted(uow, policy, penalty_row(**same_person))
    assert (fine.record.subject_id, fine.held_for_review) == (court.record.subject_id, False)
    grant_authorisation(
        uow,
        policy,
        subject_id=court.record.subject_id,
        grantee=AGENCY,
        purpose="loan_approval",
        scope=scope,
        expires_on=date(2026, 12, 31),
        actor="account:1",
    )
    answer = agency_query(
        uow,
        policy,
        caller=party(uow, AGENCY),
        number=court.subject_number,
        purpose="loan_approval",
        scope=scope,
    )
    records = {court.record.id, fine.record.id} if gets_records else set()
    assert {r.id for r in answer.records} == records
    assert [e.id for e in answer.entries] == ([entry.id] if gets_listings else [])
    # and the query log says what was returned: nothing outside the scope
    returned = uow.committed.queries[answer.query_id].returned
    assert (f"record@{fine.record.id}" in returned) is gets_records
    assert (f"entry@{entry.id}" in returned) is gets_listings


def test_a_grant_to_an_unknown_party_is_not_found_and_a_revocation_happens_once(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    subject_id = stored.record.subject_id
    before = uow.snapshot()
    with pytest.raises(NotFound, match="grantee: not a registered party"):
        grant_authorisation(
            uow,
            policy,
            subject_id=subject_id,
            grantee="AGENCY-NOBODY",
            purpose="loan_approval",
            scope="report",
            expires_on=date(2026, 12, 31),
            actor="account:1",
        )
    with pytest.raises(Invalid, match="grantee: only a credit reporting agency"):
        grant_authorisation(  # a department looks under a legal basis, never a grant
            uow,
            policy,
            subject_id=subject_id,
            grantee="BJ-AMR",
            purpose="loan_approval",
            scope="report",
            expires_on=date(2026, 12, 31),
            actor="account:1",
        )
    with pytest.raises(Invalid, match="months"):
        grant_authorisation(
            uow,
            policy,
            subject_id=subject_id,
            grantee=AGENCY,
            purpose="loan_approval",
            scope="report",
            expires_on=date(2027, 11, 21),
            actor="account:1",
        )
    assert uow.committed == before
    granted = authorised_query(uow, policy, stored, AGENCY).authorisation
    with pytest.raises(NotFound):  # another person's authorisation does not exist for them
        revoke_authorisation(
            uow, subject_id=subject_id + 1, authorisation_id=granted.id or 0, actor="account:2"
        )
    reach = uow.committed.audit[-1]  # and the reach for it is audited
    assert (reach.tag, reach.entity_id, reach.actor, reach.subject_id) == (
        EventTag.MANDATE_REFUSED,
        "authorisation:revoke",
        "account:2",
        subject_id,
    )
    revoke_authorisation(
        uow, subject_id=subject_id, authorisation_id=granted.id or 0, actor="account:1"
    )
    before = uow.snapshot()
    with pytest.raises(Conflict):
        revoke_authorisation(
            uow, subject_id=subject_id, authorisation_id=granted.id or 0, actor="account:1"
        )
    assert uow.committed == before
    assert [a.revoked_at for a in authorisations_of(uow, subject_id)] == [uow.now()]


def test_a_key_of_no_party_or_a_query_without_a_purpose_is_refused_unlogged(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    caller = party(uow, AGENCY)
    before = uow.snapshot()
    with pytest.raises(NotAllowed):
        agency_query(
            uow,
            policy,
            caller=replace(caller, department=None),
            number=stored.subject_number,
            purpose="loan_approval",
            scope="records",
        )
    with pytest.raises(Invalid, match="purpose"):
        agency_query(
            uow,
            policy,
            caller=caller,
            number=stored.subject_number,
            purpose="  ",
            scope="records",
        )
    assert uow.committed == before


def test_a_purpose_is_a_code_of_the_published_vocabulary_never_free_text(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    caller = party(uow, AGENCY)
    published = policy.authorisations.purposes
    assert {"loan_approval", "post_loan_management", "guarantee_review"} <= set(published)
    assert published["loan_approval"].name_zh == "贷款审批"
    before = uow.snapshot()
    for free_text in ("贷款审批", "个人贷款审批", "loan approval"):
        with pytest.raises(Invalid, match=r"^purpose: must be one of loan_approval"):
            grant_authorisation(
                uow,
                policy,
                subject_id=stored.record.subject_id,
                grantee=AGENCY,
                purpose=free_text,
                scope="records",
                expires_on=date(2026, 12, 31),
                actor="account:1",
            )
        with pytest.raises(Invalid, match=r"^purpose:"):
            agency_query(
                uow,
                policy,
                caller=caller,
                number=stored.subject_number,
                purpose=free_text,
                scope="records",
            )
    assert uow.committed == before  # a query naming no published purpose is not a query
    granted = grant_authorisation(
        uow,
        policy,
        subject_id=stored.record.subject_id,
        grantee=AGENCY,
        purpose=" guarantee_review ",
        scope="records",
        expires_on=date(2026, 12, 31),
        actor="account:1",
    )
    assert granted.purpose == "guarantee_review"
    answer = agency_query(
        uow,
        policy,
        caller=caller,
        number=stored.subject_number,
        purpose="guarantee_review",
        scope="records",
    )
    assert [r.id for r in answer.records] == [stored.record.id]


def test_a_rights_file_without_purposes_stops_the_policy() -> None:
    data = read_toml(PACKAGED / "rights.toml")
    del data["authorisations"]["purposes"]
    with pytest.raises(CatalogError, match="purposes"):
        AuthorisationRules.from_policy(data)
    data["authorisations"]["purposes"] = {"loan_approval": {"zh": "贷款审批"}}
    with pytest.raises(CatalogError, match="loan_approval"):
        AuthorisationRules.from_policy(data)
