"""Lists: the types and the measure registry (policy), and the entries and their procedure."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool

from xinyong.domain.access import ApiKey, Scope
from xinyong.domain.errors import NotFound
from xinyong.services import documents
from xinyong.services import lists as listing
from xinyong.services.lists import EntryView
from xinyong.web.deps import DbId, PolicyDep, UowDep, caller
from xinyong.web.schemas import (
    DecidedListingCreate,
    DecisionCreate,
    DefenceCreate,
    ExitCreate,
    ListEntryPublic,
    ListTypePublic,
    MeasurePublic,
    ProposalCreate,
)

router = APIRouter(tags=["lists and measures"])

Reader = Annotated[ApiKey, caller(Scope.LISTS_READ)]
Writer = Annotated[ApiKey, caller(Scope.LISTS_WRITE)]


def _public(view: EntryView) -> ListEntryPublic:
    return ListEntryPublic.from_domain(view.entry, view.subject, view.department)


@router.get("/lists/types")
def list_list_types(policy: PolicyDep, key: Reader) -> list[ListTypePublic]:
    """Every list type: its legal basis, criteria, period, exit grounds and who decides."""
    return [ListTypePublic.from_domain(t) for t in policy.list_types.values()]


@router.get("/lists/types/{code}")
def show_list_type(code: str, policy: PolicyDep, key: Reader) -> ListTypePublic:
    """One list type."""
    list_type = policy.list_types.get(code)
    if list_type is None:
        raise NotFound(f"no list type {code}")
    return ListTypePublic.from_domain(list_type)


@router.get("/measures")
def list_measures(
    policy: PolicyDep,
    key: Reader,
    matter: Annotated[
        str | None, Query(max_length=64, description="Only measures for this matter")
    ] = None,
) -> list[MeasurePublic]:
    """The measure registry: each reward or punishment, its legal basis, triggers and matters."""
    return [MeasurePublic.from_domain(m) for m in policy.registry.listing(matter)]


@router.post("/lists/proposals", status_code=201)
def propose(body: ProposalCreate, uow: UowDep, policy: PolicyDep, key: Writer) -> ListEntryPublic:
    """Propose a listing on a platform-run list, on the subject's records it rests on.

    Refused for a minor, without a legal basis or records, and for lists a court or authority
    decides (record those with `POST /lists/decided`).
    """
    view = listing.propose(
        uow,
        policy,
        list_code=body.list_type,
        subject_number=body.subject,
        grounds=body.grounds,
        basis_records=body.basis_records,
        department=key.department,
        actor=key.actor,
    )
    return _public(view)


@router.post("/lists/decided", status_code=201)
def record_decided(
    body: DecidedListingCreate, uow: UowDep, policy: PolicyDep, key: Writer
) -> ListEntryPublic:
    """Record a listing that a court or another authority decided; it applies at once."""
    view = listing.record_decided(
        uow,
        policy,
        list_code=body.list_type,
        subject_number=body.subject,
        grounds=body.grounds,
        decided_on=body.decided_on,
        months=body.months,
        department=key.department,
        actor=key.actor,
    )
    return _public(view)


@router.get("/lists/entries/{entry_id}")
def show_entry(entry_id: DbId, uow: UowDep, policy: PolicyDep, key: Reader) -> ListEntryPublic:
    """One entry and where its procedure stands (a department sees its own entries)."""
    return _public(listing.get_entry(uow, policy, entry_id, department=key.department))


@router.get("/subjects/{subject_id}/list-entries", tags=["subjects"])
def entries_of_subject(
    subject_id: DbId, uow: UowDep, policy: PolicyDep, key: Reader
) -> list[ListEntryPublic]:
    """Every entry about one subject, in any state."""
    views = listing.entries_of(uow, policy, subject_id)
    return [_public(v) for v in views if key.department in (None, v.department)]


@router.post("/lists/entries/{entry_id}/notice")
def serve_notice(entry_id: DbId, uow: UowDep, policy: PolicyDep, key: Writer) -> ListEntryPublic:
    """Serve the prior notice (with the repair notice); the defence window starts today."""
    return _public(
        listing.serve_notice(uow, policy, entry_id, department=key.department, actor=key.actor)
    )


@router.post("/lists/entries/{entry_id}/defence")
def state_defence(
    entry_id: DbId, body: DefenceCreate, uow: UowDep, policy: PolicyDep, key: Writer
) -> ListEntryPublic:
    """Record the person's defence or objection, received within the window."""
    return _public(
        listing.state_defence(
            uow, policy, entry_id, body.text, department=key.department, actor=key.actor
        )
    )


@router.post("/lists/entries/{entry_id}/decision")
def decide(
    entry_id: DbId, body: DecisionCreate, uow: UowDep, policy: PolicyDep, key: Writer
) -> ListEntryPublic:
    """Decide the listing, after the defence window has passed; checks see it at once."""
    view = listing.decide(
        uow,
        policy,
        entry_id,
        reasons=body.reasons,
        months=body.months,
        department=key.department,
        actor=key.actor,
    )
    return _public(view)


@router.post("/lists/entries/{entry_id}/publication")
def publish(entry_id: DbId, uow: UowDep, policy: PolicyDep, key: Writer) -> ListEntryPublic:
    """Publish a decided listing (published lists only)."""
    return _public(
        listing.publish(uow, policy, entry_id, department=key.department, actor=key.actor)
    )


@router.post("/lists/entries/{entry_id}/exit")
def end_listing(
    entry_id: DbId, body: ExitCreate, uow: UowDep, policy: PolicyDep, key: Writer
) -> ListEntryPublic:
    """End a listing on one of its exit grounds; the very next check no longer returns it."""
    view = listing.end_listing(
        uow,
        policy,
        entry_id,
        ground=body.ground,
        note=body.note,
        department=key.department,
        actor=key.actor,
    )
    return _public(view)


@router.post("/lists/entries/{entry_id}/withdrawal")
def withdraw(entry_id: DbId, uow: UowDep, policy: PolicyDep, key: Writer) -> ListEntryPublic:
    """Withdraw a proposal before any decision."""
    return _public(
        listing.withdraw(uow, policy, entry_id, department=key.department, actor=key.actor)
    )


@router.get(
    "/lists/entries/{entry_id}/{document}",
    response_class=Response,
    responses={
        200: {
            "content": {"text/html": {}, "application/pdf": {}},
            "description": "The document, as HTML or PDF",
        }
    },
)
async def download_document(
    entry_id: DbId,
    document: Literal["notice", "decision"],
    uow: UowDep,
    policy: PolicyDep,
    key: Reader,
    format: Annotated[Literal["html", "pdf"], Query()] = "html",
) -> Response:
    """The prior notice (with the repair notice) or the listing decision, as HTML or PDF."""
    doc = await run_in_threadpool(
        listing.document_of, uow, policy, entry_id, department=key.department
    )
    render = (
        documents.render_notice_html if document == "notice" else documents.render_decision_html
    )
    html = render(doc)
    if format == "html":
        return Response(html, media_type="text/html; charset=utf-8")
    pdf = await run_in_threadpool(documents.html_to_pdf, html)
    filename = f"{document}-{entry_id}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
