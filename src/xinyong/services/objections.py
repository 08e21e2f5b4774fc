"""Objections as use cases: file, forward, extend, decide, and a decision challenged; the queues
that watch their deadlines.

Marks reach every output at once: an objection marks the record (and every listing resting on
it) in the same transaction and appends to the change log, so the next check shows it. A
decision taken to administrative reconsideration or to court marks the item again, until the
final decision is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, NoReturn, Protocol

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.calendar import business_date
from xinyong.domain.deadlines import Notice, NoticeKind, resumed_data, stopped_data
from xinyong.domain.errors import Conflict, Invalid, NotRouted, NotYours, OutsideMandate
from xinyong.domain.exchange import EventKind
from xinyong.domain.feed import OUTCOME_KINDS, AcknowledgementRules, FeedKind
from xinyong.domain.identifiers import redact_id_numbers
from xinyong.domain.objections import Objection, ObjectionStatus, extension_of
from xinyong.domain.objections import file_objection as new_objection
from xinyong.domain.policy import Policy
from xinyong.services.audit import misroutes_audited, record_refusal
from xinyong.services.evidence import CaseType, evidence_kind
from xinyong.services.list_bases import end_listings_resting_on, end_on_ground
from xinyong.services.notice_words import detail_of
from xinyong.services.objection_marks import set_mark, tell_mark
from xinyong.services.outbound import queue_record

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


class ObjectionRepository(Protocol):
    def add(self, objection: Objection) -> int: ...
    def get(self, objection_id: int) -> Objection: ...
    def save(self, objection: Objection) -> None: ...
    def of_subject(self, subject_id: int) -> list[Objection]: ...
    def open(self, department: str | None) -> list[Objection]: ...
    # An open objection of the subject's, or a record of theirs marked: one indexed query.
    def may_hold_marks(self, subject_id: int) -> bool: ...


def _tell(
    uow: UnitOfWork,
    policy: Policy,
    objection: Objection,
    kind: FeedKind,
    detail: str,
    *,
    acknowledgements: AcknowledgementRules | None = None,
) -> None:
    """Tell every party that received the contested item, or a listing resting on the contested
    record, once: of the item itself if it received it, else of such a listing."""
    record = None if objection.record_id is None else uow.records.get(objection.record_id)
    tell_mark(
        uow,
        policy,
        uow.subjects.get(objection.subject_id),
        kind,
        detail,
        record=record,
        entry_id=objection.entry_id,
        acknowledgements=acknowledgements,
    )


def file_objection(
    uow: UnitOfWork,
    policy: Policy,
    *,
    subject_id: int,
    record_id: int | None,
    entry_id: int | None,
    ground: str,
    reasons: str,
    evidence: Sequence[tuple[str, str, bytes]] = (),
    actor: str,
) -> Objection:
    """File an objection: the item is marked at once, routed to its source, the clock starts.
    Another person's record or entry does not exist for the person, and the reach is audited."""
    with misroutes_audited(uow, actor=actor, department=None), uow:
        if record_id is not None:
            record = uow.records.get(record_id)
            if record.subject_id != subject_id:
                raise NotYours(
                    f"record {record_id}", action="objection:file", subject_id=record.subject_id
                )
            department = record.department
        elif entry_id is not None:
            entry = uow.entries.get(entry_id, policy.list_types)
            if entry.subject_id != subject_id:
                raise NotYours(
                    f"list entry {entry_id}", action="objection:file", subject_id=entry.subject_id
                )
            department = uow.entries.department_of(entry_id) or ""
            if not department:
                raise Conflict(f"list entry {entry_id} has no department to route an objection to")
        else:
            raise Invalid("an objection is against one record or one list entry")
        now = uow.now()
        objection = new_objection(
            subject_id=subject_id,
            record_id=record_id,
            entry_id=entry_id,
            department=department,
            ground=ground,
            reasons=reasons,
            filed_by=actor,
            at=now,
            on=business_date(now),
            rules=policy.objections,
        )
        uow.objections.add(objection)
        for filename, _, content in evidence:
            uow.evidence.add(
                CaseType.OBJECTION,
                objection.id or 0,
                filename=filename,
                content_type=evidence_kind(content),
                content=content,
                at=now,
            )
        set_mark(uow, policy, objection, marked=True)
        _tell(uow, policy, objection, FeedKind.UNDER_OBJECTION, ground)
        uow.audit.add(
            AuditEvent(
                EventTag.OBJECTION_FILED,
                actor,
                "objection",
                str(objection.id),
                now,
                subject_id=subject_id,
                data={"ground": ground, "department": department, "files": len(evidence)},
            )
        )
        uow.commit()
    return objection


