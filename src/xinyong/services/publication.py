"""Publication: what the law makes public, as the public sees it (de-identified), and the public
search over it (by name, masked number or credit code; by region, category and list type).

What is published: records marked published and displayable on the day (one rule,
`CreditRecord.is_displayable_on`), and listings in the `published` state and in force (one rule,
`ListEntry.is_in_force_on`) on lists the policy publishes. A person's name and number are masked;
a search matches them only as published (docs/domain.md §11, `domain/publication.py`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from xinyong.domain.catalog import SubjectType
from xinyong.domain.errors import Invalid
from xinyong.domain.identifiers import mask_name
from xinyong.domain.lists import ListEntry, ListKind, ListType
from xinyong.domain.policy import Policy
from xinyong.domain.publication import SearchTerm
from xinyong.domain.records import CreditRecord
from xinyong.domain.regions import provinces
from xinyong.domain.subjects import Subject

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
    item_name_en: str = ""
    category: str = ""


@dataclass(frozen=True, slots=True)
class PublishedListing:
    """A listing as the public sees it: the list, the subject de-identified, its period."""

    id: int
    list_code: str
    list_name_zh: str
    list_name_en: str
    kind: str
    subject_name: str
    subject_number: str
    department: str
    decided_on: date | None
    ends_on: date | None
    under_objection: bool


T = TypeVar("T", covariant=True)  # a page of records is a page of results


@dataclass(frozen=True, slots=True)
class ResultPage(Generic[T]):
    """One page of results, and how many there are in all."""

    items: tuple[T, ...]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


@dataclass(frozen=True, slots=True)
class SearchFilter:
    """What the public searches for: a term, a province (two digits), a catalog category, a list."""

    term: SearchTerm | None = None
    region: str | None = None
    category: str | None = None
    list_type: str | None = None


class PublicationQueries(Protocol):
    """The read side of publication: what is published on a day, filtered and paged."""

    def records(
        self,
        day: date,
        *,
        term: SearchTerm | None,
        region: str | None,
        items: Collection[str] | None,
        limit: int,
        offset: int,
    ) -> tuple[int, list[tuple[CreditRecord, Subject]]]:
        """(how many in all, this page) of published records shown on `day`, newest first."""
        ...

    def listings(
        self,
        day: date,
        *,
        term: SearchTerm | None,
        region: str | None,
        lists: Mapping[str, ListType],
        limit: int,
        offset: int,
    ) -> tuple[int, list[tuple[ListEntry, Subject, str | None]]]:
        """(how many in all, this page) of published listings in force on `day` on these lists,
        newest decision first, with their subjects and deciding departments."""
        ...


def published(
    uow: UnitOfWork, policy: Policy, day: date, *, item: str | None, limit: int, offset: int
) -> list[PublishedRecord]:
    """Published records shown on `day`, newest first, de-identified (docs/domain.md §11)."""
    with uow:
        found = uow.records.published(day, item=item, limit=limit, offset=offset)
        names = {d.code: d.name for d in uow.departments.list()}
    return [_record(policy, names, record, subject) for record, subject in found]


def _record(
    policy: Policy, names: dict[str, str], record: CreditRecord, subject: Subject
) -> PublishedRecord:
    catalog_item = policy.item_of(record)
    return PublishedRecord(
        id=record.id,
        item=record.item_code,
        item_name_zh=catalog_item.name_zh if catalog_item else record.item_code,
        subject_name=_public_name(subject),
        subject_number=subject.masked_number(),
        department=names.get(record.department, record.department),
        document_number=record.document_number,
        decision_date=record.decision_date,
        shown_until=record.display_ends,
        under_objection=record.under_objection,
        item_name_en=catalog_item.name_en if catalog_item else record.item_code,
        category=catalog_item.category.value if catalog_item else "",
    )


def _public_name(subject: Subject) -> str:
    return mask_name(subject.name) if subject.kind is SubjectType.PERSON else subject.name


def _check(policy: Policy, found: SearchFilter) -> None:
    """Refuse a filter naming what does not exist (the field named, never the value)."""
    if found.region is not None and found.region not in {p.code for p in provinces()}:
        raise Invalid("region: not a province-level region code")
    if found.category is not None and not _items_of(policy, found.category):
        raise Invalid("category: not a catalog category")
    if found.list_type is not None and found.list_type not in published_lists(policy):
        raise Invalid("list_type: not a published list")


def _items_of(policy: Policy, category: str) -> list[str]:
    """The codes of a category's items in every catalog version held: a record keeps the
    version it was accepted under, whose item a later version may have dropped."""
    return sorted(
        {i.code for c in policy.catalogs.values() for i in c if i.category.value == category}
    )


def published_lists(policy: Policy, kind: ListKind | None = None) -> list[str]:
    """The codes of the lists the policy publishes (of one kind), in the policy's order."""
    return [
        t.code
        for t in policy.list_types.values()
        if t.published and (kind is None or t.kind is kind)
    ]


def search_records(
    uow: UnitOfWork, policy: Policy, day: date, found: SearchFilter, *, page: int, size: int
) -> ResultPage[PublishedRecord]:
    """Published records matching the filter (its list type is ignored), a page at a time."""
    _check(policy, found)
    items = _items_of(policy, found.category) if found.category else None
    with uow:
        total, rows = uow.publication.records(
            day,
            term=found.term,
            region=found.region,
            items=items,
            limit=size,
            offset=(page - 1) * size,
        )
        names = {d.code: d.name for d in uow.departments.list()}
    records = tuple(_record(policy, names, record, subject) for record, subject in rows)
    return ResultPage(records, total, page, size)


def search_listings(
    uow: UnitOfWork,
    policy: Policy,
    day: date,
    found: SearchFilter,
    *,
    page: int,
    size: int,
    kind: ListKind | None = None,
) -> ResultPage[PublishedListing]:
    """Published listings in force matching the filter (its category is ignored): of its list
    type, else of every published list (of `kind`), a page at a time."""
    _check(policy, found)
    codes = [found.list_type] if found.list_type else published_lists(policy, kind)
    lists = {code: policy.list_types[code] for code in codes}
    with uow:
        total, rows = uow.publication.listings(
            day,
            term=found.term,
            region=found.region,
            lists=lists,
            limit=size,
            offset=(page - 1) * size,
        )
        names = {d.code: d.name for d in uow.departments.list()}
    listings = tuple(
        PublishedListing(
            id=entry.id or 0,
            list_code=entry.list_type.code,
            list_name_zh=entry.list_type.name_zh,
            list_name_en=entry.list_type.name_en,
            kind=entry.list_type.kind.value,
            subject_name=_public_name(subject),
            subject_number=subject.masked_number(),
            department=names.get(department or "", department or ""),
            decided_on=entry.decided_on,
            ends_on=entry.ends_on,
            under_objection=entry.under_objection,
        )
        for entry, subject, department in rows
    )
    return ResultPage(listings, total, page, size)
