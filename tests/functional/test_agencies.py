"""Agencies as supervised bodies: a licence, the agency blacklist; a blacklisted or unlicensed
agency is refused (403), and the refusal is audited and in the person's query log."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import citizen_id, penalty_row
from tests.functional.conftest import KeyFor
from tests.functional.helpers import (
    AGENCY,
    Headers,
    Person,
    UowFactory,
    agency_query,
    assert_problem,
    auth,
    report,
    run,
    sign_up,
    submit,
)
from xinyong.db.audit import AuditEventRow
from xinyong.domain.access import ROLE_SCOPES, Role, Scope
from xinyong.domain.audit import EventTag
from xinyong.domain.errors import Invalid
from xinyong.services import keys

TODAY = date(2026, 11, 20)


def authorised_person(client: TestClient, amr: Headers, born: date) -> tuple[str, Person]:
    """A person with a record who authorised the demo agency; return the number and headers."""
    number, name = citizen_id(born=born), "王秀英"
    submit(client, amr, penalty_row(subject_id=number, subject_name=name))
    person = sign_up(client, number, name)
    granted = client.post(
        "/api/v1/me/authorisations",
        json={
            "grantee": AGENCY,
            "purpose": "loan_approval",
            "scope": "report",
            "expires_on": (TODAY + timedelta(days=30)).isoformat(),
        },
        headers=person.headers,
    )
    assert granted.status_code == 201, granted.text
    return number, person


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
