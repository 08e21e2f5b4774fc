"""What the service unit tests share: a clock reading, and a platform's history made through its
own use cases over the fakes (a record, a court listing, a party that received a record, the
person's objection to a record)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from tests.factories import agency_key, debtor_row, penalty_row
from tests.fakes import FakeUnitOfWork
from xinyong.domain.calendar import business_date
from xinyong.domain.keys import ApiKey
from xinyong.domain.lists import ListEntry
from xinyong.domain.objections import Objection
from xinyong.domain.policy import Policy
from xinyong.services import authorisations, decided_lists, objections
from xinyong.services.records import Stored, submit_record


def on(day: date) -> datetime:
    """10:00 in Beijing on `day`, as the UTC instant the clock holds."""
    return datetime.combine(day, time(2, 0), tzinfo=UTC)


def submitted(
    uow: FakeUnitOfWork,
    policy: Policy,
    row: dict[str, object] | None = None,
    department: str = "BJ-AMR",
) -> Stored:
    """A record stored through `submit_record` (a fine of 5,000 yuan, general, by default)."""
    return submit_record(uow, policy, row or penalty_row(), department=department, actor="clerk")


def court_listing(
    uow: FakeUnitOfWork, policy: Policy, row: dict[str, object] | None = None
) -> tuple[Stored, ListEntry]:
    """A court's dishonest-debtor record and the listing recorded from it."""
    stored = submitted(uow, policy, row or debtor_row(), department="BJ-HCOURT")
    assert decided_lists.record_court_listings(uow, policy, actor="court-feed") == 1
    with uow:
        (entry,) = uow.entries.of_subject(stored.record.subject_id, policy.list_types)
    return stored, entry


def party(uow: FakeUnitOfWork, code: str) -> ApiKey:
    """A credit agency's key, issued to a staff member of it (only its department, scope and
    staff member matter to the use cases)."""
    return agency_key(uow, code, at=on(date(2026, 1, 5)))


def authorised_query(
    uow: FakeUnitOfWork, policy: Policy, stored: Stored, agency: str = "AGENCY-BAIHANG"
) -> authorisations.AgencyAnswer:
    """The person authorises `agency`, which then queries their records: it receives them."""
    authorisations.grant_authorisation(
        uow,
        policy,
        subject_id=stored.record.subject_id,
        grantee=agency,
        purpose="loan_approval",
        scope="records",
        expires_on=business_date(uow.now()) + timedelta(days=60),
        actor="account:1",
    )
    return authorisations.agency_query(
        uow,
        policy,
        caller=party(uow, agency),
        number=stored.subject_number,
        purpose="loan_approval",
        scope="records",
    )


def objected(
    uow: FakeUnitOfWork,
    policy: Policy,
    stored: Stored,
    reasons: str = "记载有误",
    evidence: Sequence[tuple[str, str, bytes]] = (),
) -> Objection:
    """The person's objection to `stored`'s record (error or omission), filed from their account
    with any `evidence` files (name, type, content)."""
    return objections.file_objection(
        uow,
        policy,
        subject_id=stored.record.subject_id,
        record_id=stored.record.id,
        entry_id=None,
        ground="error_or_omission",
        reasons=reasons,
        evidence=evidence,
        actor="account:1",
    )
