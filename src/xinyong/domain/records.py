"""Credit records: decisions with legal effect about one subject, checked against the catalog."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from xinyong.domain.calendar import Deadline, business_date
from xinyong.domain.catalog import (
    COMMON_FIELDS,
    BannedFields,
    Catalog,
    CatalogItem,
    SubjectType,
    check_text,
    parse_date,
)
from xinyong.domain.departments import Department
from xinyong.domain.errors import Conflict, FieldProblem, RowRejected
from xinyong.domain.identifiers import (
    CitizenId,
    InvalidIdentifier,
    parse_citizen_id,
    parse_credit_code,
    redact_id_numbers,
)
from xinyong.domain.periods import Assessment, PeriodPolicy, archived_until, assess
from xinyong.domain.reasons import Refused

MAX_DOCUMENT_NUMBER = 100
MAX_NAME = 200
#: The longest field name a refusal repeats; a longer one (a header gone wrong) is cut short.
MAX_FIELD_NAME = 80


class RecordStatus(StrEnum):
    """Where a record stands. `under objection` is a separate mark, not a status."""

    ACTIVE = "active"
    IDENTITY_HOLD = "identity_hold"  # the identity submitted conflicts with what is known
    CORRECTED = "corrected"  # its display stopped by an upheld objection, for good
    REVOKED = "revoked"
    REPAIRED = "repaired"
    EXPIRED = "expired"


class Outcome(StrEnum):
    """What storing one submission did."""

    ACCEPTED = "accepted"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    #: The stored record was not changed but held: the resubmission names another person, and
    #: an identity review decides whom the document is about.
    HELD = "held"


_OPENING = str.maketrans(
    dict.fromkeys("[(【〖{［（｛", "〔") | dict.fromkeys("])】〗}］）｝", "〕")
)


def document_key(number: str) -> str:
    """The form of a document number that identifies it: compatibility characters folded
    (full-width letters, digits and brackets to their plain forms), spaces dropped, every kind
    of bracket around the year made one kind, Latin letters upper-case. So `京税强〔2025〕11号`,
    `京税强[2025]11号` and `京税强 （2025） 11号` are one document."""
    folded = "".join(unicodedata.normalize("NFKC", number).split())
    return folded.translate(_OPENING).upper()


@dataclass(frozen=True, slots=True)
class RecordKey:
    """A record is identified by who submitted it and its document number's key."""

    department: str
    document_key: str


@dataclass(slots=True)
class Submission:
    """One row that passed the catalog gate, with the periods computed at acceptance."""

    row: int
    item: CatalogItem
    catalog_version: str
    department: str
    document_number: str
    subject_type: SubjectType
    subject_number: str
    subject_name: str
    person: CitizenId | None
    stated_birth_date: date | None
    decision_date: date
    authority_name: str
    authority_uscc: str
    valid_from: date | None
    valid_until: date | None
    consent_reference: str | None
    fields: dict[str, object]
    assessment: Assessment
    original: dict[str, object]
    content_hash: str = ""
    expired_on_arrival: bool = False
    #: `document_key(document_number)`, computed once (storing asks for it several times).
    _document_key: str = field(default="", init=False, repr=False, compare=False)

    @property
    def key(self) -> RecordKey:
        return RecordKey(self.department, self.document_key)

    @property
    def document_key(self) -> str:
        if not self._document_key:
            self._document_key = document_key(self.document_number)
        return self._document_key

    @property
    def unknown_region(self) -> bool:
        """The person's number carries a region code the historic table does not know: the row
        is accepted (the table can lag behind the registry), the number goes to identity review."""
        return self.person is not None and not self.person.region_known

    def __post_init__(self) -> None:
        if not self.content_hash:
            self.content_hash = self._digest()

    def _digest(self) -> str:
        canonical = [
            self.item.code,
            self.subject_number,
            self.subject_name,
            _iso(self.stated_birth_date),
            self.decision_date.isoformat(),
            self.authority_name,
            self.authority_uscc,
            _iso(self.valid_from),
            _iso(self.valid_until),
            self.consent_reference,
            sorted(self.fields.items()),
        ]
        blob = _CANONICAL.encode(canonical)
        return hashlib.blake2b(blob.encode(), digest_size=16).hexdigest()


#: The content hash's JSON encoding: what `json.dumps(value, ensure_ascii=False,
#: separators=(",", ":"), default=str)` writes, without building an encoder for every row.
_CANONICAL = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


