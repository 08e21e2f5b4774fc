"""Agencies as supervised bodies over the fakes: a licence's days, the blacklist, the standing
an agency's query is checked against; the agency's staff, each key issued to one of them, and
the staff blacklist that bars one while the others keep working."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from functools import partial

import pytest

from tests.factories import agency_key, citizen_id
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import authorised_query, submitted
from xinyong.domain.access import ROLE_SCOPES, Role, Scope
from xinyong.domain.agencies import (
    AgencyStaffMember,
    AgencySuspended,
    Blacklisting,
    Licence,
    read_licence,
    staff_standing,
    standing,
)
from xinyong.domain.audit import EventTag
from xinyong.domain.errors import CatalogError, Conflict, Invalid, NotFound
from xinyong.domain.policy import Policy
from xinyong.domain.querylog import REFUSED, QueryKind
from xinyong.services import agencies, authorisations, departments, keys
from xinyong.services.feed import read_feed

AGENCY = "AGENCY-BAIHANG"
LICENCE = Licence("PCR-1", "人民银行", date(2025, 1, 1), date(2026, 12, 31))
AT = datetime(2026, 11, 20, 2, tzinfo=UTC)


def test_standing_names_why_an_agency_may_not_query() -> None:
    on = date(2026, 6, 1)
    assert standing(AGENCY, LICENCE, None, on) is None
    assert standing(AGENCY, None, None, on) == "no licence is registered"
    assert "expired on 2026-12-31" in (standing(AGENCY, LICENCE, None, date(2027, 1, 1)) or "")
    assert "valid only from" in (standing(AGENCY, LICENCE, None, date(2024, 12, 31)) or "")
    listed = Blacklisting(1, AGENCY, "leak", date(2026, 5, 1), "centre", AT)
    assert "blacklist since 2026-05-01" in (standing(AGENCY, LICENCE, listed, on) or "")
    listed.lift(reason="fixed", by="centre", at=AT)
    assert standing(AGENCY, LICENCE, listed, on) is None
    with pytest.raises(Conflict):
        listed.lift(reason="again", by="centre", at=AT)


def test_a_licence_needs_its_number_authority_and_days_in_order() -> None:
    with pytest.raises(Invalid, match="valid_until"):
        Licence("PCR-1", "人民银行", date(2026, 1, 2), date(2026, 1, 1))
    with pytest.raises(Invalid, match="number"):
        Licence(" ", "人民银行", date(2026, 1, 1), date(2026, 1, 2))
    with pytest.raises(CatalogError, match=r"licence\.valid_from"):
        read_licence({"number": "x", "authority": "y", "valid_from": "2026-01-01"}, "f", AGENCY)


def test_the_centre_blacklists_and_lifts_with_grounds_each_audited(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    departments.sync_departments(uow, policy.departments, actor="t")
    assert uow.committed.licences[AGENCY].number == "DEMO-PCR-0001"  # from the policy file
    with pytest.raises(Invalid, match="ground"):
        agencies.blacklist_agency(uow, AGENCY, ground=" ", on=None, actor="centre")
    with pytest.raises(NotFound):
        agencies.blacklist_agency(uow, "BJ-AMR", ground="x", on=None, actor="centre")
    entry = agencies.blacklist_agency(uow, AGENCY, ground="泄露信息", on=None, actor="centre")
    (mine,) = [a for a in agencies.agency_standings(uow) if a.code == AGENCY]
    assert mine.refused_because is not None
    agencies.lift_blacklisting(uow, AGENCY, reason="整改完成", actor="centre")
    with pytest.raises(Conflict):
        agencies.lift_blacklisting(uow, AGENCY, reason="again", actor="centre")
    assert [b.lift_reason for b in agencies.blacklistings(uow)] == ["整改完成"]
    tags = [e.tag for e in uow.committed.audit if e.entity_id == AGENCY]
    assert EventTag.AGENCY_BLACKLISTED in tags
    assert EventTag.AGENCY_BLACKLISTING_LIFTED in tags
    assert entry.id is not None


# --- the agency's staff, and the staff blacklist ------------------------------------------


def test_a_staff_number_is_the_agencys_own_and_never_an_id_number() -> None:
    member = AgencyStaffMember(7, AGENCY, " S-0042 ", " 李明 ", "centre", AT)
    assert (member.number, member.name, member.actor) == ("S-0042", "李明", "agency-staff:7")
    number = citizen_id()
    with pytest.raises(Invalid, match="reads as an ID number") as refused:
        AgencyStaffMember(None, AGENCY, number, "李明", "centre", AT)
    assert number not in str(refused.value)
    for bad in ("", "a b", "工号1", "x" * 33):
        with pytest.raises(Invalid, match="number"):
            AgencyStaffMember(None, AGENCY, bad, "李明", "centre", AT)
    with pytest.raises(Invalid, match="name"):
        AgencyStaffMember(None, AGENCY, "S-1", " ", "centre", AT)


def test_a_staff_member_on_the_staff_blacklist_may_not_query_until_lifted() -> None:
    listed = Blacklisting(1, AGENCY, "违规查询", date(2026, 11, 20), "centre", AT, staff=7)
    member = AgencyStaffMember(7, AGENCY, "S-0042", "李明", "centre", AT)
    assert staff_standing(member, None) is None
    assert staff_standing(member, listed) == "on the agency staff blacklist since 2026-11-20"
    with pytest.raises(Invalid, match="the staff member comes off"):
        listed.lift(reason=" ", by="centre", at=AT)
    listed.lift(reason="培训合格", by="centre", at=AT)
    assert staff_standing(member, listed) is None


def test_the_centre_registers_staff_and_each_agency_key_is_issued_to_one(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    departments.sync_departments(uow, policy.departments, actor="t")
    member = agencies.register_staff(uow, AGENCY, number="S-0042", name="李明", actor="centre")
    with pytest.raises(Conflict, match="S-0042 already"):
        agencies.register_staff(uow, AGENCY, number="S-0042", name="李四", actor="centre")
    with pytest.raises(NotFound):  # a department is no agency
        agencies.register_staff(uow, "BJ-AMR", number="S-1", name="李明", actor="centre")
    [registered] = [e for e in uow.committed.audit if e.tag is EventTag.AGENCY_STAFF_REGISTERED]
    assert (registered.entity_type, registered.entity_id) == ("agency_staff", str(member.id))
    assert registered.data == {"agency": AGENCY, "number": "S-0042"}  # never the name

    scopes = ROLE_SCOPES[Role.CREDIT_AGENCY]
    with pytest.raises(Invalid, match="issued to one of its staff members"):
        keys.create_api_key(uow, label="k", scopes=scopes, department=AGENCY, actor="centre")
    number = citizen_id()
    with pytest.raises(NotFound) as unknown:
        keys.create_api_key(
            uow, label="k", scopes=scopes, department=AGENCY, actor="centre", staff=number
        )
    assert number not in str(unknown.value)
    with pytest.raises(NotFound):  # another agency's staff member
        keys.create_api_key(
            uow, label="k", scopes=scopes, department="AGENCY-PUDAO", actor="c", staff="S-0042"
        )
    with pytest.raises(Invalid, match="only an agency's key"):
        keys.create_api_key(
            uow, label="k", scopes=[Scope.CATALOG_READ], department="BJ-AMR", actor="c", staff="x"
        )
    token = keys.create_api_key(
        uow, label="k", scopes=scopes, department=AGENCY, actor="centre", staff="S-0042"
    )
    key = keys.authenticate(uow, token)
    assert key is not None
    assert (key.agency_staff_id, key.actor) == (member.id, f"agency-staff:{member.id}")

    agencies.blacklist_staff(uow, AGENCY, "S-0042", ground="违规查询", on=None, actor="centre")
    with pytest.raises(Conflict, match="staff blacklist"):  # no new key while listed
        keys.create_api_key(
            uow, label="k", scopes=scopes, department=AGENCY, actor="centre", staff="S-0042"
        )


def test_a_blacklisted_staff_member_is_refused_and_audited_a_colleague_served_until_lifted(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    authorised_query(uow, policy, stored, AGENCY)  # the person authorised the agency
    barred = agency_key(uow, AGENCY, at=AT, staff="S-0042")
    colleague = agency_key(uow, AGENCY, at=AT, staff="S-0043")
    query = partial(
        authorisations.agency_query,
        uow,
        policy,
        number=stored.subject_number,
        purpose="loan_approval",
        scope="records",
    )
    answered = query(caller=barred)
    assert (
        uow.committed.queries[answered.query_id].actor == f"agency-staff:{barred.agency_staff_id}"
    )
    [*_, audited] = [e for e in uow.committed.audit if e.tag is EventTag.AGENCY_QUERIED]
    assert (audited.actor, audited.data["staff"]) == (barred.actor, "S-0042")

    with pytest.raises(Invalid, match="ground"):
        agencies.blacklist_staff(uow, AGENCY, "S-0042", ground=" ", on=None, actor="centre")
    with pytest.raises(NotFound):
        agencies.blacklist_staff(uow, AGENCY, "S-9999", ground="x", on=None, actor="centre")
    entry = agencies.blacklist_staff(
        uow, AGENCY, "S-0042", ground="违规查询并泄露个人信息", on=None, actor="centre"
    )
    assert (entry.staff, entry.listed_on) == (barred.agency_staff_id, date(2026, 11, 20))
    with pytest.raises(Conflict):
        agencies.blacklist_staff(uow, AGENCY, "S-0042", ground="again", on=None, actor="centre")

    with pytest.raises(AgencySuspended, match="staff member S-0042 of agency") as refused:
        query(caller=barred)
    assert "on the agency staff blacklist since 2026-11-20" in refused.value.detail
    [*_, logged] = uow.committed.queries.values()
    assert (logged.kind, logged.actor, logged.returned) == (
        QueryKind.AGENCY_REFUSED,
        barred.actor,
        REFUSED,
    )
    assert logged.authority.startswith("staff member S-0042 on the agency staff blacklist")
    [*_, refusal] = [e for e in uow.committed.audit if e.tag is EventTag.AGENCY_REFUSED]
    assert refusal.actor == barred.actor
    with pytest.raises(AgencySuspended, match="may not read its feed"):
        read_feed(uow, recipient=AGENCY, after=0, limit=10, staff=barred.agency_staff_id)
    [feed_refusal] = [e for e in uow.committed.audit if e.tag is EventTag.AGENCY_FEED_REFUSED]
    assert feed_refusal.data["agency_staff"] == barred.agency_staff_id
    assert [r.id for r in query(caller=colleague).records] == [stored.record.id]
    assert (
        read_feed(uow, recipient=AGENCY, after=0, limit=10, staff=colleague.agency_staff_id) == []
    )
    (standing,) = [s for s in agencies.staff_standings(uow, AGENCY) if not s.may_query]
    assert standing.member.number == "S-0042"

    agencies.lift_staff_blacklisting(uow, AGENCY, "S-0042", reason="培训合格", actor="centre")
    with pytest.raises(Conflict):
        agencies.lift_staff_blacklisting(uow, AGENCY, "S-0042", reason="again", actor="centre")
    assert [r.id for r in query(caller=barred).records] == [stored.record.id]
    tags = [e.tag for e in uow.committed.audit if e.entity_id == str(barred.agency_staff_id)]
    assert EventTag.AGENCY_STAFF_BLACKLISTED in tags
    assert EventTag.AGENCY_STAFF_BLACKLISTING_LIFTED in tags


def test_a_key_that_names_no_staff_member_of_the_agency_is_refused_and_logged(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    authorised_query(uow, policy, stored, AGENCY)
    other = agency_key(uow, "AGENCY-PUDAO", at=AT)  # another agency's staff member
    for caller in (replace(other, agency_staff_id=None), replace(other, department=AGENCY)):
        with pytest.raises(AgencySuspended, match="issued to none of its staff members"):
            authorisations.agency_query(
                uow,
                policy,
                caller=caller,
                number=stored.subject_number,
                purpose="loan_approval",
                scope="records",
            )
    with pytest.raises(AgencySuspended, match="issued to none"):
        read_feed(uow, recipient=AGENCY, after=0, limit=10)
    [*_, logged] = uow.committed.queries.values()
    assert (logged.kind, logged.returned) == (QueryKind.AGENCY_REFUSED, REFUSED)


def test_a_staff_member_who_left_has_their_keys_revoked_and_is_refused_while_colleagues_work(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    authorised_query(uow, policy, stored, AGENCY)
    gone = agency_key(uow, AGENCY, at=AT, staff="S-0042")
    second = keys.create_api_key(
        uow, label="k2", scopes=ROLE_SCOPES[Role.CREDIT_AGENCY], department=AGENCY,
        actor="centre", staff="S-0042",
    )  # fmt: skip
    colleague = agency_key(uow, AGENCY, at=AT, staff="S-0043")
    query = partial(
        authorisations.agency_query, uow, policy, number=stored.subject_number,
        purpose="loan_approval", scope="records",
    )  # fmt: skip

    with pytest.raises(Invalid, match="to come"):
        agencies.record_staff_departure(
            uow, AGENCY, "S-0042", on=date(2026, 11, 21), actor="centre"
        )
    standing, revoked = agencies.record_staff_departure(
        uow, AGENCY, "S-0042", on=date(2026, 11, 19), actor="centre"
    )
    assert (standing.member.left_on, standing.blacklisting) == (date(2026, 11, 19), None)
    assert revoked == [second.removeprefix("xy_").split("_")[0]]  # the keys stored for them
    assert keys.authenticate(uow, second) is None  # revoked: it authenticates nobody
    with pytest.raises(Conflict, match="left on 2026-11-19"):
        agencies.record_staff_departure(uow, AGENCY, "S-0042", on=None, actor="centre")
    with pytest.raises(Conflict, match="left the agency"):  # no key issued to them again
        keys.create_api_key(
            uow, label="k", scopes=ROLE_SCOPES[Role.CREDIT_AGENCY], department=AGENCY,
            actor="centre", staff="S-0042",
        )  # fmt: skip
    # A key of theirs a server still held (as before its cache moved) is refused, and audited.
    with pytest.raises(AgencySuspended, match="left the agency on 2026-11-19"):
        query(caller=gone)
    [*_, refusal] = [e for e in uow.committed.audit if e.tag is EventTag.AGENCY_REFUSED]
    assert refusal.actor == gone.actor
    assert query(caller=colleague).query_id  # the others keep working

    [left] = [e for e in uow.committed.audit if e.tag is EventTag.AGENCY_STAFF_LEFT]
    assert left.data["number"] == "S-0042"
    assert left.data["on"] == "2026-11-19"
    assert sorted(left.data["keys_revoked"]) == sorted(revoked)
    assert {e.entity_id for e in uow.committed.audit if e.tag is EventTag.KEY_REVOKED} == set(
        revoked
    )
    standings = {s.member.number: s.may_query for s in agencies.staff_standings(uow, AGENCY)}
    assert (standings["S-0042"], standings["S-0043"]) == (False, True)
