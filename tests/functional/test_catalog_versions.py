"""Over HTTP: a record accepted under an earlier catalog version, whose item the configured version
lacks, is in the person's own file page and report, named by its own version (docs/catalog.md)."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

from tests.factories import (
    AMR_USCC,
    RETIRED_ITEM,
    citizen_id,
    earlier_version_policy,
)
from tests.functional.conftest import ClientFactory, UowFactory
from tests.functional.helpers import PASSWORD, report, sign_up
from xinyong.domain.policy import Policy
from xinyong.services import departments
from xinyong.services.records import submit_record

DOCUMENT = "京市监罚〔2026〕90077号"


def accept_under_2023(seeded: UowFactory, policy: Policy, number: str) -> int:
    """Store a fine as the platform did while catalog 2023.1 was configured: the id."""
    then = dataclasses.replace(
        policy,
        catalog=policy.catalogs["2023.1"],
        departments=tuple(
            dataclasses.replace(d, items=d.items | {RETIRED_ITEM}) if d.code == "BJ-AMR" else d
            for d in policy.departments
        ),
    )
    departments.sync_departments(seeded(), then.departments, actor="test")
    row = {
        "item": RETIRED_ITEM,
        "document_number": DOCUMENT,
        "subject_id": number,
        "subject_name": "周芳",
        "decision_date": "2026-09-01",
        "authority_name": "北京市市场监督管理局",
        "authority_uscc": AMR_USCC,
        "violation": "销售超过保质期的食品",
        "fine_amount": "3000",
    }
    stored = submit_record(seeded(), then, row, department="BJ-AMR", actor="clerk-1")
    assert stored.record.catalog_version == "2023.1"
    return stored.record.id


def test_the_persons_file_and_report_show_a_record_of_an_earlier_versions_item(
    make_client: ClientFactory, seeded: UowFactory, tmp_path: Path
) -> None:
    client = make_client(policy_dir=earlier_version_policy(tmp_path / "policy"))
    policy: Policy = client.app.state.platform.policy  # type: ignore[attr-defined]
    assert policy.catalog.version == "2024.1"
    assert policy.catalog.get(RETIRED_ITEM) is None
    number = citizen_id(born=date(1975, 3, 3))
    record_id = accept_under_2023(seeded, policy, number)
    person = sign_up(client, number, "周芳")

    data = report(client, person)
    (record,) = [r for r in data["records"] if r["id"] == record_id]
    assert (record["item_code"], record["item_name_zh"]) == (RETIRED_ITEM, "旧目录行政处罚信息")
    assert record["document_number"] == DOCUMENT

    login = {"number": number, "password": PASSWORD}
    assert client.post("/portal/login", data=login, follow_redirects=False).status_code == 303
    page = client.get("/portal/me")
    assert page.status_code == 200
    assert "旧目录行政处罚信息" in page.text
    assert DOCUMENT in page.text
    html = client.get("/api/v1/me/report", params={"format": "html"}, headers=person.headers)
    assert "旧目录行政处罚信息" in html.text
    assert "罚款金额（元）" in html.text
