"""The public search on real storage: the SQL read side finds exactly what the domain's rules
and the fakes find (published listings in force on every boundary day; a term matched as
published), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from tests.factories import citizen_id, debtor_row, organisation_debtor_row, penalty_row
from tests.fakes import FakeUnitOfWork, Store
from xinyong.db.unit_of_work import SqlUnitOfWork
from xinyong.domain.lists import EntryState
from xinyong.domain.policy import Policy
from xinyong.domain.publication import read_term
from xinyong.services import decided_lists
from xinyong.services import lists as listing
from xinyong.services.publication import SearchFilter, search_listings, search_records
from xinyong.services.records import submit_record

UowFactory = Callable[[], SqlUnitOfWork]
TODAY = date(2026, 11, 20)


def test_published_listings_in_force_are_the_domains_on_every_boundary_day(
    seeded: UowFactory, policy: Policy
) -> None:
    subjects = [
        submit_record(
            seeded(),
            policy,
            debtor_row(subject_id=citizen_id(born=born), decision_date="2026-10-15"),
            department="BJ-HCOURT",
            actor="court",
        ).record.subject_id
        for born in (date(1960, 1, 1), date(1961, 2, 2), date(1962, 3, 3))
    ]
    assert decided_lists.record_court_listings(seeded(), policy, actor="court-feed") == 3
    with seeded() as uow:
        entries = [e for s in subjects for e in uow.entries.of_subject(s, policy.list_types)]
    published, exited, decided = entries
    listing.publish(seeded(), policy, published.id or 0, department="BJ-HCOURT", actor="c")
    listing.publish(seeded(), policy, exited.id or 0, department="BJ-HCOURT", actor="c")
    listing.end_listing(
        seeded(),
        policy,
        exited.id or 0,
        ground="performance",
        note="已履行完毕",
        department="BJ-HCOURT",
        actor="c",
    )
    with seeded() as uow:
        entries = [uow.entries.get(e.id or 0, policy.list_types) for e in entries]
        ends = entries[0].ends_on
    assert ends is not None
    found = SearchFilter(list_type="COURT-DEBTORS")
    for day in (date(2026, 10, 14), date(2026, 10, 15), TODAY, ends - timedelta(days=1), ends):
        page = search_listings(seeded(), policy, day, found, page=1, size=50)
        in_domain = {
            e.id for e in entries if e.state is EntryState.PUBLISHED and e.is_in_force_on(day)
        }
        assert {item.id for item in page.items} == in_domain, day
        assert page.total == len(in_domain)
    assert decided.state is EntryState.DECIDED  # never published: never shown


def test_a_term_finds_in_sql_what_it_finds_in_the_fakes(seeded: UowFactory, policy: Policy) -> None:
    fake = FakeUnitOfWork(at=seeded().now(), store=Store())
    with seeded() as uow:
        departments = uow.departments.list()
    with fake:
        for department in departments:
            fake.departments.upsert(department, at=fake.now())
        fake.commit()
    rows = [
        penalty_row(subject_id=citizen_id(region="310101"), subject_name="王秀英"),
        penalty_row(subject_id=citizen_id(region="110105"), subject_name="王小明"),
        penalty_row(subject_id=citizen_id(region="110105"), subject_name="王伟"),
        penalty_row(subject_id=citizen_id(region="110105"), subject_name="李%_娜"),
    ]
    firm = organisation_debtor_row()
    for row, department in [*((r, "BJ-AMR") for r in rows), (firm, "BJ-HCOURT")]:
        for uow in (seeded(), fake):
            submit_record(uow, policy, row, department=department, actor="clerk")
    terms = ["王秀英", "王**", "王伟", "李%_娜", "%", "某某贸易", str(firm["subject_id"]), "秀英"]
    terms += [str(rows[0]["subject_id"]), str(rows[1]["subject_id"])[:10] + "****" + "0000"]
    for term in terms:
        for region in (None, "11", "31"):
            found = SearchFilter(term=read_term(term), region=region)
            in_sql = search_records(seeded(), policy, TODAY, found, page=1, size=50)
            in_fake = search_records(fake, policy, TODAY, found, page=1, size=50)
            sql_ids = sorted(r.document_number for r in in_sql.items)
            fake_ids = sorted(r.document_number for r in in_fake.items)
            assert sql_ids == fake_ids, (term, region)
            assert in_sql.total == in_fake.total
