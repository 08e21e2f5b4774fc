"""Agencies as supervised bodies: a licence, the agency blacklist; a blacklisted or unlicensed
agency is refused (403) its queries and its feed, and the refusal is audited (a query's also in
the person's query log); an agency acknowledges each correction, repair and revocation in its
feed by the policy's working days, or shows as overdue and is flagged."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Clock
from tests.factories import agency_key, citizen_id, penalty_row
from tests.functional.conftest import KeyFor
from tests.functional.consoles import sign_in
from tests.functional.helpers import (
    AGENCY,
    Headers,
    Person,
    UowFactory,
    acknowledged_late,
    agency_query,
    assert_problem,
    auth,
    authorise_agency,
    feed,
    object_to,
    on,
    report,
    run,
    sign_up,
    submit,
    words,
)
from xinyong.db.audit import AuditEventRow
from xinyong.db.engine import make_engine
from xinyong.db.keys import ApiKeyRow
from xinyong.db.unit_of_work import SqlUnitOfWork, make_session_factory
from xinyong.domain.access import ROLE_SCOPES, Role, Scope
from xinyong.domain.audit import EventTag
from xinyong.domain.errors import Conflict, Invalid
from xinyong.domain.policy import Policy
from xinyong.services import authorisations, expiry, keys, records
from xinyong.services.records import submit_record

TODAY = date(2026, 11, 20)


def grant(client: TestClient, person: Person) -> None:
    """The person authorises the demo agency to query their report for a month."""
    authorise_agency(client, person, TODAY + timedelta(days=30))


def authorised_person(client: TestClient, amr: Headers, born: date) -> tuple[str, Person]:
    """A person with a record who authorised the demo agency; return the number and headers."""
    number, name = citizen_id(born=born), "王秀英"
    submit(client, amr, penalty_row(subject_id=number, subject_name=name))
    person = sign_up(client, number, name)
    grant(client, person)
    return number, person


def actors(seeded: UowFactory, tag: EventTag | None) -> list[dict[str, Any]]:
    """The audit events of `tag` (None: all), oldest first: tag, actor and entity."""
    with seeded() as uow:
        query = select(AuditEventRow).order_by(AuditEventRow.id)
        if tag is not None:
            query = query.where(AuditEventRow.tag == tag.value)
        return [
            {"tag": e.tag, "actor": e.actor, "entity_type": e.entity_type}
            for e in uow.session.scalars(query)
        ]


def refusals(seeded: UowFactory) -> list[str]:
    with seeded() as uow:
        return [
            e.reason or ""
            for e in uow.session.scalars(
                select(AuditEventRow)
                .where(AuditEventRow.tag == EventTag.AGENCY_REFUSED.value)
                .order_by(AuditEventRow.id)
            )
        ]


def test_a_blacklisted_agency_is_refused_logged_and_audited_until_taken_off(
    client: TestClient, amr: Headers, key_for: KeyFor, seeded: UowFactory
) -> None:
    number, person = authorised_person(client, amr, date(1981, 3, 3))
    agency = auth(key_for(ROLE_SCOPES[Role.CREDIT_AGENCY], AGENCY))
    centre = auth(key_for(ROLE_SCOPES[Role.CREDIT_CENTRE]))
    assert agency_query(client, agency, number).status_code == 200

    listed = client.post(
        f"/api/v1/agencies/{AGENCY}/blacklisting",
        json={"ground": "违规查询并泄露个人信息（人民银行处罚决定书）"},
        headers=centre,
    )
    assert listed.status_code == 201, listed.text
    assert listed.json()["listed_on"] == TODAY.isoformat()
    twice = client.post(
        f"/api/v1/agencies/{AGENCY}/blacklisting", json={"ground": "again"}, headers=centre
    )
    assert_problem(twice, 409)

    refused = agency_query(client, agency, number)
    problem = assert_problem(refused, 403)
    assert "blacklist" in problem["detail"]
    assert "refused and logged" in problem["detail"]
    assert number not in refused.text
    log = [q for q in report(client, person)["queries"] if q["kind"].startswith("agency")]
    assert (log[0]["kind"], log[0]["returned"]) == ("agency_refused", "refused")
    assert "blacklist" in log[0]["authority"]
    assert "blacklist" in refusals(seeded)[-1]

    standings = client.get("/api/v1/agencies", headers=centre).json()
    (mine,) = [a for a in standings if a["code"] == AGENCY]
    assert mine["may_query"] is False
    assert mine["licence"]["number"] == "DEMO-PCR-0001"

    lifted = client.post(
        f"/api/v1/agencies/{AGENCY}/blacklisting/lifting",
        json={"reason": "整改完成，人民银行复核通过"},
        headers=centre,
    )
    assert lifted.status_code == 200, lifted.text
    assert agency_query(client, agency, number).status_code == 200


def test_an_agency_without_a_valid_licence_is_refused(
    client: TestClient, amr: Headers, key_for: KeyFor, seeded: UowFactory
) -> None:
    number, _ = authorised_person(client, amr, date(1981, 4, 4))
    agency = auth(key_for(ROLE_SCOPES[Role.CREDIT_AGENCY], AGENCY))
    centre = auth(key_for(ROLE_SCOPES[Role.CREDIT_CENTRE]))
    lapsed = {
        "number": "DEMO-PCR-0001",
        "authority": "中国人民银行（演示）",
        "valid_from": "2020-01-01",
        "valid_until": (TODAY - timedelta(days=1)).isoformat(),
    }
    recorded = client.put(f"/api/v1/agencies/{AGENCY}/licence", json=lapsed, headers=centre)
    assert recorded.status_code == 200, recorded.text
    refused = agency_query(client, agency, number)
    assert "licence expired" in assert_problem(refused, 403)["detail"]
    assert "licence expired" in refusals(seeded)[-1]
    renewed = {**lapsed, "valid_until": "2031-12-31"}
    assert client.put(f"/api/v1/agencies/{AGENCY}/licence", json=renewed, headers=centre).is_success
    assert agency_query(client, agency, number).status_code == 200


def test_only_the_centre_supervises_agencies(
    client: TestClient, key_for: KeyFor, seeded: UowFactory
) -> None:
    agency = auth(key_for(ROLE_SCOPES[Role.CREDIT_AGENCY], AGENCY))
    body = {"ground": "self-listing"}
    assert_problem(
        client.post(f"/api/v1/agencies/{AGENCY}/blacklisting", json=body, headers=agency), 403
    )
    with pytest.raises(Invalid, match="credit centre"):  # the centre's own scope
        keys.create_api_key(
            seeded(), label="x", scopes=[Scope.AGENCIES_MANAGE], department="BJ-AMR", actor="t"
        )
    centre = auth(key_for(ROLE_SCOPES[Role.CREDIT_CENTRE]))
    unknown = client.post("/api/v1/agencies/BJ-AMR/blacklisting", json=body, headers=centre)
    assert_problem(unknown, 404)


def test_the_command_line_blacklists_and_lifts(migrated: str) -> None:
    assert run("departments", "sync").exit_code == 0
    listed = run("agencies", "blacklist", AGENCY, "--ground", "违规查询", "--on", "2026-11-20")
    assert listed.exit_code == 0, listed.output
    shown = run("agencies", "list")
    assert "blacklist" in shown.output
    again = run("agencies", "blacklist", AGENCY, "--ground", "again")
    assert again.exit_code != 0
    lifted = run("agencies", "lift", AGENCY, "--reason", "整改完成")
    assert lifted.exit_code == 0, lifted.output
    assert "DEMO-PCR-0001" in run("agencies", "list").output


# --- the agency's staff: each key a staff member's, and the staff blacklist ------------------


def test_a_blacklisted_staff_member_is_refused_and_audited_while_a_colleague_is_served(
    client: TestClient, amr: Headers, key_for: KeyFor, seeded: UowFactory
) -> None:
    number, person = authorised_person(client, amr, date(1986, 1, 6))
    centre = auth(key_for(ROLE_SCOPES[Role.CREDIT_CENTRE]))
    for staff, name in (("S-0042", "李明"), ("S-0043", "张华")):
        added = client.post(
            f"/api/v1/agencies/{AGENCY}/staff", json={"number": staff, "name": name}, headers=centre
        )
        assert added.status_code == 201, added.text
        assert (added.json()["number"], added.json()["may_query"]) == (staff, True)
    again = {"number": "S-0042", "name": "李四"}
    assert_problem(client.post(f"/api/v1/agencies/{AGENCY}/staff", json=again, headers=centre), 409)
    an_id = citizen_id(born=date(1990, 1, 1))
    as_id = client.post(
        f"/api/v1/agencies/{AGENCY}/staff", json={"number": an_id, "name": "李四"}, headers=centre
    )
    assert "ID number" in assert_problem(as_id, 422)["detail"]
    assert an_id not in as_id.text
    barred = auth(key_for(ROLE_SCOPES[Role.CREDIT_AGENCY], AGENCY, staff="S-0042"))
    colleague = auth(key_for(ROLE_SCOPES[Role.CREDIT_AGENCY], AGENCY, staff="S-0043"))
    assert agency_query(client, barred, number).status_code == 200
    [queried] = audited(seeded, EventTag.AGENCY_QUERIED)
    assert queried["staff"] == "S-0042"
    own = {"ground": "self-listing"}  # only the centre supervises agencies and their staff
    barring = f"/api/v1/agencies/{AGENCY}/staff/S-0042/blacklisting"
    assert_problem(client.post(barring, json=own, headers=barred), 403)

    listed = client.post(barring, json={"ground": "违规查询并泄露个人信息"}, headers=centre)
    assert listed.status_code == 201, listed.text
    assert (listed.json()["listed_on"], listed.json()["agency"]) == (TODAY.isoformat(), AGENCY)
    assert_problem(client.post(barring, json={"ground": "again"}, headers=centre), 409)
    unknown = f"/api/v1/agencies/{AGENCY}/staff/S-9999/blacklisting"
    assert_problem(client.post(unknown, json={"ground": "x"}, headers=centre), 404)

    refused = agency_query(client, barred, number)
    problem = assert_problem(refused, 403)
    assert problem["detail"] == (
        f"staff member S-0042 of agency {AGENCY} may not query: on the agency staff blacklist"
        f" since {TODAY}; the query was refused and logged"
    )
    assert number not in refused.text
    log = [q for q in report(client, person)["queries"] if q["kind"].startswith("agency")]
    assert (log[0]["kind"], log[0]["returned"]) == ("agency_refused", "refused")
    assert "staff member S-0042" in log[0]["authority"]
    assert "staff member S-0042 on the agency staff blacklist" in refusals(seeded)[-1]
    [staff_id] = {e["actor"] for e in actors(seeded, EventTag.AGENCY_REFUSED)}
    assert staff_id == f"agency-staff:{listed.json()['staff']}"
    stopped = assert_problem(client.get("/api/v1/feed", headers=barred), 403)
    assert "staff member S-0042" in stopped["detail"]
    [feed_refusal] = audited(seeded, EventTag.AGENCY_FEED_REFUSED)
    assert feed_refusal["agency_staff"] == listed.json()["staff"]

    assert agency_query(client, colleague, number).status_code == 200  # the others keep working
    assert feed(client, colleague) == []
    staff = client.get(f"/api/v1/agencies/{AGENCY}/staff", headers=centre).json()
    assert [(m["number"], m["may_query"]) for m in staff] == [("S-0042", False), ("S-0043", True)]

    lifted = client.post(f"{barring}/lifting", json={"reason": "培训考核合格"}, headers=centre)
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["lift_reason"] == "培训考核合格"
    assert_problem(client.post(f"{barring}/lifting", json={"reason": "x"}, headers=centre), 409)
    assert agency_query(client, barred, number).status_code == 200
    assert feed(client, barred) == []
    tags = [e["tag"] for e in actors(seeded, None) if e["entity_type"] == "agency_staff"]
    assert tags.count(EventTag.AGENCY_STAFF_REGISTERED.value) == 2
    assert EventTag.AGENCY_STAFF_BLACKLISTED.value in tags
    assert EventTag.AGENCY_STAFF_BLACKLISTING_LIFTED.value in tags


def test_an_agency_key_that_names_no_staff_member_is_refused(
    client: TestClient, amr: Headers, seeded: UowFactory
) -> None:
    """A key issued before agencies had staff on the platform (revision c5e8a2f7d913)."""
    number, _ = authorised_person(client, amr, date(1986, 2, 7))
    token = keys.create_api_key(
        seeded(), label="x", scopes=[Scope.CATALOG_READ], department="BJ-AMR", actor="t"
    )
    prefix = token.removeprefix("xy_").split("_", 1)[0]
    with seeded() as uow:  # as the migration leaves an agency key of before: nobody's
        row = uow.session.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == prefix))
        assert row is not None
        row.department_code, row.scopes = AGENCY, sorted(ROLE_SCOPES[Role.CREDIT_AGENCY])
        uow.commit()
    unstaffed = auth(token)
    refused = assert_problem(agency_query(client, unstaffed, number), 403)
    assert "issued to none of its staff members" in refused["detail"]
    assert (
        "issued to none"
        in assert_problem(client.get("/api/v1/feed", headers=unstaffed), 403)["detail"]
    )
    with pytest.raises(Invalid, match="issued to one of its staff members"):
        keys.create_api_key(
            seeded(), label="x", scopes=[Scope.AGENCY_QUERY], department=AGENCY, actor="t"
        )


def test_the_command_line_registers_staff_issues_them_keys_and_keeps_the_staff_blacklist(
    migrated: str,
) -> None:
    added = run("agencies", "staff-add", AGENCY, "--number", "S-0042", "--name", "李明")
    assert added.exit_code == 0, added.output
    nobody = run("keys", "create", "--department", AGENCY, "--role", "credit_agency")
    assert nobody.exit_code != 0
    assert "issued to one of its staff members" in words(nobody.output)
    issued = run(
        "keys", "create", "--department", AGENCY, "--role", "credit_agency", "--staff", "S-0042"
    )
    assert issued.exit_code == 0, issued.output
    listed = run("agencies", "staff-blacklist", AGENCY, "S-0042", "--ground", "违规查询")
    assert listed.exit_code == 0, listed.output
    assert "no: on the staff blacklist since" in words(run("agencies", "staff", AGENCY).output)
    refused = run(
        "keys", "create", "--department", AGENCY, "--role", "credit_agency", "--staff", "S-0042"
    )
    assert refused.exit_code != 0
    assert run("agencies", "staff-blacklist", AGENCY, "S-0042", "--ground", "x").exit_code != 0
    lifted = run("agencies", "staff-lift", AGENCY, "S-0042", "--reason", "培训考核合格")
    assert lifted.exit_code == 0, lifted.output
    shown = run("agencies", "staff", AGENCY)
    assert "S-0042" in shown.output
    assert "yes" in shown.output


def test_a_staff_member_who_left_loses_their_keys_and_gets_no_new_one(
    client: TestClient, amr: Headers, key_for: KeyFor, seeded: UowFactory
) -> None:
    number, _ = authorised_person(client, amr, date(1986, 3, 8))
    centre = auth(key_for(ROLE_SCOPES[Role.CREDIT_CENTRE]))
    gone = auth(key_for(ROLE_SCOPES[Role.CREDIT_AGENCY], AGENCY, staff=None))
    colleague = auth(key_for(ROLE_SCOPES[Role.CREDIT_AGENCY], AGENCY))
    [leaving, staying] = client.get(f"/api/v1/agencies/{AGENCY}/staff", headers=centre).json()
    assert (leaving["left_on"], leaving["may_query"]) == (None, True)
    assert agency_query(client, gone, number).status_code == 200
    departure = f"/api/v1/agencies/{AGENCY}/staff/{leaving['number']}/departure"
    assert_problem(client.post(departure, json={}, headers=gone), 403)  # the centre's alone
    later = {"on": (TODAY + timedelta(days=1)).isoformat()}
    assert (
        "to come"
        in assert_problem(client.post(departure, json=later, headers=centre), 422)["detail"]
    )
    unknown = f"/api/v1/agencies/{AGENCY}/staff/S-9999/departure"
    assert_problem(client.post(unknown, json={}, headers=centre), 404)

    left = client.post(departure, json={}, headers=centre)
    assert left.status_code == 201, left.text
    assert left.json()["member"]["left_on"] == TODAY.isoformat()
    assert left.json()["member"]["may_query"] is False
    [prefix] = left.json()["keys_revoked"]
    assert gone["Authorization"].startswith(f"Bearer xy_{prefix}_")
    assert_problem(client.post(departure, json={}, headers=centre), 409)
    assert agency_query(client, gone, number).status_code == 401  # the key is revoked
    assert agency_query(client, colleague, number).status_code == 200
    with pytest.raises(Conflict, match="left the agency"):
        keys.create_api_key(
            seeded(), label="x", scopes=ROLE_SCOPES[Role.CREDIT_AGENCY], department=AGENCY,
            actor="t", staff=leaving["number"],
        )  # fmt: skip
    staff = client.get(f"/api/v1/agencies/{AGENCY}/staff", headers=centre).json()
    assert [(m["number"], m["may_query"]) for m in staff] == [
        (leaving["number"], False),
        (staying["number"], True),
    ]
    [event] = audited(seeded, EventTag.AGENCY_STAFF_LEFT)
    assert (event["number"], event["keys_revoked"]) == (leaving["number"], [prefix])
    [revoked] = audited(seeded, EventTag.KEY_REVOKED)
    assert revoked["entity_id"] == prefix


def test_a_blacklisted_staff_member_who_left_is_reported_with_their_blacklisting(
    client: TestClient, key_for: KeyFor
) -> None:
    centre = auth(key_for(ROLE_SCOPES[Role.CREDIT_CENTRE]))
    body = {"number": "S-0042", "name": "李明"}
    added = client.post(f"/api/v1/agencies/{AGENCY}/staff", json=body, headers=centre)
    assert added.status_code == 201, added.text
    staff = f"/api/v1/agencies/{AGENCY}/staff/S-0042"
    listed = client.post(f"{staff}/blacklisting", json={"ground": "违规查询"}, headers=centre)
    assert listed.status_code == 201, listed.text

    left = client.post(f"{staff}/departure", json={}, headers=centre)
    assert left.status_code == 201, left.text
    member = left.json()["member"]
    assert member["blacklisting"] == listed.json()  # as the staff list reports it
    assert member["may_query"] is False
    assert client.get(f"/api/v1/agencies/{AGENCY}/staff", headers=centre).json() == [member]


def test_the_command_line_records_a_staff_member_who_left(migrated: str) -> None:
    assert (
        run("agencies", "staff-add", AGENCY, "--number", "S-0042", "--name", "李明").exit_code == 0
    )
    issued = run(
        "keys", "create", "--department", AGENCY, "--role", "credit_agency", "--staff", "S-0042"
    )
    assert issued.exit_code == 0, issued.output
    left = run("agencies", "staff-leave", AGENCY, "S-0042", "--on", "2026-11-02")
    assert left.exit_code == 0, left.output
    assert "left on 2026-11-02; keys revoked: " in words(left.output)
    assert "none" not in words(left.output)
    assert "no: left on 2026-11-02" in words(run("agencies", "staff", AGENCY).output)
    again = run(
        "keys", "create", "--department", AGENCY, "--role", "credit_agency", "--staff", "S-0042"
    )
    assert again.exit_code != 0
    assert "left the agency" in words(again.output)
    bad = run("agencies", "staff-leave", AGENCY, "S-0042", "--on", "yesterday")
    assert bad.exit_code != 0


# --- the feed: refused to a suspended agency; acknowledgements and their deadline ----------


def audited(seeded: UowFactory, tag: EventTag) -> list[dict[str, Any]]:
    """The audit events of `tag`, oldest first: entity, reason and data."""
    with seeded() as uow:
        return [
            {"entity_type": e.entity_type, "entity_id": e.entity_id, "reason": e.reason, **e.data}
            for e in uow.session.scalars(
                select(AuditEventRow)
                .where(AuditEventRow.tag == tag.value)
                .order_by(AuditEventRow.id)
            )
        ]


def test_a_blacklisted_or_unlicensed_agency_is_refused_its_feed_and_the_refusal_audited(
    client: TestClient, amr: Headers, key_for: KeyFor, seeded: UowFactory
) -> None:
    agency = auth(key_for(ROLE_SCOPES[Role.CREDIT_AGENCY], AGENCY))
    centre = auth(key_for(ROLE_SCOPES[Role.CREDIT_CENTRE]))
    assert feed(client, agency) == []
    listed = client.post(
        f"/api/v1/agencies/{AGENCY}/blacklisting", json={"ground": "泄露信息"}, headers=centre
    )
    assert listed.status_code == 201, listed.text
    refused = assert_problem(client.get("/api/v1/feed", headers=agency), 403)
    assert "may not read its feed: on the agency blacklist" in refused["detail"]
    [audit] = audited(seeded, EventTag.AGENCY_FEED_REFUSED)
    assert (audit["entity_type"], audit["entity_id"]) == ("agency", AGENCY)
    assert "blacklist" in (audit["reason"] or "")
    assert feed(client, amr) == []  # a department holds no licence and is never refused

    lifted = client.post(
        f"/api/v1/agencies/{AGENCY}/blacklisting/lifting", json={"reason": "整改"}, headers=centre
    )
    assert lifted.status_code == 200, lifted.text
    assert feed(client, agency) == []
    lapsed = {
        "number": "DEMO-PCR-0001",
        "authority": "中国人民银行（演示）",
        "valid_from": "2020-01-01",
        "valid_until": (TODAY - timedelta(days=1)).isoformat(),
    }
    assert client.put(f"/api/v1/agencies/{AGENCY}/licence", json=lapsed, headers=centre).is_success
    expired = assert_problem(client.get("/api/v1/feed", headers=agency), 403)
    assert "licence expired" in expired["detail"]
    assert len(audited(seeded, EventTag.AGENCY_FEED_REFUSED)) == 2


def test_an_agency_acknowledges_a_revocation_by_its_deadline_or_is_flagged(
    client: TestClient,
    amr: Headers,
    key_for: KeyFor,
    seeded: UowFactory,
    clock: Clock,
    policy: Policy,
) -> None:
    number, _ = authorised_person(client, amr, date(1982, 5, 5))
    agency = auth(key_for(ROLE_SCOPES[Role.CREDIT_AGENCY], AGENCY))
    centre = auth(key_for(ROLE_SCOPES[Role.CREDIT_CENTRE]))
    answer = agency_query(client, agency, number)
    assert answer.status_code == 200, answer.text
    [record] = answer.json()["records"]
    revoked = client.post(
        f"/api/v1/records/{record['id']}/revocation",
        json={"reason": "行政复议决定撤销原处罚"},
        headers=amr,
    )
    assert revoked.status_code == 200, revoked.text
    [item] = feed(client, agency)
    assert (item["kind"], item["acknowledge_by"], item["acknowledged_at"]) == (
        "revoked",
        "2026-11-25",  # three working days after Friday 20 November 2026
        None,
    )
    seq = item["seq"]

    clock.at = on(date(2026, 11, 26))
    overdue = client.get("/api/v1/deadlines", params={"overdue": "true"}, headers=centre).json()
    [late] = [d for d in overdue if d["kind"] == "acknowledgement"]
    assert (late["entity_type"], late["entity_id"], late["must_act"]) == (
        "feed_item",
        seq,
        AGENCY,
    )
    assert (late["due"], late["working_days_overdue"]) == ("2026-11-25", 1)
    standings = client.get("/api/v1/agencies", headers=centre).json()
    (mine,) = [a for a in standings if a["code"] == AGENCY]
    assert (mine["flagged"], mine["overdue_acknowledgements"]) == (True, 1)
    assert expiry.sweep(seeded(), policy, actor="sweep").agencies_flagged == 1
    assert expiry.sweep(seeded(), policy, actor="sweep").agencies_flagged == 0
    [flag] = audited(seeded, EventTag.AGENCY_FLAGGED)
    assert (flag["entity_id"], flag["feed_items"]) == (AGENCY, [seq])
    sign_in(client, "li.centre", Role.CREDIT_CENTRE)
    queue = client.get("/console/queues")
    assert f"feed item {seq}: the agency acknowledges it put its copy right" in queue.text
    flagged = queue.text.split("逾期未确认的征信机构")[1].split("</section>")[0]
    assert f"({AGENCY})" in flagged

    # Only the agency told acknowledges its item; acknowledging again changes nothing.
    other = auth(key_for([Scope.FEED_ACKNOWLEDGE], "AGENCY-PUDAO"))
    assert_problem(client.post(f"/api/v1/feed/{seq}/acknowledgement", headers=other), 404)
    done = client.post(f"/api/v1/feed/{seq}/acknowledgement", headers=agency)
    assert done.status_code == 200, done.text
    assert (done.json()["seq"], done.json()["due"], done.json()["late"]) == (
        seq,
        "2026-11-25",
        True,
    )
    clock.advance(hours=1)
    again = client.post(f"/api/v1/feed/{seq}/acknowledgement", headers=agency)
    assert again.json() == done.json()
    assert len(audited(seeded, EventTag.AGENCY_ACKNOWLEDGED)) == 1
    assert feed(client, agency)[0]["acknowledged_at"] == done.json()["acknowledged_at"]
    overdue = client.get("/api/v1/deadlines", params={"overdue": "true"}, headers=centre).json()
    assert [d for d in overdue if d["kind"] == "acknowledgement"] == []
    (mine,) = [
        a for a in client.get("/api/v1/agencies", headers=centre).json() if a["code"] == AGENCY
    ]
    assert mine["flagged"] is False


def test_an_item_that_asks_nothing_back_cannot_be_acknowledged(
    client: TestClient, amr: Headers, key_for: KeyFor
) -> None:
    number, person = authorised_person(client, amr, date(1983, 6, 6))
    agency_headers = auth(key_for(ROLE_SCOPES[Role.CREDIT_AGENCY], AGENCY))
    assert agency_query(client, agency_headers, number).status_code == 200
    record_id = report(client, person)["records"][0]["id"]
    object_to(client, person, record_id)
    [marked] = feed(client, agency_headers)
    assert (marked["kind"], marked["acknowledge_by"]) == ("under_objection", None)
    refused = client.post(f"/api/v1/feed/{marked['seq']}/acknowledgement", headers=agency_headers)
    assert "asks for no acknowledgement" in assert_problem(refused, 409)["detail"]


def send(client: TestClient, amr: Headers, rows: list[dict[str, object]], way: str) -> Any:
    """The department sends the rows as one CSV batch, or one by one through the API."""
    if way == "api":
        for row in rows:
            submit(client, amr, row)
        return None
    columns = list(dict.fromkeys(name for row in rows for name in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    sent = client.post(
        "/api/v1/records/batch",
        content=out.getvalue().encode(),
        headers={**amr, "content-type": "text/csv"},
    )
    assert sent.status_code == 200, sent.text
    return sent.json()


@pytest.mark.parametrize("way", ["csv", "api"])
def test_a_resubmission_with_changed_content_tells_the_agency_that_received_it_and_asks_back(
    client: TestClient, amr: Headers, key_for: KeyFor, clock: Clock, way: str
) -> None:
    queried, unchanged, unseen = (
        penalty_row(subject_id=citizen_id(born=date(1985, 8, d)), subject_name="王秀英")
        for d in (8, 9, 10)
    )
    send(client, amr, [queried, unchanged, unseen], way)
    agency = auth(key_for(ROLE_SCOPES[Role.CREDIT_AGENCY], AGENCY))
    centre = auth(key_for(ROLE_SCOPES[Role.CREDIT_CENTRE]))
    ids = {}
    for row in (queried, unchanged):
        number = str(row["subject_id"])
        grant(client, sign_up(client, number, "王秀英"))
        answer = agency_query(client, agency, number)
        assert answer.status_code == 200, answer.text
        [ids[number]] = [r["id"] for r in answer.json()["records"]]

    resent = [{**queried, "fine_amount": "8000"}, unchanged, {**unseen, "fine_amount": "9000"}]
    summary = send(client, amr, resent, way)
    if summary is not None:
        assert (summary["updated"], summary["unchanged"]) == (2, 1)
    answer = client.get("/api/v1/feed", headers=agency)
    assert answer.status_code == 200, answer.text
    assert str(queried["subject_id"]) not in answer.text
    assert str(queried["subject_id"])[:14] not in answer.text
    [item] = answer.json()  # the unchanged record and the one nobody received tell nobody
    assert (item["kind"], item["entity_type"], item["entity_id"]) == (
        "corrected",
        "record",
        ids[str(queried["subject_id"])],
    )
    assert item["detail"] == (
        f"ADM-PEN-01 {queried['document_number']}: resubmitted by BJ-AMR with changed content;"
        " the earlier version is kept"
    )
    assert (item["acknowledge_by"], item["acknowledged_at"]) == ("2026-11-25", None)
    assert feed(client, amr) == []  # the department only submitted

    clock.at = on(date(2026, 11, 26))
    done = acknowledged_late(client, item, centre=centre, agency=agency, due="2026-11-25")
    assert (done["kind"], done["late"]) == ("corrected", True)


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands run by the test reach the test's database (the CLI reads the wall clock)."""
    monkeypatch.setenv("XINYONG_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")


