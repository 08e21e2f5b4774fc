"""A person reaching for another person's evidence files, over the fakes: the case does not exist
for them, nothing is returned, and the reach is audited (the portal refuses the case first, so
this path is defence in depth and needs its own test)."""

from __future__ import annotations

import pytest

from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import objected, submitted
from xinyong.domain.audit import EventTag
from xinyong.domain.errors import NotFound
from xinyong.domain.policy import Policy
from xinyong.services import evidence
from xinyong.services.evidence import CaseType


def test_another_persons_case_files_are_not_found_and_the_reach_is_audited(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    stored = submitted(uow, policy)
    objection = objected(
        uow, policy, stored, evidence=[("缴费凭证.pdf", "application/pdf", b"%PDF-1.4 x")]
    )
    own = evidence.files_of(
        uow, CaseType.OBJECTION, objection.id or 0, subject_id=stored.record.subject_id,
        actor="account:1",
    )  # fmt: skip
    assert [f.filename for f in own] == ["缴费凭证.pdf"]
    before = uow.snapshot()

    with pytest.raises(NotFound, match="does not exist"):
        evidence.files_of(
            uow, CaseType.OBJECTION, objection.id or 0, subject_id=stored.record.subject_id + 1,
            actor="account:2",
        )  # fmt: skip

    [reach] = uow.committed.audit[len(before.audit) :]
    assert (reach.tag, reach.actor, reach.entity_id) == (
        EventTag.MANDATE_REFUSED,
        "account:2",
        "evidence:list",
    )
    assert reach.subject_id == stored.record.subject_id
