"""Publication: what the law makes public, as the public sees it (de-identified)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from xinyong.domain.catalog import SubjectType
from xinyong.domain.identifiers import mask_name
from xinyong.domain.policy import Policy

if TYPE_CHECKING:
    from xinyong.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class PublishedRecord:
    """A record as the public sees it: a person's name and number de-identified."""

    id: int
    item: str
    item_name_zh: str
    subject_name: str
    subject_number: str
    department: str
    document_number: str
    decision_date: date
    shown_until: date | None
    under_objection: bool


def published(
    uow: UnitOfWork, policy: Policy, day: date, *, item: str | None, limit: int, offset: int
) -> list[PublishedRecord]:
    """Published records shown on `day`, newest first, de-identified (docs/domain.md §11)."""
    with uow:
        found = uow.records.published(day, item=item, limit=limit, offset=offset)
        names = {d.code: d.name for d in uow.departments.list()}
    out: list[PublishedRecord] = []
    for record, subject in found:
        catalog_item = policy.catalog.get(record.item_code)
        person = subject.kind is SubjectType.PERSON
        out.append(
            PublishedRecord(
                id=record.id,
                item=record.item_code,
                item_name_zh=catalog_item.name_zh if catalog_item else record.item_code,
                subject_name=mask_name(subject.name) if person else subject.name,
                subject_number=subject.masked_number(),
                department=names.get(record.department, record.department),
                document_number=record.document_number,
                decision_date=record.decision_date,
                shown_until=record.display_ends,
                under_objection=record.under_objection,
            )
        )
    return out
