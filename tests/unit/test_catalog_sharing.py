"""Sharing follows the record's own catalog version (docs/catalog.md#versions): a record accepted
under a version that opens its item to public bodies only stays so when a later version opens
that item to authorised parties, for an agency's query and for the exchange alike."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import authorised_query, submitted
from xinyong.domain.catalog import Catalog, SharingScope
from xinyong.domain.exchange import EventKind, Sharing
from xinyong.domain.policy import Policy
from xinyong.services import outbound
from xinyong.services.records import Stored

LOAN = "CON-STULOAN-01"  # a student-loan default: shared with public bodies only (2024.1)


def opened_later(policy: Policy) -> Policy:
    """The platform once catalog 2025.1, which opens LOAN to authorised parties, is configured."""
    loan = dataclasses.replace(policy.catalog.items[LOAN], sharing_scope=SharingScope.AUTHORISED)
    items = {**policy.catalog.items, LOAN: loan}
    later = Catalog("2025.1", "the next edition", date(2025, 1, 1), items)
    return dataclasses.replace(policy, catalog=later, catalogs={**policy.catalogs, "2025.1": later})


def defaulted(uow: FakeUnitOfWork, policy: Policy) -> Stored:
    loan = {
        "item": LOAN,
        "document_number": "京教助贷〔2026〕0077号",
        "subject_id": "11010519491231002X",
        "subject_name": "王秀英",
        "decision_date": "2026-09-01",
        "authority_name": "北京市教育委员会",
        "authority_uscc": "111100000000210477",  # BJ-EDU in the shipped departments
        "loan_contract_number": "GJZXDK-2024-000177",
        "school_name": "北京某大学",
        "overdue_principal": "6000",
        "overdue_days": "120",
    }
    stored = submitted(uow, policy, loan, department="BJ-EDU")
    assert stored.record.catalog_version == "2024.1"
    assert policy.catalog.items[LOAN].sharing_scope is SharingScope.GOVERNMENT
    return stored


def test_an_agency_is_not_given_a_record_its_own_version_keeps_for_public_bodies(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = defaulted(uow, policy)
    later = opened_later(policy)
    answer = authorised_query(uow, later, stored, "AGENCY-BAIHANG")
    assert answer.records == []


@pytest.fixture
def node(uow: FakeUnitOfWork) -> FakeUnitOfWork:
    uow.committed.node_code = "BJ"
    return uow


def test_the_exchange_shares_a_record_as_its_own_version_says(
    node: FakeUnitOfWork, policy: Policy
) -> None:
    stored = defaulted(node, policy)
    later = opened_later(policy)
    since = len(node.committed.outbox)
    with node:
        record = node.records.get(stored.record.id)
        outbound.queue_record(node, later, record, EventKind.RECORD_UPDATED)
        outbound.queue_records(node, later, [stored.record.id], EventKind.RECORD_EXPIRED)
        node.commit()
    sent = node.committed.outbox[since:]
    assert [c.kind for c in sent] == [EventKind.RECORD_UPDATED, EventKind.RECORD_EXPIRED]
    assert [(c.catalog_version, c.sharing) for c in sent] == [("2024.1", Sharing.SHARED)] * 2
