"""Who may propose which list, over HTTP and through `xinyong lists propose`: an incompetent
department 403 (audited `mandate:refused`), a basis too light or named twice 422 naming the
field, a second open entry of the person on the list 409 with the open entry's id."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from tests.factories import TAX_USCC, citizen_id, penalty_row
from tests.functional.consoles import sign_in
from tests.functional.helpers import (
    Headers,
    UowFactory,
    assert_problem,
    propose_food_listing,
    run,
    submit,
)
from xinyong.db.audit import AuditEventRow
from xinyong.domain.access import Role

FOOD = "FOOD-DRUG-SERIOUS"


def proposal(number: str, *records: int, list_type: str = FOOD) -> dict[str, Any]:
    return {
        "list_type": list_type,
        "subject": number,
        "grounds": "sold food past its date, repeatedly",
        "basis_records": list(records),
    }


def refusals(seeded: UowFactory) -> list[tuple[str, str | None, dict[str, Any]]]:
    with seeded() as uow:
        rows = uow.session.scalars(
            select(AuditEventRow)
            .where(AuditEventRow.tag == "mandate:refused")
            .order_by(AuditEventRow.id)
        )
        return [(r.entity_id, r.reason, dict(r.data or {})) for r in rows]


def _tax_penalty(client: TestClient, tax: Headers) -> tuple[str, int]:
    """A heavy fine the tax bureau decided (its own record): (the person's number, the record)."""
    number = citizen_id(born=date(1975, 3, 4))
    own = penalty_row(
        subject_id=number,
        authority_name="国家税务总局北京市税务局",
        authority_uscc=TAX_USCC,
        fine_amount="80000",
    )
    return number, submit(client, tax, own)


def test_a_department_outside_the_lists_mandate_is_refused_403_and_audited(
    client: TestClient, tax: Headers, seeded: UowFactory
) -> None:
    number, record = _tax_penalty(client, tax)
    refused = client.post("/api/v1/lists/proposals", json=proposal(number, record), headers=tax)
    body = assert_problem(refused, 403)
    assert "BJ-TAX" in body["detail"]
    assert number not in refused.text
    [(action, reason, data)] = refusals(seeded)
    assert action == f"listing:propose:{FOOD}"
    assert data["department"] == "BJ-TAX"
    assert reason is not None
    assert number not in reason
    with seeded() as uow:
        assert uow.entries.count() == 0


def test_a_basis_too_light_or_named_twice_is_422_naming_the_field(
    client: TestClient, amr: Headers, seeded: UowFactory
) -> None:
    number = citizen_id(born=date(1975, 3, 4))
    light = submit(client, amr, penalty_row(subject_id=number))  # 5,000 yuan: general
    heavy = submit(client, amr, penalty_row(subject_id=number, fine_amount="80000"))

    too_light = client.post("/api/v1/lists/proposals", json=proposal(number, light), headers=amr)
    body = assert_problem(too_light, 422)
    assert body["detail"].startswith("basis_records:")
    assert "serious" in body["detail"]

    twice = client.post("/api/v1/lists/proposals", json=proposal(number, heavy, heavy), headers=amr)
    body = assert_problem(twice, 422)
    assert body["detail"].startswith("basis_records:")
    assert "twice" in body["detail"]
    assert refusals(seeded) == []  # refused for the input, not for want of a mandate
    with seeded() as uow:
        assert uow.entries.count() == 0


def test_a_second_open_entry_on_the_same_list_is_409_with_the_open_entrys_id(
    client: TestClient, amr: Headers
) -> None:
    number = citizen_id(born=date(1975, 3, 4))
    first = submit(client, amr, penalty_row(subject_id=number, fine_amount="80000"))
    second = submit(client, amr, penalty_row(subject_id=number, fine_amount="90000"))
    entry = propose_food_listing(client, amr, number, first)

    again = client.post("/api/v1/lists/proposals", json=proposal(number, second), headers=amr)
    body = assert_problem(again, 409)
    assert body["open_entry"] == entry
    assert number not in again.text

    withdrawn = client.post(f"/api/v1/lists/entries/{entry}/withdrawal", headers=amr)
    assert withdrawn.status_code == 200, withdrawn.text
    reopened = client.post("/api/v1/lists/proposals", json=proposal(number, second), headers=amr)
    assert reopened.status_code == 201, reopened.text


def test_the_contract_documents_the_open_entry_member(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    problem = schema["components"]["schemas"]["Problem"]
    assert problem["properties"]["open_entry"]["type"] == "integer"


def test_the_command_line_refuses_as_the_api_does(migrated: str, tmp_path: Path) -> None:
    number = citizen_id(born=date(1970, 1, 2))
    rows = [
        penalty_row(subject_id=number),
        penalty_row(subject_id=number, fine_amount="80000"),
    ]
    records = tmp_path / "amr.csv"
    records.write_text(
        ",".join(rows[0])
        + "\n"
        + "\n".join(",".join(map(str, row.values())) for row in rows)
        + "\n",
        encoding="utf-8",
    )
    assert run("ingest", str(records), "--department", "BJ-AMR").exit_code == 0

    def propose(*args: str) -> Any:
        return run(
            "lists", "propose", "--list", FOOD, "--grounds", "sold food past its date",
            *args, stdin=number + "\n",
        )  # fmt: skip

    outside = propose("--record", "2", "--department", "BJ-TAX")
    assert outside.exit_code == 2
    assert "BJ-TAX" in outside.output
    light = propose("--record", "1", "--department", "BJ-AMR")
    assert light.exit_code == 2
    assert "basis_records" in light.output
    twice = propose("--record", "2", "--record", "2", "--department", "BJ-AMR")
    assert twice.exit_code == 2
    assert "twice" in twice.output
    assert propose("--record", "2", "--department", "BJ-AMR").exit_code == 0
    again = propose("--record", "2", "--department", "BJ-AMR")
    assert again.exit_code == 2
    assert "open entry 1" in " ".join(again.output.split())
    assert number not in again.output
    engine = create_engine(migrated)
    try:
        with Session(engine) as session:
            actions = session.scalars(
                select(AuditEventRow.entity_id).where(AuditEventRow.tag == "mandate:refused")
            ).all()
    finally:
        engine.dispose()
    assert actions == [f"listing:propose:{FOOD}"]


def test_the_consoles_proposal_form_refuses_as_the_api_does_in_the_pages_language(
    client: TestClient, tax: Headers, amr: Headers, seeded: UowFactory
) -> None:
    number, record = _tax_penalty(client, tax)
    me = sign_in(client, "qian.tax", Role.SOURCE_DEPARTMENT, "BJ-TAX")
    form = {"list_code": FOOD, "number": number, "records": str(record), "grounds": "x"}
    refused = client.post("/console/listings", data={**form, "csrf": me.csrf})
    assert refused.status_code == 403
    assert f"本部门无权提出列入 {FOOD} 的建议" in refused.text
    assert number not in refused.text
    assert [action for action, *_ in refusals(seeded)] == [f"listing:propose:{FOOD}"]

    light = submit(client, amr, penalty_row(subject_id=number))
    me = sign_in(client, "zhao.amr", Role.SOURCE_DEPARTMENT, "BJ-AMR")
    form = {**form, "records": f"{light}, {light}"}
    twice = client.post("/console/listings", data={**form, "csrf": me.csrf})
    assert twice.status_code == 422
    assert f"记录 {light} 填写了两次" in twice.text
    too_light = client.post(
        "/console/listings", data={**form, "records": str(light), "csrf": me.csrf}
    )
    assert too_light.status_code == 422
    assert f"记录 {light} 的严重程度不够" in too_light.text
