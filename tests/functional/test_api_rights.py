"""The person's rights over HTTP: the own report, objections and their working-day deadlines,
agency queries under authorisation, repair, and the person's sessions.

The dates rest on the State Council's 2026 arrangement as chinese-calendar carries it: National
Day 1-7 October, Saturday 10 October worked; December has no holiday.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import chinese_calendar
import pytest
from fastapi.testclient import TestClient
from tests.conftest import Clock
from tests.factories import citizen_id, debtor_row, penalty_row

from xinyong.domain.access import ROLE_SCOPES, Role

KeyFor = Callable[..., str]
Headers = dict[str, str]

PASSWORD = "correct horse battery"
PROBLEM = "application/problem+json"
AIRLINE = "BJ-CAAC-NC"
AIRLINE_NAME = "中国民用航空华北地区管理局"
AGENCY = "AGENCY-BAIHANG"


def auth(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def on(day: date) -> datetime:
    """10:00 in Beijing on `day`, as the UTC instant the clock holds."""
    return datetime.combine(day, time(2, 0), tzinfo=UTC)


def masked(number: str) -> str:
    return f"{number[:10]}****{number[14:]}"


@pytest.fixture
def staff(key_for: KeyFor) -> Headers:
    return auth(key_for(ROLE_SCOPES[Role.CREDIT_CENTRE]))


@pytest.fixture
def amr(key_for: KeyFor) -> Headers:
    return auth(key_for(ROLE_SCOPES[Role.SOURCE_DEPARTMENT], "BJ-AMR"))


@pytest.fixture
def court(key_for: KeyFor) -> Headers:
    return auth(key_for(ROLE_SCOPES[Role.SOURCE_DEPARTMENT], "BJ-HCOURT"))


@pytest.fixture
def airline(key_for: KeyFor) -> Headers:
    """An implementing department that checks before it sells a ticket."""
    return auth(key_for(ROLE_SCOPES[Role.IMPLEMENTING_DEPARTMENT], AIRLINE))


@pytest.fixture
def agency(key_for: KeyFor) -> Headers:
    return auth(key_for(ROLE_SCOPES[Role.CREDIT_AGENCY], AGENCY))


@dataclass
class Person:
    number: str
    name: str
    subject_id: int
    headers: Headers


def submit(client: TestClient, headers: Headers, row: dict[str, object]) -> int:
    response = client.post("/api/v1/records", json=row, headers=headers)
    assert response.status_code in (200, 201), response.text
    return int(response.json()["record"]["id"])


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


def sign_up(client: TestClient, number: str, name: str) -> Person:
    """Register and log in (an API token), as the person would."""
    registered = client.post(
        "/api/v1/accounts",
        json={"number": number, "name": name, "phone": "138 0013 8000", "password": PASSWORD},
    )
    assert registered.status_code == 201, registered.text
    assert number not in registered.text
    session = client.post("/api/v1/sessions", json={"number": number, "password": PASSWORD})
    assert session.status_code == 201, session.text
    token = session.json()["token"]
    assert token.startswith("xs_")
    return Person(number, name, int(registered.json()["subject_id"]), auth(token))


def log_in(client: TestClient, person: Person) -> None:
    session = client.post("/api/v1/sessions", json={"number": person.number, "password": PASSWORD})
    assert session.status_code == 201, session.text
    person.headers = auth(session.json()["token"])


def check(client: TestClient, headers: Headers, number: str, matter: str) -> Any:
    response = client.post(
        "/api/v1/checks", json={"subject": number, "matter": matter}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def report(client: TestClient, person: Person) -> Any:
    response = client.get("/api/v1/me/report", params={"format": "json"}, headers=person.headers)
    assert response.status_code == 200, response.text
    assert person.number not in response.text
    return response.json()


def record_in(data: Any, record_id: int) -> Any:
    (found,) = [r for r in data["records"] if r["id"] == record_id]
    return found


def public_record(client: TestClient, record_id: int) -> Any:
    """The record as GET /public/records shows it (None when it is not published today)."""
    response = client.get("/api/v1/public/records", params={"limit": 200})
    assert response.status_code == 200, response.text
    found = [r for r in response.json() if r["id"] == record_id]
    return found[0] if found else None


def feed(client: TestClient, headers: Headers, **params: int) -> list[Any]:
    response = client.get("/api/v1/feed", params=params, headers=headers)
    assert response.status_code == 200, response.text
    items: list[Any] = response.json()
    return items


def object_to(client: TestClient, person: Person, record_id: int) -> Any:
    filed = client.post(
        "/api/v1/me/objections",
        json={
            "record_id": record_id,
            "ground": "error_or_omission",
            "reasons": "该案已于2026年10月20日执行完毕，记载有误",
        },
        headers=person.headers,
    )
    assert filed.status_code == 201, filed.text
    return filed.json()


def queue(client: TestClient, headers: Headers) -> dict[int, Any]:
    response = client.get("/api/v1/objections", headers=headers)
    assert response.status_code == 200, response.text
    return {o["id"]: o for o in response.json()}


# -- the own report and an objection that reaches every output at once ----------------------------


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


def test_the_report_reads_in_words_in_either_language_with_a_verification_code(
    client: TestClient, amr: Headers, airline: Headers
) -> None:
    number, name = citizen_id(born=date(1968, 5, 20)), "陈淑芬"
    submit(client, amr, penalty_row(subject_id=number, subject_name=name))
    person = sign_up(client, number, name)
    check(client, airline, number, "flight")
    report(client, person)  # a first read, logged

    data = report(client, person)
    chinese = client.get("/api/v1/me/report", params={"format": "html"}, headers=person.headers)
    english = client.get(
        "/api/v1/me/report", params={"format": "html", "lang": "en"}, headers=person.headers
    )

    assert data["number"].startswith("GR")
    assert len(data["verification_code"]) == 19
    assert data["birth_year"] == 1968
    assert "birth_date" not in data
    assert [q["words"]["who_zh"] for q in data["queries"]] == ["本人查询", AIRLINE_NAME]
    assert chinese.status_code == 200, chinese.text
    for text in ("个人公共信用信息报告", "本人查询", "处罚类别", "罚款", "1968年", "异议"):
        assert text in chinese.text
    for raw in ("account:", "penalty_type", "1968-05-20", "5月20日"):
        assert raw not in chinese.text
    assert english.status_code == 200, english.text
    for text in ("Personal Public Credit Information Report", "Kind of penalty", "you"):
        assert text in english.text
    assert "处罚类别" not in english.text
    assert number not in chinese.text + english.text
    refused = client.get(
        "/api/v1/me/report", params={"format": "html", "lang": "fr"}, headers=person.headers
    )
    assert refused.status_code == 422


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
    client.post(
        "/api/v1/me/authorisations",
        json={
            "grantee": AGENCY,
            "purpose": "个人贷款审批",
            "scope": "report",
            "expires_on": "2026-12-31",
        },
        headers=person.headers,
    ).raise_for_status()
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
    forwarded = client.post(f"/api/v1/objections/{a['id']}/forwarding", headers=staff)
    assert forwarded.status_code == 200, forwarded.text
    # The source decides within two working days: Friday 9 and the make-up Saturday 10.
    assert forwarded.json()["status"] == "forwarded"
    assert forwarded.json()["due"] == "2026-10-10"
    assert forwarded.json()["overdue"] is False
    again = client.post(f"/api/v1/objections/{a['id']}/forwarding", headers=staff)
    assert again.status_code == 409

    clock.at = on(date(2026, 10, 9))
    cases = queue(client, staff)
    assert (cases[b["id"]]["overdue"], cases[a["id"]]["overdue"]) == (True, False)
    assert list(cases) == [b["id"], a["id"]]  # the most urgent first

    clock.at = on(date(2026, 10, 12))  # Monday: Sunday 11 is a rest day
    cases = queue(client, staff)
    assert cases[a["id"]]["overdue"] is True
    extended = client.post(f"/api/v1/objections/{a['id']}/extension", headers=amr)
    assert extended.status_code == 200, extended.text
    assert extended.json()["extended"] is True
    assert extended.json()["due"] == "2026-10-14"  # +3 working days from Saturday 10
    assert extended.json()["overdue"] is False
    twice = client.post(f"/api/v1/objections/{a['id']}/extension", headers=amr)
    assert twice.status_code == 409
    assert twice.headers["content-type"].startswith(PROBLEM)
    assert "once" in twice.json()["detail"]
    not_with_source = client.post(f"/api/v1/objections/{b['id']}/extension", headers=amr)
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
    hidden = client.post(f"/api/v1/objections/{objection['id']}/extension", headers=court)
    assert hidden.status_code == 404
    hidden = client.post(
        f"/api/v1/objections/{objection['id']}/decision",
        json={"outcome": "reject", "reasons": "not ours to decide"},
        headers=court,
    )
    assert hidden.status_code == 404
    airline = auth(key_for(ROLE_SCOPES[Role.IMPLEMENTING_DEPARTMENT], AIRLINE))
    assert client.get("/api/v1/objections", headers=airline).status_code == 403


# -- agency queries under the person's authorisation -----------------------------------------------


def agency_query(client: TestClient, agency: Headers, number: str) -> Any:
    return client.post(
        "/api/v1/agency/queries",
        json={"subject": number, "purpose": "个人贷款审批", "scope": "report"},
        headers=agency,
    )


def test_an_agency_queries_only_under_a_live_authorisation_and_every_query_is_logged(
    client: TestClient, amr: Headers, agency: Headers, clock: Clock
) -> None:
    number, name = citizen_id(born=date(1982, 4, 1)), "王秀英"
    record = submit(client, amr, penalty_row(subject_id=number, subject_name=name))
    person = sign_up(client, number, name)
    today = date(2026, 11, 20)

    refused = agency_query(client, agency, number)
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith(PROBLEM)
    assert "refused and logged" in refused.json()["detail"]
    assert number not in refused.text
    log = [q for q in report(client, person)["queries"] if q["kind"].startswith("agency")]
    assert [(q["kind"], q["returned"], q["purpose"]) for q in log] == [
        ("agency_refused", "refused", "个人贷款审批")
    ]
    assert log[0]["who"] == "示例个人征信机构（演示）"

    granted = client.post(
        "/api/v1/me/authorisations",
        json={
            "grantee": AGENCY,
            "purpose": "个人贷款审批",
            "scope": "report",
            "expires_on": (today + timedelta(days=30)).isoformat(),
        },
        headers=person.headers,
    )
    assert granted.status_code == 201, granted.text
    authorisation = granted.json()
    assert authorisation["live"] is True

    answered = agency_query(client, agency, number)
    assert answered.status_code == 200, answered.text
    body = answered.json()
    assert body["authorisation"] == authorisation["id"]
    assert body["subject"] == masked(number)
    assert [r["id"] for r in body["records"]] == [record]
    assert number not in answered.text
    log = [q for q in report(client, person)["queries"] if q["kind"].startswith("agency")]
    assert [(q["kind"], q["returned"]) for q in log] == [  # newest first
        ("agency", f"record@{record}"),
        ("agency_refused", "refused"),
    ]
    assert log[0]["authority"] == f"authorisation {authorisation['id']}"

    revoked = client.post(
        f"/api/v1/me/authorisations/{authorisation['id']}/revocation", headers=person.headers
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["live"] is False
    assert agency_query(client, agency, number).status_code == 403
    again = client.post(
        f"/api/v1/me/authorisations/{authorisation['id']}/revocation", headers=person.headers
    )
    assert again.status_code == 409

    lasting = client.post(
        "/api/v1/me/authorisations",
        json={
            "grantee": AGENCY,
            "purpose": "个人贷款审批",
            "scope": "report",
            "expires_on": (today + timedelta(days=30)).isoformat(),
        },
        headers=person.headers,
    )
    assert lasting.status_code == 201, lasting.text
    clock.at = on(today + timedelta(days=30))  # its last day
    assert agency_query(client, agency, number).status_code == 200
    clock.at = on(today + timedelta(days=31))
    assert agency_query(client, agency, number).status_code == 403
    log_in(client, person)  # the API token of 30 days ago has lapsed
    listed = client.get("/api/v1/me/authorisations", headers=person.headers)
    assert [a["live"] for a in listed.json()] == [False, False]
    log = [q for q in report(client, person)["queries"] if q["kind"].startswith("agency")]
    assert [q["kind"] for q in log] == [
        "agency_refused",
        "agency",
        "agency_refused",
        "agency",
        "agency_refused",
    ]


def test_authorisations_are_refused_when_they_make_no_sense(
    client: TestClient, amr: Headers, agency: Headers
) -> None:
    number, name = citizen_id(born=date(1983, 5, 1)), "王秀英"
    record = submit(client, amr, penalty_row(subject_id=number, subject_name=name))
    person = sign_up(client, number, name)
    grant = {"grantee": AGENCY, "purpose": "个人贷款审批", "scope": "report"}
    for bad in (
        {"expires_on": "2026-11-19"},  # the past
        {"expires_on": "2027-11-21"},  # more than 12 months ahead
        {"expires_on": "2026-12-20", "scope": "everything"},
        {"expires_on": "2026-12-20", "purpose": "  "},
    ):
        response = client.post(
            "/api/v1/me/authorisations", json={**grant, **bad}, headers=person.headers
        )
        assert response.status_code == 422, (bad, response.text)
    unknown = client.post(
        "/api/v1/me/authorisations",
        json={**grant, "grantee": "AGENCY-NOBODY", "expires_on": "2026-12-20"},
        headers=person.headers,
    )
    assert unknown.status_code == 404
    other = client.post(
        "/api/v1/me/authorisations",
        json={**grant, "scope": "lists", "expires_on": "2026-12-20"},
        headers=person.headers,
    )
    assert other.status_code == 201
    # An authorisation for lists does not open the report.
    assert agency_query(client, agency, number).status_code == 403
    # A party that was refused received nothing: it hears nothing of what becomes of the file.
    object_to(client, person, record)
    assert feed(client, agency) == []


# -- repair ----------------------------------------------------------------------------------------


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
    client.post(
        "/api/v1/me/authorisations",
        json={
            "grantee": AGENCY,
            "purpose": "个人贷款审批",
            "scope": "report",
            "expires_on": "2027-03-01",
        },
        headers=person.headers,
    ).raise_for_status()
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

    applied = client.post("/api/v1/me/repairs", json=complete, headers=person.headers)
    assert applied.status_code == 201, applied.text
    repair = applied.json()
    assert (repair["status"], repair["missing"], repair["department"]) == ("applied", [], "BJ-AMR")
    assert repair["accept_due"] == "2026-12-04"  # 3 working days
    assert repair["feedback_due"] == "2026-12-15"  # 10 working days
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


# -- sessions --------------------------------------------------------------------------------------


def test_sessions_refuse_wrong_passwords_ended_tokens_and_other_peoples_files(
    client: TestClient, amr: Headers, seeded: Callable[[], Any]
) -> None:
    number, name = citizen_id(born=date(1985, 8, 8)), "王秀英"
    submit(client, amr, penalty_row(subject_id=number, subject_name=name))
    other_number = citizen_id(born=date(1986, 9, 9))
    submit(client, amr, penalty_row(subject_id=other_number, subject_name="张伟"))

    stranger = citizen_id(born=date(1990, 1, 1))  # well formed, unknown here
    malformed = number[:-1] + ("1" if number[-1] != "1" else "2")  # a wrong check character
    for body in (
        {"number": number, "name": "王秀", "phone": "13800138000", "password": PASSWORD},
        {"number": stranger, "name": name, "phone": "13800138000", "password": PASSWORD},
        {"number": malformed, "name": name, "phone": "13800138000", "password": PASSWORD},
        {"number": number, "name": name, "phone": "12345", "password": PASSWORD},
        {"number": number, "name": name, "phone": "13800138000", "password": "short"},
    ):
        refused = client.post("/api/v1/accounts", json=body)
        assert refused.status_code in (404, 422), refused.text
        assert refused.headers["content-type"].startswith(PROBLEM)
        assert body["number"] not in refused.text
        assert body["number"][:14] not in refused.text
    person = sign_up(client, number, name)
    taken = client.post(
        "/api/v1/accounts",
        json={"number": number, "name": name, "phone": "13800138000", "password": PASSWORD},
    )
    # The same answer as for an unknown number or a wrong name: registration tells no one
    # who is on file.
    assert taken.status_code == 422
    assert number not in taken.text
    unknown = client.post(
        "/api/v1/accounts",
        json={"number": stranger, "name": name, "phone": "13800138000", "password": PASSWORD},
    )
    assert taken.json()["detail"] == unknown.json()["detail"]

    details = set()
    for body in (
        {"number": number, "password": "wrong horse battery"},
        {"number": stranger, "password": PASSWORD},
        {"number": malformed, "password": PASSWORD},
        {"number": number.lower(), "password": PASSWORD.upper()},
    ):
        failed = client.post("/api/v1/sessions", json=body)
        assert failed.status_code == 401, failed.text
        assert failed.headers["content-type"].startswith(PROBLEM)
        problem = failed.json()
        assert problem["status"] == 401
        assert {"type", "title", "detail"} <= problem.keys()
        assert body["number"] not in failed.text
        assert body["number"][:14] not in failed.text
        assert "set-cookie" not in failed.headers
        details.add(problem["detail"])
    assert len(details) == 1  # one message, whatever was wrong

    web = client.post(
        "/api/v1/sessions", json={"number": number, "password": PASSWORD, "kind": "web"}
    )
    assert web.status_code == 201
    token = web.json()["token"]
    set_cookie = web.headers["set-cookie"]
    assert set_cookie.startswith(f"xinyong_session={token};")
    assert "httponly" in set_cookie.lower()
    assert "samesite=strict" in set_cookie.lower()
    # The jar would drop it (the test clock is behind the wall clock): the browser's part by hand.
    client.cookies.set("xinyong_session", token)
    assert client.get("/api/v1/me/report").status_code == 200  # the cookie reads
    no_header = client.post(
        "/api/v1/me/objections",
        json={"record_id": 1, "ground": "error_or_omission", "reasons": "x"},
    )
    assert no_header.status_code == 401  # writing needs the header: no cross-site requests
    client.cookies.clear()

    # A person's token is not a department's key, and reads no one else's file.
    department_routes: list[tuple[str, str, dict[str, object] | None]] = [
        ("POST", "/api/v1/checks", {"subject": other_number, "matter": "flight"}),
        ("GET", "/api/v1/objections", None),
        ("GET", "/api/v1/repairs", None),
        ("GET", "/api/v1/feed", None),
        ("POST", "/api/v1/agency/queries", {"subject": other_number, "purpose": "x"}),
        ("POST", "/api/v1/records", penalty_row(subject_id=other_number)),
    ]
    for method, url, payload in department_routes:
        denied = client.request(method, url, json=payload, headers=person.headers)
        assert denied.status_code == 403, (url, denied.text)
        assert other_number not in denied.text
    with seeded() as uow:
        other = uow.subjects.get_by_number(other_number)
    assert other is not None
    for url in ("/api/v1/me/report", "/api/v1/me/objections", "/api/v1/me/authorisations"):
        foreign = client.get(url, params={"on_behalf_of": other.id}, headers=person.headers)
        assert foreign.status_code == 403, foreign.text
        assert other_number not in foreign.text
    own = client.get(
        "/api/v1/me/report", params={"on_behalf_of": person.subject_id}, headers=person.headers
    )
    assert own.status_code == 200

    ended = client.delete("/api/v1/sessions/current", headers=person.headers)
    assert ended.status_code == 204
    after = client.get("/api/v1/me/report", headers=person.headers)
    assert after.status_code == 401
    assert after.headers["content-type"].startswith(PROBLEM)
    assert client.get("/api/v1/me/report").status_code == 401
    forged = client.get("/api/v1/me/report", headers=auth("xs_not-a-session"))
    assert forged.status_code == 401


def test_logins_are_refused_for_a_while_after_too_many_wrong_passwords(
    client: TestClient, amr: Headers, clock: Clock
) -> None:
    number, name = citizen_id(born=date(1984, 3, 3)), "王秀英"
    submit(client, amr, penalty_row(subject_id=number, subject_name=name))
    sign_up(client, number, name)

    def attempt(password: str) -> Any:
        return client.post("/api/v1/sessions", json={"number": number, "password": password})

    for _ in range(5):  # rights.toml: max_failed_logins
        assert attempt("not the password").status_code == 401
    locked = attempt(PASSWORD)  # even the right password, for now
    assert locked.status_code == 429, locked.text
    assert locked.headers["content-type"].startswith(PROBLEM)
    assert "15 minutes" in locked.json()["detail"]
    assert number not in locked.text

    clock.advance(minutes=16)  # rights.toml: lockout_minutes
    assert attempt(PASSWORD).status_code == 201
