"""Catalog versions: every version the policy folder holds is loaded, by version, so that a record
is read by the version it was accepted under; and the configured version accepts rows only once in
force (docs/catalog.md)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from tests.factories import RETIRED_ITEM, earlier_version_policy, penalty_row
from xinyong.domain.errors import CatalogError, RowRejected
from xinyong.domain.policy import Policy, load_policy
from xinyong.domain.records import validate_row
from xinyong.policy import PACKAGED


class Held:
    """What a record tells of its item: its code and its catalog version."""

    def __init__(self, item_code: str, catalog_version: str) -> None:
        self.item_code = item_code
        self.catalog_version = catalog_version


def test_every_version_in_the_policy_folder_is_loaded_and_the_configured_one_gates(
    tmp_path: Path,
) -> None:
    policy = load_policy(earlier_version_policy(tmp_path / "policy"))
    assert (policy.catalog.version, sorted(policy.catalogs)) == ("2024.1", ["2023.1", "2024.1"])
    assert policy.catalogs["2023.1"].effective == date(2023, 1, 1)
    assert policy.catalog.get(RETIRED_ITEM) is None  # new records: the configured version only
    retired = policy.item_of(Held(RETIRED_ITEM, "2023.1"))
    assert retired is not None
    assert retired.name_en == "Administrative penalty (earlier catalog)"
    assert policy.item_of(Held("ADM-PEN-01", "2024.1")) is policy.catalog.get("ADM-PEN-01")


def test_a_record_is_never_read_by_another_versions_item_of_the_same_code(
    tmp_path: Path,
) -> None:
    policy = load_policy(earlier_version_policy(tmp_path / "policy"))
    assert policy.item_of(Held("ADM-PEN-01", "2023.1")) is None  # 2023.1 has no such item
    assert policy.item_of(Held(RETIRED_ITEM, "2024.1")) is None
    assert policy.item_of(Held("ADM-PEN-01", "2019.1")) is None  # a version not held


def test_the_earlier_version_may_be_configured_and_the_later_stays_loaded(tmp_path: Path) -> None:
    root = earlier_version_policy(tmp_path / "policy")
    for file in (root / "catalog" / "2024.1").glob("*.toml"):  # what departments and lists name
        if file.name != "manifest.toml":
            shutil.copy(file, root / "catalog" / "2023.1")
    policy = load_policy(root, catalog_version="2023.1")
    assert (policy.catalog.version, sorted(policy.catalogs)) == ("2023.1", ["2023.1", "2024.1"])
    assert policy.catalog.get(RETIRED_ITEM) is not None


def test_two_folders_of_one_version_are_refused(tmp_path: Path) -> None:
    root = earlier_version_policy(tmp_path / "policy")
    manifest = root / "catalog" / "2023.1" / "manifest.toml"
    manifest.write_text(manifest.read_text().replace('"2023.1"', '"2024.1"'), encoding="utf-8")
    with pytest.raises(CatalogError, match=r"2024\.1 is the version of another folder too"):
        load_policy(root)


def test_a_broken_earlier_version_fails_the_policy_naming_its_file(tmp_path: Path) -> None:
    root = earlier_version_policy(tmp_path / "policy")
    retired = root / "catalog" / "2023.1" / "retired.toml"
    retired.write_text(retired.read_text().replace('nature = "negative"', 'nature = "bad"'))
    with pytest.raises(CatalogError, match=r"2023\.1/retired\.toml.*nature"):
        load_policy(root)


# -- the gate: only a version in force accepts rows ---------------------------------------------


def not_yet_in_force(tmp_path: Path) -> Policy:
    """The shipped policy with its catalog 2024.1 in force from 2099 only."""
    root = tmp_path / "policy"
    shutil.copytree(PACKAGED, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    manifest = root / "catalog" / "2024.1" / "manifest.toml"
    manifest.write_text(
        manifest.read_text().replace("effective = 2024-01-01", "effective = 2099-01-01"),
        encoding="utf-8",
    )
    policy = load_policy(root)
    assert policy.catalog.effective == date(2099, 1, 1)
    return policy


def test_a_catalog_version_not_yet_in_force_refuses_every_row_naming_it_and_its_day(
    tmp_path: Path,
) -> None:
    policy = not_yet_in_force(tmp_path)
    department = policy.department("BJ-AMR")
    assert department is not None
    with pytest.raises(RowRejected) as refused:
        validate_row(
            penalty_row(), row=3, department=department, gate=policy.gate(date(2026, 11, 20))
        )
    (problem,) = refused.value.problems
    assert (problem.field, problem.row, problem.code) == ("item", 3, "catalog_not_in_force")
    assert dict(problem.parts) == {"version": "2024.1", "day": "2099-01-01"}
    assert problem.reason == (
        "catalog 2024.1 is in force from 2099-01-01; no row is accepted under it before then"
    )


def test_a_catalog_version_accepts_rows_from_the_day_it_comes_into_force(tmp_path: Path) -> None:
    policy = not_yet_in_force(tmp_path)
    department = policy.department("BJ-AMR")
    assert department is not None
    row = penalty_row(decision_date="2098-12-31")
    with pytest.raises(RowRejected, match="in force from 2099-01-01"):
        validate_row(row, row=1, department=department, gate=policy.gate(date(2098, 12, 31)))
    accepted = validate_row(row, row=1, department=department, gate=policy.gate(date(2099, 1, 1)))
    assert accepted.catalog_version == "2024.1"
