"""Subjects: persons (by citizen ID number) and organisations (by unified social credit code)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from xinyong.domain.catalog import SubjectType


class RoleKind(StrEnum):
    """How a person answers for an organisation (docs/domain.md §7: measures may reach them)."""

    LEGAL_REPRESENTATIVE = "legal_representative"
    PRINCIPAL_RESPONSIBLE = "principal_responsible"
    ACTUAL_CONTROLLER = "actual_controller"


@dataclass(slots=True)
class Subject:
    """A person or organisation that credit information is about. One number, one subject."""

    id: int | None
    kind: SubjectType
    number: str
    name: str
    birth_date: date | None = None
    sex: str | None = None
    region_code: str | None = None

    def __repr__(self) -> str:
        return f"Subject(id={self.id}, kind={self.kind.value}, number=…{self.number[-4:]})"

    def age_on(self, day: date) -> int | None:
        """Full years of age on `day` (None for an organisation or an unknown birth date)."""
        if self.birth_date is None:
            return None
        return full_years(self.birth_date, day)

    def masked_number(self) -> str:
        """What outputs show: a person's number masked, an organisation's code (public) whole."""
        # Imported here, not above: RoleKind types an option of the command line, and `--help`
        # should not load python-stdnum and the calendar, which identifiers needs.
        from xinyong.domain.identifiers import mask_citizen_id

        if self.kind is SubjectType.PERSON:
            return mask_citizen_id(self.number)
        return self.number


@dataclass(frozen=True, slots=True)
class Role:
    """A person's role in an organisation, over a period."""

    organisation_id: int
    person_id: int
    kind: RoleKind
    since: date
    until: date | None = None

    def is_current_on(self, day: date) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)


class IdentityConflictKind(StrEnum):
    NAME = "name"
    BIRTH_DATE = "birth_date"
    #: A resubmitted document names another person than the record it updates is about.
    SUBJECT = "subject"
    #: The number's region code is in no table of codes that ever existed: the record is
    #: accepted and shown, and staff confirm the number (docs/identifiers.md).
    REGION = "region"


@dataclass(frozen=True, slots=True)
class IdentityConflict:
    """A submission that disagrees with what is known of the subject with that number."""

    kind: IdentityConflictKind
    known: str
    submitted: str


def _fold_name(name: str) -> str:
    return "".join(name.split()).replace("·", "").replace("•", "").casefold()


def names_agree(one: str, other: str) -> bool:
    """Whether two names are the same name, spaces and middle dots aside (买买提·艾力 and
    买买提艾力): the one comparison of names, for records and registrations alike."""
    return _fold_name(one) == _fold_name(other)


def find_identity_conflict(
    known: Subject, *, name: str, birth_date: date | None
) -> IdentityConflict | None:
    """Return how a submission conflicts with the known subject, or None if it agrees.

    Names are compared without spaces and middle dots, so 买买提·艾力 and 买买提艾力 agree.
    A birth date is compared only when the submission states one.
    """
    if not names_agree(known.name, name):
        return IdentityConflict(IdentityConflictKind.NAME, known.name, name)
    if birth_date is not None and known.birth_date is not None and birth_date != known.birth_date:
        return IdentityConflict(
            IdentityConflictKind.BIRTH_DATE, known.birth_date.isoformat(), birth_date.isoformat()
        )
    return None


class ReviewStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class ReviewResolution(StrEnum):
    SAME_PERSON = "same_person"  # the held record is released to the subject
    DIFFERENT_PERSON = "different_person"  # the record stays withheld


@dataclass(frozen=True, slots=True)
class IdentityReview:
    """A held submission waiting for a person to decide who it is about: a record (`record_id`),
    or a registration whose verified name is not the one the platform holds for its number
    (`registration_id`: its account waits; "same person" opens it, "different person" refuses
    it)."""

    id: int
    subject_id: int
    record_id: int | None
    kind: str
    known_value: str
    submitted_value: str
    status: ReviewStatus
    created_at: datetime
    resolution: ReviewResolution | None = None
    note: str | None = None
    #: For a document resubmitted under another person: that person (whose file is marked too).
    other_subject_id: int | None = None
    #: For a registration held by a name conflict: the registration whose account waits.
    registration_id: int | None = None

    @property
    def is_open(self) -> bool:
        return self.status is ReviewStatus.OPEN

    @property
    def holds_record(self) -> bool:
        """Whether the record waits for the review; a region flag leaves it in force."""
        return self.kind != IdentityConflictKind.REGION.value

    @property
    def moves_subject(self) -> bool:
        """Deciding "different person" moves the record to `other_subject_id`."""
        return self.kind == IdentityConflictKind.SUBJECT.value


def coming_of_age(born: date, years: int) -> date:
    """The first day on which someone born on `born` is `years` old, as `Subject.age_on` counts:
    the birthday `years` later; for someone born on 29 February, 1 March in a common year."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February, and that year has none
        return date(born.year + years, 3, 1)


def full_years(born: date, day: date) -> int:
    """Age in full years on `day` of someone born on `born`: one more on each birthday (a
    29 February birthday falls on 1 March in other years). The one age rule: of a subject, and
    of a citizen ID number's birth date (`identifiers.CitizenId.age_on`)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
