"""The "under objection" mark (异议处理中) wherever a record or a listing resting on it is used
while an objection is open: the recipients of those listings told once each, the screening
CSV's last column, the console's check page, the records API and `xinyong lists`.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Clock
from tests.factories import citizen_id, debtor_row, serious_penalty_row
from tests.functional.consoles import sign_in
from tests.functional.helpers import (
    BAD_CHECK_CHARACTER,
    Headers,
    Person,
    agency_query,
    authorise_agency,
    check,
    feed,
    object_to,
    propose_food_listing,
    record_listing,
    run,
    screen,
    sign_up,
    submit,
    words,
)
from xinyong.domain.access import Role


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands run by the tests reach the test's database."""
    monkeypatch.setenv("XINYONG_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")


def _listed_debtor(
    client: TestClient, court: Headers, number: str, name: str
) -> tuple[int, int, Person]:
    """A judgment debtor the court listed, with an account: (the record, the entry, the person)."""
    debt = submit(client, court, debtor_row(subject_id=number, subject_name=name))
    listed = record_listing(client, court, number)
    assert listed.status_code == 201, listed.text
    return debt, int(listed.json()["id"]), sign_up(client, number, name)


def told(client: TestClient, headers: Headers) -> list[tuple[str, str, int]]:
    return [(i["kind"], i["entity_type"], i["entity_id"]) for i in feed(client, headers)]


def decide(client: TestClient, objection: int, staff: Headers, court: Headers) -> None:
    forwarded = client.post(f"/api/v1/objections/{objection}/forwarding", headers=staff)
    assert forwarded.status_code == 200, forwarded.text
    decided = client.post(
        f"/api/v1/objections/{objection}/decision",
        json={"outcome": "reject", "reasons": "执行依据记载无误"},
        headers=court,
    )
    assert decided.status_code == 200, decided.text


# -- the recipients of listings resting on the record are told, once each ----------------------


def test_the_recipients_of_a_listing_resting_on_the_record_are_told_once_each(
    client: TestClient,
    clock: Clock,
    court: Headers,
    airline: Headers,
    agency: Headers,
    amr: Headers,
    staff: Headers,
) -> None:
    number, name = citizen_id(born=date(1971, 4, 8)), "赵志刚"
    debt, entry, person = _listed_debtor(client, court, number, name)
    authorise_agency(client, person, clock().date() + timedelta(days=30))
    # The airline received the listing twice (two checks), never the record; the agency
    # received the record and the listing resting on it in one answer.
    for _ in range(2):
        [flight] = check(client, airline, number, "flight")["measures"]
        assert flight["triggered_by"]["id"] == entry
    answered = agency_query(client, agency, number)
    assert answered.status_code == 200, answered.text
    assert debt in {r["id"] for r in answered.json()["records"]}
    assert entry in {e["id"] for e in answered.json()["entries"]}

    objection = object_to(client, person, debt)["id"]

    assert told(client, airline) == [("under_objection", "list_entry", entry)]
    assert told(client, agency) == [("under_objection", "record", debt)]
    assert told(client, amr) == []  # it received nothing about the person
    [item] = feed(client, airline)
    assert "JUD-DEBTOR-01" in item["detail"]  # which record the listing rests on
    assert number not in item["detail"]

    decide(client, objection, staff, court)

    assert told(client, airline) == [
        ("under_objection", "list_entry", entry),
        ("objection_rejected", "list_entry", entry),
    ]
    assert told(client, agency) == [
        ("under_objection", "record", debt),
        ("objection_rejected", "record", debt),
    ]


def test_a_challenged_decision_tells_the_listing_recipients_the_mark_again(
    client: TestClient, court: Headers, airline: Headers, staff: Headers
) -> None:
    number, name = citizen_id(born=date(1966, 9, 9)), "钱国强"
    debt, entry, person = _listed_debtor(client, court, number, name)
    check(client, airline, number, "flight")
    objection = object_to(client, person, debt)["id"]
    decide(client, objection, staff, court)
    challenged = client.post(
        f"/api/v1/objections/{objection}/challenge",
        json={"kind": "litigation", "reference": "（2026）京0105行初77号"},
        headers=staff,
    )
    assert challenged.status_code == 200, challenged.text
    assert told(client, airline) == [
        ("under_objection", "list_entry", entry),
        ("objection_rejected", "list_entry", entry),
        ("under_objection", "list_entry", entry),
    ]


# -- the screening CSV's last column -----------------------------------------------------------