def _case(uow: UnitOfWork, objection_id: int, department: str | None, *, step: str) -> Objection:
    """The objection, if it is routed to `department` (the centre, None: any); another
    department's is `NotRouted` for the `objection:{step}` it was reached for."""
    objection = uow.objections.get(objection_id)
    if department is not None and objection.department != department:
        raise NotRouted(
            f"objection {objection_id}",
            action=f"objection:{step}",
            subject_id=objection.subject_id,
        )
    return objection


def _refuse(
    uow: UnitOfWork,
    why: str,
    *,
    step: str,
    actor: str,
    department: str | None,
    subject_id: int | None = None,
) -> NoReturn:
    """Refuse `objection:{step}` for want of a mandate, audited in a transaction of its own."""
    refusal = OutsideMandate(why, action=f"objection:{step}")
    record_refusal(uow, refusal, actor=actor, department=department, subject_id=subject_id)
    raise refusal


def forward_objection(
    uow: UnitOfWork, policy: Policy, objection_id: int, *, department: str | None, actor: str
) -> Objection:
    """The centre's check found no mismatch it can correct: the source decides by a deadline.

    Only the credit centre forwards (a department's key is refused, and the refusal audited).
    """
    if department is not None:
        _refuse(
            uow,
            "the credit centre checks an objection and forwards it; a department decides it once"
            " forwarded",
            step="forward", actor=actor, department=department,
        )  # fmt: skip
    with uow:
        objection = _case(uow, objection_id, department, step="forward")
        now = uow.now()
        objection.forward(on=business_date(now), rules=policy.objections)
        uow.objections.save(objection)
        uow.audit.add(
            AuditEvent(
                EventTag.OBJECTION_FORWARDED,
                actor,
                "objection",
                str(objection_id),
                now,
                subject_id=objection.subject_id,
            )
        )
        uow.commit()
    return objection


def extend_objection(
    uow: UnitOfWork,
    policy: Policy,
    objection_id: int,
    *,
    reasons: str,
    approved_by: str,
    approval_reference: str,
    department: str | None,
    actor: str,
) -> Objection:
    """With approval, the source department gets more working days, once: the extension states
    its reasons, who approved it and the approval's reference, which the objection keeps and
    the audit event carries (the reasons with any ID number withheld)."""
    with misroutes_audited(uow, actor=actor, department=department), uow:
        objection = _case(uow, objection_id, department, step="extend")
        extension = extension_of(
            reasons=reasons, approved_by=approved_by, approval_reference=approval_reference
        )
        due = objection.extend(extension, rules=policy.objections)
        uow.objections.save(objection)
        uow.audit.add(
            AuditEvent(
                EventTag.OBJECTION_EXTENDED,
                actor,
                "objection",
                str(objection_id),
                uow.now(),
                subject_id=objection.subject_id,
                reason=redact_id_numbers(extension.reasons),
                data={
                    "approved_by": extension.approved_by,
                    "approval_reference": extension.approval_reference,
                    "due": str(due.day),
                },
            )
        )
        uow.commit()
    return objection


