"""The errors business rules raise; entry points map them to HTTP statuses and exit codes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from xinyong.domain.reasons import Parts, Refused

T = TypeVar("T")


class DomainError(Exception):
    """Something a caller asked for that the rules do not allow."""

    title = "Request not allowed"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    title = "Not found"


class Conflict(DomainError):
    title = "Conflict"


class NotAllowed(DomainError):
    title = "Not allowed"


class OutsideMandate(NotAllowed):
    """A department (or the credit centre) asked for something its mandate does not cover: a
    check for a matter it does not decide, a listing on a list it does not decide, a step that
    belongs to another body. Every such refusal is audited (`mandate:refused`).

    `action` names what was refused, in the words of the audit log.
    """

    title = "Outside the mandate"

    def __init__(self, detail: str, *, action: str) -> None:
        super().__init__(detail)
        self.action = action


class NotRouted(NotFound):
    """A department reached for a case, check, batch or list entry that is another
    department's, or a person for what is another person's (`owner`): to the caller it does not
    exist (its detail says only that), and the reach is a refusal for want of a mandate,
    audited as one (`refusal`, with the person it is about, if known)."""

    def __init__(
        self,
        what: str,
        *,
        action: str,
        subject_id: int | None = None,
        owner: str = "department",
    ) -> None:
        super().__init__(f"{what} does not exist")
        self.refusal = OutsideMandate(f"{what} is another {owner}'s", action=action)
        self.subject_id = subject_id


class NotYours(NotRouted):
    """A person reached for another person's record, list entry, case or authorisation
    (`subject_id`: the person whose it is): refused and audited as `NotRouted` is."""

    def __init__(self, what: str, *, action: str, subject_id: int) -> None:
        super().__init__(what, action=action, subject_id=subject_id, owner="person")


class Invalid(DomainError):
    title = "Invalid input"


class InvalidFields(Invalid):
    """Several fields of one form refused at once: `each` holds each field's error, in the
    form's order, so that a page can show every one beside its field. The detail is the first
    error's, with how many more (as `RowRejected`'s)."""

    def __init__(self, each: Sequence[Invalid]) -> None:
        more = f" (and {len(each) - 1} more problems)" if len(each) > 1 else ""
        super().__init__(f"{each[0].detail}{more}")
        self.each = tuple(each)


class FieldChecks:
    """Checks a form's fields one after another, keeping each one's Invalid instead of stopping
    at the first; `refuse` then raises them together (one alone as it was raised)."""

    def __init__(self) -> None:
        self.found: list[Invalid] = []

    def read(self, reading: Callable[[], T], instead: T) -> T:
        """What `reading` returns, or `instead` when it refuses (the refusal kept)."""
        try:
            return reading()
        except Invalid as exc:
            self.found.append(exc)
            return instead

    def refuse(self) -> None:
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise InvalidFields(self.found)


class BatchFailed(Invalid):
    """A batch's input could not be read to its end: the batch is closed as failed, and the rows
    of the chunks committed before stay stored. `committed` counts them (rows_done, accepted …)."""

    title = "Batch failed part-way"

    def __init__(self, detail: str, *, batch_id: int, committed: dict[str, int]) -> None:
        super().__init__(detail)
        self.batch_id = batch_id
        self.committed = committed


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """Why one field of one row was refused. `row` counts from 1; 0 is a single submission."""

    field: str
    reason: str  # in English, as the API answers it
    row: int = 0
    #: The reason's code and parts (domain/reasons.py), for a page in the reader's language; ""
    #: for a reason stored before reasons had codes (a page tells it by its English).
    code: str = ""
    parts: Parts = ()

    @classmethod
    def refused(cls, field: str, row: int, code: str, **parts: object) -> FieldProblem:
        """The problem of `field` in `row` for the reason `code` of domain/reasons.py."""
        return cls.of(field, row, Refused(code, **parts))

    @classmethod
    def of(cls, field: str, row: int, refused: Refused) -> FieldProblem:
        return cls(field, str(refused), row, refused.code, refused.parts)

    def as_dict(self) -> dict[str, object]:
        return {
            "row": self.row,
            "field": self.field,
            "reason": self.reason,
            "code": self.code,
            "parts": dict(self.parts),
        }


class RowRejected(Invalid):
    """A submitted row failed validation; `problems` names each field and why."""

    title = "Record rejected"

    def __init__(self, problems: list[FieldProblem]) -> None:
        first = problems[0]
        where = f"row {first.row}, field" if first.row else "field"
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(f"{where} {first.field!r}: {first.reason}{more}")
        self.problems = problems


class CatalogError(Exception):
    """A catalog or policy file is broken. The message names the file, the item and the field."""

    def __init__(self, file: str, item: str, field: str, reason: str) -> None:
        super().__init__(f"{file}: item {item!r}, field {field!r}: {reason}")
        self.file = file
        self.item = item
        self.field = field
        self.reason = reason


class Unauthenticated(DomainError):
    """Credentials that do not prove who is calling (a wrong password, say)."""

    title = "Unauthorised"


class TooManyAttempts(DomainError):
    """Too many failed attempts in a short time: wait, then try again."""

    title = "Too many attempts"
