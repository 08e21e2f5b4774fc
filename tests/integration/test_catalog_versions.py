"""A record keeps the catalog version it was accepted under (docs/catalog.md): once a later
version is configured that lacks its item, the person's own file, report and the public pages
still show it, by its own version's item; with that version gone, by its stored code and data."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date

import pytest

from tests.factories import PUBLIC_URL, citizen_id, penalty_row
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.catalog import Catalog
from xinyong.domain.policy import Policy
from xinyong.services.publication import SearchFilter, published, search_records
from xinyong.services.records import submit_record
from xinyong.services.report_render import render_report_html
from xinyong.services.reports import build_report, read_own_file

UowFactory = Callable[[], SqlUnitOfWork]
SECRET = "the-deployment-secret-key-of-32-chars"
DROPPED = "ADM-PEN-01"


def later_version(policy: Policy, *, keep_earlier: bool = True) -> Policy:
    """The platform after a catalog 2025.1 without ADM-PEN-01 is configured; with
    `keep_earlier=False`, a policy folder that no longer holds 2024.1 either."""
    items = {code: item for code, item in policy.catalog.items.items() if code != DROPPED}
    later = Catalog("2025.1", "the next edition", date(2025, 1, 1), items)
    earlier = dict(policy.catalogs) if keep_earlier else {}
    return dataclasses.replace(policy, catalog=later, catalogs={**earlier, "2025.1": later})


@pytest.fixture
def accepted(seeded: UowFactory, policy: Policy) -> tuple[int, str]:
    """A fine accepted under catalog 2024.1: (its person's subject id, its document number)."""
    row = penalty_row(subject_id=citizen_id(born=date(1975, 3, 3)), subject_name="周芳")
    stored = submit_record(seeded(), policy, row, department="BJ-AMR", actor="clerk-1")
    assert stored.record.catalog_version == "2024.1"
    return stored.record.subject_id, stored.record.document_number


def test_a_record_the_configured_version_lacks_stays_in_the_persons_file_by_its_own_version(
    seeded: UowFactory, policy: Policy, accepted: tuple[int, str]
) -> None:
    subject_id, document = accepted
    later = later_version(policy)
    assert later.catalog.get(DROPPED) is None
    for data in (
        read_own_file(seeded(), later, subject_id),
        build_report(
            seeded(), later, subject_id, actor="account:1", secret_key=SECRET, public_url=PUBLIC_URL
        ),
    ):
        (record,) = data.records
        assert (record.item_code, record.document_number) == (DROPPED, document)
        assert record.item_name_zh == policy.catalog.items[DROPPED].name_zh
        assert (record.category, record.nature) == ("administrative", "negative")
        assert ("罚款金额（元）", "5,000.00 元") in {
            (f.label_zh, f.value_zh) for f in record.fields
        }


def test_a_record_whose_version_is_no_longer_held_is_shown_by_its_code_and_stored_data(
    seeded: UowFactory, policy: Policy, accepted: tuple[int, str]
) -> None:
    subject_id, document = accepted
    gone = later_version(policy, keep_earlier=False)
    data = build_report(
        seeded(), gone, subject_id, actor="account:1", secret_key=SECRET, public_url=PUBLIC_URL
    )
    (record,) = data.records
    assert (record.item_code, record.item_name_zh, record.document_number) == (
        DROPPED,
        DROPPED,
        document,
    )
    assert record.category == "uncatalogued"
    assert ("fine_amount", "5000.00") in {(f.label_zh, f.value_zh) for f in record.fields}
    for lang, heading in (("zh", "所依据目录版本未载入的信息"), ("en", "catalog version not held")):
        html = render_report_html(data, lang=lang)
        assert document in html
        assert heading in html
    assert read_own_file(seeded(), gone, subject_id).records == data.records


def test_the_public_pages_name_a_record_by_its_own_version_and_find_it_by_its_category(
    seeded: UowFactory, policy: Policy, accepted: tuple[int, str]
) -> None:
    _, document = accepted
    later = later_version(policy)
    day = date(2026, 11, 20)
    (shown,) = published(seeded(), later, day, item=None, limit=10, offset=0)
    assert (shown.document_number, shown.category) == (document, "administrative")
    assert shown.item_name_zh == policy.catalog.items[DROPPED].name_zh
    found = search_records(
        seeded(), later, day, SearchFilter(category="administrative"), page=1, size=10
    )
    assert [r.document_number for r in found.items] == [document]
