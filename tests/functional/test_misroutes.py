"""A department that reaches for another department's case, check, batch or list entry, or a
person for another person's record, case or evidence, is told it does not exist, and the reach
is audited as a refusal for want of a mandate (`mandate:refused`, with the step it was reached
for), by API, console and portal alike; nothing of what was reached for changes."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Clock
from tests.factories import citizen_id, penalty_row, serious_penalty_row
from tests.functional.consoles import sign_in
from tests.functional.helpers import (
    PASSWORD,
    Headers,
    KeyFor,
    UowFactory,
    auth,
    check,
    log_in,
    object_to,
    on,
    propose_food_listing,
    sign_up,
    submit,
)
from tests.functional.test_batches import as_csv
from xinyong.db.audit import AuditEventRow
from xinyong.domain.access import Role, Scope


def _refusals(seeded: UowFactory) -> list[tuple[str, str, Any, int | None]]:
    """Each audited refusal, oldest first: actor, step, department, person."""
    with seeded() as uow:
        rows = uow.session.scalars(
            select(AuditEventRow)
            .where(AuditEventRow.tag == "mandate:refused")
            .order_by(AuditEventRow.id)
        )
        return [
            (r.actor, r.entity_id, (r.data or {}).get("department"), r.subject_id) for r in rows
        ]


def _subject_of(seeded: UowFactory, objection_id: int) -> int:
    with seeded() as uow:
        return uow.objections.get(objection_id).subject_id


def test_a_department_reaching_for_another_departments_objection_is_refused_and_audited(
    client: TestClient, amr: Headers, court: Headers, seeded: UowFactory
) -> None:
    person = sign_up(client, citizen_id(born=date(1981, 3, 3)), "赵敏")
    record = submit(client, amr, penalty_row(subject_id=person.number, subject_name="赵敏"))
    objection = int(object_to(client, person, record)["id"])
    subject = _subject_of(seeded, objection)

    extension = client.post(
        f"/api/v1/objections/{objection}/extension",
        json={
            "reasons": "需核对案卷",
            "approved_by": "法制处",
            "approval_reference": "京法〔2026〕1号",
        },
        headers=court,
    )
    decision = client.post(
        f"/api/v1/objections/{objection}/decision",
        json={"outcome": "reject", "reasons": "原处罚决定事实清楚"},
        headers=court,
    )
    for refused in (extension, decision):
        assert refused.status_code == 404, refused.text
        assert refused.json()["detail"] == f"objection {objection} does not exist"
    court_key = _refusals(seeded)[0][0]
    assert _refusals(seeded) == [
        (court_key, "objection:extend", "BJ-HCOURT", subject),
        (court_key, "objection:decide", "BJ-HCOURT", subject),
    ]

    sign_in(client, "zhao.court", Role.SOURCE_DEPARTMENT, "BJ-HCOURT")
    page = client.get(f"/console/objections/{objection}", params={"lang": "zh"})
    assert page.status_code == 404
    assert _refusals(seeded)[2][1:] == ("objection:read", "BJ-HCOURT", subject)

    # The department the objection is routed to reads it, and nothing is refused.
    sign_in(client, "zhao.amr", Role.SOURCE_DEPARTMENT, "BJ-AMR")
    assert client.get(f"/console/objections/{objection}").status_code == 200
    assert len(_refusals(seeded)) == 3
    with seeded() as uow:
        assert uow.objections.get(objection).extended is False


def test_a_person_supplying_another_persons_repair_application_is_refused_and_audited(
    client: TestClient, amr: Headers, clock: Clock, seeded: UowFactory
) -> None:
    owner = sign_up(client, citizen_id(born=date(1976, 3, 3)), "孙立")
    record = submit(client, amr, penalty_row(subject_id=owner.number, subject_name="孙立"))
    prober = sign_up(client, citizen_id(born=date(1985, 5, 5)), "吴敏")
    clock.at = on(date(2026, 12, 1))
    log_in(client, owner)
    log_in(client, prober)
    lacking = client.post(
        "/api/v1/me/repairs",
        json={"record_id": record, "obligations_performed": False, "commitment": ""},
        headers=owner.headers,
    )
    assert lacking.json()["status"] == "missing_materials", lacking.text
    repair = int(lacking.json()["id"])
    materials = {"obligations_performed": True, "commitment": "本人承诺今后诚信守法经营。" * 3}

    reached = client.post(
        f"/api/v1/me/repairs/{repair}/materials", json=materials, headers=prober.headers
    )
    assert reached.status_code == 404, reached.text
    assert reached.json()["detail"] == f"repair application {repair} does not exist"
    assert [(step, who) for _, step, _, who in _refusals(seeded)] == [
        ("repair:supply", owner.subject_id)
    ]
    with seeded() as uow:
        assert uow.repairs.get(repair).status.value == "missing_materials"


def test_a_department_reaching_for_another_departments_repair_is_refused_and_audited(
    client: TestClient, amr: Headers, court: Headers, clock: Clock, seeded: UowFactory
) -> None:
    person = sign_up(client, citizen_id(born=date(1977, 4, 4)), "钱进")
    record = submit(client, amr, penalty_row(subject_id=person.number, subject_name="钱进"))
    clock.at = on(date(2026, 12, 1))  # a general fine is repairable after 3 months
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
    repair = int(applied.json()["id"])

    accepted = client.post(f"/api/v1/repairs/{repair}/acceptance", headers=court)
    decided = client.post(
        f"/api/v1/repairs/{repair}/decision",
        json={"repaired": True, "reasons": "准予修复"},
        headers=court,
    )
    files = client.get(f"/api/v1/repairs/{repair}/evidence", headers=court)
    for refused in (accepted, decided):
        assert refused.status_code == 404, refused.text
        assert refused.json()["detail"] == f"repair application {repair} does not exist"
    assert files.status_code == 404
    assert files.json()["detail"] == f"repair {repair} does not exist"
    sign_in(client, "qian.court", Role.SOURCE_DEPARTMENT, "BJ-HCOURT")
    assert client.get(f"/console/repairs/{repair}").status_code == 404
    steps = [(step, department) for _, step, department, _ in _refusals(seeded)]
    assert steps == [
        ("repair:accept", "BJ-HCOURT"),
        ("repair:decide", "BJ-HCOURT"),
        ("evidence:list", "BJ-HCOURT"),
        ("repair:read", "BJ-HCOURT"),
    ]
    with seeded() as uow:
        assert uow.repairs.get(repair).status.value == "applied"  # nothing changed


def test_a_department_reaching_for_another_departments_check_is_refused_and_audited(
    client: TestClient, airline: Headers, key_for: KeyFor, seeded: UowFactory
) -> None:
    answer = check(client, airline, citizen_id(born=date(1990, 5, 5)), "flight")
    other = auth(key_for([Scope.CHECKS_RUN], "BJ-TAX"))
    feedback = client.post(
        f"/api/v1/checks/{answer['id']}/feedback",
        json={"measure": "M-COURT-FLIGHT", "applied": True},
        headers=other,
    )
    assert feedback.status_code == 404
    sign_in(client, "sun.hrss", Role.IMPLEMENTING_DEPARTMENT, "BJ-HRSS")
    assert client.get(f"/console/checks/{answer['id']}").status_code == 404
    assert [(step, department) for _, step, department, _ in _refusals(seeded)] == [
        ("check:feedback", "BJ-TAX"),
        ("check:read", "BJ-HRSS"),
    ]


def test_a_department_reaching_for_another_departments_batch_is_refused_and_audited(
    client: TestClient, amr: Headers, court: Headers, seeded: UowFactory
) -> None:
    body = as_csv([penalty_row(subject_id=citizen_id(born=date(1985, 6, 6)))])
    sent = client.post(
        "/api/v1/records/batch", content=body, headers={**amr, "content-type": "text/csv"}
    )
    assert sent.status_code in (200, 201), sent.text
    batch = int(sent.json()["batch_id"])
    read = client.get(f"/api/v1/batches/{batch}", headers=court)
    assert read.status_code == 404
    assert read.json()["detail"] == f"batch {batch} does not exist"
    sign_in(client, "li.court", Role.SOURCE_DEPARTMENT, "BJ-HCOURT")
    assert client.get(f"/console/batches/{batch}/errors.csv").status_code == 404
    assert [(step, department) for _, step, department, _ in _refusals(seeded)] == [
        ("batch:read", "BJ-HCOURT"),
        ("batch:read", "BJ-HCOURT"),
    ]
    assert client.get(f"/api/v1/batches/{batch}", headers=amr).status_code == 200
    assert len(_refusals(seeded)) == 2


def test_a_department_reaching_for_another_departments_listing_is_refused_and_audited(
    client: TestClient, amr: Headers, court: Headers, seeded: UowFactory
) -> None:
    number = citizen_id(born=date(1979, 7, 7))
    record = submit(client, amr, serious_penalty_row(subject_id=number))
    entry = propose_food_listing(client, amr, number, record)
    url = f"/api/v1/lists/entries/{entry}"
    with seeded() as uow:
        subject = uow.records.get(record).subject_id

    reaches = [
        client.get(url, headers=court),
        client.get(f"{url}/notice", headers=court),
        client.post(f"{url}/notice", headers=court),
        client.post(f"{url}/decision", json={"reasons": "established"}, headers=court),
        client.post(f"{url}/publication", headers=court),
        client.post(f"{url}/withdrawal", headers=court),
        client.post(
            f"{url}/extension", json={"months": 36, "decided_on": "2026-11-02"}, headers=court
        ),
        client.post(
            f"{url}/deletion-ground",
            json={"ground": "performed", "arose_on": "2026-11-02"},
            headers=court,
        ),
    ]
    for refused in reaches:
        assert refused.status_code == 404, refused.text
        assert refused.json()["detail"] == f"list entry {entry} does not exist"
    court_key = _refusals(seeded)[0][0]
    assert _refusals(seeded) == [
        (court_key, step, "BJ-HCOURT", subject)
        for step in (
            "listing:read",
            "listing:document",
            "listing:notice_served",
            "listing:decided",
            "listing:published",
            "listing:withdrawn",
            "listing:extended",
            "listing:deletion_ground_noted",
        )
    ]

    me = sign_in(client, "zhou.court", Role.SOURCE_DEPARTMENT, "BJ-HCOURT")
    assert client.get(f"/console/listings/{entry}/notice.pdf").status_code == 404
    client.post(f"/console/listings/{entry}/notice", data={"csrf": me.csrf})
    assert [step for _, step, _, _ in _refusals(seeded)[8:]] == [
        "listing:document",
        "listing:notice_served",
    ]

    # The department that proposed it moves it on, and nothing more is refused.
    assert client.post(f"{url}/notice", headers=amr).status_code == 200
    assert client.get(url, headers=amr).json()["state"] == "noticed"
    assert len(_refusals(seeded)) == 10


def test_a_person_reaching_for_another_persons_file_is_refused_and_audited(
    client: TestClient, amr: Headers, seeded: UowFactory
) -> None:
    owner = sign_up(client, citizen_id(born=date(1983, 8, 8)), "孙丽")
    record = submit(client, amr, serious_penalty_row(subject_id=owner.number, subject_name="孙丽"))
    objection = int(object_to(client, owner, record)["id"])
    prober = sign_up(client, citizen_id(born=date(1984, 9, 9)), "周强")
    submit(client, amr, penalty_row(subject_id=prober.number, subject_name="周强"))
    entry = propose_food_listing(client, amr, owner.number, record)
    assert client.post(f"/api/v1/lists/entries/{entry}/notice", headers=amr).status_code == 200

    reaches = [
        client.post(
            "/api/v1/me/objections",
            json={"record_id": record, "ground": "error_or_omission", "reasons": "不是我的"},
            headers=prober.headers,
        ),
        client.post(
            f"/api/v1/me/objections/{objection}/evidence",
            files={"file": ("note.pdf", b"%PDF-1.4 not mine", "application/pdf")},
            headers=prober.headers,
        ),
        client.post(
            "/api/v1/me/repairs",
            json={"record_id": record, "obligations_performed": True, "commitment": "守信"},
            headers=prober.headers,
        ),
        client.post(
            f"/api/v1/me/list-entries/{entry}/defence",
            json={"text": "不是我的"},
            headers=prober.headers,
        ),
    ]
    for refused in reaches:
        assert refused.status_code == 404, refused.text
        assert "does not exist" in refused.json()["detail"]
    prober_key = _refusals(seeded)[0][0]
    assert prober_key.startswith("account:")
    assert _refusals(seeded) == [
        (prober_key, step, None, owner.subject_id)
        for step in ("objection:file", "evidence:add", "repair:apply", "listing:defence_stated")
    ]

    # On the portal too: the page of another person's objection is not found, and audited.
    client.cookies.clear()
    signed_in = client.post("/portal/login", data={"number": prober.number, "password": PASSWORD})
    assert signed_in.status_code == 200
    assert client.get(f"/portal/me/objections/{objection}").status_code == 404
    assert [step for _, step, _, _ in _refusals(seeded)[4:]] == ["objection:read"]

    # The person whose file it is reads their own objection, and nothing is refused.
    assert (
        client.post(
            f"/api/v1/me/objections/{objection}/evidence",
            files={"file": ("note.pdf", b"%PDF-1.4 mine", "application/pdf")},
            headers=owner.headers,
        ).status_code
        == 201
    )
    assert len(_refusals(seeded)) == 5
