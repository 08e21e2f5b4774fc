"""Lists: the list types (policy), and the entries and their procedure."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from xinyong.domain.access import Scope
from xinyong.domain.errors import NotFound
from xinyong.domain.keys import ApiKey
from xinyong.domain.lists import ListEntry, ListType
from xinyong.domain.subjects import Subject
from xinyong.services import accounts, decided_lists, documents, list_proposals
from xinyong.services import lists as listing
from xinyong.services.lists import EntryView
from xinyong.web.api.v1.subjects import SubjectRef
from xinyong.web.deps import DbId, PlatformDep, PolicyDep, TodayDep, UowDep, caller

router = APIRouter(tags=["lists and measures"])


class ListTypePublic(BaseModel):
    code: str
    name_zh: str
    name_en: str
    kind: str
    subject_type: str
    serious_field: str | None
    legal_basis: list[str]
    criteria: list[str]
    decided_by: str
    period_rule: str
    period_months: int | None
    max_extension_months: int | None
    defence_working_days: int
    removal_working_days: int
    exit_grounds: list[str]
    remedies: list[str]
    source_items: list[str]
    published: bool
    refusable: bool
    proposed_by_kinds: list[str] = Field(
        description="Kinds of department competent to propose it (platform-run lists)"
    )
    min_basis_severity: str | None = Field(
        description="The lightest severity class a record grounding a proposal may have"
    )

    @classmethod
    def from_domain(cls, t: ListType) -> ListTypePublic:
        return cls(
            code=t.code,
            name_zh=t.name_zh,
            name_en=t.name_en,
            kind=t.kind.value,
            subject_type=t.subject_type.value,
            serious_field=t.serious_field.value if t.serious_field else None,
            legal_basis=list(t.legal_basis),
            criteria=list(t.criteria),
            decided_by=t.decided_by.value,
            period_rule=t.period_rule.value,
            period_months=t.period_months,
            max_extension_months=t.max_extension_months,
            defence_working_days=t.defence_working_days,
            removal_working_days=t.removal_working_days,
            exit_grounds=list(t.exit_grounds),
            remedies=list(t.remedies),
            source_items=sorted(t.source_items),
            published=t.published,
            refusable=t.refusable,
            proposed_by_kinds=sorted(t.proposer_kinds),
            min_basis_severity=t.min_basis_severity.value if t.min_basis_severity else None,
        )


class ProposalCreate(BaseModel):
    """A proposal to list a subject on a platform-run list, on the records it rests on."""

    list_type: str = Field(max_length=40, description="List type code, e.g. FOOD-DRUG-SERIOUS")
    subject: str = Field(max_length=40, description="Citizen ID number or credit code")
    grounds: str = Field(max_length=4000)
    basis_records: list[int] = Field(min_length=1, max_length=100)


class DecidedListingCreate(BaseModel):
    """A listing a court or another authority decided, to be recorded on its list."""

    list_type: str = Field(max_length=40)
    subject: str = Field(max_length=40)
    grounds: str = Field(max_length=4000)
    decided_on: date
    months: int | None = Field(default=None, ge=1, le=600)


class DefenceCreate(BaseModel):
    text: str = Field(max_length=20000)


class DecisionCreate(BaseModel):
    reasons: str = Field(max_length=20000)
    months: int | None = Field(
        default=None, ge=1, le=600, description="Listing period; default the list's own"
    )


class ExitCreate(BaseModel):
    ground: str = Field(max_length=40, description="One of the list type's exit grounds")
    note: str = Field(default="", max_length=4000)


class ListEntryPublic(BaseModel):
    id: int
    list_type: str
    list_name_zh: str
    list_name_en: str
    subject: SubjectRef
    state: str
    department: str | None
    grounds: str
    basis_records: list[int]
    proposed_at: datetime | None
    noticed_on: date | None
    defence_deadline: date | None
    defence_deadline_official: bool | None
    defence: str | None
    decided_on: date | None
    decision_reasons: str | None
    ends_on: date | None
    published_on: date | None
    exited_on: date | None
    exit_ground: str | None
    under_objection: bool
    ground: str | None
    deletion_ground: str | None
    deletion_arose_on: date | None
    deletion_due: date | None
    deletion_overdue: bool

    @classmethod
    def from_domain(
        cls, entry: ListEntry, subject: Subject, department: str | None, *, today: date
    ) -> ListEntryPublic:
        deadline = entry.defence_deadline
        return cls(
            id=entry.id or 0,
            list_type=entry.list_type.code,
            list_name_zh=entry.list_type.name_zh,
            list_name_en=entry.list_type.name_en,
            subject=SubjectRef(id=subject.id or 0, masked_number=subject.masked_number()),
            state=entry.state.value,
            department=department,
            grounds=entry.grounds,
            basis_records=list(entry.basis_records),
            proposed_at=entry.proposed_at,
            noticed_on=entry.noticed_on,
            defence_deadline=deadline.day if deadline else None,
            defence_deadline_official=deadline.official if deadline else None,
            defence=entry.defence,
            decided_on=entry.decided_on,
            decision_reasons=entry.decision_reasons,
            ends_on=entry.ends_on,
            published_on=entry.published_on,
            exited_on=entry.exited_on,
            exit_ground=entry.exit_ground,
            under_objection=entry.under_objection,
            ground=entry.ground,
            deletion_ground=entry.deletion_ground,
            deletion_arose_on=entry.deletion_arose_on,
            deletion_due=entry.deletion_due.day if entry.deletion_due else None,
            deletion_overdue=entry.is_deletion_overdue_on(today),
        )

    @classmethod
    def from_view(cls, view: EntryView, today: date) -> ListEntryPublic:
        return cls.from_domain(view.entry, view.subject, view.department, today=today)


Reader = Annotated[ApiKey, caller(Scope.LISTS_READ)]
Writer = Annotated[ApiKey, caller(Scope.LISTS_WRITE)]


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


@router.post("/lists/proposals", status_code=201)
def propose(
    body: ProposalCreate, uow: UowDep, policy: PolicyDep, today: TodayDep, key: Writer
) -> ListEntryPublic:
    """Propose a listing on a platform-run list, on the subject's records it rests on.

    Refused for a minor, without a legal basis or records, and for lists a court or authority
    decides (record those with `POST /lists/decided`); 403 (audited) for a department whose
    kind is not among the list's `proposed_by_kinds`; 422 for a basis record lighter than the
    list's `min_basis_severity` or named twice; 409 beside an open entry of the person on the
    list, whose id the problem details carry as `open_entry`.
    """
    view = list_proposals.propose(
        uow,
        policy,
        list_code=body.list_type,
        subject_number=body.subject,
        grounds=body.grounds,
        basis_records=body.basis_records,
        department=key.department,
        actor=key.actor,
    )
    return ListEntryPublic.from_view(view, today)


@router.post("/lists/decided", status_code=201)
def record_decided(
    body: DecidedListingCreate, uow: UowDep, policy: PolicyDep, today: TodayDep, key: Writer
) -> ListEntryPublic:
    """Record a listing that a court or another authority decided; it applies at once."""
    view = decided_lists.record_decided(
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
    return ListEntryPublic.from_view(view, today)


@router.get("/lists/entries/{entry_id}")
def show_entry(
    entry_id: DbId, uow: UowDep, policy: PolicyDep, today: TodayDep, key: Reader
) -> ListEntryPublic:
    """One entry and where its procedure stands (a department sees its own entries)."""
    return ListEntryPublic.from_view(
        listing.get_entry(uow, policy, entry_id, department=key.department, actor=key.actor),
        today,
    )


@router.get("/subjects/{subject_id}/list-entries", tags=["subjects"])
def entries_of_subject(
    subject_id: DbId, uow: UowDep, policy: PolicyDep, today: TodayDep, key: Reader
) -> list[ListEntryPublic]:
    """Every entry about one subject, in any state."""
    views = listing.entries_of(uow, policy, subject_id)
    return [
        ListEntryPublic.from_view(v, today) for v in views if key.department in (None, v.department)
    ]


@router.post("/lists/entries/{entry_id}/notice")
def serve_notice(
    entry_id: DbId, uow: UowDep, policy: PolicyDep, today: TodayDep, key: Writer
) -> ListEntryPublic:
    """Serve the prior notice (with the repair notice); the defence window starts today."""
    return ListEntryPublic.from_view(
        listing.serve_notice(uow, policy, entry_id, department=key.department, actor=key.actor),
        today,
    )


@router.post("/lists/entries/{entry_id}/defence")
def state_defence(
    entry_id: DbId,
    body: DefenceCreate,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    key: Writer,
) -> ListEntryPublic:
    """Record the person's defence or objection, received within the window."""
    return ListEntryPublic.from_view(
        listing.state_defence(
            uow, policy, entry_id, body.text, department=key.department, actor=key.actor
        ),
        today,
    )


