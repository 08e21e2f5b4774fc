"""The court's published list imported over the fakes: every row becomes a review candidate with
the persons it may be and its flags, and never a record."""

from __future__ import annotations

import json

import pytest

from tests.factories import penalty_row
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import submitted
from tests.unit.test_court_list import NUMBER, published_row, same_mask_other_birthday
from xinyong.domain.errors import Conflict
from xinyong.domain.policy import Policy
from xinyong.services.court_candidates import import_court_list, open_candidates


def test_published_rows_become_candidates_with_matches_and_never_records(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    # The platform holds the person the first row means, and a twin the mask cannot tell apart.
    held = submitted(uow, policy, penalty_row(subject_id=NUMBER, subject_name="张某某"))
    twin = submitted(uow, policy, penalty_row(subject_id=same_mask_other_birthday(NUMBER)))
    records_before = dict(uow.committed.records)
    rows = [
        published_row(),
        published_row(
            iname="李某",
            cardNum="1101051949****002X",
            caseCode="（2026）京0105执9号",
            courtName="巢湖市人民法院",
        ),
        published_row(sexy="X"),
    ]
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    report = import_court_list(uow, text, actor="centre")
    assert (report.candidates, len(report.problems)) == (2, 1)
    assert uow.committed.records == records_before  # never a record
    first, second = open_candidates(uow)
    by_subject = {m.subject_id: m.inconsistencies for m in first.matches}
    assert by_subject[held.record.subject_id] == ()
    assert by_subject[twin.record.subject_id]  # its name differs: the reviewer sees why
    assert report.matched == 1
    assert second.matches == ()
    assert second.flags  # a Beijing case number from a court in Anhui
    assert report.flagged == 2
    assert NUMBER not in repr(first)
    with pytest.raises(Conflict):
        import_court_list(uow, text, actor="centre")
