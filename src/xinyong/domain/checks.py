"""Checks: which measures apply to a subject for a matter, as answered from the listing index,
and what a department reports back about a measure a check returned (feedback)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from xinyong.domain.errors import Invalid
from xinyong.domain.identifiers import (
    InvalidIdentifier,
    is_credit_code,
    normalise,
    parse_citizen_id,
)
from xinyong.domain.index import Hit, organisation_key, person_key
from xinyong.domain.querylog import Delivered, ItemKind, encode_returned


class ChangeKind(StrEnum):
    """What moved the change log: a check must see it before it answers."""

    LISTING = "listing"  # an entry decided, recorded, exited or withdrawn
    OBJECTION = "objection"  # an entry's under-objection mark set or lifted
    ROLE = "role"  # a person took up or left a role in an organisation
    API_KEY = "api_key"  # a key was revoked: cached keys must be read again


def subject_keys(raw: str) -> tuple[str, list[int]]:
    """Normalise a number and return its index keys, or raise Invalid saying why (never echoing it).

    A number that is both a well-formed citizen ID number and a well-formed credit code (rare,
    all digits) is looked up as both.
    """
    number = normalise(raw)
    keys: list[int] = []
    person = person_key(number)
    if person is not None:
        keys.append(person)
    if is_credit_code(number):
        keys.append(organisation_key(number))
    if not keys:
        try:
            parse_citizen_id(number)
        except InvalidIdentifier as exc:
            raise Invalid(
                f"subject: not a citizen ID number or credit code: {exc.reason}"
            ) from None
    return number, keys


def returned_by(hits: list[Hit]) -> str:
    """What a check gave out, in the query log's stored form: each measure with its entry."""
    return encode_returned(
        Delivered(ItemKind.ENTRY, h.posting.entry_id, h.measure.code) for h in hits
    )


@dataclass(frozen=True, slots=True)
class Answer:
    """What a check returned."""

    number: str
    matter: str
    day: date
    hits: list[Hit]
    key: int = 0  # the number's (first) index key, under which the query is logged

    def summary(self) -> str:
        """What was returned, for the query log: measure@entry pairs, or 'none'."""
        return returned_by(self.hits)


@dataclass(frozen=True, slots=True)
class Feedback:
    """What a department did with one measure a check returned: applied, or not and why."""

    query_id: int
    measure: str
    applied: bool
    reason: str | None
    actor: str
    at: datetime
