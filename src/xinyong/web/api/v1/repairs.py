"""Repair: the person applies; the department that made the finding accepts and decides."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, UploadFile
from pydantic import BaseModel, Field

from xinyong.domain.access import Scope
from xinyong.domain.keys import ApiKey
from xinyong.domain.repairs import Repair
from xinyong.services import accounts, evidence, repairs
from xinyong.services.evidence import CaseType
from xinyong.web.api.v1.objections import (
    EVIDENCE_CONTENT,
    EvidenceOut,
    evidence_download,
    receive_evidence,
)
from xinyong.web.deps import DbId, PolicyDep, TodayDep, UowDep, caller

router = APIRouter(tags=["repairs"])


class RepairCreate(BaseModel):
    record_id: int = Field(ge=1, le=2**63 - 1)
    obligations_performed: bool
    commitment: str = Field(max_length=20000, description="Your signed credit commitment")


class RepairMaterials(BaseModel):
    """What an application that lacks materials is given: both conditions, as now met."""

    obligations_performed: bool
    commitment: str = Field(max_length=20000, description="Your signed credit commitment")


class RepairPublic(BaseModel):
    id: int
    record_id: int | None
    department: str
    status: str
    missing: list[str]
    applied_at: datetime
    accept_due: date
    accept_due_official: bool  # false: counted Monday to Friday until the official calendar is out
    feedback_due: date
    feedback_due_official: bool
    overdue: bool
    reasons: str | None

    @classmethod
    def from_domain(cls, r: Repair, today: date) -> RepairPublic:
        return cls(
            id=r.id or 0,
            record_id=r.record_id,
            department=r.department,
            status=r.status.value,
            missing=list(r.missing),
            applied_at=r.applied_at,
            accept_due=r.accept_due.day,
            accept_due_official=r.accept_due.official,
            feedback_due=r.feedback_due.day,
            feedback_due_official=r.feedback_due.official,
            overdue=r.is_overdue_on(today),
            reasons=r.reasons,
        )


class RepairDecision(BaseModel):
    repaired: bool
    reasons: str = Field(max_length=20000)


Person = Annotated[ApiKey, caller(Scope.ME)]
OnBehalfOf = Annotated[
    int | None,
    Query(ge=1, le=2**63 - 1, description="A principal's subject id, for an agent"),
]
Repairs = Annotated[ApiKey, caller(Scope.REPAIRS_MANAGE)]


@router.get("/repairs")
def repair_queue(uow: UowDep, today: TodayDep, key: Repairs) -> list[RepairPublic]:
    """Open repair applications routed to this department, the nearest deadline first."""
    cases = repairs.repair_queue(uow, department=key.department)
    return [RepairPublic.from_domain(r, today) for r in cases]


@router.get("/repairs/{repair_id}/evidence")
def repair_files(repair_id: DbId, uow: UowDep, key: Repairs) -> list[EvidenceOut]:
    """The evidence files of a repair application routed to you (the centre: any)."""
    files = evidence.case_files(
        uow, CaseType.REPAIR, repair_id, department=key.department, actor=key.actor
    )
    return [EvidenceOut.from_domain(f) for f in files]


@router.get(
    "/repairs/{repair_id}/evidence/{evidence_id}",
    response_class=Response,
    responses=EVIDENCE_CONTENT,  # type: ignore[arg-type]
)
def repair_file(repair_id: DbId, evidence_id: DbId, uow: UowDep, key: Repairs) -> Response:
    """One evidence file of a repair application routed to you, as the person added it; every
    read is audited."""
    found = evidence.read_evidence(
        uow, CaseType.REPAIR, repair_id, evidence_id, department=key.department, actor=key.actor
    )
    return evidence_download(found)


@router.post("/repairs/{repair_id}/acceptance")
def accept_repair(repair_id: DbId, uow: UowDep, today: TodayDep, key: Repairs) -> RepairPublic:
    """Take up a complete application (due within the acceptance deadline, in working days)."""
    r = repairs.accept_repair(uow, repair_id, department=key.department, actor=key.actor)
    return RepairPublic.from_domain(r, today)


@router.post("/repairs/{repair_id}/decision")
def decide_repair(
    repair_id: DbId,
    body: RepairDecision,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    key: Repairs,
) -> RepairPublic:
    """Decide a repair. Success stops publication, sharing and measures at once; the record is
    kept as repaired (not deleted), and every recipient is told."""
    r = repairs.decide_repair(
        uow,
        policy,
        repair_id,
        repaired=body.repaired,
        reasons=body.reasons,
        department=key.department,
        actor=key.actor,
    )
    return RepairPublic.from_domain(r, today)


@router.post("/me/repairs", status_code=201)
def apply_for_repair(
    body: RepairCreate,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    key: Person,
    on_behalf_of: OnBehalfOf = None,
) -> RepairPublic:
    """Apply to repair a negative record. Before the minimum display period it is refused with
    the date from which it is allowed; missing materials are listed all at once."""
    subject_id = accounts.acting_for(uow, key, on_behalf_of)
    repair = repairs.apply_for_repair(
        uow,
        policy,
        subject_id=subject_id,
        record_id=body.record_id,
        obligations_performed=body.obligations_performed,
        commitment=body.commitment,
        actor=key.actor,
    )
    return RepairPublic.from_domain(repair, today)


@router.post("/me/repairs/{repair_id}/materials")
def supply_materials(
    repair_id: DbId,
    body: RepairMaterials,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    key: Person,
    on_behalf_of: OnBehalfOf = None,
) -> RepairPublic:
    """Supply what one of your repair applications lacks (status `missing_materials`). Once
    nothing is missing it goes to the department that made the finding (`applied`), its
    deadlines counted from today; what is still missing is listed again, all at once. A new
    application for the same record is refused while this one lacks materials."""
    subject_id = accounts.acting_for(uow, key, on_behalf_of)
    repair = repairs.supply_materials(
        uow,
        policy,
        repair_id,
        subject_id=subject_id,
        obligations_performed=body.obligations_performed,
        commitment=body.commitment,
        actor=key.actor,
    )
    return RepairPublic.from_domain(repair, today)


@router.post("/me/repairs/{repair_id}/evidence", status_code=201)
async def add_evidence(
    repair_id: DbId,
    file: UploadFile,
    uow: UowDep,
    key: Person,
    on_behalf_of: OnBehalfOf = None,
) -> dict[str, object]:
    """Add an evidence file (at most 5 MB: a PDF, PNG or JPEG file) to one of your repair
    applications while it is undecided: the proof that the obligations were performed, for
    one. It is kept with the case for the department that decides it."""
    return await receive_evidence(CaseType.REPAIR, repair_id, file, uow, key, on_behalf_of)
