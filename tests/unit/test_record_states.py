"""A record's states change only through its own methods, and illegal transitions are refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from xinyong.domain.errors import Conflict
from xinyong.domain.records import CreditRecord, RecordAlreadyRevoked, RecordStatus

AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def record(status: RecordStatus = RecordStatus.ACTIVE) -> CreditRecord:
    return CreditRecord(
        id=7,
        department="BJ-AMR",
        document_number="京市监罚〔2026〕1号",
        item_code="ADM-PEN-01",
        catalog_version="2024.1",
        subject_id=1,
        status=status,
        severity="general",
        published=True,
        decision_date=date(2026, 9, 1),
        display_ends=date(2027, 9, 1),
        repair_from=date(2026, 12, 1),
        retention_ends=date(2031, 9, 1),
        publish_by=None,
        authority_name="北京市市场监督管理局",
        fields={},
        content_hash="x",
        batch_id=None,
        received_at=AT,
        updated_at=AT,
    )


Move = Callable[[CreditRecord], None]
MOVES: dict[str, tuple[Move, RecordStatus, RecordStatus]] = {
    "expire": (lambda r: r.expire(at=AT), RecordStatus.ACTIVE, RecordStatus.EXPIRED),
    "stop_display": (lambda r: r.stop_display(at=AT), RecordStatus.ACTIVE, RecordStatus.EXPIRED),
    "repair": (lambda r: r.repair(at=AT), RecordStatus.ACTIVE, RecordStatus.REPAIRED),
    "release": (lambda r: r.release(at=AT), RecordStatus.IDENTITY_HOLD, RecordStatus.ACTIVE),
}


@pytest.mark.parametrize("name", MOVES)
def test_each_transition_moves_from_its_one_source_state(name: str) -> None:
    move, source, target = MOVES[name]
    r = record(source)
    move(r)
    assert (r.status, r.updated_at) == (target, AT)


@pytest.mark.parametrize(
    ("name", "status"), [(n, s) for n, m in MOVES.items() for s in RecordStatus if s is not m[1]]
)
def test_every_other_state_refuses_the_transition(name: str, status: RecordStatus) -> None:
    move, _, _ = MOVES[name]
    r = record(status)
    with pytest.raises(Conflict, match=status.value):
        move(r)
    assert r.status is status


@pytest.mark.parametrize("status", [s for s in RecordStatus if s is not RecordStatus.REVOKED])
def test_a_record_can_be_revoked_from_any_state_but_once(status: RecordStatus) -> None:
    r = record(status)
    r.revoke(reason="复议撤销", at=AT)
    assert (r.status, r.revoked_at, r.revocation_reason) == (RecordStatus.REVOKED, AT, "复议撤销")
    with pytest.raises(RecordAlreadyRevoked):
        r.revoke(reason="again", at=AT)


def test_the_objection_mark_is_orthogonal_to_the_status() -> None:
    r = record(RecordStatus.ACTIVE)
    r.mark_objection(True)
    assert r.under_objection
    assert r.is_displayable_on(date(2026, 12, 1))
    r.repair(at=AT)
    assert r.under_objection
    assert r.status is RecordStatus.REPAIRED
