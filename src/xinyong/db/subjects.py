"""Subjects, the roles persons hold in organisations, and identity reviews."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    column,
    insert,
    or_,
    select,
    table,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from xinyong.db.base import Base, among, in_chunks, record_reference, subject_of_record
from xinyong.db.types import BigId, Sealed, SealedJson, UTCDateTime
from xinyong.domain import vault
from xinyong.domain.catalog import SubjectType
from xinyong.domain.errors import NotFound
from xinyong.domain.subjects import (
    IdentityConflict,
    IdentityReview,
    ReviewResolution,
    ReviewStatus,
    Role,
    RoleKind,
    Subject,
)
from xinyong.services.records import NewRecord


class SubjectRow(Base):
    """A person or organisation; one row per citizen ID number or credit code."""

    __tablename__ = "subjects"
    __pii_columns__: ClassVar[set[str]] = {"number", "name", "birth_date"}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    #: The number sealed (docs/at-rest.md); found by `number_hash`, its keyed hash.
    number: Mapped[str] = mapped_column(Sealed)
    number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The keyed 62-bit key of the index, the query log and the feed (domain/vault.py).
    subject_key: Mapped[int] = mapped_column(BigInteger, index=True)
    #: A person's keyed hash of the published (masked) form, for the public search.
    masked_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(8))
    region_code: Mapped[str | None] = mapped_column(String(6))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("kind IN ('person', 'organisation')", name="kind"),)


class SubjectRoleRow(Base):
    """A person's role in an organisation (legal representative, responsible person, controller)."""

    __tablename__ = "subject_roles"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (UniqueConstraint("organisation_id", "person_id", "kind", "since"),)


class IdentityReviewRow(Base):
    """A submission whose name or birth date conflicts with the known subject, held for review:
    a record, or a registration whose verified name is not the one held for its number."""

    __tablename__ = "identity_reviews"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    record_id: Mapped[int | None] = mapped_column(BigId, index=True)
    #: The record's subject (its key on PostgreSQL, docs/scale.md): `subject_id` until a review
    #: finds the record is another person's, then theirs.
    record_subject_id: Mapped[int | None] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(16))
    known_value: Mapped[str] = mapped_column(String(200))
    submitted_value: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)
    resolution: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    #: A resubmission naming another person: that person, and the held resubmission itself
    #: (applied if the review finds the record is theirs).
    other_subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"), index=True)
    pending: Mapped[dict[str, Any] | None] = mapped_column(SealedJson)
    #: A registration whose account waits for the review (no record then: one or the other).
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id"), index=True)

    __table_args__ = (
        record_reference("record_subject_id", "record_id"),
        CheckConstraint("(record_id IS NULL) = (record_subject_id IS NULL)", name="record_subject"),
        CheckConstraint("(record_id IS NULL) <> (registration_id IS NULL)", name="about"),
    )


def number_hash(number: str) -> str:
    """The keyed hash a subject's number is looked up by."""
    return vault.current().digest(number)


def masked_hash(number: str) -> str:
    """The keyed hash of a person's number as published: the birth month and day hidden."""
    return vault.current().digest(number[:10] + number[14:], purpose="masked")


def identity_values(kind: str, number: str) -> dict[str, Any]:
    """The stored identity of a subject: its number sealed, and its keyed hashes and key."""
    organisation = kind == SubjectType.ORGANISATION.value
    return {
        "number": number,
        "number_hash": number_hash(number),
        "subject_key": vault.current().subject_key(number, organisation=organisation),
        "masked_hash": None if organisation else masked_hash(number),
    }


#: `subjects` for inserting identities sealed beforehand (`prepare`): `number` written as given.
_PRESEALED = table(
    "subjects",
    *(column(name) for name in ("kind", "number", "number_hash", "subject_key", "masked_hash")),
    *(column(name) for name in ("name", "sex", "region_code")),
    column("birth_date", Date()),
    column("created_at", UTCDateTime()),
)


class SqlSubjectRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        #: Stored identities (number sealed, keyed hashes) computed by `prepare`, by number.
        self._identities: dict[str, dict[str, Any]] = {}

    def prepare(self, numbers: Mapping[str, SubjectType]) -> None:
        self._identities = {
            number: {
                **identity_values(kind.value, number),
                "number": vault.current().seal(number),
            }
            for number, kind in numbers.items()
        }

    def _identity(self, kind: str, number: str) -> dict[str, Any]:
        found = self._identities.get(number)
        if found is None:
            found = {**identity_values(kind, number), "number": vault.current().seal(number)}
        return found

    def _hash(self, number: str) -> str:
        found = self._identities.get(number)
        return str(found["number_hash"]) if found is not None else number_hash(number)

    @staticmethod
    def _to_domain(row: SubjectRow) -> Subject:
        return Subject(
            id=row.id,
            kind=SubjectType(row.kind),
            number=row.number,
            name=row.name,
            birth_date=row.birth_date,
            sex=row.sex,
            region_code=row.region_code,
        )

    def find_by_numbers(self, numbers: Collection[str]) -> dict[str, Subject]:
        # Found by keyed hash, so the numbers are known: none is unsealed (a batch looks up
        # thousands), and no ORM object is built for them.
        by_hash = {self._hash(n): n for n in set(numbers)}
        out: dict[str, Subject] = {}
        columns = (
            SubjectRow.number_hash,
            SubjectRow.id,
            SubjectRow.kind,
            SubjectRow.name,
            SubjectRow.birth_date,
            SubjectRow.sex,
            SubjectRow.region_code,
        )
        for among_hashes in among(self.session, SubjectRow.number_hash, sorted(by_hash)):
            query = select(*columns).where(among_hashes)
            for digest, subject_id, kind, name, born, sex, region in self.session.execute(query):
                number = by_hash[digest]
                out[number] = Subject(
                    id=subject_id,
                    kind=SubjectType(kind),
                    number=number,
                    name=name,
                    birth_date=born,
                    sex=sex,
                    region_code=region,
                )
        return out

    def get_by_number(self, number: str) -> Subject | None:
        query = select(SubjectRow).where(SubjectRow.number_hash == number_hash(number))
        row = self.session.scalar(query)
        return self._to_domain(row) if row else None

    def persons_born(self, region_code: str, year: int) -> list[Subject]:
        rows = self.session.scalars(
            select(SubjectRow).where(
                SubjectRow.kind == "person",
                SubjectRow.region_code == region_code,
                SubjectRow.birth_date.between(date(year, 1, 1), date(year, 12, 31)),
            )
        )
        return [self._to_domain(row) for row in rows]

    def get(self, subject_id: int) -> Subject:
        row = self.session.get(SubjectRow, subject_id)
        if row is None:
            raise NotFound(f"subject {subject_id} does not exist")
        return self._to_domain(row)

    def lock(self, subject_id: int) -> None:
        # SQLite has one writer at a time: FOR UPDATE is PostgreSQL's (not rendered on SQLite).
        self.session.execute(
            select(SubjectRow.id).where(SubjectRow.id == subject_id).with_for_update()
        )

    def get_many(self, subject_ids: Collection[int]) -> dict[int, Subject]:
        out: dict[int, Subject] = {}
        for part in in_chunks(sorted(set(subject_ids))):
            for row in self.session.scalars(select(SubjectRow).where(SubjectRow.id.in_(part))):
                out[row.id] = self._to_domain(row)
        return out

    def keys_of(self, subject_ids: Collection[int]) -> dict[int, int]:
        out: dict[int, int] = {}
        for among_ids in among(self.session, SubjectRow.id, sorted(set(subject_ids))):
            query = select(SubjectRow.id, SubjectRow.subject_key).where(among_ids)
            out.update((int(i), int(k)) for i, k in self.session.execute(query))
        return out

    def add_many(self, subjects: Sequence[Subject], *, at: datetime) -> None:
        if not subjects:
            return
        values = [
            {
                "kind": s.kind.value,
                **self._identity(s.kind.value, s.number),
                "name": s.name,
                "birth_date": s.birth_date,
                "sex": s.sex,
                "region_code": s.region_code,
                "created_at": at,
            }
            for s in subjects
        ]
        # A plain executemany, then one query for the ids: RETURNING row by row is far slower.
        self.session.execute(insert(_PRESEALED), values)
        ids = self._ids_of([s.number for s in subjects])
        for subject in subjects:
            subject.id = ids[subject.number]

    def _ids_of(self, numbers: Sequence[str]) -> dict[str, int]:
        by_hash = {self._hash(n): n for n in numbers}
        out: dict[str, int] = {}
        for among_hashes in among(self.session, SubjectRow.number_hash, sorted(by_hash)):
            query = select(SubjectRow.number_hash, SubjectRow.id).where(among_hashes)
            for digest, subject_id in self.session.execute(query):
                out[by_hash[digest]] = subject_id
        return out

    def add_role(self, role: Role) -> None:
        self.session.add(
            SubjectRoleRow(
                organisation_id=role.organisation_id,
                person_id=role.person_id,
                kind=role.kind.value,
                since=role.since,
                until=role.until,
            )
        )
        self.session.flush()

    def roles_of(self, subject_id: int) -> list[Role]:
        rows = self.session.scalars(
            select(SubjectRoleRow).where(
                (SubjectRoleRow.person_id == subject_id)
                | (SubjectRoleRow.organisation_id == subject_id)
            )
        )
        return [
            Role(r.organisation_id, r.person_id, RoleKind(r.kind), r.since, r.until) for r in rows
        ]


class SqlIdentityReviewRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @staticmethod
    def _to_domain(row: IdentityReviewRow) -> IdentityReview:
        return IdentityReview(
            id=row.id,
            subject_id=row.subject_id,
            record_id=row.record_id,
            kind=row.kind,
            known_value=row.known_value,
            submitted_value=row.submitted_value,
            status=ReviewStatus(row.status),
            created_at=row.created_at,
            resolution=ReviewResolution(row.resolution) if row.resolution else None,
            note=row.note,
            other_subject_id=row.other_subject_id,
            registration_id=row.registration_id,
        )

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
        from xinyong.db.records import pending_values  # records import this module's rows

        row = IdentityReviewRow(
            subject_id=subject_id,
            record_id=record_id,
            record_subject_id=subject_of_record(record_id),
            kind=conflict.kind.value,
            known_value=conflict.known,
            submitted_value=conflict.submitted,
            status=ReviewStatus.OPEN.value,
            created_at=at,
            other_subject_id=other_subject_id,
            pending=pending_values(pending, at) if pending is not None else None,
            registration_id=registration_id,
        )
        self.session.add(row)
        self.session.flush()
        return row.id

    def list(
        self, *, status: str | None = "open", limit: int = 100, offset: int = 0
    ) -> list[IdentityReview]:
        query = select(IdentityReviewRow).order_by(IdentityReviewRow.id)
        if status:
            query = query.where(IdentityReviewRow.status == status)
        rows = self.session.scalars(query.limit(limit).offset(offset))
        return [self._to_domain(r) for r in rows]

    def of_subject(self, subject_id: int) -> Sequence[IdentityReview]:
        rows = self.session.scalars(
            select(IdentityReviewRow)
            .where(
                or_(
                    IdentityReviewRow.subject_id == subject_id,
                    IdentityReviewRow.other_subject_id == subject_id,
                )
            )
            .order_by(IdentityReviewRow.id)
        )
        return [self._to_domain(r) for r in rows]

    def get(self, review_id: int) -> IdentityReview:
        row = self.session.get(IdentityReviewRow, review_id)
        if row is None:
            raise NotFound(f"identity review {review_id} does not exist")
        return self._to_domain(row)

    def pending_rows(self, record_ids: Collection[int], batch_id: int) -> dict[int, int]:
        r = IdentityReviewRow
        out: dict[int, int] = {}
        for among_ids in among(self.session, r.record_id, sorted(record_ids)):
            query = select(r.record_id, r.pending).where(
                among_ids, r.status == ReviewStatus.OPEN.value, r.pending.is_not(None)
            )
            for record_id, pending in self.session.execute(query):
                # The resubmission's stored values (`db/records.py pending_values`).
                if pending and pending.get("batch_id") == batch_id:
                    row = int(pending["source_row"])
                    out[record_id] = min(row, out.get(record_id, row))
        return out

    def apply_pending(self, review_id: int, *, at: datetime) -> None:
        """Apply the resubmission a review held: the record takes its content and subject, and
        the version it replaces is kept as a revision."""
        from xinyong.db.records import SqlRecordRepository

        row = self.session.get(IdentityReviewRow, review_id)
        if row is None or row.pending is None or row.record_id is None:
            raise NotFound(f"identity review {review_id} holds no resubmission")
        SqlRecordRepository(self.session).replace_with(row.record_id, row.pending, at=at)

    def resolve(
        self, review_id: int, *, resolution: ReviewResolution, note: str, by: str, at: datetime
    ) -> None:
        row = self.session.get(IdentityReviewRow, review_id)
        if row is None:
            raise NotFound(f"identity review {review_id} does not exist")
        row.status = ReviewStatus.RESOLVED.value
        row.resolution = resolution.value
        row.note = note
        row.resolved_by = by
        row.resolved_at = at
        self.session.flush()
