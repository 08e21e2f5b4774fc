"""The court's published list imported over the fakes: every row becomes a review candidate with
the persons it may be and its flags, and never a record."""

from __future__ import annotations

import json

import pytest

from tests.factories import penalty_row
from tests.fakes import FakeUnitOfWork
from tests.unit.helpers import submitted
from tests.unit.test_court_list import NUMBER, published_row, same_mask_other_birthday
from xinyong.domain.audit import EventTag
from xinyong.domain.errors import Conflict, Invalid
from xinyong.domain.policy import Policy
from xinyong.services.court_candidates import (
    CandidateStatus,
    candidate_case,
    decide_candidate,
    import_court_list,
    open_candidates,
)


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


def test_a_reviewer_confirms_the_person_a_row_means_or_rejects_it_once_and_audited(
    uow: FakeUnitOfWork, policy: Policy
) -> None:
    held = submitted(uow, policy, penalty_row(subject_id=NUMBER, subject_name="张某某"))
    twin = submitted(uow, policy, penalty_row(subject_id=same_mask_other_birthday(NUMBER)))
    rows = [published_row(), published_row(iname="王某某", caseCode="（2026）皖0181执2号")]
    import_court_list(uow, "\n".join(json.dumps(r, ensure_ascii=False) for r in rows), actor="c")
    first, second = open_candidates(uow)
    assert first.id is not None
    assert second.id is not None
    case = candidate_case(uow, first.id)
    assert {p.subject_id for p in case.persons} == {
        held.record.subject_id,
        twin.record.subject_id,
    }
    assert all("****" in p.masked_number for p in case.persons)  # never in full
    assert NUMBER not in repr(case)

    with pytest.raises(Invalid, match=r"^subject_id"):
        decide_candidate(uow, first.id, subject_id=999, reasons="", actor="staff:li")
    with pytest.raises(Invalid, match=r"^reasons"):  # the twin's name differs: say why
        decide_candidate(
            uow, first.id, subject_id=twin.record.subject_id, reasons="", actor="staff:li"
        )
    decided = decide_candidate(
        uow, first.id, subject_id=held.record.subject_id, reasons="", actor="staff:li"
    )
    assert (decided.status, decided.subject_id) == (
        CandidateStatus.CONFIRMED,
        held.record.subject_id,
    )
    with pytest.raises(Conflict):
        decide_candidate(uow, first.id, subject_id=None, reasons="不是本人", actor="staff:li")
    with pytest.raises(Invalid, match=r"^reasons"):
        decide_candidate(uow, second.id, subject_id=None, reasons=" ", actor="staff:li")
    rejected = decide_candidate(
        uow, second.id, subject_id=None, reasons="本平台没有此人", actor="staff:li"
    )
    assert rejected.status is CandidateStatus.REJECTED
    assert open_candidates(uow) == []
    audited = [e for e in uow.committed.audit if e.tag is EventTag.COURT_CANDIDATE_DECIDED]
    assert [(e.entity_id, e.data["decision"]) for e in audited] == [
        (str(first.id), "confirmed"),
        (str(second.id), "rejected"),
    ]
