"""Subjects: recording who answers for an organisation (representative, responsible, controller)."""

from __future__ import annotations

from datetime import date

from xinyong.domain.audit import AuditEvent, EventTag
from xinyong.domain.catalog import SubjectType
from xinyong.domain.errors import Conflict, Invalid, NotFound
from xinyong.domain.identifiers import InvalidIdentifier, parse_citizen_id, parse_credit_code
from xinyong.domain.subjects import Role, RoleKind
from xinyong.services.ports import UnitOfWork


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
        uow.changes.append("role", subject_id=who.id, entity_id=org.id, at=uow.now())
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
