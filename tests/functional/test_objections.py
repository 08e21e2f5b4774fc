"""Objections over HTTP: the item is marked at once in the own report, the public listing and
checks; the working-day deadlines; who sees which case; and the feed that tells recipients.

The dates rest on the State Council's 2026 arrangement as chinese-calendar carries it: National
Day 1-7 October, Saturday 10 October worked; December has no holiday.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import chinese_calendar
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Clock
from tests.factories import citizen_id, debtor_row, penalty_row
from tests.functional.helpers import (
    AIRLINE,
    PASSWORD,
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
    masked,
    object_to,
    on,
    public_record,
    record_in,
    register,
    report,
    sign_up,
    submit,
    verify_at_counter,
)
from xinyong.db.audit import AuditEventRow
from xinyong.domain.access import ROLE_SCOPES, Role

AIRLINE_NAME = "中国民用航空华北地区管理局"
#: An extension of the source department's deadline: why, who approved it, under which reference.
APPROVAL = {
    "reasons": "需调取原始执法案卷核对，两个工作日内无法完成",
    "approved_by": "北京市市场监督管理局法制处",
    "approval_reference": "京市监法〔2026〕15号",
}


def list_debtor(client: TestClient, court: Headers, number: str, decided_on: str) -> int:
    listed = client.post(
        "/api/v1/lists/decided",
        json={
            "list_type": "COURT-DEBTORS",
            "subject": number,
            "grounds": "北京市高级人民法院 执行裁定",
            "decided_on": decided_on,
        },
        headers=court,
    )
    assert listed.status_code == 201, listed.text
    return int(listed.json()["id"])


def queue(client: TestClient, headers: Headers) -> dict[int, Any]:
    response = client.get("/api/v1/objections", headers=headers)
    assert response.status_code == 200, response.text
    return {o["id"]: o for o in response.json()}


# -- an objection reaches every output at once ---------------------------------------------------


def test_an_objection_marks_the_record_at_once_in_the_report_the_public_listing_and_checks(
    client: TestClient, amr: Headers, court: Headers, airline: Headers
) -> None:
    number, name = citizen_id(born=date(1975, 3, 9)), "李建国"
    penalty = submit(client, amr, penalty_row(subject_id=number, subject_name=name))
    debt = submit(client, court, debtor_row(subject_id=number, subject_name=name))
    entry = list_debtor(client, court, number, "2026-10-15")
    person = sign_up(client, number, name)

    before = check(client, airline, number, "flight")
    [flight] = before["measures"]
    assert (flight["code"], flight["triggered_by"]["id"]) == ("M-COURT-FLIGHT", entry)
    assert flight["under_objection"] is False

    pdf = client.get("/api/v1/me/report", params={"format": "pdf"}, headers=person.headers)
    if pdf.status_code != 503:  # WeasyPrint's system libraries are missing: only this is skipped
        assert pdf.status_code == 200, pdf.text
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")

    data = report(client, person)
    assert data["masked_number"] == masked(number)
    assert {r["id"] for r in data["records"]} == {penalty, debt}
    assert not any(r["under_objection"] for r in data["records"])
    assert not any(r["archived"] for r in data["records"])
    checks = [q for q in data["queries"] if q["kind"] == "check"]
    assert [(q["who"], q["purpose"], q["returned"]) for q in checks] == [
        (AIRLINE_NAME, "flight", f"M-COURT-FLIGHT@{entry}")
    ]
    assert any(q["kind"] == "report" for q in data["queries"])  # the PDF read is logged too
    assert public_record(client, debt)["under_objection"] is False

    objection = object_to(client, person, debt)
    assert (objection["status"], objection["department"]) == ("filed", "BJ-HCOURT")
    assert objection["record_id"] == debt

    after = report(client, person)
    assert record_in(after, debt)["under_objection"] is True
    assert record_in(after, penalty)["under_objection"] is False
    assert [(c["kind"], c["about"]) for c in after["cases"]] == [("objection", f"record {debt}")]

    listing = client.get("/api/v1/public/records", params={"item": "JUD-DEBTOR-01"})
    assert listing.status_code == 200, listing.text
    [shown] = listing.json()
    assert shown["id"] == debt
    assert shown["under_objection"] is True
    assert shown["subject_number"] == masked(number)
    assert shown["subject_name"] == "李**"
    assert number not in listing.text
    assert name not in listing.text
    everything = client.get("/api/v1/public/records")
    assert {r["id"] for r in everything.json()} == {penalty, debt}
    assert number not in everything.text

    [listed] = [e for e in after["entries"] if e["id"] == entry]
    assert (listed["list_code"], listed["under_objection"]) == ("COURT-DEBTORS", True)
    [flight] = check(client, airline, number, "flight")["measures"]
    assert flight["triggered_by"]["id"] == entry
    assert flight["under_objection"] is True


def test_a_listing_stays_marked_while_any_objection_to_its_records_is_open(
    client: TestClient, court: Headers, airline: Headers, staff: Headers
) -> None:
    number, name = citizen_id(born=date(1972, 7, 1)), "李建国"
    first = submit(client, court, debtor_row(subject_id=number, subject_name=name))
    second = submit(client, court, debtor_row(subject_id=number, subject_name=name))
    entry = list_debtor(client, court, number, "2026-10-15")
    person = sign_up(client, number, name)
    a = object_to(client, person, first)
    b = object_to(client, person, second)
    [flight] = check(client, airline, number, "flight")["measures"]
    assert (flight["triggered_by"]["id"], flight["under_objection"]) == (entry, True)

    forwarded = client.post(f"/api/v1/objections/{a['id']}/forwarding", headers=staff)
    assert forwarded.status_code == 200, forwarded.text
    rejected = client.post(
        f"/api/v1/objections/{a['id']}/decision",
        json={"outcome": "reject", "reasons": "执行依据记载无误"},
        headers=court,
    )
    assert rejected.status_code == 200, rejected.text
    data = report(client, person)
    assert record_in(data, first)["under_objection"] is False
    assert record_in(data, second)["under_objection"] is True
    [flight] = check(client, airline, number, "flight")["measures"]
    assert flight["under_objection"] is True  # the second objection is still open
    [listed] = [e for e in data["entries"] if e["id"] == entry]
    assert listed["under_objection"] is True

    forwarded = client.post(f"/api/v1/objections/{b['id']}/forwarding", headers=staff)
    assert forwarded.status_code == 200, forwarded.text
    rejected = client.post(
        f"/api/v1/objections/{b['id']}/decision",
        json={"outcome": "reject", "reasons": "执行依据记载无误"},
        headers=court,
    )
    assert rejected.status_code == 200, rejected.text
    [flight] = check(client, airline, number, "flight")["measures"]
    assert flight["under_objection"] is False  # the last objection closed: the mark is lifted
    assert not any(r["under_objection"] for r in report(client, person)["records"])


def test_a_decision_taken_to_court_keeps_the_mark_until_the_final_decision(
    client: TestClient, court: Headers, airline: Headers, staff: Headers
) -> None:
    number, name = citizen_id(born=date(1969, 2, 3)), "王立新"
    debt = submit(client, court, debtor_row(subject_id=number, subject_name=name))
    entry = list_debtor(client, court, number, "2026-10-15")
    person = sign_up(client, number, name)
    a = object_to(client, person, debt)
    assert client.post(f"/api/v1/objections/{a['id']}/forwarding", headers=staff).is_success
    rejected = client.post(
        f"/api/v1/objections/{a['id']}/decision",
        json={"outcome": "reject", "reasons": "执行依据记载无误"},
        headers=court,
    )
    assert rejected.status_code == 200, rejected.text
    [flight] = check(client, airline, number, "flight")["measures"]
    assert flight["under_objection"] is False

    challenge = {"kind": "litigation", "reference": "（2026）京0105行初123号"}
    # Only the credit centre records it: the court's own key is refused.
    refused = client.post(f"/api/v1/objections/{a['id']}/challenge", json=challenge, headers=court)
    assert refused.status_code == 403, refused.text
    challenged = client.post(
        f"/api/v1/objections/{a['id']}/challenge", json=challenge, headers=staff
    )
    assert challenged.status_code == 200, challenged.text
    assert challenged.json()["status"] == "challenged"
    assert challenged.json()["challenge"]["reference"] == "（2026）京0105行初123号"
    assert challenged.json()["overdue"] is False

    # Marked again in every output: checks, the own report, the public listing.
    [flight] = check(client, airline, number, "flight")["measures"]
    assert (flight["triggered_by"]["id"], flight["under_objection"]) == (entry, True)
    data = report(client, person)
    assert record_in(data, debt)["under_objection"] is True
    assert public_record(client, debt)["under_objection"] is True
    [mine] = client.get("/api/v1/me/objections", headers=person.headers).json()
    assert (mine["status"], mine["outcome"]) == ("challenged", "reject")

    final = client.post(
        f"/api/v1/objections/{a['id']}/decision",
        json={"outcome": "reject", "reasons": "法院判决驳回诉讼请求"},
        headers=staff,
    )
    assert final.status_code == 200, final.text
    assert final.json()["challenge"]["concluded_at"] is not None
    [flight] = check(client, airline, number, "flight")["measures"]
    assert flight["under_objection"] is False
    assert record_in(report(client, person), debt)["under_objection"] is False


# -- objection deadlines in working days -----------------------------------------------------------


def test_the_official_calendar_behind_these_deadlines() -> None:
    """What the deadlines below assume of chinese-calendar's 2026 arrangement."""
    assert chinese_calendar.is_workday(date(2026, 9, 30))
    holiday = [date(2026, 10, 1) + timedelta(days=n) for n in range(7)]
    assert not any(chinese_calendar.is_workday(d) for d in holiday)
    assert chinese_calendar.is_workday(date(2026, 10, 8))
    saturday = date(2026, 10, 10)
    assert saturday.weekday() == 5
    assert chinese_calendar.is_workday(saturday)  # the make-up working day
    assert not chinese_calendar.is_workday(date(2026, 10, 11))
    december = [date(2026, 12, 1) + timedelta(days=n) for n in range(15)]
    assert [d for d in december if chinese_calendar.is_workday(d) != (d.weekday() < 5)] == []


