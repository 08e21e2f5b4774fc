"""Sub-national catalogs: a region's own items rest on its local rules, are loaded beside the
national ones, and are submitted only from inside that region."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date
from pathlib import Path

import pytest

from tests.factories import AMR_USCC, citizen_id
from xinyong.domain.catalog import Catalog
from xinyong.domain.catalog_files import load_catalog, read_catalog_file
from xinyong.domain.departments import Department
from xinyong.domain.errors import CatalogError, RowRejected
from xinyong.domain.policy import Policy, load_policy
from xinyong.domain.records import validate_row
from xinyong.policy import PACKAGED

TODAY = date(2026, 11, 20)
ROW = 4

#: A Beijing item, as `catalog/2024.1/local/110000.toml` holds it (the citations are test data).
LOCAL_ITEM = """
[[items]]
code = "BJ-COM-01"
region = "110000"
local_basis = ["《北京市社会信用条例》第二十条"]
name_zh = "测试地方承诺信息"
name_en = "Test local commitment"
category = "commitment"
subject_type = "person"
nature = "neutral"
legal_basis = ["《北京市社会信用条例》第二十条"]
providers = ["market_regulation"]
public = false
sharing_scope = "government"
retention_years = 5
update_frequency = "within 7 working days of the commitment"

[[items.fields]]
name = "commitment_text"
type = "text"
label_zh = "承诺内容"
label_en = "Commitment"
"""

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
def local_policy(tmp_path: Path) -> Path:
    """A copy of the shipped policy with the Beijing item and a Chaoyang department for it."""
    target = tmp_path / "policy"
    shutil.copytree(PACKAGED, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (target / "catalog" / "2024.1" / "local").mkdir()
    add_local(target / "catalog" / "2024.1", "110000", LOCAL_ITEM)
    with (target / "departments.toml").open("a", encoding="utf-8") as fh:
        fh.write(department_entry("BJ-AMR-CY", "110105"))
    return target


def department_entry(code: str, region: str) -> str:
    return (
        f'\n[[departments]]\ncode = "{code}"\nname = "测试市场监管局"\nuscc = "{AMR_USCC}"\n'
        f'region_code = "{region}"\nkind = "market_regulation"\nitems = ["BJ-COM-01"]\n'
    )


def commitment_row() -> dict[str, object]:
    return {
        "item": "BJ-COM-01",
        "document_number": "京承诺〔2026〕1号",
        "subject_id": citizen_id(),
        "subject_name": "王秀英",
        "decision_date": "2026-09-01",
        "authority_name": "测试市场监管局",
        "authority_uscc": AMR_USCC,
        "commitment_text": "按期整改",
    }


def test_a_department_inside_the_region_submits_the_local_item(local_policy: Path) -> None:
    policy = load_policy(local_policy)
    department = policy.department("BJ-AMR-CY")
    assert department is not None

    accepted = validate_row(
        commitment_row(), row=ROW, department=department, gate=policy.gate(TODAY)
    )

    assert accepted.item.code == "BJ-COM-01"
    assert accepted.catalog_version == "2024.1"


@pytest.mark.parametrize("region", ["310101", "120000"])
def test_a_department_outside_the_region_is_refused_the_local_item_naming_row_and_field(
    local_policy: Path, region: str
) -> None:
    policy = load_policy(local_policy)
    inside = policy.department("BJ-AMR-CY")
    assert inside is not None
    # Registered before its region was corrected, say: the gate holds whatever the register says.
    outside: Department = dataclasses.replace(inside, region_code=region)

    with pytest.raises(RowRejected) as caught:
        validate_row(commitment_row(), row=ROW, department=outside, gate=policy.gate(TODAY))

    [problem] = caught.value.problems
    assert (problem.row, problem.field, problem.code) == (ROW, "item", "outside_region")
    assert problem.reason == (
        "BJ-COM-01 is a local item of region 110000; department BJ-AMR-CY is outside that region"
    )


def test_a_department_outside_the_region_without_the_item_is_told_the_region(
    local_policy: Path,
) -> None:
    policy = load_policy(local_policy)
    amr = policy.department("BJ-AMR")
    assert amr is not None
    outside = dataclasses.replace(amr, region_code="310000")

    with pytest.raises(RowRejected) as caught:
        validate_row(commitment_row(), row=ROW, department=outside, gate=policy.gate(TODAY))

    assert {p.code for p in caught.value.problems if p.field == "item"} == {"outside_region"}


def test_a_department_file_listing_a_local_item_outside_its_region_is_refused(
    local_policy: Path,
) -> None:
    with (local_policy / "departments.toml").open("a", encoding="utf-8") as fh:
        fh.write(department_entry("SH-AMR-TEST", "310101"))

    with pytest.raises(CatalogError) as caught:
        load_policy(local_policy)

    error = caught.value
    assert error.file == str(local_policy / "departments.toml")
    assert (error.item, error.field) == ("SH-AMR-TEST", "items")
    assert "BJ-COM-01 is a local item of region 110000" in error.reason
