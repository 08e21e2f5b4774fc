"""Abuse limits on the API and the portal: 429 problem details with `Retry-After`, each run of
refusals logged (without identifiers) and audited; refused keys audited with the reason."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import citizen_id
from tests.functional.conftest import ClientFactory, KeyFor
from tests.functional.consoles import sign_in
from tests.functional.helpers import (
    AIRLINE,
    PASSWORD,
    UowFactory,
    assert_problem,
    auth,
    register,
)
from xinyong.db.audit import AuditEventRow
from xinyong.domain.access import Role, Scope
from xinyong.domain.audit import EventTag
from xinyong.domain.rates import Action, Limit, RateRules, Who
from xinyong.services import keys, reports
from xinyong.web.throttle import Throttle


class Ticking:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def limited(client: TestClient, **figures: tuple[int, float]) -> Ticking:
    """Give the app's throttle these figures (`login_client=(3, 60)`, …) and a clock of the
    test's own."""
    clock = Ticking()
    limits = {}
    for name, (requests, seconds) in figures.items():
        action, who = name.rsplit("_", 1)
        limits[(Action(action), Who(who))] = Limit(requests, seconds)
    client.app.state.throttle = Throttle(  # type: ignore[attr-defined]
        RateRules(limits, 1000), secret="test", monotonic=clock
    )
    return clock


def audited(seeded: UowFactory, tag: EventTag) -> int:
    with seeded() as uow:
        return uow.audit.count(tag.value)


def test_logins_over_the_address_limit_get_429_with_retry_after_and_one_audit_event(
    client: TestClient, seeded: UowFactory, caplog: pytest.LogCaptureFixture
) -> None:
    clock = limited(client, login_client=(3, 60))
    number = citizen_id()
    body = {"number": number, "password": "wrong password!"}
    for _ in range(3):
        assert client.post("/api/v1/sessions", json=body).status_code == 401
    with caplog.at_level(logging.WARNING, logger="xinyong.abuse"):
        for _ in range(3):
            refused = client.post("/api/v1/sessions", json=body)
            problem = assert_problem(refused, 429)
            assert refused.headers["Retry-After"] == "20"
            assert number not in refused.text
    assert "try again in 20 s" in problem["detail"]
    assert audited(seeded, EventTag.RATE_LIMITED) == 1  # the run, once
    # One line from the abuse logger for the run (the access log's lines are other loggers').
    assert len([r for r in caplog.records if r.name == "xinyong.abuse"]) == 1
    assert number not in caplog.text
    assert "testclient" not in caplog.text  # the address only as a keyed digest
    clock.now = 20.0
    assert client.post("/api/v1/sessions", json=body).status_code == 401


def test_registrations_over_the_address_limit_get_429(client: TestClient) -> None:
    limited(client, registration_client=(2, 3600))
    register(client, citizen_id(born=date(1990, 1, 1)), "张三")
    register(client, citizen_id(born=date(1990, 1, 2)), "李四")
    refused = client.post(
        "/api/v1/accounts",
        json={"number": citizen_id(), "name": "王五", "phone": "13800138000", "password": PASSWORD},
    )
    assert_problem(refused, 429)
    assert int(refused.headers["Retry-After"]) == 1800


def test_an_address_that_used_up_its_failed_keys_is_refused_even_with_a_good_key(
    client: TestClient, key_for: KeyFor, seeded: UowFactory
) -> None:
    clock = limited(client, key_failure_client=(3, 60))
    good = auth(key_for([Scope.CATALOG_READ]))
    for n in range(3):
        wrong = client.get("/api/v1/catalog", headers=auth(f"xy_nosuch_{n}"))
        assert_problem(wrong, 401)
    refused = client.get("/api/v1/catalog", headers=good)
    assert_problem(refused, 429)
    assert refused.headers["Retry-After"] == "20"
    assert audited(seeded, EventTag.KEY_REFUSED) == 3
    assert audited(seeded, EventTag.RATE_LIMITED) == 1
    clock.now = 20.0
    assert client.get("/api/v1/catalog", headers=good).status_code == 200


def test_a_revoked_key_is_refused_and_audited_as_revoked(
    client: TestClient, key_for: KeyFor, seeded: UowFactory
) -> None:
    token = key_for([Scope.CATALOG_READ])
    assert client.get("/api/v1/catalog", headers=auth(token)).status_code == 200
    keys.revoke_api_key(seeded(), token.split("_")[1], actor="test")
    assert_problem(client.get("/api/v1/catalog", headers=auth(token)), 401)
    with seeded() as uow:
        (event,) = uow.session.scalars(
            select(AuditEventRow).where(AuditEventRow.tag == EventTag.KEY_REFUSED.value)
        )
        assert event.reason == "revoked"
        assert event.entity_id == token.split("_")[1]
        assert token.split("_", 2)[2] not in f"{event.reason} {event.data}"


