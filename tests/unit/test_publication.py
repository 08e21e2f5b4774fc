"""Publication over the fakes: what the law makes public on a day, newest first, de-identified."""

from __future__ import annotations

from datetime import date

import pytest

from tests.factories import citizen_id, credit_code, organisation_debtor_row, penalty_row
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import court_listing, submitted
from xinyong.domain.errors import Invalid
from xinyong.domain.identifiers import mask_citizen_id as masked_number
from xinyong.domain.lists import ListKind
from xinyong.domain.policy import Policy
from xinyong.domain.publication import TermKind, read_term
from xinyong.services import lists as listing
from xinyong.services.publication import (
    PublishedRecord,
    SearchFilter,
    published,
    search_listings,
    search_records,
)
from xinyong.services.records import revoke_record

TODAY = date(2026, 11, 20)


def _shown(
    uow: FakeUnitOfWork,
    policy: Policy,
    day: date,
    *,
    item: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[PublishedRecord]:
    return published(uow, policy, day, item=item, limit=limit, offset=offset)


def test_the_public_sees_the_published_records_of_the_day_newest_first_and_de_identified(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    older = submitted(uow, policy, penalty_row(decision_date="2026-09-01", subject_name="王秀英"))
    newer = submitted(uow, policy, penalty_row(decision_date="2026-10-01"))
    submitted(uow, policy, penalty_row(procedure="simplified", fine_amount="200"))  # unpublished
    revoked = submitted(uow, policy)
    revoke_record(
        uow, policy, revoked.record.id, department="BJ-AMR", reason="复议撤销", actor="amr"
    )
    shown = _shown(uow, policy, TODAY)
    assert [r.id for r in shown] == [newer.record.id, older.record.id]
    first = shown[1]
    number = older.subject_number
    assert (first.subject_name, first.subject_number) == ("王**", f"{number[:10]}****{number[14:]}")
    assert (first.department, first.item) == ("北京市市场监督管理局", "ADM-PEN-01")
    assert first.item_name_zh == policy.catalog.items["ADM-PEN-01"].name_zh
    assert (first.shown_until, first.under_objection) == (date(2027, 9, 1), False)
    assert [r.id for r in _shown(uow, policy, TODAY, limit=1, offset=1)] == [older.record.id]
    assert _shown(uow, policy, TODAY, item="JUD-DEBTOR-01") == []


def test_a_record_leaves_publication_the_day_its_display_ends(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    assert [r.id for r in _shown(uow, policy, date(2027, 8, 31))] == [stored.record.id]
    assert _shown(uow, policy, date(2027, 9, 1)) == []  # before any sweep has run
    assert _shown(uow, policy, date(2026, 8, 31)) == []  # nor before its decision


def test_an_organisations_name_and_credit_code_are_public_in_full(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy, organisation_debtor_row(), department="BJ-HCOURT")
    [shown] = _shown(uow, policy, TODAY)
    assert (shown.subject_name, shown.subject_number) == (
        "北京某某贸易有限公司",
        stored.subject_number,
    )


# The public search: a term read as published, filters, pages; listings published and in force


def test_a_search_term_is_read_as_what_the_public_list_shows() -> None:
    number = citizen_id(born=date(1964, 3, 3))
    full = read_term(f" {number.lower()} ")
    assert full is not None
    assert (full.kind, full.value) == (TermKind.MASKED_NUMBER, masked_number(number))
    assert number not in repr(full)
    shown = read_term(masked_number(number))
    assert shown is not None
    assert shown.kind is TermKind.MASKED_NUMBER
    code = credit_code()
    by_code = read_term(code.lower())
    assert by_code is not None
    assert (by_code.kind, by_code.value) == (TermKind.CREDIT_CODE, code)
    name = read_term("王秀英")
    assert name is not None
    assert (name.kind, name.person_name) == (TermKind.NAME, ("王", 3))
    assert read_term("   ") is None
    with pytest.raises(Invalid, match=r"^q:"):
        read_term(number[:-1] + ("1" if number[-1] != "1" else "2"))
    with pytest.raises(Invalid, match=r"^q:"):
        read_term("名" * 61)
    short = f"{number[:6]}****{number[14:]}"  # the birth year hidden too: not as published
    with pytest.raises(Invalid, match=r"^q: a masked number is searched as published"):
        read_term(short)
    hint = read_term("1101051949****002X")  # the search form's example
    assert hint is not None
    assert hint.kind is TermKind.MASKED_NUMBER


def test_a_person_is_found_only_as_published_and_an_organisation_by_part_of_its_name(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    wang = submitted(uow, policy, penalty_row(subject_name="王秀英"))
    other_wang = submitted(uow, policy, penalty_row(subject_name="王小明"))
    submitted(uow, policy, penalty_row(subject_name="王伟"))
    firm = submitted(uow, policy, organisation_debtor_row(), department="BJ-HCOURT")

    def found(text: str) -> set[int]:
        page = search_records(
            uow, policy, TODAY, SearchFilter(term=read_term(text)), page=1, size=50
        )
        return {r.id for r in page.items}

    assert found("王秀英") == {wang.record.id, other_wang.record.id}  # 王** both
    assert found("王**") == {wang.record.id, other_wang.record.id}
    assert found(wang.subject_number) == {wang.record.id}
    assert found("某某贸易") == {firm.record.id}
    assert found(firm.subject_number) == {firm.record.id}
    assert found("秀英") == set()  # a person is never found by the hidden part of a name


def test_filters_narrow_the_search_and_pages_count_every_match(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    shanghai = [
        submitted(uow, policy, penalty_row(subject_id=citizen_id(region="310101")))
        for _ in range(3)
    ]
    submitted(uow, policy, penalty_row(subject_id=citizen_id(region="110105")))
    stored, _ = court_listing(uow, policy)
    page = search_records(uow, policy, TODAY, SearchFilter(region="31"), page=2, size=2)
    assert (page.total, page.pages, len(page.items)) == (3, 2, 1)
    assert {r.id for r in page.items} <= {s.record.id for s in shanghai}
    judicial = search_records(uow, policy, TODAY, SearchFilter(category="judicial"), page=1, size=9)
    assert [r.id for r in judicial.items] == [stored.record.id]
    assert judicial.items[0].category == "judicial"
    for wrong, field in (
        (SearchFilter(region="99"), "region"),
        (SearchFilter(category="gossip"), "category"),
        (SearchFilter(list_type="KEY-NOPE"), "list_type"),
    ):
        with pytest.raises(Invalid, match=f"^{field}:"):
            search_records(uow, policy, TODAY, wrong, page=1, size=9)


def test_only_published_listings_in_force_are_found_and_a_refused_honour_is_not(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored, entry = court_listing(uow, policy)  # decided, not yet published
    found = SearchFilter(list_type="COURT-DEBTORS")
    assert search_listings(uow, policy, TODAY, found, page=1, size=9).total == 0
    listing.publish(uow, policy, entry.id or 0, department="BJ-HCOURT", actor="court")
    page = search_listings(uow, policy, TODAY, found, page=1, size=9)
    (shown,) = page.items
    assert (shown.id, shown.subject_number) == (entry.id, masked_number(stored.subject_number))
    assert shown.department == "北京市高级人民法院"
    assert shown.subject_name.endswith("*")
    assert search_listings(uow, policy, date(2030, 1, 1), found, page=1, size=9).total == 0
    exemplars = search_listings(
        uow, policy, TODAY, SearchFilter(), page=1, size=9, kind=ListKind.GOOD_CREDIT
    )
    assert exemplars.total == 0  # a court listing is no exemplar
