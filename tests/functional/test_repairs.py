"""Repair over HTTP: refused before its date, routed to the finding department, then decided."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Clock
from tests.factories import citizen_id, debtor_row, penalty_row, serious_penalty_row
from tests.functional.helpers import (
    PROBLEM,
    Headers,
    KeyFor,
    UowFactory,
    agency_query,
    auth,
    authorise_agency,
    check,
    feed,
    log_in,
    on,
    propose_food_listing,
    public_record,
    record_in,
    record_listing,
    register,
    report,
    sign_up,
    submit,
    verify_at_counter,
)
from xinyong.db.audit import AuditEventRow
from xinyong.domain.access import ROLE_SCOPES, Role
from xinyong.domain.audit import EventTag


def test_repair_is_refused_before_its_date_lists_what_is_missing_and_ends_publication(
    client: TestClient,
    amr: Headers,
    airline: Headers,
    agency: Headers,
    key_for: KeyFor,
    clock: Clock,
) -> None:
    number, name = citizen_id(born=date(1979, 12, 12)), "王秀英"
    # A fine of 5,000 yuan by ordinary procedure is general: repair after 3 months.
    record = submit(client, amr, penalty_row(subject_id=number, subject_name=name))
    person = sign_up(client, number, name)
    shown = record_in(report(client, person), record)
    assert (shown["severity"], shown["repair_from"]) == ("general", "2026-12-01")
    assert public_record(client, record) is not None
    check(client, airline, number, "flight")  # returns nothing: told nothing
    authorise_agency(client, person, "2027-03-01")
    agency_query(client, agency, number).raise_for_status()  # the agency receives the record

    complete = {
        "record_id": record,
        "obligations_performed": True,
        "commitment": "本人承诺已缴清罚款并停止违法行为，今后诚信守法经营，"
        "如有违反愿承担相应责任。",
    }
    early = client.post("/api/v1/me/repairs", json=complete, headers=person.headers)
    assert early.status_code == 409, early.text
    assert early.headers["content-type"].startswith(PROBLEM)
    assert "2026-12-01" in early.json()["detail"]

    clock.at = on(date(2026, 12, 1))  # Tuesday
    log_in(client, person)  # an API token lives minutes
    lacking = client.post(
        "/api/v1/me/repairs",
        json={"record_id": record, "obligations_performed": False, "commitment": "我保证"},
        headers=person.headers,
    )
    assert lacking.status_code == 201, lacking.text
    assert lacking.json()["status"] == "missing_materials"
    missing = lacking.json()["missing"]
    assert len(missing) == 2  # everything missing, at once
    assert any("obligations" in m for m in missing)
    assert any("commitment" in m for m in missing)

    repairs = amr  # "who finds, who repairs": the department that made the finding
    assert client.get("/api/v1/repairs", headers=repairs).json() == []
    incomplete = client.post(
        f"/api/v1/repairs/{lacking.json()['id']}/decision",
        json={"repaired": True, "reasons": "x"},
        headers=repairs,
    )
    assert incomplete.status_code == 409

    anew = client.post("/api/v1/me/repairs", json=complete, headers=person.headers)
    assert anew.status_code == 409  # the one lacking materials is completed, not doubled
    assert f"repair application {lacking.json()['id']}" in anew.json()["detail"]

    clock.at = on(date(2026, 12, 2))  # Wednesday: supplied the next day
    log_in(client, person)
    materials = f"/api/v1/me/repairs/{lacking.json()['id']}/materials"
    still = client.post(
        materials, json={**complete, "commitment": "我保证"}, headers=person.headers
    )
    assert still.status_code == 200, still.text
    assert still.json()["status"] == "missing_materials"
    assert [m for m in still.json()["missing"] if "commitment" in m] == still.json()["missing"]
    applied = client.post(
        materials,
        json={k: complete[k] for k in ("obligations_performed", "commitment")},
        headers=person.headers,
    )
    assert applied.status_code == 200, applied.text
    repair = applied.json()
    assert repair["id"] == lacking.json()["id"]
    assert (repair["status"], repair["missing"], repair["department"]) == ("applied", [], "BJ-AMR")
    assert repair["accept_due"] == "2026-12-07"  # 3 working days from the day it was complete
    assert repair["feedback_due"] == "2026-12-16"  # 10 working days
    assert client.post(materials, json=complete, headers=person.headers).status_code == 409
    twice = client.post("/api/v1/me/repairs", json=complete, headers=person.headers)
    assert twice.status_code == 409

    court = auth(key_for(ROLE_SCOPES[Role.SOURCE_DEPARTMENT], "BJ-HCOURT"))
    assert client.get("/api/v1/repairs", headers=court).json() == []
    assert [r["id"] for r in client.get("/api/v1/repairs", headers=repairs).json()] == [
        repair["id"]
    ]
    acceptance = f"/api/v1/repairs/{repair['id']}/acceptance"
    assert client.post(acceptance, headers=court).status_code == 404
    accepted = client.post(acceptance, headers=repairs)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert client.post(acceptance, headers=repairs).status_code == 409  # once

    url = f"/api/v1/repairs/{repair['id']}/decision"
    decision = {"repaired": True, "reasons": "罚款已缴清，承诺书已签署，准予修复"}
    assert client.post(url, json=decision, headers=court).status_code == 404
    decided = client.post(url, json=decision, headers=repairs)
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "repaired"
    assert client.get("/api/v1/repairs", headers=repairs).json() == []
    assert client.post(url, json=decision, headers=repairs).status_code == 409

    shown = record_in(report(client, person), record)
    assert (shown["status"], shown["archived"]) == ("repaired", True)
    assert public_record(client, record) is None
    assert [(i["kind"], i["entity_id"]) for i in feed(client, agency)] == [("repaired", record)]
    assert feed(client, airline) == []
    again = client.post("/api/v1/me/repairs", json=complete, headers=person.headers)
    assert again.status_code == 409  # nothing left to repair


def test_a_repair_application_on_a_court_finding_is_sent_to_the_court(
    client: TestClient, court: Headers, clock: Clock, seeded: UowFactory
) -> None:
    number, name = citizen_id(born=date(1974, 4, 4)), "李建国"
    record = submit(client, court, debtor_row(subject_id=number, subject_name=name))
    record_listing(client, court, number)
    password = "correct horse battery staple"
    verify_at_counter(client, register(client, number, name, password), number, name)
    clock.advance(days=400)  # past any minimum display period
    person = auth(
        client.post("/api/v1/sessions", json={"number": number, "password": password}).json()[
            "token"
        ]
    )
    applied = client.post(
        "/api/v1/me/repairs",
        json={
            "record_id": record,
            "obligations_performed": True,
            "commitment": "本人已履行全部义务，承诺今后依法诚信履约，如有违反自愿承担责任。",
        },
        headers=person,
    )
    assert applied.status_code == 403, applied.text
    assert "北京市高级人民法院" in applied.json()["detail"]
    with seeded() as uow:
        assert uow.records.get(record).status.value == "active"


def test_a_repair_that_ends_a_listing_tells_whoever_was_given_the_listing(
    client: TestClient, amr: Headers, permits: Headers, seeded: UowFactory, clock: Clock
) -> None:
    """The licensing desk was given the listing (a check returned a measure resting on it), not
    the record: the repair ends the listing, so the desk is told of it, once; and the listing's
    end is audited as every listing's end is."""
    number, name = citizen_id(born=date(1970, 1, 2)), "王秀英"
    record = submit(client, amr, serious_penalty_row(subject_id=number, subject_name=name))
    entry = propose_food_listing(client, amr, number, record)
    url = f"/api/v1/lists/entries/{entry}"
    assert client.post(f"{url}/notice", headers=amr).status_code == 200
    clock.advance(days=10)
    decided = client.post(f"{url}/decision", json={"reasons": "查证属实"}, headers=amr)
    assert decided.status_code == 200, decided.text
    given = check(client, permits, number, "administrative_permit")["measures"]
    assert given  # the desk now holds measures resting on the listing
    assert feed(client, permits) == []

    person = sign_up(client, number, name)
    clock.at = on(date(2027, 9, 6))  # a serious record: repairable a year after its decision
    log_in(client, person)
    applied = client.post(
        "/api/v1/me/repairs",
        json={
            "record_id": record,
            "obligations_performed": True,
            "commitment": "本人承诺已缴清罚款并停止违法行为，今后诚信守法经营，"
            "如有违反愿承担相应责任。",
        },
        headers=person.headers,
    )
    assert applied.status_code == 201, applied.text
    repair = applied.json()["id"]
    assert client.post(f"/api/v1/repairs/{repair}/acceptance", headers=amr).status_code == 200
    done = client.post(
        f"/api/v1/repairs/{repair}/decision",
        json={"repaired": True, "reasons": "已履行并作出信用承诺"},
        headers=amr,
    )
    assert done.status_code == 200, done.text

    assert client.get(url, headers=amr).json()["state"] == "exited"
    assert check(client, permits, number, "administrative_permit")["measures"] == []
    told = feed(client, permits)
    assert [(i["kind"], i["entity_type"], i["entity_id"]) for i in told] == [
        ("repaired", "list_entry", entry)
    ]
    with seeded() as uow:
        (decider,) = uow.session.scalars(
            select(AuditEventRow.actor).where(AuditEventRow.tag == EventTag.REPAIR_DECIDED.value)
        )
        exits = uow.session.scalars(
            select(AuditEventRow).where(
                AuditEventRow.tag == EventTag.LISTING_EXITED.value,
                AuditEventRow.entity_id == str(entry),
            )
        ).all()
        assert [(e.actor, e.data["ground"]) for e in exits] == [(decider, "repair")]
