"""The platform's promises, tried end to end over HTTP as an auditor would: no measure without a
live basis, no department outside its mandate, court listings as the court decides them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from tests.conftest import Clock
from tests.factories import citizen_id, debtor_row, penalty_row, tax_violation_row

from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.access import ROLE_SCOPES, Role

KeyFor = Callable[..., str]
Headers = dict[str, str]
UowFactory = Callable[[], SqlUnitOfWork]


def auth(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def staff(key_for: KeyFor) -> Headers:
    return auth(key_for(ROLE_SCOPES[Role.CREDIT_CENTRE]))


@pytest.fixture
def court(key_for: KeyFor) -> Headers:
    return auth(key_for(ROLE_SCOPES[Role.SOURCE_DEPARTMENT], "BJ-HCOURT"))


@pytest.fixture
def amr(key_for: KeyFor) -> Headers:
    return auth(key_for(ROLE_SCOPES[Role.SOURCE_DEPARTMENT], "BJ-AMR"))


@pytest.fixture
def tax(key_for: KeyFor) -> Headers:
    return auth(key_for(ROLE_SCOPES[Role.SOURCE_DEPARTMENT], "BJ-TAX"))


@pytest.fixture
def airline(key_for: KeyFor) -> Headers:
    return auth(key_for(ROLE_SCOPES[Role.IMPLEMENTING_DEPARTMENT], "BJ-CAAC-NC"))


def submit(client: TestClient, headers: Headers, row: dict[str, object]) -> int:
    response = client.post("/api/v1/records", json=row, headers=headers)
    assert response.status_code in (200, 201), response.text
    return int(response.json()["record"]["id"])


def record_listing(
    client: TestClient, headers: Headers, number: str, list_type: str = "COURT-DEBTORS"
) -> Any:
    return client.post(
        "/api/v1/lists/decided",
        json={
            "list_type": list_type,
            "subject": number,
            "grounds": "the deciding authority's decision",
            "decided_on": "2026-10-15",
        },
        headers=headers,
    )


def measures(
    client: TestClient, headers: Headers, number: str, matter: str = "flight"
) -> list[str]:
    response = client.post(
        "/api/v1/checks", json={"subject": number, "matter": matter}, headers=headers
    )
    assert response.status_code == 200, response.text
    return [m["code"] for m in response.json()["measures"]]


# -- revocation reaches every measure and every recipient -----------------------------------------


def test_revoking_a_court_record_ends_its_listing_and_tells_every_recipient(
    client: TestClient,
    court: Headers,
    airline: Headers,
    key_for: KeyFor,
    seeded: UowFactory,
) -> None:
    number = citizen_id(born=date(1975, 3, 9))
    record = submit(client, court, debtor_row(subject_id=number))
    listed = record_listing(client, court, number)
    assert listed.status_code == 201, listed.text
    assert measures(client, airline, number) == ["M-COURT-FLIGHT"]
    with seeded() as uow:
        seq_before = uow.session.execute(text("SELECT max(seq) FROM changes")).scalar_one()

    revoked = client.post(
        f"/api/v1/records/{record}/revocation",
        json={"reason": "再审撤销原执行依据"},
        headers=court,
    )
    assert revoked.status_code == 200, revoked.text
    # Friday 2026-11-20 and three working days (policy withdraw_working_days): Wednesday.
    assert revoked.json()["withdraw_by"] == "2026-11-25"

    assert measures(client, airline, number) == []  # the very next check
    entry = client.get(f"/api/v1/lists/entries/{listed.json()['id']}", headers=court).json()
    assert (entry["state"], entry["exit_ground"]) == ("exited", "revocation")
    with seeded() as uow:
        seq_after = uow.session.execute(text("SELECT max(seq) FROM changes")).scalar_one()
    assert seq_after > seq_before
    airline_feed = client.get("/api/v1/feed", headers=airline).json()
    assert {(i["kind"], i["entity_type"]) for i in airline_feed} == {("revoked", "list_entry")}
    assert all("2026-11-25" in i["detail"] for i in airline_feed)


# -- only the deciding authority records a listing, on a record of its own -----------------------


def test_nobody_but_the_court_puts_anyone_on_the_courts_list(
    client: TestClient,
    court: Headers,
    amr: Headers,
    staff: Headers,
    tax: Headers,
    airline: Headers,
    seeded: UowFactory,
) -> None:
    number = citizen_id(born=date(1980, 1, 1))
    submit(client, amr, penalty_row(subject_id=number))
    for headers in (amr, staff):
        refused = record_listing(client, headers, number)
        assert refused.status_code == 403, refused.text
        assert "only its deciding authority records it" in refused.json()["detail"]
    # The tax bureau decides its own list, but only on a finding of its own about this person.
    refused = record_listing(client, tax, number, "TAX-MAJOR-VIOLATION")
    assert refused.status_code == 403, refused.text
    assert "holds no displayable record of its own" in refused.json()["detail"]
    # Even the court needs its own record about the person.
    refused = record_listing(client, court, number)
    assert refused.status_code == 403, refused.text
    assert measures(client, airline, number) == []
    with seeded() as uow:
        assert uow.audit.count("mandate:refused") == 4
        assert uow.entries.count() == 0

    submit(client, tax, tax_violation_row(subject_id=number, subject_name="王秀英"))
    assert record_listing(client, tax, number, "TAX-MAJOR-VIOLATION").status_code == 201


def test_a_row_naming_another_deciding_authority_is_refused_with_its_row_and_field(
    client: TestClient, amr: Headers, tax: Headers
) -> None:
    # Market regulation's decision sent under the tax bureau's key, and the other way round.
    rows = [penalty_row(), tax_violation_row()]
    for headers, row in ((tax, rows[0]), (amr, {**rows[1], "item": "ADM-PEN-01"})):
        response = client.post("/api/v1/records", json=row, headers=headers)
        assert response.status_code == 422, response.text
        fields = {e["field"] for e in response.json()["errors"]}
        assert "authority_uscc" in fields
    body = "".join(
        f"{r['item']},{r['document_number']},{r['subject_id']},{r['subject_name']},"
        f"{r['decision_date']},{r['authority_name']},{r['authority_uscc']},fine,ordinary,"
        f"过期食品,《食品安全法》,5000\n"
        for r in (penalty_row(), penalty_row())
    )
    header = (
        "item,document_number,subject_id,subject_name,decision_date,authority_name,"
        "authority_uscc,penalty_type,procedure,violation,legal_provision,fine_amount\n"
    )
    batch = client.post(
        "/api/v1/records/batch",
        content=(header + body).encode(),
        headers={**tax, "Content-Type": "text/csv"},
    )
    assert batch.status_code == 200, batch.text
    summary = batch.json()
    assert (summary["accepted"], summary["rejected"]) == (0, 2)
    assert {(e["row"], e["field"]) for e in summary["errors"]} >= {
        (1, "authority_uscc"),
        (2, "authority_uscc"),
    }


# -- objections: the centre checks first ---------------------------------------------------------


def test_a_source_decides_an_objection_only_once_the_centre_forwarded_it(
    client: TestClient, amr: Headers, staff: Headers, seeded: UowFactory
) -> None:
    number, name = citizen_id(born=date(1970, 2, 2)), "王秀英"
    record = submit(client, amr, penalty_row(subject_id=number, subject_name=name))
    password = "correct horse battery staple"
    client.post(
        "/api/v1/accounts",
        json={"number": number, "name": name, "phone": "13800138000", "password": password},
    )
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


# -- court listings as the court decides them ----------------------------------------------------


def test_able_to_perform_but_refuses_has_no_end_and_an_extension_is_recorded_later(
    client: TestClient, court: Headers, airline: Headers, clock: Clock
) -> None:
    refuses = citizen_id(born=date(1971, 1, 1))
    submit(client, court, debtor_row(subject_id=refuses, dishonest_conduct="able_but_refuses"))
    open_ended = record_listing(client, court, refuses).json()
    assert open_ended["ends_on"] is None
    assert open_ended["ground"] == "able_but_refuses"

    evades = citizen_id(born=date(1972, 2, 2))
    submit(client, court, debtor_row(subject_id=evades))
    two_years = record_listing(client, court, evades).json()
    assert two_years["ends_on"] == "2028-10-15"
    url = f"/api/v1/lists/entries/{two_years['id']}/extension"
    too_long = client.post(url, json={"months": 61, "decided_on": "2026-11-01"}, headers=court)
    assert too_long.status_code == 403, too_long.text
    assert "36 to 60 months" in too_long.json()["detail"]
    extended = client.post(url, json={"months": 36, "decided_on": "2026-11-01"}, headers=court)
    assert extended.status_code == 200, extended.text
    assert extended.json()["ends_on"] == "2029-10-15"
    clock.advance(days=365 * 3)  # on 2029-11-19 the extended period has run out
    assert measures(client, airline, evades) == []
    assert measures(client, airline, refuses) == ["M-COURT-FLIGHT"]


def test_a_deletion_ground_starts_the_courts_three_working_days(
    client: TestClient, court: Headers, staff: Headers, clock: Clock
) -> None:
    number = citizen_id(born=date(1973, 3, 3))
    submit(client, court, debtor_row(subject_id=number))
    entry = record_listing(client, court, number).json()
    url = f"/api/v1/lists/entries/{entry['id']}"
    noted = client.post(
        f"{url}/deletion-ground",
        json={"ground": "performance", "arose_on": "2026-11-19"},
        headers=court,
    )
    assert noted.status_code == 200, noted.text
    # Thursday 2026-11-19 and three working days: Tuesday 2026-11-24.
    assert (noted.json()["deletion_due"], noted.json()["deletion_overdue"]) == ("2026-11-24", False)
    clock.advance(days=5)  # Wednesday 2026-11-25: still listed, one day late
    late = client.get(url, headers=court).json()
    assert (late["state"], late["deletion_overdue"]) == ("decided", True)
    bad = client.post(
        f"{url}/deletion-ground", json={"ground": "expiry", "arose_on": "2026-11-19"}, headers=court
    )
    assert bad.status_code == 409
    deleted = client.post(f"{url}/exit", json={"ground": "performance"}, headers=court)
    assert deleted.json()["deletion_overdue"] is False


def test_a_repair_application_on_a_court_finding_is_sent_to_the_court(
    client: TestClient, court: Headers, clock: Clock, seeded: UowFactory
) -> None:
    number, name = citizen_id(born=date(1974, 4, 4)), "李建国"
    record = submit(client, court, debtor_row(subject_id=number, subject_name=name))
    record_listing(client, court, number)
    password = "correct horse battery staple"
    client.post(
        "/api/v1/accounts",
        json={"number": number, "name": name, "phone": "13800138000", "password": password},
    )
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
