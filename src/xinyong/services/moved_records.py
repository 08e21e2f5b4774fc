"""A record an identity review moved to another person: what the person it named before filed
about it closes undecided (`not_about_subject`), each case told to them and audited, and the
record's "under objection" mark stays only for an objection of the person it is about now.

Moves resolved before moves closed these cases left them open; `close_cases_left_by_earlier_moves`
(`xinyong reviews close-moved-cases`) closes those once, as a move closes them now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.deadlines import Notice, NoticeKind
from xinyong.domain.objections import NOT_ABOUT_SUBJECT, Objection, ObjectionStatus
from xinyong.domain.policy import Policy
from xinyong.domain.repairs import Repair
from xinyong.domain.subjects import ReviewResolution
from xinyong.services.notice_words import closed_reasons, detail_of
from xinyong.services.objection_marks import set_mark

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork

#: An objection still before the platform: the centre's check or the department's decision.
_UNDECIDED = (ObjectionStatus.FILED, ObjectionStatus.FORWARDED)


def close_cases_of_moved_record(
    uow: UnitOfWork,
    policy: Policy,
    record_id: int,
    *,
    was: int,
    review_id: int,
    actor: str,
) -> list[Objection | Repair]:
    """Close the undecided objections and open repair applications that `was` (the person the
    record named before the review moved it) filed about record `record_id`: each with the
    closing reason `not_about_subject` (its reasons in Chinese), a notice to that person
    (`case_closed`) and an audit event; then lift the record's mark unless another objection
    holds it. A decided objection, challenged or not, stays as it was. Return the cases closed.
    Runs in the caller's transaction, after the record moved."""
    now = uow.now()
    closing = {"change": "closed", "record": record_id, "review": review_id}
    closed: list[Objection | Repair] = []
    # Only a case still before the platform: a decision challenged by reconsideration or in court
    # is the reviewing body's or the court's now, and keeps its outcome and its mark.
    objections = [
        o
        for o in uow.objections.of_subject(was)
        if o.record_id == record_id and o.status in _UNDECIDED
    ]
    for objection in objections:
        why = closed_reasons(record_id, review_id, "zh", "objection")  # as a department writes
        objection.close_not_about_subject(reasons=why, by=actor, at=now)
        uow.objections.save(objection)
        closed.append(objection)
    for repair in uow.repairs.of_subject(was):
        if repair.record_id == record_id and repair.is_open:
            why = closed_reasons(record_id, review_id, "zh", "repair")
            repair.close_not_about_subject(reasons=why, by=actor, at=now)
            uow.repairs.save(repair)
            closed.append(repair)
    for case in closed:
        what = "objection" if isinstance(case, Objection) else "repair"
        said = {**closing, "case": what, "case_id": case.id or 0}
        uow.deadlines.add_notice(
            Notice(was, NoticeKind.CASE_CLOSED, what, case.id or 0, detail_of(said), now, data=said)
        )
        uow.audit.add(
            AuditEvent(
                EventTag.OBJECTION_CLOSED if what == "objection" else EventTag.REPAIR_CLOSED,
                actor,
                what,
                str(case.id),
                now,
                subject_id=was,
                reason=NOT_ABOUT_SUBJECT,
                data={"record_id": record_id, "identity_review": review_id},
            )
        )
    if objections:
        # The open objections of the person it named before are closed now: the record (and the
        # listings resting on it) stay marked only for another objection that holds the mark (the
        # person it is about now, or a challenge of the person it named before).
        set_mark(uow, policy, objections[-1], marked=False)
    return closed


@dataclass(frozen=True, slots=True)
class LeftOpen:
    """A case still before the platform that its filer filed about a record an identity review
    has since moved to another person: `review_id` is the review that moved it away from them."""

    case: Objection | Repair
    review_id: int

    @property
    def kind(self) -> str:
        return "objection" if isinstance(self.case, Objection) else "repair"


def cases_left_by_earlier_moves(uow: UnitOfWork) -> list[LeftOpen]:
    """The undecided objections and open repair applications about a record that is no longer
    their filer's, which a move resolved before moves closed them left open; changes nothing."""
    with uow:
        return _left_open(uow)


def close_cases_left_by_earlier_moves(
    uow: UnitOfWork, policy: Policy, *, actor: str
) -> list[LeftOpen]:
    """Close the cases `cases_left_by_earlier_moves` finds as the move would have closed them
    (`close_cases_of_moved_record`: the same reasons, notices, audit and mark), in one
    transaction; return them. Run again, it finds and closes nothing."""
    with uow:
        left = _left_open(uow)
        moves = sorted({(c.case.record_id or 0, c.case.subject_id, c.review_id) for c in left})
        for record_id, was, review_id in moves:
            close_cases_of_moved_record(
                uow, policy, record_id, was=was, review_id=review_id, actor=actor
            )
        uow.commit()
    return left


#: How many resolved reviews `_moves` reads at a time.
_PAGE = 1000


def _left_open(uow: UnitOfWork) -> list[LeftOpen]:
    """The cases still before the platform that each move left to the person it moved the record
    away from, while the record is still another person's (their `subject_id` differs from the
    `record_subject_id` that followed the record)."""
    left: list[LeftOpen] = []
    for (record_id, was), review_id in sorted(_moves(uow).items()):
        if uow.records.get(record_id).subject_id == was:
            continue  # a later review moved it back to them: their cases are theirs again
        left += [
            LeftOpen(o, review_id)
            for o in uow.objections.of_subject(was)
            if o.record_id == record_id and o.status in _UNDECIDED
        ]
        left += [
            LeftOpen(r, review_id)
            for r in uow.repairs.of_subject(was)
            if r.record_id == record_id and r.is_open
        ]
    return left


def _moves(uow: UnitOfWork) -> dict[tuple[int, int], int]:
    """Each record a review moved to another person and the person it moved it away from, with
    the last review that did (a record moves only so: `resolve_identity_review`)."""
    moves: dict[tuple[int, int], int] = {}
    offset = 0
    while page := uow.reviews.list(status="resolved", limit=_PAGE, offset=offset):
        for r in page:  # oldest first: a later move of the same record from the same person wins
            moved = r.moves_subject and r.resolution is ReviewResolution.DIFFERENT_PERSON
            if moved and r.record_id is not None:
                moves[(r.record_id, r.subject_id)] = r.id
        offset += len(page)
    return moves