def test_objection_deadlines_count_working_days_across_national_day(
    client: TestClient,
    amr: Headers,
    staff: Headers,
    airline: Headers,
    agency: Headers,
    clock: Clock,
) -> None:
    clock.at = on(date(2026, 9, 30))  # Wednesday, the last working day before the holiday
    number, name = citizen_id(born=date(1969, 6, 6)), "王秀英"
    first = submit(client, amr, penalty_row(subject_id=number, subject_name=name))
    second = submit(client, amr, penalty_row(subject_id=number, subject_name=name))
    person = sign_up(client, number, name)
    # The airline's check returns nothing: it receives no item, so it is told of none.
    check(client, airline, number, "flight")
    # The agency, authorised, receives both records: it is told what becomes of them.
    authorise_agency(client, person, "2026-12-31")
    agency_query(client, agency, number).raise_for_status()

    a = object_to(client, person, first)
    b = object_to(client, person, second)
    # The centre checks within one working day: the first after the holiday.
    assert (a["due"], a["due_official"], a["overdue"]) == ("2026-10-08", True, False)
    assert b["due"] == "2026-10-08"
    cases = queue(client, staff)
    assert set(cases) == {a["id"], b["id"]}
    assert not any(o["overdue"] for o in cases.values())
    assert set(queue(client, amr)) == {a["id"], b["id"]}  # routed to the source

    clock.at = on(date(2026, 10, 8))
    log_in(client, person)  # an API token lives minutes
    forwarded = client.post(f"/api/v1/objections/{a['id']}/forwarding", headers=staff)
    assert forwarded.status_code == 200, forwarded.text
    # The source decides within two working days: Friday 9 and the make-up Saturday 10.
    assert forwarded.json()["status"] == "forwarded"
    assert forwarded.json()["due"] == "2026-10-10"
    assert forwarded.json()["overdue"] is False
    again = client.post(f"/api/v1/objections/{a['id']}/forwarding", headers=staff)
    assert again.status_code == 409

    clock.at = on(date(2026, 10, 9))
    log_in(client, person)  # an API token lives minutes
    cases = queue(client, staff)
    assert (cases[b["id"]]["overdue"], cases[a["id"]]["overdue"]) == (True, False)
    assert list(cases) == [b["id"], a["id"]]  # the most urgent first

    clock.at = on(date(2026, 10, 12))  # Monday: Sunday 11 is a rest day
    log_in(client, person)  # an API token lives minutes
    cases = queue(client, staff)
    assert cases[a["id"]]["overdue"] is True
    extended = client.post(f"/api/v1/objections/{a['id']}/extension", json=APPROVAL, headers=amr)
    assert extended.status_code == 200, extended.text
    assert extended.json()["extended"] is True
    assert extended.json()["extension"] == APPROVAL
    assert extended.json()["due"] == "2026-10-14"  # +3 working days from Saturday 10
    assert extended.json()["overdue"] is False
    twice = client.post(f"/api/v1/objections/{a['id']}/extension", json=APPROVAL, headers=amr)
    assert twice.status_code == 409
    assert twice.headers["content-type"].startswith(PROBLEM)
    assert "once" in twice.json()["detail"]
    not_with_source = client.post(
        f"/api/v1/objections/{b['id']}/extension", json=APPROVAL, headers=amr
    )
    assert not_with_source.status_code == 409

    url = f"/api/v1/objections/{a['id']}/decision"
    for reasons in ("", "   "):
        bare = client.post(url, json={"outcome": "reject", "reasons": reasons}, headers=amr)
        assert bare.status_code == 422, bare.text
        assert "reasons" in bare.json()["detail"]
    unknown = client.post(url, json={"outcome": "ignore", "reasons": "x"}, headers=amr)
    assert unknown.status_code == 422
    assert record_in(report(client, person), first)["under_objection"] is True

    decided = client.post(
        url,
        json={"outcome": "reject", "reasons": "经核查，处罚决定书记载无误，异议不成立"},
        headers=amr,
    )
    assert decided.status_code == 200, decided.text
    assert (decided.json()["status"], decided.json()["outcome"]) == ("decided", "reject")
    assert decided.json()["overdue"] is False
    again = client.post(url, json={"outcome": "correct", "reasons": "x"}, headers=amr)
    assert again.status_code == 409
    assert set(queue(client, staff)) == {b["id"]}

    data = report(client, person)
    assert record_in(data, first)["under_objection"] is False  # the mark is lifted
    assert record_in(data, second)["under_objection"] is True  # its own objection is open
    [case] = [c for c in data["cases"] if c["id"] == a["id"]]
    assert (case["outcome"], case["status"]) == ("reject", "decided")
    assert "异议不成立" in case["reasons"]

    assert feed(client, airline) == []  # its check returned nothing
    items = feed(client, agency)
    assert [(i["kind"], i["entity_type"], i["entity_id"]) for i in items] == [
        ("under_objection", "record", first),
        ("under_objection", "record", second),
        ("objection_rejected", "record", first),
    ]
    seqs = [i["seq"] for i in items]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == 3
    assert items[2]["detail"] == "经核查，处罚决定书记载无误，异议不成立"
    assert feed(client, agency, after=0, limit=1) == items[:1]
    assert feed(client, agency, after=seqs[0], limit=1) == items[1:2]
    assert feed(client, agency, after=seqs[1]) == items[2:]
    assert feed(client, agency, after=seqs[2]) == []
    assert feed(client, amr) == []  # BJ-AMR never queried the person: it is told nothing