@dataclass(frozen=True, slots=True)
class Gate:
    """Everything validation needs besides the row: catalog, policy, bans and the day it runs."""

    catalog: Catalog
    policy: PeriodPolicy
    banned: BannedFields
    today: date


def _field_label(name: str) -> str:
    """Return a submitted field name fit to repeat in a refusal: printable, short, no ID number."""
    label = redact_id_numbers("".join(ch if ch.isprintable() else "?" for ch in name))
    return label if len(label) <= MAX_FIELD_NAME else label[: MAX_FIELD_NAME - 1] + "…"


def validate_row(
    raw: Mapping[str, object], *, row: int, department: Department, gate: Gate
) -> Submission:
    """Check one submitted row against its catalog item; raise RowRejected naming every bad field.

    Blank cells say nothing (CSV batches carry the union of all items' columns) and are dropped
    first; what remains is kept as the record's original payload. So below, a field is blank
    when `raw.get` finds nothing: every value left is neither None nor blank text.
    """
    raw = {
        str(k): v for k, v in raw.items() if v is not None and (not isinstance(v, str) or v.strip())
    }
    problems: list[FieldProblem] = []

    def problem(name: str, reason: str | Refused, **parts: object) -> None:
        # Reasons and names may quote what was sent: never an ID number, never raw control bytes.
        said = reason if isinstance(reason, Refused) else Refused(reason, **parts)
        kept = tuple((part, redact_id_numbers(value)) for part, value in said.parts)
        problems.append(
            FieldProblem(_field_label(name), redact_id_numbers(str(said)), row, said.code, kept)
        )

    def text(name: str, limit: int, *, required: bool = True) -> str:
        value = raw.get(name)
        if value is None:
            if required:
                problem(name, "required")
            return ""
        if not isinstance(value, str | int) or isinstance(value, bool):
            problem(name, "not_text")
            return ""
        out = str(value).strip()
        if len(out) > limit:
            problem(name, "too_long", count=len(out), limit=limit)
        try:
            return check_text(out)
        except Refused as exc:
            problem(name, exc)
            return ""

    def day(name: str, *, required: bool) -> date | None:
        value = raw.get(name)
        if value is None:
            if required:
                problem(name, "required")
            return None
        try:
            return parse_date(value)
        except Refused as exc:
            problem(name, exc)
            return None

    code = text("item", 40)
    catalog = gate.catalog
    item = catalog.get(code) if code else None
    if gate.today < catalog.effective:  # a version not yet in force accepts nothing
        problem("item", "catalog_not_in_force", version=catalog.version, day=catalog.effective)
    elif code and item is None:
        problem("item", "unknown_item", version=catalog.version)
    elif item is not None and not item.applies_in(department.region_code):
        problem(  # a local item, and a department outside its region (docs/catalog.md)
            "item", "outside_region", item=item.code, region=item.region, department=department.code
        )
    elif item is not None and not department.can_submit(item.code):
        problem("item", "item_not_mandated", department=department.code, item=item.code)

    for name in raw:
        banned = gate.banned.match(name)
        if banned:
            problem(name, "banned_field", ban=banned)
        elif item is not None and name not in COMMON_FIELDS and item.field_named(name) is None:
            problem(name, "not_a_data_item", item=item.code)

    document_number = text("document_number", MAX_DOCUMENT_NUMBER)
    subject_name = text("subject_name", MAX_NAME)
    authority_name = text("authority_name", MAX_NAME)
    authority_uscc = ""
    if raw.get("authority_uscc") is not None:
        try:
            authority_uscc = parse_credit_code(str(raw["authority_uscc"])).code
        except InvalidIdentifier as exc:
            problem("authority_uscc", exc)
    else:
        problem("authority_uscc", "required")
    if (
        authority_name
        and authority_uscc
        and not department.decides_for(authority_name, authority_uscc)
    ):
        # A department submits only decisions of its own authority, or of authorities it is
        # registered to submit for (docs/domain.md §5, "Mandate").
        problem("authority_uscc", "not_own_authority", department=department.code)
    decision_date = day("decision_date", required=True)
    if decision_date and decision_date > gate.today:
        problem("decision_date", "future_date", day=decision_date.isoformat())
    stated_birth = day("birth_date", required=False)
    valid_from = day("valid_from", required=False)
    valid_until = day("valid_until", required=False)
    if valid_from and valid_until and valid_until < valid_from:
        problem("valid_until", "before_valid_from")
    carries_consented = item is not None and any(
        f.requires_consent and f.name in raw for f in item.fields
    )
    consent = text("consent_reference", 100, required=carries_consented)

    person: CitizenId | None = None
    subject_number = ""
    subject_raw = raw.get("subject_id")
    if subject_raw is None:
        problem("subject_id", "required")
    elif item is not None:
        try:
            if item.subject_type is SubjectType.PERSON:
                person = parse_citizen_id(
                    str(subject_raw), today=gate.today, max_age_years=gate.policy.max_age_years
                )
                subject_number = person.number
            else:
                subject_number = parse_credit_code(str(subject_raw)).code
        except InvalidIdentifier as exc:
            kind = "invalid_citizen_id" if exc.kind == "citizen_id" else "invalid_credit_code"
            problem("subject_id", kind, inner=exc.code, **dict(exc.parts))

    fields: dict[str, object] = {}
    if item is not None:
        for spec in item.fields:
            value = raw.get(spec.name)
            if value is None:
                if spec.required:
                    problem(spec.name, "required")
                continue
            try:
                fields[spec.name] = spec.coerce(value)
            except Refused as exc:
                problem(spec.name, exc)
        if person and decision_date and item.min_subject_age is not None:
            age = person.age_on(decision_date)
            if age < item.min_subject_age:
                problem(
                    "subject_id", "under_age", age=age, item=item.code, minimum=item.min_subject_age
                )

    if problems or item is None or decision_date is None:
        raise RowRejected(problems or [FieldProblem.refused("item", row, "required")])

    assessment = assess(
        item, fields, decision_date=decision_date, valid_until=valid_until, policy=gate.policy
    )
    if assessment.retention_ends is not None and assessment.retention_ends <= gate.today:
        ended = assessment.retention_ends.isoformat()
        raise RowRejected(
            [FieldProblem.refused("decision_date", row, "retention_ended", day=ended)]
        )
    return Submission(
        row=row,
        item=item,
        catalog_version=gate.catalog.version,
        department=department.code,
        document_number=document_number,
        subject_type=item.subject_type,
        subject_number=subject_number,
        subject_name=subject_name,
        person=person,
        stated_birth_date=stated_birth,
        decision_date=decision_date,
        authority_name=authority_name,
        authority_uscc=authority_uscc,
        valid_from=valid_from,
        valid_until=valid_until,
        consent_reference=consent or None,
        fields=fields,
        assessment=assessment,
        original=raw,
        expired_on_arrival=(
            assessment.display_ends is not None and assessment.display_ends <= gate.today
        ),
    )