def pause_objection(
    uow: UnitOfWork,
    policy: Policy,
    objection_id: int,
    *,
    kind: str,
    department: str | None,
    actor: str,
) -> Objection:
    """Testing or expert review begins: the deadline that runs stands still until
    `resume_objection` (the working days it takes are not counted). Whoever holds the case
    pauses it: the credit centre while it checks, the source department once forwarded."""
    return _clock_step(uow, objection_id, department, actor, "pause", kind)


def resume_objection(
    uow: UnitOfWork, policy: Policy, objection_id: int, *, department: str | None, actor: str
) -> Objection:
    """Testing or expert review is over: the deadline moves by the working days it took."""
    return _clock_step(uow, objection_id, department, actor, "resume", None)


def _clock_step(
    uow: UnitOfWork,
    objection_id: int,
    department: str | None,
    actor: str,
    step: str,
    kind: str | None,
) -> Objection:
    with misroutes_audited(uow, actor=actor, department=department), uow:
        objection = _case(uow, objection_id, department, step=step)
    if not objection.in_hands_of(department):
        _refuse(
            uow,
            f"objection {objection_id} is still with the credit centre, whose clock it is",
            step=step, actor=actor, department=department, subject_id=objection.subject_id,
        )  # fmt: skip
    with uow:
        objection = _case(uow, objection_id, department, step=step)
        now = uow.now()
        data: dict[str, object]
        said: Mapping[str, object]
        running, before = objection.due_kind, objection.due()
        if kind is not None:
            objection.pause(kind, on=business_date(now))
            tag, data = EventTag.OBJECTION_PAUSED, {"kind": kind}
            said = stopped_data(running, business_date(now), kind)
            told = NoticeKind.DEADLINE_STOPPED
        else:
            paused_for = objection.pause_kind or ""
            days = objection.resume(on=business_date(now))
            tag = EventTag.OBJECTION_RESUMED
            data = {"kind": paused_for, "working_days": days, "due": str(objection.due().day)}
            said = resumed_data(running, before, objection.due(), paused_for, days)
            told = NoticeKind.DEADLINE_MOVED
        uow.objections.save(objection)
        # The person's deadline stands still or moves: they are told, as for a recount.
        uow.deadlines.add_notice(
            Notice(
                objection.subject_id,
                told,
                "objection",
                objection_id,
                detail_of(said),
                now,
                data=said,
            )
        )
        uow.audit.add(
            AuditEvent(
                tag, actor, "objection", str(objection_id), now,
                subject_id=objection.subject_id, data=data,
            )
        )  # fmt: skip
        uow.commit()
    return objection


def challenge_objection(
    uow: UnitOfWork,
    policy: Policy,
    objection_id: int,
    *,
    kind: str,
    reference: str,
    department: str | None,
    actor: str,
) -> Objection:
    """The person took the objection's decision to administrative reconsideration or to court:
    the item is marked "under objection" again in every output (checks, publication, reports,
    the exchange) until the final decision is recorded with `decide_objection`.

    The credit centre records it (a department's key is refused, and the refusal audited).
    """
    if department is not None:
        _refuse(
            uow,
            "the credit centre records that a decision was taken to reconsideration or to court",
            step="challenge", actor=actor, department=department,
        )  # fmt: skip
    with uow:
        objection = _case(uow, objection_id, department, step="challenge")
        now = uow.now()
        objection.challenge_decision(kind, reference=reference, by=actor, at=now)
        uow.objections.save(objection)
        set_mark(uow, policy, objection, marked=True)
        _tell(uow, policy, objection, FeedKind.UNDER_OBJECTION, kind)
        uow.audit.add(
            AuditEvent(
                EventTag.OBJECTION_CHALLENGED,
                actor,
                "objection",
                str(objection_id),
                now,
                subject_id=objection.subject_id,
                data={"kind": kind, "reference": reference.strip()},
            )
        )
        uow.commit()
    return objection


