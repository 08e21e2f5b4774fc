"""Publication over the fakes: what the law makes public on a day, newest first, de-identified."""

from __future__ import annotations

from datetime import date

from tests.factories import organisation_debtor_row, penalty_row
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import submitted
from xinyong.domain.policy import Policy
from xinyong.services.publication import PublishedRecord, published
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