@dataclass(slots=True)
class CreditRecord:
    """A stored record: what was decided about whom, by which document, and where it stands."""

    id: int
    department: str
    document_number: str
    item_code: str
    catalog_version: str
    subject_id: int
    status: RecordStatus
    severity: str | None
    published: bool
    decision_date: date
    display_ends: date | None
    repair_from: date | None
    retention_ends: date | None
    publish_by: date | None
    authority_name: str
    fields: dict[str, object]
    content_hash: str
    batch_id: int | None
    received_at: datetime
    updated_at: datetime
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    under_objection: bool = False
    #: A peer's record copy: the mark its origin gave it (`under_objection` adds marks set here).
    marked_at_origin: bool = False
    #: After a revocation: the working day by which every copy given out must be withdrawn.
    withdraw_by: Deadline | None = None
    #: False while `publish_by` is counted Monday to Friday (its year's calendar is not out).
    publish_by_official: bool = True

    def revoke(
        self, *, reason: str, at: datetime, archive_years: int, withdraw_by: Deadline | None = None
    ) -> None:
        """Withdraw the record (its decision revoked or varied); copies go by `withdraw_by`."""
        if self.status is RecordStatus.REVOKED:
            raise RecordAlreadyRevoked(self.id)
        self.status = RecordStatus.REVOKED
        self.revoked_at = at
        self.revocation_reason = reason
        self.withdraw_by = withdraw_by
        self.updated_at = at
        self.retention_ends = archived_until(self.retention_ends, business_date(at), archive_years)

    def expire(self, *, at: datetime) -> None:
        """Move an active record whose display period ended into the archive (the sweep)."""
        self._move(RecordStatus.ACTIVE, RecordStatus.EXPIRED, at, "expire")

    def stop_display(self, *, at: datetime, archive_years: int) -> None:
        """Stop showing an active record before its period ends (an upheld objection): it is
        `corrected`, which, unlike an expiry, a resubmission of its document does not undo."""
        self._move(RecordStatus.ACTIVE, RecordStatus.CORRECTED, at, "stop its display")
        self.retention_ends = archived_until(self.retention_ends, business_date(at), archive_years)

    def repair(self, *, at: datetime, archive_years: int) -> None:
        """A successful repair: no longer published, shared or used; kept in the archive."""
        self._move(RecordStatus.ACTIVE, RecordStatus.REPAIRED, at, "repair")
        self.retention_ends = archived_until(self.retention_ends, business_date(at), archive_years)

    def hold_for_review(self, *, at: datetime) -> None:
        """Withhold the record while an identity review decides whom it is about."""
        if self.status not in (RecordStatus.ACTIVE, RecordStatus.EXPIRED):
            raise RecordStateConflict(self.id, self.status, "hold")
        self.status = RecordStatus.IDENTITY_HOLD
        self.updated_at = at

    def release(self, *, at: datetime) -> None:
        """An identity review found the held record is about its subject: it takes effect."""
        self._move(RecordStatus.IDENTITY_HOLD, RecordStatus.ACTIVE, at, "release")

    def hold_display(
        self,
        ends: date | None,
        *,
        retention_ends: date | None,
        listed_on: date | None,
        at: datetime,
    ) -> bool:
        """Set the display end a listing decided elsewhere holds the record to (docs/domain.md
        §6): the later of the record's own end and the listing's, None while the listing is
        open-ended. `listed_on` is today when such a listing is in force: an archived record it
        shows again (an extension recorded after the fact) returns from the archive; a record
        whose display was stopped is never archived while a listing rests on it (the stop ends
        them). A withheld record gets its end too, for the day an identity review releases it.
        Returns whether anything changed."""
        revive = (
            listed_on is not None
            and self.status is RecordStatus.EXPIRED
            and (ends is None or listed_on < ends)
        )
        if ends == self.display_ends and retention_ends == self.retention_ends and not revive:
            return False
        self.display_ends = ends
        self.retention_ends = retention_ends
        if revive:
            self.status = RecordStatus.ACTIVE
        if self.status is RecordStatus.ACTIVE:
            # a record that stopped (repaired, held, stopped) keeps the day it stopped on
            self.updated_at = at
        return True

    def mark_objection(self, marked: bool) -> None:
        """Set or lift the "under objection" mark (orthogonal to the status)."""
        self.under_objection = marked

    def _move(self, source: RecordStatus, target: RecordStatus, at: datetime, what: str) -> None:
        if self.status is not source:
            raise RecordStateConflict(self.id, self.status, what)
        self.status = target
        self.updated_at = at

    def shown_window(self) -> tuple[date, date | None] | None:
        """The days the record was (or is) in display: [decision, end), end None while open.

        A revoked record never counts (as if it had not been made); a record that stopped early
        (repaired, an upheld objection, held for an identity review) stopped on the day it
        changed. The derived clean status reads these windows (`domain.lists.shown_between`; in SQL
        `db/records.py shown_between`).
        """
        if self.status is RecordStatus.REVOKED:
            return None
        if self.status is RecordStatus.ACTIVE:
            return self.decision_date, self.display_ends
        stopped = business_date(self.updated_at)
        if self.display_ends is not None:
            stopped = min(stopped, self.display_ends)
        return self.decision_date, max(stopped, self.decision_date)

    def is_displayable_on(self, day: date) -> bool:
        """The one expiry rule: shown and usable only while active and before its display ends."""
        if self.status is not RecordStatus.ACTIVE:
            return False
        return self.display_ends is None or day < self.display_ends


def conduct_date(record: CreditRecord) -> date:
    """The day of the conduct a record is about: its `occurred_on` data item where the catalog
    item carries one, else the decision date (conduct never follows the decision on it).

    Age rules (minors are never listed) look at the subject's age on this day.
    """
    raw = record.fields.get("occurred_on")
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    return record.decision_date


class RecordAlreadyRevoked(Conflict):
    def __init__(self, record_id: int) -> None:
        super().__init__(f"record {record_id} is already revoked")


class RecordStateConflict(Conflict):
    """A transition the record's state does not allow (say, repairing a revoked record)."""

    def __init__(self, record_id: int, status: RecordStatus, what: str) -> None:
        super().__init__(f"record {record_id} is {status.value}: cannot {what} it")
        self.status = status