def test_the_command_line_shows_an_agency_flagged_and_the_sweep_audits_it(
    cli_database: None, database_url: str, seeded: UowFactory, policy: Policy
) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=30)  # the CLI's today is the wall clock's
    engine = make_engine(database_url)
    then = partial(SqlUnitOfWork, make_session_factory(engine), lambda: long_ago)
    try:
        number = citizen_id(born=date(1984, 7, 7))
        row = penalty_row(
            subject_id=number, decision_date=(long_ago.date() - timedelta(days=30)).isoformat()
        )
        stored = submit_record(then(), policy, row, department="BJ-AMR", actor="clerk")
        authorisations.grant_authorisation(
            then(),
            policy,
            subject_id=stored.record.subject_id,
            grantee=AGENCY,
            purpose="loan_approval",
            scope="records",
            expires_on=long_ago.date() + timedelta(days=60),
            actor="account:1",
        )
        caller = agency_key(then(), AGENCY, at=long_ago)
        authorisations.agency_query(
            then(), policy, caller=caller, number=number, purpose="loan_approval", scope="records"
        )
        records.revoke_record(
            then(), policy, stored.record.id, department=None, reason="复议撤销", actor="c"
        )
    finally:
        engine.dispose()

    shown = run("agencies", "list")
    assert shown.exit_code == 0, shown.output
    assert f"flagged: {AGENCY}: 1 overdue acknowledgement of a" in " ".join(shown.output.split())
    listed = run("deadlines", "list", "--overdue", "--kind", "acknowledgement")
    assert "the agency acknowledges it put its copy right" in " ".join(listed.output.split())
    swept = run("sweep", "--json")
    assert swept.exit_code == 0, swept.output
    assert json.loads(swept.stdout)["agencies_flagged"] == 1
    assert [e["entity_id"] for e in audited(seeded, EventTag.AGENCY_FLAGGED)] == [AGENCY]