def _screened(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_a_screening_marks_each_hit_resting_on_a_record_under_objection(
    client: TestClient, court: Headers, airline: Headers
) -> None:
    marked, calm = citizen_id(born=date(1970, 1, 2)), citizen_id(born=date(1970, 1, 3))
    debt = submit(client, court, debtor_row(subject_id=marked, subject_name="孙丽"))
    assert record_listing(client, court, marked).status_code == 201
    submit(client, court, debtor_row(subject_id=calm, subject_name="周平"))
    assert record_listing(client, court, calm).status_code == 201
    object_to(client, sign_up(client, marked, "孙丽"), debt)
    clear = citizen_id(born=date(1990, 5, 5))
    body = f"number\n{marked}\n{calm}\n{clear}\n{BAD_CHECK_CHARACTER}\n"

    response = screen(client, airline, body)

    assert response.status_code == 200, response.text
    rows = _screened(response.text)
    assert rows[0] == [
        *["row", "number", "status", "measures", "entries", "reason"],
        "under_objection",
    ]
    assert [(r[0], r[2], r[-1]) for r in rows[1:]] == [
        ("1", "listed", "true"),
        ("2", "listed", "false"),
        ("3", "clear", "false"),
        ("4", "invalid", "false"),
    ]


def test_the_consoles_screening_download_carries_the_mark(
    client: TestClient, court: Headers
) -> None:
    number = citizen_id(born=date(1968, 6, 1))
    debt = submit(client, court, debtor_row(subject_id=number, subject_name="吴敏"))
    assert record_listing(client, court, number).status_code == 201
    object_to(client, sign_up(client, number, "吴敏"), debt)
    me = sign_in(client, "desk.marks", Role.IMPLEMENTING_DEPARTMENT, "BJ-CAAC-NC")

    download = client.post(
        "/console/checks/screen",
        data={"matter": "flight", "csrf": me.csrf},
        files={"file": ("numbers.csv", f"number\n{number}\n".encode(), "text/csv")},
    )

    assert download.status_code == 200, download.text
    rows = _screened(download.content.decode("utf-8-sig"))
    assert rows[0][-1] == "under_objection"
    assert (rows[1][2], rows[1][-1]) == ("listed", "true")


def test_xinyong_screen_writes_the_mark_last(
    client: TestClient, court: Headers, cli_database: None, tmp_path: Path
) -> None:
    number = citizen_id(born=date(1967, 3, 3))
    debt = submit(client, court, debtor_row(subject_id=number, subject_name="郑强"))
    assert record_listing(client, court, number).status_code == 201
    object_to(client, sign_up(client, number, "郑强"), debt)
    numbers = tmp_path / "numbers.csv"
    numbers.write_text(f"航班,number\nCA1501,{number}\n", encoding="utf-8")

    result = run("screen", str(numbers), "--matter", "flight", "--department", "BJ-CAAC-NC")

    assert result.exit_code == 0, result.output
    with numbers.with_name("numbers.screened.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == [
        *["row", "航班", "number", "status", "measures", "entries", "field", "reason"],
        "under_objection",
    ]
    assert (rows[1][3], rows[1][-1]) == ("listed", "true")


# -- the console's check page, the records API, `xinyong lists` --------------------------------


def test_the_consoles_check_page_shows_the_mark_while_the_objection_is_open(
    client: TestClient, court: Headers, staff: Headers
) -> None:
    number, name = citizen_id(born=date(1965, 8, 8)), "冯磊"
    debt = submit(client, court, debtor_row(subject_id=number, subject_name=name))
    assert record_listing(client, court, number).status_code == 201
    me = sign_in(client, "desk.badge", Role.IMPLEMENTING_DEPARTMENT, "BJ-CAAC-NC")
    ran = client.post(
        "/console/checks",
        data={"number": number, "matter": "flight", "csrf": me.csrf},
        follow_redirects=False,
    )
    assert ran.status_code == 303, ran.text
    location = ran.headers["location"]
    assert "异议处理中" not in client.get(location).text

    objection = object_to(client, sign_up(client, number, name), debt)["id"]

    page = client.get(location)
    assert page.status_code == 200
    assert "异议处理中" in page.text
    english = client.get(location, params={"lang": "en"})
    assert "under objection" in english.text
    decide(client, objection, staff, court)
    closed = client.get(location, params={"lang": "zh"})
    assert "提交反馈" in closed.text or "已反馈" in closed.text  # the page, in Chinese
    assert "异议处理中" not in closed.text


def test_the_consoles_listings_page_marks_a_proposal_resting_on_a_contested_record(
    client: TestClient, amr: Headers, staff: Headers
) -> None:
    """Whoever takes a proposal's next step sees that the record it rests on is contested."""
    number, name = citizen_id(born=date(1966, 6, 6)), "韩梅"
    record = submit(client, amr, serious_penalty_row(subject_id=number, subject_name=name))
    entry = propose_food_listing(client, amr, number, record)
    sign_in(client, "amr.listings", Role.SOURCE_DEPARTMENT, "BJ-AMR")

    def row() -> str:
        page = client.get("/console/listings", params={"lang": "zh"})
        assert page.status_code == 200
        return page.text.split(f'<td data-label="条目">{entry}</td>')[1].split("</tr>")[0]

    assert "异议处理中" not in row()
    object_to(client, sign_up(client, number, name), record)
    assert "异议处理中" in row()


def test_the_records_api_carries_the_mark(client: TestClient, court: Headers) -> None:
    number, name = citizen_id(born=date(1964, 2, 2)), "陈静"
    debt = submit(client, court, debtor_row(subject_id=number, subject_name=name))
    before = client.get(f"/api/v1/records/{debt}", headers=court)
    assert before.status_code == 200, before.text
    assert before.json()["under_objection"] is False

    object_to(client, sign_up(client, number, name), debt)

    after = client.get(f"/api/v1/records/{debt}", headers=court)
    assert after.json()["under_objection"] is True


def test_xinyong_lists_shows_the_mark_on_an_entry_resting_on_a_record_under_objection(
    client: TestClient, court: Headers, cli_database: None
) -> None:
    number, name = citizen_id(born=date(1963, 12, 12)), "褚红"
    debt, entry, person = _listed_debtor(client, court, number, name)
    shown = run("lists", "entry", str(entry))
    assert shown.exit_code == 0, shown.output
    assert "under objection" not in shown.output

    object_to(client, person, debt)

    shown = run("lists", "entry", str(entry))
    assert shown.exit_code == 0, shown.output
    assert f"entry {entry} COURT-DEBTORS" in words(shown.output)
    assert "(under objection)" in shown.output
    every = run("lists", "entries", str(person.subject_id))
    assert every.exit_code == 0, every.output
    assert "(under objection)" in every.output
