"""The catalog over HTTP and through `xinyong catalog`: items, their fields, and file checks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.factories import LOCAL_ITEM, SHANGHAI_AMR, commitment_row, local_policy
from tests.functional.conftest import ClientFactory, UowFactory
from tests.functional.helpers import (
    KeyFor,
    assert_problem,
    auth,
    run,
    squashed,
    words,
)
from xinyong.domain.access import Scope
from xinyong.domain.policy import load_policy
from xinyong.policy import PACKAGED
from xinyong.services.departments import sync_departments

MINIMAL_ITEM = """
[[items]]
code = "TST-PEN-01"
name_zh = "测试处罚"
name_en = "Test penalty"
category = "administrative"
subject_type = "person"
nature = "negative"
legal_basis = ["《中华人民共和国行政处罚法》第四十八条"]
providers = ["market_regulation"]
public = true
sharing_scope = "public"
retention_years = 5
update_frequency = "within 7 working days of the decision"

[items.severity]
default = "general"

[[items.fields]]
name = "penalty_type"
type = "enum"
values = ["warning", "fine"]
label_zh = "处罚类别"
label_en = "Kind of penalty"
"""


# GET /api/v1/catalog


def test_the_catalog_lists_its_items(client: TestClient, key_for: KeyFor) -> None:
    response = client.get("/api/v1/catalog", headers=auth(key_for([Scope.CATALOG_READ])))
    assert response.status_code == 200
    codes = [item["code"] for item in response.json()]
    assert "ADM-PEN-01" in codes
    assert sorted(codes) == sorted(item.code for item in client.app.state.platform.policy.catalog)  # type: ignore[attr-defined]


def test_a_catalog_item_shows_its_legal_basis_and_typed_fields(
    client: TestClient, key_for: KeyFor
) -> None:
    response = client.get("/api/v1/catalog/ADM-PEN-01", headers=auth(key_for([Scope.CATALOG_READ])))
    assert response.status_code == 200
    item = response.json()
    assert item["code"] == "ADM-PEN-01"
    assert item["subject_type"] == "person"
    assert item["legal_basis"]
    fields = {f["name"]: f for f in item["fields"]}
    assert fields["fine_amount"]["type"] == "money"
    assert "fine" in fields["penalty_type"]["values"]


def test_an_unknown_catalog_item_is_a_not_found_problem(
    client: TestClient, key_for: KeyFor
) -> None:
    response = client.get("/api/v1/catalog/NOPE-01", headers=auth(key_for([Scope.CATALOG_READ])))
    problem = assert_problem(response, 404)
    assert "no such item" in problem["detail"]
    assert "NOPE-01" not in str(problem)  # a path parameter is never repeated


# xinyong catalog


def test_the_catalog_is_listed_with_every_code_in_full(database: str) -> None:
    # At 80 columns the code column was once cut to "ADM-PEN-…", so `catalog list | grep` failed.
    result = run("catalog", "list")
    assert result.exit_code == 0, result.output
    codes = [item["code"] for item in json.loads(run("catalog", "list", "--json").stdout)]
    assert f"{len(codes)} items" in result.output
    missing = [code for code in codes if code not in result.output]
    assert missing == []


def test_the_catalog_is_listed_as_json(database: str) -> None:
    result = run("catalog", "list", "--json", "--category", "administrative")
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert "ADM-PEN-01" in {i["code"] for i in items}
    assert {i["category"] for i in items} == {"administrative"}


def test_a_catalog_item_is_shown_with_its_legal_basis_and_fields(database: str) -> None:
    result = run("catalog", "show", "ADM-PEN-01")
    assert result.exit_code == 0, result.output
    text = words(result.output)
    assert "Administrative penalty (person)" in text
    assert "legal basis" in text
    assert "fine_amount" in text


def test_a_catalog_item_as_json(database: str) -> None:
    result = run("catalog", "show", "ADM-PEN-01", "--json")
    assert result.exit_code == 0, result.output
    item = json.loads(result.stdout)
    assert item["code"] == "ADM-PEN-01"
    assert "penalty_type" in {f["name"] for f in item["fields"]}


def test_an_unknown_catalog_item_fails(database: str) -> None:
    result = run("catalog", "show", "NOPE")
    assert result.exit_code == 1
    assert "NOPE is not in catalog" in words(result.output)


def test_a_packaged_catalog_file_validates(database: str, tmp_path: Path) -> None:
    copy = tmp_path / "administrative.toml"
    shutil.copy(PACKAGED / "catalog" / "2024.1" / "administrative.toml", copy)
    result = run("catalog", "validate", str(copy))
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_a_minimal_catalog_file_validates(database: str, tmp_path: Path) -> None:
    file = tmp_path / "minimal.toml"
    file.write_text(MINIMAL_ITEM, encoding="utf-8")
    result = run("catalog", "validate", str(file))
    assert result.exit_code == 0, result.output
    assert "1 items" in words(result.output)


@pytest.mark.parametrize(
    ("broken", "field"),
    [
        (
            MINIMAL_ITEM.replace('legal_basis = ["《中华人民共和国行政处罚法》第四十八条"]', ""),
            "legal_basis",
        ),
        (MINIMAL_ITEM.replace('name = "penalty_type"', 'name = "religion"'), "fields.religion"),
        (MINIMAL_ITEM.replace('type = "enum"', 'type = "colour"'), "fields.penalty_type.type"),
        (MINIMAL_ITEM.replace('category = "administrative"', 'category = "gossip"'), "category"),
        (MINIMAL_ITEM.replace('default = "general"', 'default = "dire"'), "default"),
    ],
    ids=[
        "no legal basis",
        "banned field",
        "unknown field type",
        "unknown category",
        "bad severity",
    ],
)
def test_a_broken_catalog_file_is_refused_naming_file_item_and_field(
    database: str, tmp_path: Path, broken: str, field: str
) -> None:
    assert broken != MINIMAL_ITEM
    file = tmp_path / "broken.toml"
    file.write_text(broken, encoding="utf-8")
    result = run("catalog", "validate", str(file))
    assert result.exit_code == 1, result.output
    text = squashed(result.output)
    assert squashed(str(file)) in text
    assert "'TST-PEN-01'" in text
    assert f"field'{field}'" in text
    assert "Traceback" not in result.output


def test_a_catalog_file_that_is_not_toml_is_refused_naming_the_file(
    database: str, tmp_path: Path
) -> None:
    file = tmp_path / "broken.toml"
    file.write_text("[[items]]\ncode = \n", encoding="utf-8")
    result = run("catalog", "validate", str(file))
    assert result.exit_code == 1
    assert squashed(str(file)) in squashed(result.output)
    assert "Traceback" not in result.output


# A region's own items (catalog/<version>/local/<region_code>.toml)


@pytest.fixture
def local_client(tmp_path: Path, make_client: ClientFactory, seeded: UowFactory) -> TestClient:
    """An app whose policy adds the Beijing item BJ-COM-01, with its departments registered."""
    directory = local_policy(tmp_path / "policy")
    sync_departments(seeded(), load_policy(directory).departments, actor="test")
    return make_client(policy_dir=directory)


def test_a_local_item_is_listed_with_its_region_and_local_basis(
    local_client: TestClient, key_for: KeyFor
) -> None:
    headers = auth(key_for([Scope.CATALOG_READ]))

    items = {i["code"]: i for i in local_client.get("/api/v1/catalog", headers=headers).json()}
    shown = local_client.get("/api/v1/catalog/BJ-COM-01", headers=headers).json()

    assert shown == items["BJ-COM-01"]
    assert shown["local"] is True
    assert shown["region"] == {"code": "110000", "name_zh": "北京市", "name_en": "Beijing"}
    assert shown["local_basis"] == ["《北京市社会信用条例》第二十条"]
    assert (items["ADM-PEN-01"]["local"], items["ADM-PEN-01"]["region"]) == (False, None)
    assert items["ADM-PEN-01"]["local_basis"] == []


def test_a_local_item_is_accepted_from_inside_its_region_and_refused_from_outside(
    local_client: TestClient, key_for: KeyFor
) -> None:
    inside = auth(key_for([Scope.RECORDS_WRITE], "BJ-AMR-CY"))
    outside = auth(key_for([Scope.RECORDS_WRITE], "SH-AMR"))

    accepted = local_client.post("/api/v1/records", json=commitment_row(), headers=inside)
    refused = local_client.post(
        "/api/v1/records", json=commitment_row(**SHANGHAI_AMR), headers=outside
    )

    assert accepted.status_code == 201, accepted.text
    problem = assert_problem(refused, 422)
    assert [(e["row"], e["field"], e["code"]) for e in problem["errors"]] == [
        (0, "item", "outside_region")
    ]
    assert "BJ-COM-01 is a local item of region 110000" in problem["errors"][0]["reason"]


def test_the_command_line_shows_a_local_item_with_its_region_in_both_languages(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XINYONG_POLICY_DIR", str(local_policy(tmp_path / "policy")))

    listed = run("catalog", "list", "--json")
    shown = run("catalog", "show", "BJ-COM-01")

    assert listed.exit_code == 0, listed.output
    item = next(i for i in json.loads(listed.stdout) if i["code"] == "BJ-COM-01")
    assert (item["local"], item["region"]) == (True, "110000")
    assert item["local_basis"] == ["《北京市社会信用条例》第二十条"]
    assert shown.exit_code == 0, shown.output
    text = words(shown.output)
    assert "local item of region 110000 北京市 / Beijing" in text
    assert "《北京市社会信用条例》第二十条" in squashed(shown.output)


def test_a_local_catalog_file_is_validated_as_one(database: str, tmp_path: Path) -> None:
    local = tmp_path / "local"
    local.mkdir()
    good = local / "110000.toml"
    good.write_text(LOCAL_ITEM, encoding="utf-8")
    elsewhere = local / "310000.toml"
    elsewhere.write_text(LOCAL_ITEM.replace("北京市", "上海市"), encoding="utf-8")

    valid = run("catalog", "validate", str(good))
    invalid = run("catalog", "validate", str(elsewhere))

    assert valid.exit_code == 0, valid.output
    assert invalid.exit_code == 1, invalid.output
    assert "field'region'" in squashed(invalid.output)  # 310000 is the file; the item says 110000
