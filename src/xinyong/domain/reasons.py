"""Why a submitted row or one of its fields is refused: a stable code, its parts, its English.

The record gate (`domain/records.py validate_row`), the catalog's field types
(`domain/catalog.py`), the identifier checks (`domain/identifiers.py`) and the file readers
(`services/batchfiles.py`) each refuse with a code of `WORDS` and the parts its words need (a
count, a date, an item's code). The English words are what the API answers and the command line
prints; a page tells the code in its own language (`web/console/reasons.py`), so rewording the
English never leaves a page untranslated. A part named `inner` is itself a code, told with the
same parts (an identifier's own reason inside "not a valid citizen ID number: …").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

#: Every code a row can be refused with, and its English words ({name}: a part).
WORDS: Final[Mapping[str, str]] = {
    # Every field
    "required": "is required",
    "not_text": "must be text",
    "too_long": "is {count} characters long; at most {limit} are allowed",
    "control_characters": "contains control characters",
    "control_character_in_file": "contains a control character; text fields hold none",
    # The item and the department's mandate
    "unknown_item": "is not an item of catalog {version}",
    "catalog_not_in_force": (
        "catalog {version} is in force from {day}; no row is accepted under it before then"
    ),
    "item_not_mandated": "department {department} may not provide {item}",
    "outside_region": (
        "{item} is a local item of region {region}; department {department} is outside that region"
    ),
    "banned_field": "{ban} may never be collected (statutory ban)",
    "not_a_data_item": "is not a data item of {item}",
    "not_own_authority": (
        "the deciding authority is not {department}, nor one it is registered to submit for;"
        " each authority's decisions come from its own department"
    ),
    # Dates
    "future_date": "{day} is in the future",
    "before_valid_from": "is before valid_from",
    "not_a_date": "must be a date as YYYY-MM-DD",
    "date_out_of_range": "must fall within {first}-{last}",
    "retention_ended": (
        "the record's retention period ended on {day}; there is nothing lawful to keep"
    ),
    "under_age": "the subject was {age} on the decision date; {item} applies from {minimum}",
    # Identifiers (`inner` is the identifier's own reason)
    "invalid_citizen_id": "not a valid citizen ID number: {inner}",
    "invalid_credit_code": "not a valid unified social credit code: {inner}",
    "id_length": "must have 18 characters, has {count}",
    "id_digits": "characters 1-17 must be digits; position {position} is not",
    "id_check_character_kind": (
        "check character is {found}, which is neither a digit nor X; the number needs {needed}"
    ),
    "id_check_character": "check character is {found}, the number needs {needed}",
    "id_birth_date": "birth date {digits} is not a calendar date",
    "id_birth_in_future": "birth date {day} is in the future",
    "id_birth_too_early": "birth date {day} is more than {years} years ago",
    "code_character": "position {position} holds a character a credit code never uses",
    "code_region_digits": "positions 3-8 (the region code) must be digits",
    "code_authority": "registration authority code {authority} (position 1) is not assigned",
    "code_organisation_type": (
        "organisation type {organisation} (position 2) is not one that registration authority"
        " {authority} ({authority_name}) uses"
    ),
    "code_region": "region code {region} (positions 3-8) is not one that has ever existed",
    "code_check_character": "check character is {found}, the code needs {needed}",
    # A field's type (the catalog)
    "not_one_of": "must be one of {values}",
    "not_boolean": "must be true or false",
    "not_a_number": "must be a number",
    "not_finite": "must be a finite number",
    "too_large": "is too large: at most {count} digits before the point",
    "not_whole": "must be a whole number",
    "too_many_decimals": "must have at most two decimal places",
    "below_minimum": "must be at least {minimum}",
    "above_maximum": "must be at most {maximum}",
    # The file's rows
    "cell_count": "has {count} cells; the header has {width}",
    "not_json": "not valid JSON: {detail}",
    "not_object": "must be a JSON object",
    "not_checked": "could not be checked ({error})",
    "duplicate_in_batch": (
        "duplicate of row {first}: that row of the batch is the same document, and is the one"
        " stored; send a changed version in a batch of its own"
    ),
}

#: The codes that refuse a row for want of the submitting department's mandate (an item it may
#: not provide, a local item of a region it is outside, a decision of an authority it does not
#: submit for: docs/domain.md §5, docs/catalog.md). Such a refusal is audited as
#: `mandate:refused`, as every refusal for want of a mandate is.
MANDATE_CODES: Final[frozenset[str]] = frozenset(
    {"item_not_mandated", "outside_region", "not_own_authority"}
)

#: A reason's parts, in the order given: (name, value) pairs, plain and immutable.
Parts = tuple[tuple[str, str], ...]


def english(code: str, parts: Mapping[str, str]) -> str:
    """The English words of `code` with its `parts` (an `inner` part told the same way)."""
    if "inner" in parts:
        own = {name: value for name, value in parts.items() if name != "inner"}
        parts = {**own, "inner": english(parts["inner"], own)}
    return WORDS[code].format_map(parts)


class Refused(ValueError):
    """A value refused for a reason of `WORDS`: `code` and `parts` for a reader's language, the
    English words as the message."""

    def __init__(self, code: str, **parts: object) -> None:
        self.code = code
        self.parts: Parts = tuple((name, str(value)) for name, value in parts.items())
        super().__init__(english(code, dict(self.parts)))
