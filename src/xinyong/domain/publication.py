"""Publication: what the public may search for, and how a search term is read.

A search never reveals more than the published list does: a person's name is matched as it is
published (the surname and the length, `王**`), a citizen ID number as it is published (the birth
month and day hidden), an organisation's name and credit code (public) as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from xinyong.domain.errors import Invalid
from xinyong.domain.identifiers import (
    InvalidIdentifier,
    is_credit_code,
    mask_citizen_id,
    mask_name,
    normalise,
    parse_citizen_id,
    redact_id_numbers,
)

#: The longest search term (a name, a masked number or a credit code).
MAX_TERM_CHARS = 60

#: A citizen ID number as published: ten digits, four stars, three digits and a check character.
_MASKED = re.compile(r"^(\d{10})\*{4}(\d{3}[\dX])$")
#: Digits and stars only: meant as a masked number, whatever its shape.
_STARRED = re.compile(r"^[\dX]*\*[\dX*]*$")


class TermKind(StrEnum):
    NAME = "name"  # an organisation's name (part of it), or a person's name as published
    MASKED_NUMBER = "masked_number"  # a citizen ID number with the birth month and day hidden
    CREDIT_CODE = "credit_code"  # an organisation's unified social credit code


@dataclass(frozen=True, slots=True)
class SearchTerm:
    """A search term, read: what kind it is, and the published form it is matched in.

    `shown` is what may be written back to the searcher (a number only masked).
    """

    kind: TermKind
    value: str
    shown: str

    @property
    def masked_parts(self) -> tuple[str, str]:
        """A masked number's visible head (region and birth year) and tail."""
        return self.value[:10], self.value[14:]

    @property
    def person_name(self) -> tuple[str, int]:
        """A person's name as published: the surname, and how many characters the name has."""
        return self.value[:1], len(self.value)


def read_term(raw: str) -> SearchTerm | None:
    """Read a search term; None when it is empty. A full citizen ID number is read as its
    masked form at once: the search can find only what is published, and nothing else keeps it."""
    text = " ".join(raw.split())
    if not text:
        return None
    if len(text) > MAX_TERM_CHARS:
        raise Invalid(f"q: at most {MAX_TERM_CHARS} characters")
    compact = normalise(text).replace("＊", "*")
    found = _MASKED.match(compact)
    if found:
        return SearchTerm(TermKind.MASKED_NUMBER, compact, compact)
    if _STARRED.match(compact):
        # Another shape (`110105****002X` hides the birth year too) finds nothing published.
        raise Invalid(
            "q: a masked number is searched as published: its first ten characters, four stars"
            " and its last four (1101051949****002X)"
        )
    if is_credit_code(compact):
        return SearchTerm(TermKind.CREDIT_CODE, compact, compact)
    if len(compact) == 18 and compact[:17].isdigit():
        try:
            masked = mask_citizen_id(parse_citizen_id(compact).number)
        except InvalidIdentifier:
            raise Invalid("q: not a valid citizen ID number or credit code") from None
        return SearchTerm(TermKind.MASKED_NUMBER, masked, masked)
    if redact_id_numbers(text) != text:
        # A full number beside a name (or a word) would travel on as the name term's text.
        raise Invalid(
            "q: a name and an ID number together; search by one of them (a number is searched"
            " by its masked form)"
        )
    return SearchTerm(TermKind.NAME, text, text)


def published_name_matches(term: SearchTerm, name: str, *, person: bool) -> bool:
    """Whether a subject's name matches a name term, as the public list shows it."""
    if person:
        return mask_name(name) == mask_name(term.value)
    return term.value.casefold() in name.casefold()