@router.post("/lists/entries/{entry_id}/decision")
def decide(
    entry_id: DbId,
    body: DecisionCreate,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    key: Writer,
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
    return ListEntryPublic.from_view(view, today)


@router.post("/lists/entries/{entry_id}/publication")
def publish(
    entry_id: DbId, uow: UowDep, policy: PolicyDep, today: TodayDep, key: Writer
) -> ListEntryPublic:
    """Publish a decided listing (published lists only)."""
    return ListEntryPublic.from_view(
        listing.publish(uow, policy, entry_id, department=key.department, actor=key.actor),
        today,
    )


@router.post("/lists/entries/{entry_id}/exit")
def end_listing(
    entry_id: DbId, body: ExitCreate, uow: UowDep, policy: PolicyDep, today: TodayDep, key: Writer
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
    return ListEntryPublic.from_view(view, today)


@router.post("/lists/entries/{entry_id}/withdrawal")
def withdraw(
    entry_id: DbId, uow: UowDep, policy: PolicyDep, today: TodayDep, key: Writer
) -> ListEntryPublic:
    """Withdraw a proposal before any decision."""
    return ListEntryPublic.from_view(
        listing.withdraw(uow, policy, entry_id, department=key.department, actor=key.actor),
        today,
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
    platform: PlatformDep,
    key: Reader,
    format: Annotated[Literal["html", "pdf"], Query()] = "html",
) -> Response:
    """The prior notice (with the repair notice) or the listing decision, as HTML or PDF."""
    doc = await run_in_threadpool(
        documents.document_of, uow, policy, entry_id, department=key.department, actor=key.actor
    )
    render = (
        documents.render_notice_html if document == "notice" else documents.render_decision_html
    )
    html = render(doc)
    if format == "html":
        return Response(html, media_type="text/html; charset=utf-8")
    pdf = await run_in_threadpool(documents.html_to_pdf, html, platform.printer())
    filename = f"{document}-{entry_id}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


class ExtensionCreate(BaseModel):
    months: int = Field(ge=1, le=600, description="The listing's length in all, from its decision")
    decided_on: date = Field(description="When the deciding authority decided the extension")


class DeletionGroundCreate(BaseModel):
    ground: str = Field(max_length=40, description="One of the list's exit grounds")
    arose_on: date = Field(description="The day the ground arose (performance, settlement, …)")


@router.post("/lists/entries/{entry_id}/extension")
def extend(
    entry_id: DbId,
    body: ExtensionCreate,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    key: Writer,
) -> ListEntryPublic:
    """Record an extension the deciding authority decided (a court: one to three more years),
    also after the fact; checks follow the new period at once."""
    view = decided_lists.extend_listing(
        uow,
        policy,
        entry_id,
        months=body.months,
        decided_on=body.decided_on,
        department=key.department,
        actor=key.actor,
    )
    return ListEntryPublic.from_view(view, today)


@router.post("/lists/entries/{entry_id}/deletion-ground")
def note_deletion_ground(
    entry_id: DbId,
    body: DeletionGroundCreate,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    key: Writer,
) -> ListEntryPublic:
    """Record that a deletion ground arose: the deciding authority must delete the listing within
    the list's working days of that day (`deletion_due`); past it, `deletion_overdue` says so."""
    view = decided_lists.note_deletion_ground(
        uow,
        policy,
        entry_id,
        ground=body.ground,
        arose_on=body.arose_on,
        department=key.department,
        actor=key.actor,
    )
    return ListEntryPublic.from_view(view, today)


Person = Annotated[ApiKey, caller(Scope.ME)]
OnBehalfOf = Annotated[
    int | None,
    Query(ge=1, le=2**63 - 1, description="A principal's subject id, for an agent"),
]


@router.get("/me/list-entries")
def my_entries(
    uow: UowDep, policy: PolicyDep, today: TodayDep, key: Person, on_behalf_of: OnBehalfOf = None
) -> list[ListEntryPublic]:
    """Every list entry about you, in any state: proposals with their defence window, listings
    in force, and good-credit entries you may refuse."""
    subject_id = accounts.acting_for(uow, key, on_behalf_of)
    return [
        ListEntryPublic.from_view(v, today) for v in listing.entries_of(uow, policy, subject_id)
    ]


@router.post("/me/list-entries/{entry_id}/defence")
def state_my_defence(
    entry_id: DbId,
    body: DefenceCreate,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    key: Person,
    on_behalf_of: OnBehalfOf = None,
) -> ListEntryPublic:
    """State your defence or objection to a listing proposed about you, before the window the
    notice opened closes (`defence_deadline`); the department reads it before it decides."""
    subject_id = accounts.acting_for(uow, key, on_behalf_of)
    view = listing.state_own_defence(
        uow, policy, entry_id, body.text, subject_id=subject_id, actor=key.actor
    )
    return ListEntryPublic.from_view(view, today)


@router.post("/me/list-entries/{entry_id}/refusal")
def refuse_entry(
    entry_id: DbId,
    uow: UowDep,
    policy: PolicyDep,
    today: TodayDep,
    key: Person,
    on_behalf_of: OnBehalfOf = None,
) -> ListEntryPublic:
    """Refuse a good-credit entry about you (an honour, volunteering, a donation; the list type
    says `refusable`): it ends today and its rewards stop at once."""
    subject_id = accounts.acting_for(uow, key, on_behalf_of)
    view = listing.refuse_entry(uow, policy, entry_id, subject_id=subject_id, actor=key.actor)
    return ListEntryPublic.from_view(view, today)
