"""Objections: the person files one; the credit centre forwards it, the source decides it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from xinyong.domain.access import Scope
from xinyong.domain.errors import Invalid
from xinyong.domain.keys import ApiKey
from xinyong.domain.objections import (
    CHALLENGE_KINDS,
    MAX_APPROVAL_REFERENCE,
    MAX_APPROVED_BY,
    MAX_CHALLENGE_REFERENCE,
    MAX_EXTENSION_REASONS,
    PAUSE_KINDS,
    Objection,
)
from xinyong.services import accounts, evidence, objections
from xinyong.services.evidence import CaseType
from xinyong.services.ports import UnitOfWork
from xinyong.web.deps import DbId, PolicyDep, TodayDep, UowDep, caller
from xinyong.web.headers import attachment

router = APIRouter(tags=["objections"])

#: Evidence files: at most this many bytes each.
MAX_EVIDENCE_BYTES = 5 * 1024 * 1024


class ObjectionCreate(BaseModel):
    record_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    entry_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    ground: str = Field(max_length=40)
    reasons: str = Field(max_length=20000)


class ChallengeOut(BaseModel):
    """A decision taken to reconsideration or to court; `concluded_at` once its final decision
    is recorded."""

    kind: str
    reference: str
    at: datetime
    concluded_at: datetime | None


class ExtensionOut(BaseModel):
    """Why the source department's deadline was extended, who approved it and under which
    reference."""

    reasons: str
    approved_by: str
    approval_reference: str


class ObjectionPublic(BaseModel):
    id: int
    record_id: int | None
    entry_id: int | None
    department: str
    ground: str
    reasons: str
    status: str
    filed_at: datetime
    due: date
    due_official: bool
    overdue: bool
    extended: bool
    extension: ExtensionOut | None = Field(
        default=None,
        description="The extension's reasons and approval (null: not extended, or extended"
        " before the approval was kept)",
    )
    outcome: str | None
    outcome_reasons: str | None
    challenge: ChallengeOut | None = None
    paused_since: date | None = Field(
        default=None, description="Since when testing or expert review stops the clock"
    )
    pause_kind: str | None = None
    paused_working_days: int = Field(
        default=0, description="Working days the deadlines moved by earlier pauses, in all"
    )

    @classmethod
    def from_domain(cls, o: Objection, today: date) -> ObjectionPublic:
        due = o.due()
        return cls(
            id=o.id or 0,
            record_id=o.record_id,
            entry_id=o.entry_id,
            department=o.department,
            ground=o.ground,
            reasons=o.reasons,
            status=o.status.value,
            filed_at=o.filed_at,
            due=due.day,
            due_official=due.official,
            overdue=o.is_overdue_on(today),
            extended=o.extended,
            extension=(
                ExtensionOut(
                    reasons=e.reasons,
                    approved_by=e.approved_by,
                    approval_reference=e.approval_reference,
                )
                if (e := o.extension)
                else None
            ),
            outcome=o.outcome,
            outcome_reasons=o.outcome_reasons,
            challenge=(
                ChallengeOut(
                    kind=c.kind, reference=c.reference, at=c.at, concluded_at=c.concluded_at
                )
                if (c := o.challenge)
                else None
            ),
            paused_since=o.paused_since,
            pause_kind=o.pause_kind,
            paused_working_days=o.paused_working_days,
        )


class EvidenceOut(BaseModel):
    """An evidence file of a case: its name as the person gave it, its type and SHA-256."""

    id: int
    filename: str
    content_type: str
    sha256: str

    @classmethod
    def from_domain(cls, f: evidence.EvidenceFile) -> EvidenceOut:
        return cls(id=f.id, filename=f.filename, content_type=f.content_type, sha256=f.sha256)


#: How an evidence file's content is described in the schema.
EVIDENCE_CONTENT = {
    200: {
        "description": "The file as the person added it",
        "content": {kind: {} for _, kind in evidence.KINDS},
    }
}


def evidence_download(found: tuple[evidence.EvidenceFile, bytes]) -> Response:
    """An evidence file as a download under the name the person gave it."""
    file, content = found
    return Response(content, media_type=file.content_type, headers=attachment(file.filename))


class ObjectionChallenge(BaseModel):
    kind: str = Field(
        max_length=16, description=f"One of: {', '.join(CHALLENGE_KINDS)}", examples=["litigation"]
    )
    reference: str = Field(
        max_length=MAX_CHALLENGE_REFERENCE,
        description="The case number the reconsideration body or the court gave",
        examples=["（2026）京0105行初123号"],
    )


class ObjectionExtension(BaseModel):
    reasons: str = Field(
        min_length=1,
        max_length=MAX_EXTENSION_REASONS,
        description="Why the source department needs more time",
        examples=["需调取原始执法案卷核对，两个工作日内无法完成"],
    )
    approved_by: str = Field(
        min_length=1,
        max_length=MAX_APPROVED_BY,
        description="Who approved the extension: the approving official or body",
        examples=["北京市市场监督管理局法制处"],
    )
    approval_reference: str = Field(
        min_length=1,
        max_length=MAX_APPROVAL_REFERENCE,
        description="The approval's reference, e.g. its document number",
        examples=["京市监法〔2026〕15号"],
    )


class ObjectionPause(BaseModel):
    kind: str = Field(
        max_length=16, description=f"One of: {', '.join(PAUSE_KINDS)}", examples=["testing"]
    )


class ObjectionDecision(BaseModel):
    outcome: str = Field(max_length=24)
    reasons: str = Field(max_length=20000)


Person = Annotated[ApiKey, caller(Scope.ME)]
OnBehalfOf = Annotated[
    int | None,
    Query(ge=1, le=2**63 - 1, description="A principal's subject id, for an agent"),
]
Objections = Annotated[ApiKey, caller(Scope.OBJECTIONS_MANAGE)]
Forwarding = Annotated[ApiKey, caller(Scope.OBJECTIONS_FORWARD)]


@router.get("/me/objections")
def my_objections(
    uow: UowDep, today: TodayDep, key: Person, on_behalf_of: OnBehalfOf = None
) -> list[ObjectionPublic]:
    """Your objections, with their status and the deadline that runs now."""
    subject_id = accounts.acting_for(uow, key, on_behalf_of)
    return [
        ObjectionPublic.from_domain(o, today) for o in objections.objections_of(uow, subject_id)
    ]


@router.post("/me/objections", status_code=201)
def object_to(
    body: ObjectionCreate,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    key: Person,
    on_behalf_of: OnBehalfOf = None,
) -> ObjectionPublic:
    """Object to a record or a list entry. It is marked "under objection" at once, everywhere,
    and routed to its source department with working-day deadlines."""
    subject_id = accounts.acting_for(uow, key, on_behalf_of)
    objection = objections.file_objection(
        uow,
        policy,
        subject_id=subject_id,
        record_id=body.record_id,
        entry_id=body.entry_id,
        ground=body.ground,
        reasons=body.reasons,
        actor=key.actor,
    )
    return ObjectionPublic.from_domain(objection, today)


async def receive_evidence(
    case_type: CaseType,
    case_id: int,
    file: UploadFile,
    uow: UnitOfWork,
    key: ApiKey,
    on_behalf_of: int | None,
) -> dict[str, object]:
    """Keep an uploaded evidence file (at most `MAX_EVIDENCE_BYTES`) with the caller's case."""
    content = await file.read(MAX_EVIDENCE_BYTES + 1)
    if len(content) > MAX_EVIDENCE_BYTES:
        raise Invalid(f"file: larger than {MAX_EVIDENCE_BYTES} bytes")
    subject_id = await run_in_threadpool(accounts.acting_for, uow, key, on_behalf_of)
    evidence_id = await run_in_threadpool(
        evidence.add_evidence,
        uow,
        case_type,
        case_id,
        subject_id=subject_id,
        filename=(file.filename or "evidence")[:200],
        content=content,
        actor=key.actor,
    )
    return {"id": evidence_id, "bytes": len(content)}


