"""Agencies as supervised bodies over the fakes: a licence's days, the blacklist, the standing
an agency's query is checked against."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.fakes import FakeUnitOfWork
from xinyong.domain.agencies import Blacklisting, Licence, read_licence, standing
from xinyong.domain.audit import EventTag
from xinyong.domain.errors import CatalogError, Conflict, Invalid, NotFound
from xinyong.domain.policy import Policy
from xinyong.services import agencies, departments

AGENCY = "AGENCY-BAIHANG"
LICENCE = Licence("PCR-1", "人民银行", date(2025, 1, 1), date(2026, 12, 31))
AT = datetime(2026, 11, 20, 2, tzinfo=UTC)


def test_standing_names_why_an_agency_may_not_query() -> None:
    on = date(2026, 6, 1)
    assert standing(AGENCY, LICENCE, None, on) is None
    assert standing(AGENCY, None, None, on) == "no licence is registered"
    assert "expired on 2026-12-31" in (standing(AGENCY, LICENCE, None, date(2027, 1, 1)) or "")
    assert "valid only from" in (standing(AGENCY, LICENCE, None, date(2024, 12, 31)) or "")
    listed = Blacklisting(1, AGENCY, "leak", date(2026, 5, 1), "centre", AT)
    assert "blacklist since 2026-05-01" in (standing(AGENCY, LICENCE, listed, on) or "")
    listed.lift(reason="fixed", by="centre", at=AT)
    assert standing(AGENCY, LICENCE, listed, on) is None
    with pytest.raises(Conflict):
        listed.lift(reason="again", by="centre", at=AT)


def test_a_licence_needs_its_number_authority_and_days_in_order() -> None:
    with pytest.raises(Invalid, match="valid_until"):
        Licence("PCR-1", "人民银行", date(2026, 1, 2), date(2026, 1, 1))
    with pytest.raises(Invalid, match="number"):
        Licence(" ", "人民银行", date(2026, 1, 1), date(2026, 1, 2))
    with pytest.raises(CatalogError, match=r"licence\.valid_from"):
        read_licence({"number": "x", "authority": "y", "valid_from": "2026-01-01"}, "f", AGENCY)


def test_the_centre_blacklists_and_lifts_with_grounds_each_audited(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    departments.sync_departments(uow, policy.departments, actor="t")
    assert uow.committed.licences[AGENCY].number == "DEMO-PCR-0001"  # from the policy file
    with pytest.raises(Invalid, match="ground"):
        agencies.blacklist_agency(uow, AGENCY, ground=" ", on=None, actor="centre")
    with pytest.raises(NotFound):
        agencies.blacklist_agency(uow, "BJ-AMR", ground="x", on=None, actor="centre")
    entry = agencies.blacklist_agency(uow, AGENCY, ground="泄露信息", on=None, actor="centre")
    (mine,) = [a for a in agencies.agency_standings(uow) if a.code == AGENCY]
    assert mine.refused_because is not None
    agencies.lift_blacklisting(uow, AGENCY, reason="整改完成", actor="centre")
    with pytest.raises(Conflict):
        agencies.lift_blacklisting(uow, AGENCY, reason="again", actor="centre")
    assert [b.lift_reason for b in agencies.blacklistings(uow)] == ["整改完成"]
    tags = [e.tag for e in uow.committed.audit if e.entity_id == AGENCY]
    assert EventTag.AGENCY_BLACKLISTED in tags
    assert EventTag.AGENCY_BLACKLISTING_LIFTED in tags
    assert entry.id is not None