def test_an_extension_states_its_reasons_and_approval_which_the_person_sees(
    client: TestClient, amr: Headers, staff: Headers, seeded: UowFactory
) -> None:
    number, name = citizen_id(born=date(1977, 4, 4)), "陈静"
    record = submit(client, amr, penalty_row(subject_id=number, subject_name=name))
    person = sign_up(client, number, name)
    objection = object_to(client, person, record)["id"]
    url = f"/api/v1/objections/{objection}"
    due = client.post(f"{url}/forwarding", headers=staff).json()["due"]

    # Without its reasons or its approval the source department extends nothing.
    empty = client.post(f"{url}/extension", json={}, headers=amr)
    assert empty.status_code == 422, empty.text
    assert [e["field"] for e in empty.json()["errors"]] == list(APPROVAL)
    refused = []
    for field in APPROVAL:
        missing = {k: v for k, v in APPROVAL.items() if k != field}
        refused.append((field, client.post(f"{url}/extension", json=missing, headers=amr)))
        blank = client.post(f"{url}/extension", json=APPROVAL | {field: " \u3000"}, headers=amr)
        assert (blank.status_code, blank.headers["content-type"]) == (422, PROBLEM), blank.text
        assert blank.json()["detail"].startswith(f"{field}: ")
    for field, answer in refused:
        assert (answer.status_code, answer.headers["content-type"]) == (422, PROBLEM), answer.text
        assert field in [e["field"] for e in answer.json()["errors"]]
    with seeded() as uow:
        kept = uow.objections.get(objection)
        assert (kept.extended, kept.extension, str(kept.due().day)) == (False, None, due)
        assert uow.audit.count("objection:extended") == 0

    extended = client.post(f"{url}/extension", json=APPROVAL, headers=amr)
    assert extended.status_code == 200, extended.text
    assert extended.json()["due"] != due
    with seeded() as uow:
        [event] = uow.session.scalars(
            select(AuditEventRow).where(AuditEventRow.tag == "objection:extended")
        )
        assert (event.entity_id, event.reason) == (str(objection), APPROVAL["reasons"])
        assert event.data == {
            "approved_by": APPROVAL["approved_by"],
            "approval_reference": APPROVAL["approval_reference"],
            "due": extended.json()["due"],
        }

    # The person sees why and on whose approval their deadline moved: the API and the portal.
    [mine] = client.get("/api/v1/me/objections", headers=person.headers).json()
    assert (mine["due"], mine["extension"]) == (extended.json()["due"], APPROVAL)
    client.post("/portal/login", data={"number": number, "password": PASSWORD})
    page = client.get(f"/portal/me/objections/{objection}", params={"lang": "zh"})
    assert page.status_code == 200
    shown = page.text.split('id="extension">')[1].split("</span>")[0]
    for said in APPROVAL.values():
        assert said in shown