@pytest.mark.parametrize("fast", [True, False])
def test_checks_over_the_key_limit_get_429_on_either_path(
    make_client: ClientFactory, key_for: KeyFor, seeded: UowFactory, fast: bool
) -> None:
    client = make_client(fast_checks=fast)
    limited(client, check_key=(2, 1), check_client=(100, 1))
    desk = auth(key_for([Scope.CHECKS_RUN], AIRLINE))
    body = {"subject": citizen_id(), "matter": "flight"}
    for _ in range(2):
        assert client.post("/api/v1/checks", json=body, headers=desk).status_code == 200
    refused = client.post("/api/v1/checks", json=body, headers=desk)
    assert_problem(refused, 429)
    assert refused.headers["Retry-After"] == "1"
    assert "caller" in refused.json()["detail"]
    assert audited(seeded, EventTag.RATE_LIMITED) == 1
    other = auth(key_for([Scope.CHECKS_RUN], AIRLINE))
    assert client.post("/api/v1/checks", json=body, headers=other).status_code == 200


def test_screenings_over_the_key_limit_get_429(client: TestClient, key_for: KeyFor) -> None:
    limited(client, screening_key=(1, 3600))
    desk = auth(key_for([Scope.CHECKS_RUN], AIRLINE))
    send = {
        "params": {"matter": "flight"},
        "content": f"number\n{citizen_id()}\n".encode(),
        "headers": {**desk, "Content-Type": "text/csv"},
    }
    assert client.post("/api/v1/checks/batch", **send).status_code == 200  # type: ignore[arg-type]
    refused = client.post("/api/v1/checks/batch", **send)  # type: ignore[arg-type]
    assert_problem(refused, 429)
    assert refused.headers["Retry-After"] == "3600"


def test_the_portal_login_page_says_when_to_retry(client: TestClient) -> None:
    limited(client, login_client=(1, 60))
    form = {"number": citizen_id(), "password": "wrong password!"}
    assert client.post("/portal/login", data=form).status_code == 401
    refused = client.post("/portal/login", data=form)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert "60" in refused.text
    assert form["number"] not in refused.text


def test_report_verifications_over_the_address_limit_get_a_429_page_and_are_not_looked_up(
    client: TestClient, seeded: UowFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The public page that confirms a printed report reads the register for anyone: an address
    may ask it only so often (the code's 80 bits keep it secret; the limit keeps reads bounded)."""
    looked_up: list[str] = []

    def verify(uow: object, secret: str, number: str, code: str) -> None:
        looked_up.append(number)

    monkeypatch.setattr(reports, "verify_report", verify)
    clock = limited(client, report_verification_client=(2, 60))
    asked = {"number": "GR20260101000000ABCDEF", "code": "AAAA-AAAA-AAAA-AAAA"}
    for _ in range(2):
        shown = client.get("/portal/public/reports", params=asked)
        assert shown.status_code == 200
        assert 'id="not-verified"' in shown.text
    refused = client.get("/portal/public/reports", params=asked)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"
    assert 'id="not-verified"' not in refused.text  # refused, not answered "not issued"
    assert "30" in refused.text  # when to try again, in words
    assert looked_up == [asked["number"]] * 2
    assert audited(seeded, EventTag.RATE_LIMITED) == 1
    assert client.get("/portal/public/reports").status_code == 200  # the empty form is free
    clock.now = 30.0
    assert client.get("/portal/public/reports", params=asked).status_code == 200


def test_a_key_calling_outside_its_scopes_is_audited_until_its_allowance_then_limited(
    client: TestClient, key_for: KeyFor, seeded: UowFactory
) -> None:
    clock = limited(client, scope_refusal_key=(2, 60))
    desk = auth(key_for([Scope.CHECKS_RUN], AIRLINE))
    for _ in range(2):
        assert_problem(client.get("/api/v1/catalog", headers=desk), 403)
    for _ in range(3):  # a script probing routes: refused without a row each
        refused = client.get("/api/v1/catalog", headers=desk)
        assert_problem(refused, 429)
        assert refused.headers["Retry-After"] == "30"
    assert audited(seeded, EventTag.SCOPE_REFUSED) == 2
    assert audited(seeded, EventTag.RATE_LIMITED) == 1
    # The key's own work goes on meanwhile, and once refilled a refusal is audited again.
    body = {"subject": citizen_id(), "matter": "flight"}
    assert client.post("/api/v1/checks", json=body, headers=desk).status_code == 200
    clock.now = 30.0
    assert_problem(client.get("/api/v1/catalog", headers=desk), 403)
    assert audited(seeded, EventTag.SCOPE_REFUSED) == 3


def test_a_staff_user_opening_pages_outside_their_role_is_audited_until_their_allowance(
    client: TestClient, seeded: UowFactory
) -> None:
    clock = limited(client, scope_refusal_key=(2, 60))
    sign_in(client, "desk.officer", Role.IMPLEMENTING_DEPARTMENT, "BJ-CAAC-NC")
    for _ in range(2):
        assert client.get("/console/batches").status_code == 403
    refused = client.get("/console/batches")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"
    assert "30" in refused.text
    assert audited(seeded, EventTag.STAFF_REFUSED) == 2
    assert audited(seeded, EventTag.RATE_LIMITED) == 1
    clock.now = 30.0
    assert client.get("/console/batches").status_code == 403
    assert audited(seeded, EventTag.STAFF_REFUSED) == 3
