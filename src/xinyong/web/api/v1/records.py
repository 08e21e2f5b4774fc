"""Records: submit one, read one, revoke one (the decision behind it was revoked or varied)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Response
from pydantic import BaseModel, ConfigDict, Field

from xinyong.domain.access import Scope
from xinyong.domain.identifiers import mask_citizen_id
from xinyong.domain.keys import ApiKey
from xinyong.domain.records import CreditRecord, Outcome
from xinyong.services import records
from xinyong.web.api.v1.subjects import SubjectRef
from xinyong.web.deps import DbId, PolicyDep, UowDep, caller, department_of

router = APIRouter(prefix="/records", tags=["records"])


RECORD_EXAMPLE: dict[str, Any] = {
    "item": "ADM-PEN-01",
    "document_number": "京市监罚〔2026〕1024号",
    "subject_id": "11010519491231002X",
    "subject_name": "王秀英",
    "decision_date": "2026-03-02",
    "authority_name": "北京市市场监督管理局",
    "authority_uscc": "11110000000021135M",
    "penalty_type": "fine",
    "procedure": "ordinary",
    "violation": "销售过期食品",
    "legal_provision": "《中华人民共和国食品安全法》第一百二十四条",
    "fine_amount": "5000.00",
}


class RecordSubmission(BaseModel):
    """One record, flat: the common fields plus its catalog item's data items by name."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [RECORD_EXAMPLE]})

    item: str = Field(description="Catalog item code, e.g. ADM-PEN-01")
    document_number: str = Field(description="Number of the document with legal effect (文书号)")
    subject_id: str = Field(description="Citizen ID number or unified social credit code")
    subject_name: str
    decision_date: str = Field(description="YYYY-MM-DD")
    authority_name: str
    authority_uscc: str
    birth_date: str | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    consent_reference: str | None = None


class RecordPublic(BaseModel):
    id: int
    department: str
    document_number: str
    item: str
    catalog_version: str
    subject: SubjectRef
    status: str
    #: Marked "under objection" (异议处理中) while an objection to it is open, or its decision
    #: was taken to reconsideration or to court.
    under_objection: bool
    severity: str | None
    published: bool
    decision_date: date
    display_ends: date | None
    repair_from: date | None
    retention_ends: date | None
    publish_by: date | None
    publish_by_official: bool  # false: counted Monday to Friday until the official calendar is out
    authority_name: str
    fields: dict[str, Any]
    batch_id: int | None
    received_at: datetime
    updated_at: datetime
    revoked_at: datetime | None
    revocation_reason: str | None
    withdraw_by: date | None
    #: False: `withdraw_by` is counted Monday to Friday until the official calendar is out.
    withdraw_by_official: bool | None

    @classmethod
    def from_domain(cls, record: CreditRecord, subject_number: str) -> RecordPublic:
        return cls(
            id=record.id,
            department=record.department,
            document_number=record.document_number,
            item=record.item_code,
            catalog_version=record.catalog_version,
            subject=SubjectRef(id=record.subject_id, masked_number=mask_citizen_id(subject_number)),
            status=record.status.value,
            under_objection=record.under_objection,
            severity=record.severity,
            published=record.published,
            decision_date=record.decision_date,
            display_ends=record.display_ends,
            repair_from=record.repair_from,
            retention_ends=record.retention_ends,
            publish_by=record.publish_by,
            publish_by_official=record.publish_by_official,
            authority_name=record.authority_name,
            fields=record.fields,
            batch_id=record.batch_id,
            received_at=record.received_at,
            updated_at=record.updated_at,
            revoked_at=record.revoked_at,
            revocation_reason=record.revocation_reason,
            withdraw_by=record.withdraw_by.day if record.withdraw_by else None,
            withdraw_by_official=record.withdraw_by.official if record.withdraw_by else None,
        )


class RecordStored(BaseModel):
    outcome: Outcome
    held_for_identity_review: bool
    record: RecordPublic


class Revocation(BaseModel):
    reason: str = Field(
        min_length=5, max_length=2000, description="Why: the revoking or varying decision"
    )


Writer = Annotated[ApiKey, caller(Scope.RECORDS_WRITE)]
Reader = Annotated[ApiKey, caller(Scope.RECORDS_READ)]


@router.post(
    "",
    status_code=201,
    responses={
        200: {
            "description": "The record existed: updated, unchanged, or held (the resubmission"
            " names another person: an identity review decides)"
        }
    },
)
def submit_record(
    body: Annotated[
        RecordSubmission, Body(openapi_examples={"penalty": {"value": RECORD_EXAMPLE}})
    ],
    response: Response,
    uow: UowDep,
    policy: PolicyDep,
    key: Writer,
) -> RecordStored:
    """Submit one record. The row is checked against its catalog item; every bad field is named."""
    raw: dict[str, Any] = body.model_dump(exclude_unset=True)
    stored = records.submit_record(uow, policy, raw, department=department_of(key), actor=key.actor)
    if stored.outcome is not Outcome.ACCEPTED:
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/records/{stored.record.id}"
    return RecordStored(
        outcome=stored.outcome,
        held_for_identity_review=stored.held_for_review,
        record=RecordPublic.from_domain(stored.record, stored.subject_number),
    )


@router.get("/{record_id}")
def read_record(record_id: DbId, uow: UowDep, key: Reader) -> RecordPublic:
    """Read one of your department's records (credit-centre keys read any)."""
    record, number = records.get_record(uow, record_id, department=key.department)
    return RecordPublic.from_domain(record, number)


@router.post("/{record_id}/revocation")
def revoke_record(
    record_id: DbId, body: Revocation, uow: UowDep, policy: PolicyDep, key: Writer
) -> RecordPublic:
    """Withdraw a record because the decision behind it was revoked or varied. The listings
    resting on it end at once (checks stop returning their measures), and every party that
    received it is told to withdraw its copy by the working day in `withdraw_by` (counted again
    when the official calendar covers it, if `withdraw_by_official` is false)."""
    record, number = records.revoke_record(
        uow, policy, record_id, department=key.department, reason=body.reason, actor=key.actor
    )
    return RecordPublic.from_domain(record, number)