def test_a_department_sees_only_the_objections_routed_to_it(
    client: TestClient, amr: Headers, court: Headers, key_for: KeyFor
) -> None:
    number, name = citizen_id(born=date(1970, 2, 2)), "王秀英"
    record = submit(client, amr, penalty_row(subject_id=number, subject_name=name))
    person = sign_up(client, number, name)
    objection = object_to(client, person, record)
    assert queue(client, court) == {}
    # Forwarding is the credit centre's step: a department's key is refused it outright.
    refused = client.post(f"/api/v1/objections/{objection['id']}/forwarding", headers=court)
    assert refused.status_code == 403
    hidden = client.post(
        f"/api/v1/objections/{objection['id']}/extension", json=APPROVAL, headers=court
    )
    assert hidden.status_code == 404
    hidden = client.post(
        f"/api/v1/objections/{objection['id']}/decision",
        json={"outcome": "reject", "reasons": "not ours to decide"},
        headers=court,
    )
    assert hidden.status_code == 404
    airline = auth(key_for(ROLE_SCOPES[Role.IMPLEMENTING_DEPARTMENT], AIRLINE))
    assert client.get("/api/v1/objections", headers=airline).status_code == 403


def test_a_source_decides_an_objection_only_once_the_centre_forwarded_it(
    client: TestClient, amr: Headers, staff: Headers, seeded: UowFactory
) -> None:
    number, name = citizen_id(born=date(1970, 2, 2)), "王秀英"
    record = submit(client, amr, penalty_row(subject_id=number, subject_name=name))
    password = "correct horse battery staple"
    verify_at_counter(client, register(client, number, name, password), number, name)
    token = client.post("/api/v1/sessions", json={"number": number, "password": password})
    person = auth(token.json()["token"])
    objection = client.post(
        "/api/v1/me/objections",
        json={"record_id": record, "ground": "error_or_omission", "reasons": "罚款金额有误"},
        headers=person,
    ).json()
    decision = {"outcome": "reject", "reasons": "记载无误"}
    url = f"/api/v1/objections/{objection['id']}"
    early = client.post(f"{url}/decision", json=decision, headers=amr)
    assert early.status_code == 403, early.text
    assert "still with the credit centre" in early.json()["detail"]
    assert client.post(f"{url}/forwarding", headers=staff).status_code == 200
    assert client.post(f"{url}/decision", json=decision, headers=amr).status_code == 200
    with seeded() as uow:
        assert uow.audit.count("mandate:refused") == 1
