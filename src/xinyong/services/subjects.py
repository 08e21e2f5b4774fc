"""Subjects: who a record is about. Finding a subject by number, recording who answers for an
organisation (representative, responsible person, controller), and the identity-review queue
for submissions whose name or birth date disagree with what is known."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.catalog import SubjectType
from xinyong.domain.checks import ChangeKind
from xinyong.domain.errors import Conflict, Invalid, NotFound
from xinyong.domain.identifiers import InvalidIdentifier, parse_citizen_id, parse_credit_code
from xinyong.domain.subjects import (
    IdentityConflict,
    IdentityReview,
    ReviewResolution,
    Role,
    RoleKind,
    Subject,
)

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork
    from xinyong.services.records import NewRecord


class SubjectRepository(Protocol):
    def prepare(self, numbers: Mapping[str, SubjectType]) -> None:
        """Compute these numbers' stored identities (sealed, keyed hashes) now, before the
        write transaction begins; `find_by_numbers` and `add_many` use them."""
        ...

    def find_by_numbers(self, numbers: Collection[str]) -> dict[str, Subject]: ...
    def get_by_number(self, number: str) -> Subject | None: ...
    def get(self, subject_id: int) -> Subject: ...
    def lock(self, subject_id: int) -> None:
        """Hold the subject until the transaction ends: a second use case that holds them too
        waits, then reads what the first committed (two proposals about one person)."""
        ...

    def get_many(self, subject_ids: Collection[int]) -> dict[int, Subject]:
        """The subjects with these ids, by id (ids that do not exist are absent)."""
        ...

    def keys_of(self, subject_ids: Collection[int]) -> dict[int, int]:
        """The key each subject's queries and feed items are filed under (`feed.key_of`), as
        stored beside it: nothing to open."""
        ...

    def persons_born(self, region_code: str, year: int) -> list[Subject]:
        """Persons whose number was issued in this region and who were born in this year (what
        a masked number shows of them)."""
        ...

    def add_many(self, subjects: Sequence[Subject], *, at: datetime) -> None:
        """Store new subjects and set their ids."""
        ...

    def add_role(self, role: Role) -> None: ...
    def roles_of(self, subject_id: int) -> list[Role]: ...


class IdentityReviewRepository(Protocol):
    def add(
        self,
        *,
        subject_id: int,
        record_id: int | None,
        conflict: IdentityConflict,
        at: datetime,
        other_subject_id: int | None = None,
        pending: NewRecord | None = None,
        registration_id: int | None = None,
    ) -> int:
        """Open a review about a record, or (`record_id` None) about the registration
        `registration_id`; `pending` is a resubmission held in it (under `other_subject_id`)."""
        ...

    def apply_pending(self, review_id: int, *, at: datetime) -> None:
        """Apply the resubmission the review holds to its record (the old version is kept)."""
        ...

    def pending_rows(self, record_ids: Collection[int], batch_id: int) -> dict[int, int]:
        """Of these records, those an open review holds a resubmission for from batch
        `batch_id`: each record's id, and the first row of the batch it holds."""
        ...

    def list(
        self, *, status: str | None = "open", limit: int = 100, offset: int = 0
    ) -> list[IdentityReview]: ...
    def get(self, review_id: int) -> IdentityReview: ...
    def of_subject(self, subject_id: int) -> Sequence[IdentityReview]:
        """Every review a person's file carries: about their record, or about a document
        resubmitted naming them (`other_subject_id`), oldest first."""
        ...

    def resolve(
        self, review_id: int, *, resolution: ReviewResolution, note: str, by: str, at: datetime
    ) -> None: ...


def find_subject(uow: UnitOfWork, number: str, kind: SubjectType) -> Subject:
    """The stored subject with this number; the number never appears in the error."""
    try:
        if kind is SubjectType.PERSON:
            normalised = parse_citizen_id(number).number
        else:
            normalised = parse_credit_code(number).code
    except InvalidIdentifier as exc:
        what = "citizen ID number" if kind is SubjectType.PERSON else "unified social credit code"
        raise Invalid(f"subject: not a valid {what}: {exc.reason}") from None
    subject = uow.subjects.get_by_number(normalised)
    if subject is None or subject.kind is not kind:
        raise NotFound(f"subject: no {kind.value} with that number has any record here")
    return subject


def record_role(
    uow: UnitOfWork,
    *,
    organisation: str,
    person: str,
    kind: RoleKind,
    since: date,
    until: date | None,
    actor: str,
) -> Role:
    """Record that a known person holds a role in a known organisation from `since`."""
    try:
        organisation_code = parse_credit_code(organisation).code
    except InvalidIdentifier as exc:
        raise Invalid(
            f"organisation: not a valid unified social credit code: {exc.reason}"
        ) from None
    try:
        person_number = parse_citizen_id(person).number
    except InvalidIdentifier as exc:
        raise Invalid(f"person: not a valid citizen ID number: {exc.reason}") from None
    if until is not None and until < since:
        raise Invalid("until: is before since")
    with uow:
        found = uow.subjects.find_by_numbers({organisation_code, person_number})
        org, who = found.get(organisation_code), found.get(person_number)
        if org is None or org.kind is not SubjectType.ORGANISATION or org.id is None:
            raise NotFound("no organisation with that credit code is known")
        if who is None or who.kind is not SubjectType.PERSON or who.id is None:
            raise NotFound("no person with that citizen ID number is known")
        role = Role(org.id, who.id, kind, since, until)
        key = (role.organisation_id, role.kind, role.since)
        if any((r.organisation_id, r.kind, r.since) == key for r in uow.subjects.roles_of(who.id)):
            raise Conflict("that role is already recorded from that day")
        uow.subjects.add_role(role)
        # A check for this person must now see the organisation's listings that reach them.
        uow.changes.append(ChangeKind.ROLE, subject_id=who.id, entity_id=org.id, at=uow.now())
        uow.audit.add(
            AuditEvent(
                EventTag.ROLE_RECORDED,
                actor,
                "subject",
                str(org.id),
                uow.now(),
                subject_id=who.id,
                data={"kind": kind.value, "since": since.isoformat()},
            )
        )
        uow.commit()
    return role


def roles_of(uow: UnitOfWork, subject_id: int) -> list[Role]:
    """The roles a person holds, or that are held in an organisation."""
    with uow:
        uow.subjects.get(subject_id)  # NotFound for an unknown subject
        return uow.subjects.roles_of(subject_id)


def list_identity_reviews(
    uow: UnitOfWork, *, status: str | None = "open", limit: int = 100, offset: int = 0
) -> list[IdentityReview]:
    with uow:
        return uow.reviews.list(status=status, limit=limit, offset=offset)
