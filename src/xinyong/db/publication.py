"""The read side of publication: published records and listings, filtered and paged in SQL.

The display rule is `db/records.py displayable_on` (proven equal to the domain's); a published
listing is shown on a day when it was decided by then and its period has not ended
(`ListEntry.is_in_force_on` for the `published` state; tests/integration/test_publication.py
compares the two). On a list with a public notice it is also shown during the notice, before it
binds: being shown then is the notice (docs/lists-and-measures.md, "Lists with a public notice").
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from xinyong.db.lists import ListEntryRow, _entry
from xinyong.db.records import CreditRecordRow, SqlRecordRepository, displayable_on
from xinyong.db.subjects import SqlSubjectRepository, SubjectRow, number_hash
from xinyong.domain import vault
from xinyong.domain.catalog import SubjectType
from xinyong.domain.lists import EntryState, ListEntry, ListType
from xinyong.domain.publication import SearchTerm, TermKind
from xinyong.domain.records import CreditRecord
from xinyong.domain.subjects import Subject


def _subject_filter(term: SearchTerm | None, region: str | None) -> list[ColumnElement[bool]]:
    """The subject's side of a search: the term as published, and the province."""
    found: list[ColumnElement[bool]] = []
    if region is not None:
        found.append(SubjectRow.region_code.startswith(region, autoescape=True))
    if term is None:
        return found
    person = SubjectRow.kind == SubjectType.PERSON.value
    if term.kind is TermKind.MASKED_NUMBER:
        # Persons are found by the keyed hash of their published (masked) form.
        head, tail = term.masked_parts
        digest = vault.current().digest(head + tail, purpose="masked")
        found.append(and_(person, SubjectRow.masked_hash == digest))
    elif term.kind is TermKind.CREDIT_CODE:
        found.append(SubjectRow.number_hash == number_hash(term.value))
    else:
        surname, length = term.person_name
        found.append(
            or_(
                and_(
                    SubjectRow.kind == SubjectType.ORGANISATION.value,
                    SubjectRow.name.contains(term.value, autoescape=True),
                ),
                and_(
                    person,
                    SubjectRow.name.startswith(surname, autoescape=True),
                    func.length(SubjectRow.name) == length,
                )
                if surname
                else false(),
            )
        )
    return found


def _counted(session: Session, query: Select[Any, Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


class SqlPublicationQueries:
    def __init__(self, session: Session) -> None:
        self.session = session

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
        query = (
            select(CreditRecordRow, SubjectRow)
            .join(SubjectRow, SubjectRow.id == CreditRecordRow.subject_id)
            .where(
                CreditRecordRow.published.is_(True),
                displayable_on(day),
                CreditRecordRow.decision_date <= day,
                *_subject_filter(term, region),
            )
        )
        if items is not None:
            query = query.where(CreditRecordRow.item_code.in_(list(items)))
        total = _counted(self.session, query)
        page = (
            query.order_by(CreditRecordRow.decision_date.desc(), CreditRecordRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return total, [
            (SqlRecordRepository._to_domain(row), SqlSubjectRepository._to_domain(subject))
            for row, subject in self.session.execute(page)
        ]

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
        codes = list(lists)
        query = (
            select(ListEntryRow, SubjectRow)
            .join(SubjectRow, SubjectRow.id == ListEntryRow.subject_id)
            .where(
                ListEntryRow.list_code.in_(codes),
                ListEntryRow.state == EntryState.PUBLISHED.value,
                ListEntryRow.decided_on <= day,
                or_(ListEntryRow.ends_on.is_(None), ListEntryRow.ends_on > day),
                *_subject_filter(term, region),
            )
        )
        total = _counted(self.session, query)
        page = query.order_by(ListEntryRow.decided_on.desc(), ListEntryRow.id.desc())
        return total, [
            (
                _entry(row, lists),
                SqlSubjectRepository._to_domain(subject),
                row.department_code,
            )
            for row, subject in self.session.execute(page.limit(limit).offset(offset))
        ]
