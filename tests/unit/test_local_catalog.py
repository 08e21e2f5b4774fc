"""Sub-national catalogs: a region's own items rest on its local rules, are loaded beside the
national ones, and are submitted only from inside that region."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pytest

from tests.factories import (
    LOCAL_ITEM,
    SHANGHAI_AMR,
    commitment_row,
    local_department,
    local_policy,
)
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import on
from xinyong.domain.audit import EventTag
from xinyong.domain.batches import BatchSource
from xinyong.domain.catalog import Catalog
from xinyong.domain.catalog_files import load_catalog, read_catalog_file
from xinyong.domain.departments import Department
from xinyong.domain.errors import CatalogError, RowRejected
from xinyong.domain.policy import Policy, load_policy
from xinyong.domain.records import validate_row
from xinyong.policy import PACKAGED
from xinyong.services.batches import ingest_batch
from xinyong.services.departments import sync_departments
from xinyong.services.records import submit_record

TODAY = date(2026, 11, 20)
ROW = 4

#: A Shenzhen item: a city's catalog (`local/440300.toml`).
CITY_ITEM = (
    LOCAL_ITEM.replace("BJ-COM-01", "SZ-COM-01")
    .replace('"110000"', '"440300"')
    .replace("《北京市社会信用条例》第二十条", "《深圳经济特区社会信用条例》第十条")
)


def local_item(old: str, new: str) -> str:
    assert LOCAL_ITEM.count(old) == 1, old
    return LOCAL_ITEM.replace(old, new)


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    """A copy of the shipped catalog version, to add local files to."""
    target = tmp_path / "2024.1"
    shutil.copytree(PACKAGED / "catalog" / "2024.1", target)
    (target / "local").mkdir()
    return target


def add_local(directory: Path, region: str, text: str) -> Path:
    path = directory / "local" / f"{region}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load(directory: Path, policy: Policy) -> Catalog:
    return load_catalog(directory, policy.banned)


# -- loading ---------------------------------------------------------------------------------


def test_a_local_item_loads_beside_the_national_ones_with_its_region_and_basis(
    catalog_dir: Path, policy: Policy
) -> None:
    add_local(catalog_dir, "110000", LOCAL_ITEM)

    catalog = load(catalog_dir, policy)

    item = catalog.get("BJ-COM-01")
    assert item is not None
    assert item.is_local
    assert item.region == "110000"
    assert item.local_basis == ("《北京市社会信用条例》第二十条",)
    assert len(catalog) == len(policy.catalog) + 1
    assert catalog.version == policy.catalog.version  # its records keep the same version
    national = catalog.get("ADM-PEN-01")
    assert national is not None
    assert not national.is_local
    assert national.region is None


def test_a_province_item_applies_in_its_cities_and_counties_only(
    catalog_dir: Path, policy: Policy
) -> None:
    add_local(catalog_dir, "110000", LOCAL_ITEM)

    item = load(catalog_dir, policy).get("BJ-COM-01")

    assert item is not None
    assert item.applies_in("110000")
    assert item.applies_in("110105")
    assert not item.applies_in("310000")
    assert not item.applies_in("120101")


def test_a_city_item_applies_in_the_city_and_not_in_the_rest_of_its_province(
    catalog_dir: Path, policy: Policy
) -> None:
    add_local(catalog_dir, "440300", CITY_ITEM)

    item = load(catalog_dir, policy).get("SZ-COM-01")

    assert item is not None
    assert item.region == "440300"
    assert item.applies_in("440300")
    assert item.applies_in("440303")
    assert not item.applies_in("440000")  # the province's own departments
    assert not item.applies_in("440106")  # Guangzhou


def test_a_city_item_may_rest_on_its_provinces_rule(catalog_dir: Path, policy: Policy) -> None:
    text = CITY_ITEM.replace("《深圳经济特区社会信用条例》第十条", "《广东省社会信用条例》第九条")
    add_local(catalog_dir, "440300", text)

    item = load(catalog_dir, policy).get("SZ-COM-01")

    assert item is not None
    assert item.local_basis == ("《广东省社会信用条例》第九条",)


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        (
            local_item('local_basis = ["《北京市社会信用条例》第二十条"]\n', ""),
            "local_basis",
            "must cite at least one local regulation or rule of its region",
        ),
        (
            local_item(
                'local_basis = ["《北京市社会信用条例》第二十条"]',
                'local_basis = ["《中华人民共和国行政处罚法》第四十八条"]',
            ),
            "local_basis",
            "a national law alone is not a local basis",
        ),
        (
            local_item(
                'local_basis = ["《北京市社会信用条例》第二十条"]',
                'local_basis = ["《国务院关于北京市有关问题的批复》"]',
            ),
            "local_basis",
            "a national law alone is not a local basis",
        ),
        (
            local_item(
                'local_basis = ["《北京市社会信用条例》第二十条"]',
                'local_basis = ["《上海市社会信用条例》第十条"]',
            ),
            "local_basis",
            "is no regulation or rule of 北京市 (110000)",
        ),
        (
            local_item(
                'local_basis = ["《北京市社会信用条例》第二十条"]',
                'local_basis = ["北京市社会信用条例第二十条"]',
            ),
            "local_basis",
            "by its title in 《》",
        ),
        (
            local_item('region = "110000"\n', ""),
            "region",
            "must name the file's region, '110000'",
        ),
        (
            local_item('region = "110000"', 'region = "110105"'),
            "region",
            "got '110105'",
        ),
    ],
    ids=[
        "no-local-basis",
        "national-law-only",
        "state-council-text",
        "another-regions-rule",
        "no-title",
        "no-region",
        "another-region",
    ],
)
def test_a_local_item_without_a_local_basis_of_its_region_is_refused(
    catalog_dir: Path, policy: Policy, text: str, field: str, reason: str
) -> None:
    path = add_local(catalog_dir, "110000", text)

    with pytest.raises(CatalogError) as caught:
        load(catalog_dir, policy)

    error = caught.value
    assert (error.file, error.item, error.field) == (str(path), "BJ-COM-01", field)
    assert reason in error.reason
    assert str(path) in str(error)


def test_a_local_item_may_not_take_a_national_items_code(catalog_dir: Path, policy: Policy) -> None:
    path = add_local(catalog_dir, "110000", local_item('"BJ-COM-01"', '"ADM-PEN-01"'))

    with pytest.raises(CatalogError) as caught:
        load(catalog_dir, policy)

    error = caught.value
    assert (error.file, error.item, error.field) == (str(path), "ADM-PEN-01", "code")
    assert "is a national item: a local catalog may only add items" in error.reason


def test_a_code_in_two_local_catalogs_is_refused(catalog_dir: Path, policy: Policy) -> None:
    add_local(catalog_dir, "110000", LOCAL_ITEM)
    path = add_local(catalog_dir, "440300", CITY_ITEM.replace("SZ-COM-01", "BJ-COM-01"))

    with pytest.raises(CatalogError) as caught:
        load(catalog_dir, policy)

    assert (caught.value.file, caught.value.item) == (str(path), "BJ-COM-01")
    assert "is declared in two places" in caught.value.reason


@pytest.mark.parametrize(
    "name",
    ["990000", "beijing", "110105", "11000"],
    ids=["unknown-code", "not-a-code", "county", "five-digits"],
)
def test_a_local_catalog_of_no_known_province_or_city_is_refused(
    catalog_dir: Path, policy: Policy, name: str
) -> None:
    path = add_local(catalog_dir, name, local_item('region = "110000"', f'region = "{name}"'))

    with pytest.raises(CatalogError) as caught:
        load(catalog_dir, policy)

    assert (caught.value.file, caught.value.field) == (str(path), "region")
    assert f"{name!r} is not the code of a province (xx0000) or city (xxxx00)" in str(caught.value)


def test_an_item_of_a_national_file_may_not_claim_a_region(tmp_path: Path, policy: Policy) -> None:
    path = tmp_path / "commitment.toml"
    path.write_text(local_item('region = "110000"\n', ""), encoding="utf-8")

    with pytest.raises(CatalogError) as caught:
        read_catalog_file(path, policy.banned)

    assert (caught.value.item, caught.value.field) == ("BJ-COM-01", "local_basis")
    assert "only an item of a local catalog (local/<region_code>.toml)" in caught.value.reason


# -- departments and submission --------------------------------------------------------------


@pytest.fixture
def local(tmp_path: Path) -> Policy:
    """The shipped policy with the Beijing item, BJ-AMR-CY (Chaoyang) and SH-AMR (Shanghai)."""
    return load_policy(local_policy(tmp_path / "policy"))


def department(policy: Policy, code: str) -> Department:
    found = policy.department(code)
    assert found is not None, code
    return found


def test_a_department_inside_the_region_submits_the_local_item(local: Policy) -> None:
    accepted = validate_row(
        commitment_row(), row=ROW, department=department(local, "BJ-AMR-CY"), gate=local.gate(TODAY)
    )

    assert accepted.item.code == "BJ-COM-01"
    assert accepted.item.is_local
    assert accepted.catalog_version == "2024.1"


@pytest.mark.parametrize("region", ["310101", "120000", "110000"])
def test_a_department_inside_the_region_or_above_it_is_told_apart(
    local: Policy, region: str
) -> None:
    """A province's item: Shanghai and Tianjin are outside; Beijing's own code is inside."""
    # Registered before its region was corrected, say: the gate holds whatever the register says.
    moved = dataclasses.replace(department(local, "BJ-AMR-CY"), region_code=region)

    if region == "110000":
        validate_row(commitment_row(), row=ROW, department=moved, gate=local.gate(TODAY))
        return
    with pytest.raises(RowRejected) as caught:
        validate_row(commitment_row(), row=ROW, department=moved, gate=local.gate(TODAY))

    [problem] = caught.value.problems
    assert (problem.row, problem.field, problem.code) == (ROW, "item", "outside_region")
    assert problem.reason == (
        "BJ-COM-01 is a local item of region 110000; department BJ-AMR-CY is outside that region"
    )
    assert dict(problem.parts) == {
        "item": "BJ-COM-01",
        "region": "110000",
        "department": "BJ-AMR-CY",
    }


def test_a_department_outside_the_region_that_does_not_list_the_item_is_told_the_region(
    local: Policy,
) -> None:
    row = commitment_row(**SHANGHAI_AMR)

    with pytest.raises(RowRejected) as caught:
        validate_row(row, row=ROW, department=department(local, "SH-AMR"), gate=local.gate(TODAY))

    assert [(p.field, p.code) for p in caught.value.problems] == [("item", "outside_region")]


def test_a_batch_from_outside_the_region_is_refused_row_by_row_and_the_region_accepted(
    local: Policy,
) -> None:
    uow = FakeUnitOfWork(at=on(TODAY))
    sync_departments(uow, local.departments, actor="test")
    rows: list[tuple[int, Mapping[str, object]]] = [(1, commitment_row(**SHANGHAI_AMR))]

    outside = ingest_batch(
        uow, local, rows, department="SH-AMR", actor="sh-feed", source=BatchSource.API
    )
    inside = ingest_batch(
        uow,
        local,
        [(1, commitment_row())],
        department="BJ-AMR-CY",
        actor="cy-feed",
        source=BatchSource.API,
    )

    assert (outside.accepted, outside.rejected) == (0, 1)
    [error] = outside.errors
    assert (error.row, error.field, error.code) == (1, "item", "outside_region")
    assert (inside.accepted, inside.rejected) == (1, 0)
    [record] = uow.committed.records.values()
    assert (record.item_code, record.catalog_version) == ("BJ-COM-01", "2024.1")
    # A row outside the region is outside the department's mandate: audited as such.
    [refused] = [e for e in uow.committed.audit if e.tag is EventTag.MANDATE_REFUSED]
    assert (refused.actor, refused.entity_id) == ("sh-feed", "record:submit")
    assert refused.data == {
        "department": "SH-AMR",
        "batch_id": outside.batch_id,
        "rows": {"outside_region": [1]},
    }


def test_a_single_record_from_outside_the_region_is_refused_and_the_refusal_audited(
    local: Policy,
) -> None:
    uow = FakeUnitOfWork(at=on(TODAY))
    sync_departments(uow, local.departments, actor="test")
    row = commitment_row(**SHANGHAI_AMR)

    with pytest.raises(RowRejected) as caught:
        submit_record(uow, local, row, department="SH-AMR", actor="sh-clerk")

    assert [p.code for p in caught.value.problems] == ["outside_region"]
    assert not uow.committed.records
    [refused] = [e for e in uow.committed.audit if e.tag is EventTag.MANDATE_REFUSED]
    assert (refused.actor, refused.entity_id) == ("sh-clerk", "record:submit")
    assert refused.data == {
        "department": "SH-AMR",
        "batch_id": None,
        "rows": {"outside_region": [0]},
    }


def test_a_department_file_listing_a_local_item_outside_its_region_is_refused(
    tmp_path: Path,
) -> None:
    directory = local_policy(tmp_path / "policy")
    with (directory / "departments.toml").open("a", encoding="utf-8") as fh:
        fh.write(local_department("SH-AMR-CY", "310101", SHANGHAI_AMR, '"BJ-COM-01"'))

    with pytest.raises(CatalogError) as caught:
        load_policy(directory)

    error = caught.value
    assert error.file == str(directory / "departments.toml")
    assert (error.item, error.field) == ("SH-AMR-CY", "items")
    assert "BJ-COM-01 is a local item of region 110000" in error.reason
    assert "a department of region 310101 is outside it" in error.reason
