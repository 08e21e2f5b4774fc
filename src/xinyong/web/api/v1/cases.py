"""The other side of the person's rights: objection and repair queues for the departments and
the credit centre, agency queries under authorisation, the feed, and the public listing."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request

from xinyong.domain.access import ApiKey, Scope
from xinyong.services import rights
from xinyong.services.ports import business_date
from xinyong.web.api.v1.me import objection_public, repair_public
from xinyong.web.deps import PUBLIC, DbId, PolicyDep, UowDep, caller, department_of
from xinyong.web.schemas import (
    AgencyAnswerPublic,
    AgencyEntry,
    AgencyQueryCreate,
    AgencyRecord,
    FeedItemPublic,
    ObjectionDecision,
    ObjectionPublic,
    PublicRecord,
    RepairDecision,
    RepairPublic,
)

router = APIRouter(tags=["objections, repairs, agencies, feed"])

Objections = Annotated[ApiKey, caller(Scope.OBJECTIONS_MANAGE)]
Repairs = Annotated[ApiKey, caller(Scope.REPAIRS_MANAGE)]


def _today(request: Request) -> date:
    return business_date(request.app.state.clock())


@router.get("/objections")
def objection_queue(uow: UowDep, request: Request, key: Objections) -> list[ObjectionPublic]:
    """Open objections (a department sees those routed to it), most urgent first; `overdue`
    marks the ones past their working-day deadline."""
    today = _today(request)
    cases = rights.objection_queue(uow, department=key.department)
    return [objection_public(o, today) for o in cases]


@router.post("/objections/{objection_id}/forwarding")
def forward(
    objection_id: DbId, uow: UowDep, policy: PolicyDep, request: Request, key: Objections
) -> ObjectionPublic:
    """The centre's check is done: the source department decides within its deadline."""
    o = rights.forward(uow, policy, objection_id, department=key.department, actor=key.actor)
    return objection_public(o, _today(request))


@router.post("/objections/{objection_id}/extension")
def extend(
    objection_id: DbId, uow: UowDep, policy: PolicyDep, request: Request, key: Objections
) -> ObjectionPublic:
    """With approval, the source department gets more working days, once."""
    o = rights.extend(uow, policy, objection_id, department=key.department, actor=key.actor)
    return objection_public(o, _today(request))


@router.post("/objections/{objection_id}/decision")
def decide(
    objection_id: DbId,
    body: ObjectionDecision,
    uow: UowDep,
    policy: PolicyDep,
    request: Request,
    key: Objections,
) -> ObjectionPublic:
    """Correct, supplement, stop display, remove from list, or reject with written reasons.
    The mark is lifted and every party that received the item is told (the feed)."""
    o = rights.decide(
        uow,
        policy,
        objection_id,
        outcome=body.outcome,
        reasons=body.reasons,
        department=key.department,
        actor=key.actor,
    )
    return objection_public(o, _today(request))


@router.get("/repairs")
def repair_queue(uow: UowDep, request: Request, key: Repairs) -> list[RepairPublic]:
    """Open repair applications routed to this department, the nearest deadline first."""
    today = _today(request)
    return [repair_public(r, today) for r in rights.repair_queue(uow, department=key.department)]


@router.post("/repairs/{repair_id}/acceptance")
def accept_repair(repair_id: DbId, uow: UowDep, request: Request, key: Repairs) -> RepairPublic:
    """Take up a complete application (due within the acceptance deadline, in working days)."""
    r = rights.accept_repair(uow, repair_id, department=key.department, actor=key.actor)
    return repair_public(r, _today(request))


@router.post("/repairs/{repair_id}/decision")
def decide_repair(
    repair_id: DbId,
    body: RepairDecision,
    uow: UowDep,
    policy: PolicyDep,
    request: Request,
    key: Repairs,
) -> RepairPublic:
    """Decide a repair. Success stops publication, sharing and measures at once; the record is
    kept as repaired (not deleted), and every recipient is told."""
    r = rights.decide_repair(
        uow,
        policy,
        repair_id,
        repaired=body.repaired,
        reasons=body.reasons,
        department=key.department,
        actor=key.actor,
    )
    return repair_public(r, _today(request))


@router.post("/agency/queries")
def agency_query(
    body: AgencyQueryCreate,
    uow: UowDep,
    policy: PolicyDep,
    key: Annotated[ApiKey, caller(Scope.AGENCY_QUERY)],
) -> AgencyAnswerPublic:
    """Query a person's non-public information under their live authorisation. Without one the
    query is refused (403); either way it is logged and the person sees it in their report."""
    answer = rights.agency_query(
        uow, policy, caller=key, number=body.subject, purpose=body.purpose, scope=body.scope
    )
    return AgencyAnswerPublic(
        query=answer.query_id,
        authorisation=answer.authorisation.id or 0,
        subject=answer.subject.masked_number(),
        records=[
            AgencyRecord(
                id=r.id,
                item=r.item_code,
                department=r.department,
                document_number=r.document_number,
                decision_date=r.decision_date,
                shown_until=r.display_ends,
                under_objection=r.under_objection,
            )
            for r in answer.records
        ],
        entries=[
            AgencyEntry(
                id=e.id or 0,
                list_type=e.list_type.code,
                decided_on=e.decided_on,
                ends_on=e.ends_on,
                under_objection=e.under_objection,
            )
            for e in answer.entries
        ],
    )


@router.get("/feed")
def feed(
    uow: UowDep,
    key: Annotated[ApiKey, caller(Scope.FEED_READ)],
    after: Annotated[int, Query(ge=0, le=2**63 - 1, description="The last seq you have")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[FeedItemPublic]:
    """What became of items you received (checks, queries): under objection, corrected,
    revoked, repaired, expired — in order. Keep the last `seq` and ask again after it."""
    items = rights.feed(uow, recipient=department_of(key), after=after, limit=limit)
    return [
        FeedItemPublic(
            seq=i.seq or 0,
            kind=i.kind,
            entity_type=i.entity_type,
            entity_id=i.entity_id,
            detail=i.detail,
            at=i.at,
        )
        for i in items
    ]


@router.get("/public/records", **PUBLIC)
def public_records(
    uow: UowDep,
    policy: PolicyDep,
    request: Request,
    item: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[PublicRecord]:
    """Published records shown today, de-identified (name and number masked), newest first.
    A record under objection says so."""
    found = rights.published(uow, policy, _today(request), item=item, limit=limit, offset=offset)
    return [PublicRecord.model_validate(r, from_attributes=True) for r in found]