def decide_objection(
    uow: UnitOfWork,
    policy: Policy,
    objection_id: int,
    *,
    outcome: str,
    reasons: str,
    department: str | None,
    actor: str,
) -> Objection:
    """Decide an objection; the mark is lifted, the outcome applied, every recipient told.

    The source department decides only once the credit centre has forwarded it; the centre may
    decide one still with it (it corrects a mismatch with the source itself). A challenged
    decision's final outcome (the reconsideration's or the court's) is recorded the same way.
    """
    with misroutes_audited(uow, actor=actor, department=department), uow:
        objection = _case(uow, objection_id, department, step="decide")
    if not objection.in_hands_of(department):
        _refuse(
            uow,
            f"objection {objection_id} is still with the credit centre, which checks it first;"
            " the source department decides it once it is forwarded",
            step="decide", actor=actor, department=department, subject_id=objection.subject_id,
        )  # fmt: skip
    with uow:
        objection = _case(uow, objection_id, department, step="decide")
        now = uow.now()
        today = business_date(now)
        objection.decide(outcome, reasons=reasons, by=actor, at=now, rules=policy.objections)
        uow.objections.save(objection)
        set_mark(uow, policy, objection, marked=False)
        if outcome == "stop_display" and objection.record_id is not None:
            record = uow.records.get(objection.record_id)
            record.stop_display(at=now, archive_years=policy.archive_years(record))
            uow.records.save_status(record)
            queue_record(uow, policy, record, EventKind.RECORD_CORRECTED)
            end_listings_resting_on(uow, policy, record, today=today, actor=actor)
        if outcome == "remove_from_list" and objection.entry_id is not None:
            end_on_ground(
                uow,
                policy,
                uow.entries.get(objection.entry_id, policy.list_types),
                "revocation",
                today,
                actor=actor,
            )
        _tell(
            uow,
            policy,
            objection,
            OUTCOME_KINDS[outcome],
            objection.outcome_reasons or "",
            acknowledgements=policy.acknowledgements,
        )
        uow.audit.add(
            AuditEvent(
                EventTag.OBJECTION_DECIDED,
                actor,
                "objection",
                str(objection_id),
                now,
                subject_id=objection.subject_id,
                reason=reasons,
                data={"outcome": outcome},
            )
        )
        uow.commit()
    return objection


def objection_queue(uow: UnitOfWork, *, department: str | None) -> list[Objection]:
    """Open objections, the most urgent first (overdue ones at the top); the challenged ones,
    which wait for a reconsideration body or a court, last."""
    with uow:
        cases = uow.objections.open(department)
    challenged = ObjectionStatus.CHALLENGED
    return sorted(cases, key=lambda o: (o.status is challenged, o.due().day, o.id or 0))


def objections_of(uow: UnitOfWork, subject_id: int) -> list[Objection]:
    with uow:
        return uow.objections.of_subject(subject_id)


def objection_of(
    uow: UnitOfWork,
    subject_id: int,
    objection_id: int,
    *,
    actor: str,
    refusals: UnitOfWork | None = None,
) -> Objection:
    """One of the person's own objections (another person's is not found, and the reach for it
    is audited through `refusals`, `uow` itself unless it only reads)."""
    with misroutes_audited(refusals or uow, actor=actor, department=None), uow:
        objection = uow.objections.get(objection_id)
        if objection.subject_id != subject_id:
            raise NotYours(
                f"objection {objection_id}",
                action="objection:read",
                subject_id=objection.subject_id,
            )
    return objection


def objection_case(
    uow: UnitOfWork,
    objection_id: int,
    *,
    department: str | None,
    actor: str,
    refusals: UnitOfWork | None = None,
) -> Objection:
    """One objection as staff see it (a department only those about its own records; reaching
    for another's is audited through `refusals`, `uow` itself unless it only reads)."""
    with misroutes_audited(refusals or uow, actor=actor, department=department), uow:
        return _case(uow, objection_id, department, step="read")
