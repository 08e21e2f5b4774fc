"""What this platform refuses of a peer's event, and how the refusal names the field at fault."""

from __future__ import annotations

import pytest

from tests.fakes import FakeUnitOfWork
from xinyong.domain.errors import Invalid
from xinyong.services.inbound import _local_records, _unheard_outcome


@pytest.mark.parametrize("key", ["BJ-AMR", ":京市监罚〔2026〕1号", "BJ-AMR:"])
def test_a_lift_naming_a_malformed_record_is_refused_by_its_own_field(
    uow: FakeUnitOfWork, key: str
) -> None:
    """A listing's lift carries the outcome of an objection to a record under it beside the
    record's key (`state.record_objection`): a key not of the form the exchange names records
    by is refused by that field, not by the event's own key."""
    decided = {"record": key, "outcome": "reject"}
    expected = f"state.record_objection.record: {key!r} is not <department>:<document number>"
    with uow, pytest.raises(Invalid) as refused:
        _unheard_outcome(uow, decided)
    assert str(refused.value) == expected


def test_a_lift_naming_a_record_held_nowhere_here_carries_its_outcome(
    uow: FakeUnitOfWork,
) -> None:
    decided = {"record": "BJ-AMR:京市监罚〔2026〕1号", "outcome": "reject"}
    with uow:  # the consumer's transaction
        assert _unheard_outcome(uow, decided) == "reject"
        assert _unheard_outcome(uow, {"record": 7, "outcome": "reject"}) is None


def test_a_listing_resting_on_a_malformed_record_key_is_refused_by_its_records(
    uow: FakeUnitOfWork,
) -> None:
    with uow, pytest.raises(Invalid) as refused:
        _local_records(uow, ["BJ-AMR"])
    assert str(refused.value) == "state.records: 'BJ-AMR' is not <department>:<document number>"
