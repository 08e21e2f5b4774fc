"""Citizen ID numbers (GB 11643-1999) and unified social credit codes (GB 32100-2015).

Check characters, birth dates and region codes are python-stdnum's; this module adds the
normalisation submitters need, a reason for every refusal, and masking for publication.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

from stdnum import exceptions as stdnum_errors
from stdnum import numdb
from stdnum.cn import ric, uscc

from xinyong.domain.regions import english_region_name

_SEPARATORS = str.maketrans("", "", " -\u3000\t_")


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class InvalidIdentifier(ValueError):
    """An identifier that is not well formed; `reason` says which part is wrong."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def normalise(raw: str) -> str:
    """Return the canonical form: full-width to ASCII, no spaces or dashes, upper case."""
    return unicodedata.normalize("NFKC", raw).translate(_SEPARATORS).upper()


@dataclass(frozen=True, slots=True)
class Region:
    """Where a citizen ID number was first issued: the 6-digit code and its names."""

    code: str
    province: str
    county: str

    @property
    def name_zh(self) -> str:
        return f"{self.province}{self.county}"

    @property
    def name_en(self) -> str:
        return english_region_name(self.province, self.county)


@dataclass(frozen=True, slots=True)
class CitizenId:
    """A well-formed citizen ID number. A valid check character proves form, not existence."""

    number: str
    birth_date: date
    sex: Sex
    region: Region

    def age_on(self, day: date) -> int:
        """Return the age in whole years on `day`."""
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    def is_minor_on(self, day: date, *, age_of_majority: int) -> bool:
        return self.age_on(day) < age_of_majority

    @property
    def masked(self) -> str:
        return mask_citizen_id(self.number)

    def __repr__(self) -> str:
        return f"CitizenId({'*' * 14}{self.number[-4:]})"

    __str__ = __repr__


def mask_citizen_id(number: str) -> str:
    """Hide the birth month and day, as courts publish them: `3423011964****3224`."""
    if len(number) != 18:
        return "*" * len(number)
    return f"{number[:10]}****{number[14:]}"


def mask_number(number: str) -> str:
    """What outputs show of a subject's number: a citizen ID number masked, a credit code (an
    organisation's, public) whole.

    A few all-digit numbers are well-formed as both; they are masked, since the person's
    privacy outweighs showing an organisation's public code in full.
    """
    if len(number) != 18 or not number[:17].isdigit():
        return number
    if ric.calc_check_digit(number) == number[17] or not is_credit_code(number):
        return mask_citizen_id(number)
    return number


def mask_name(name: str) -> str:
    """A person's name as published: the surname, then one * per further character."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


#: Fifteen or more digits in a row (spaces or dashes between them, an X at the end): the shape of a
#: citizen ID number (first generation 15 digits, second 18), wherever a submitter typed it.
_ID_NUMBER_SHAPE = re.compile(r"\d(?:[ \-\u3000]?\d){13,}(?:[ \-\u3000]?[xX\uff38\uff58])?")
WITHHELD = "<number withheld>"


def redact_id_numbers(text: str) -> str:
    """Replace anything shaped like a citizen ID number in `text`: errors never repeat one."""
    return _ID_NUMBER_SHAPE.sub(WITHHELD, text)


@lru_cache(maxsize=8192)
def _places(code: str) -> tuple[str, tuple[tuple[int | None, int | None, str], ...]]:
    """Return the province and the counties (with the years each was in use) of a region code."""
    found = numdb.get("cn/loc").info(code)
    info = {key: value for _part, props in found for key, value in props.items()}
    if "county" not in info:
        return info.get("province", ""), ()
    counties: list[tuple[int | None, int | None, str]] = []
    for county in info["county"].split(","):
        if not county.startswith("["):
            counties.append((None, None, county))
            continue
        span, name = county[1:].split("]")
        start, end = span.split("-")
        counties.append((int(start) if start else None, int(end) if end else None, name))
    return info["province"], tuple(counties)


def _region(code: str, year: int) -> Region:
    """Return the county that had `code` in `year` (stdnum's region table, its year ranges)."""
    province, counties = _places(code)
    for start, end, county in counties:
        if (start is None or year >= start) and (end is None or year <= end):
            return Region(code, province, county)
    raise InvalidIdentifier(
        "citizen_id", f"region code {code} is not a county that issued numbers in {year}"
    )


def parse_citizen_id(raw: str, *, today: date | None = None) -> CitizenId:
    """Normalise and validate a citizen ID number, or raise InvalidIdentifier naming the part."""
    number = normalise(raw)
    if len(number) != 18:
        raise InvalidIdentifier("citizen_id", f"must have 18 characters, has {len(number)}")
    bad = [i + 1 for i, ch in enumerate(number[:17]) if not ch.isdigit()]
    if bad:
        raise InvalidIdentifier(
            "citizen_id", f"characters 1-17 must be digits; position {bad[0]} is not"
        )
    expected = ric.calc_check_digit(number)
    if not (number[17].isdigit() or number[17] == "X"):
        raise InvalidIdentifier(
            "citizen_id",
            f"check character is {number[17]}, which is neither a digit nor X;"
            f" the number needs {expected}",
        )
    if number[17] != expected:
        raise InvalidIdentifier(
            "citizen_id", f"check character is {number[17]}, the number needs {expected}"
        )
    try:
        born = ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        raise InvalidIdentifier(
            "citizen_id", f"birth date {number[6:14]} is not a calendar date"
        ) from None
    if today is not None and born > today:
        raise InvalidIdentifier("citizen_id", f"birth date {born.isoformat()} is in the future")
    region = _region(number[:6], born.year)
    sex = Sex.MALE if int(number[16]) % 2 else Sex.FEMALE
    return CitizenId(number=number, birth_date=born, sex=sex, region=region)


@dataclass(frozen=True, slots=True)
class CreditCode:
    """A well-formed unified social credit code of an organisation."""

    code: str

    @property
    def registration_authority(self) -> str:
        return self.code[0]

    @property
    def region_code(self) -> str:
        return self.code[2:8]


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@lru_cache(maxsize=65536)
def parse_credit_code(raw: str) -> CreditCode:
    """Normalise and validate a unified social credit code, or raise InvalidIdentifier."""
    code = normalise(raw)
    if len(code) != 18:
        raise InvalidIdentifier("uscc", f"must have 18 characters, has {len(code)}")
    for i, ch in enumerate(code):
        if ch not in _USCC_ALPHABET:
            raise InvalidIdentifier(
                "uscc", f"position {i + 1} holds {ch!r}, which a credit code never uses"
            )
    if not code[2:8].isdigit():
        raise InvalidIdentifier("uscc", "positions 3-8 (the region code) must be digits")
    expected = uscc.calc_check_digit(code[:17])
    if code[17] != expected:
        raise InvalidIdentifier("uscc", f"check character is {code[17]}, the code needs {expected}")
    return CreditCode(code)


def is_credit_code(code: str) -> bool:
    """Whether a normalised string is a well-formed credit code (no exception, for hot paths)."""
    return (
        len(code) == 18
        and all(ch in _USCC_ALPHABET for ch in code)
        and code[2:8].isdigit()
        and uscc.calc_check_digit(code[:17]) == code[17]
    )