@router.post("/me/objections/{objection_id}/evidence", status_code=201)
async def add_evidence(
    objection_id: DbId,
    file: UploadFile,
    uow: UowDep,
    key: Person,
    on_behalf_of: OnBehalfOf = None,
) -> dict[str, object]:
    """Add an evidence file (at most 5 MB: a PDF, PNG or JPEG file) to one of your objections
    while it is undecided; it is kept with the case."""
    return await receive_evidence(CaseType.OBJECTION, objection_id, file, uow, key, on_behalf_of)


@router.get("/objections")
def objection_queue(uow: UowDep, today: TodayDep, key: Objections) -> list[ObjectionPublic]:
    """Open objections (a department sees those routed to it), most urgent first; `overdue`
    marks the ones past their working-day deadline."""
    cases = objections.objection_queue(uow, department=key.department)
    return [ObjectionPublic.from_domain(o, today) for o in cases]


@router.get("/objections/{objection_id}/evidence")
def objection_files(objection_id: DbId, uow: UowDep, key: Objections) -> list[EvidenceOut]:
    """The evidence files of an objection routed to you (the centre: any objection)."""
    files = evidence.case_files(
        uow, CaseType.OBJECTION, objection_id, department=key.department, actor=key.actor
    )
    return [EvidenceOut.from_domain(f) for f in files]


@router.get(
    "/objections/{objection_id}/evidence/{evidence_id}",
    response_class=Response,
    responses=EVIDENCE_CONTENT,  # type: ignore[arg-type]
)
def objection_file(objection_id: DbId, evidence_id: DbId, uow: UowDep, key: Objections) -> Response:
    """One evidence file of an objection routed to you, as the person added it; every read is
    audited."""
    found = evidence.read_evidence(
        uow,
        CaseType.OBJECTION,
        objection_id,
        evidence_id,
        department=key.department,
        actor=key.actor,
    )
    return evidence_download(found)


@router.post("/objections/{objection_id}/forwarding")
def forward(
    objection_id: DbId, uow: UowDep, policy: PolicyDep, today: TodayDep, key: Forwarding
) -> ObjectionPublic:
    """The centre's check is done: the source department decides within its deadline."""
    o = objections.forward_objection(
        uow, policy, objection_id, department=key.department, actor=key.actor
    )
    return ObjectionPublic.from_domain(o, today)


@router.post("/objections/{objection_id}/extension")
def extend(
    objection_id: DbId,
    body: ObjectionExtension,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    key: Objections,
) -> ObjectionPublic:
    """With approval, the source department gets more working days, once: the body states why,
    who approved it and the approval's reference, which the objection keeps (`extension`)."""
    o = objections.extend_objection(
        uow,
        policy,
        objection_id,
        reasons=body.reasons,
        approved_by=body.approved_by,
        approval_reference=body.approval_reference,
        department=key.department,
        actor=key.actor,
    )
    return ObjectionPublic.from_domain(o, today)


@router.post("/objections/{objection_id}/pause")
def pause(
    objection_id: DbId,
    body: ObjectionPause,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    key: Objections,
) -> ObjectionPublic:
    """Testing or expert review begins: the deadline that runs stands still (whoever holds the
    case: the centre while it checks, the source department once forwarded)."""
    o = objections.pause_objection(
        uow, policy, objection_id, kind=body.kind, department=key.department, actor=key.actor
    )
    return ObjectionPublic.from_domain(o, today)


@router.post("/objections/{objection_id}/resumption")
def resume(
    objection_id: DbId, uow: UowDep, policy: PolicyDep, today: TodayDep, key: Objections
) -> ObjectionPublic:
    """Testing or expert review is over: the deadline moves by the working days it took, which
    are not counted."""
    o = objections.resume_objection(
        uow, policy, objection_id, department=key.department, actor=key.actor
    )
    return ObjectionPublic.from_domain(o, today)


@router.post("/objections/{objection_id}/challenge")
def challenge(
    objection_id: DbId,
    body: ObjectionChallenge,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    key: Forwarding,
) -> ObjectionPublic:
    """The person took the decision to administrative reconsideration or to court (the credit
    centre records it): the item is marked "under objection" again in every output until the
    final decision is recorded (`POST .../decision`)."""
    o = objections.challenge_objection(
        uow,
        policy,
        objection_id,
        kind=body.kind,
        reference=body.reference,
        department=key.department,
        actor=key.actor,
    )
    return ObjectionPublic.from_domain(o, today)


@router.post("/objections/{objection_id}/decision")
def decide(
    objection_id: DbId,
    body: ObjectionDecision,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    key: Objections,
) -> ObjectionPublic:
    """Correct, supplement, stop display, remove from list, or reject with written reasons.
    The mark is lifted and every party that received the item is told (the feed). A challenged
    decision's final outcome is recorded here too."""
    o = objections.decide_objection(
        uow,
        policy,
        objection_id,
        outcome=body.outcome,
        reasons=body.reasons,
        department=key.department,
        actor=key.actor,
    )
    return ObjectionPublic.from_domain(o, today)
