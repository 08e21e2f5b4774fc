"""Citizen ID numbers (GB 11643-1999) and unified social credit codes (GB 32100-2015).

Check characters, birth dates and the historic region table are python-stdnum's; this module
adds the normalisation submitters need, the region rule as it really is (any code that ever
existed, unknown codes flagged), a reason for every refusal, and masking for publication.
See docs/identifiers.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache, lru_cache
from typing import Any

from stdnum.cn import ric, uscc

from xinyong.domain.calendar import add_months
from xinyong.domain.reasons import Refused
from xinyong.domain.regions import english_region_name, historic_names, is_known_region
from xinyong.domain.subjects import full_years
from xinyong.policy import PACKAGED, read_toml

#: What a submitter may type between the characters of a number, all dropped by `normalise`:
#: every Unicode dash (category Pd: hyphen-minus, hyphen, en and em dash, ...), the minus sign,
#: every Unicode space (Zs: the ideographic space, no-break space, ...; Zl, Zp), the invisible
#: ones (zero-width space, joiners, word joiner, byte order mark, soft hyphen), tab and
#: underscore, and what NFKC turns into any of these. Spelt out rather than gathered from the
#: Unicode database at every start; tests/unit/test_identifiers.py checks it against that
#: database.
SEPARATORS = (
    # Pd
    "\u002d\u058a\u05be\u1400\u1806\u2010\u2011\u2012\u2013\u2014\u2015\u2e17\u2e1a"
    "\u2e3a\u2e3b\u2e40\u2e5d\u301c\u3030\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d\U00010ead"
    "\u2212"  # the minus sign (Sm), typed for a dash
    # Zs, Zl, Zp
    "\u0020\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u202f\u205f\u3000\u2028\u2029"
    "\u200b\u200c\u200d\u2060\ufeff\u180e\u00ad"  # invisible: zero width, soft hyphen
    "\t_"
    # what NFKC makes one of the above (searches that skip NFKC see them too)
    "\u207b\u208b\ufe33\ufe34\ufe4d\ufe4e\ufe4f\uff3f"
)
_SEPARATOR_RUN = re.compile(f"[{re.escape(SEPARATORS)}]+")
_ASCII_SEPARATORS = tuple(c for c in SEPARATORS if c.isascii())


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class InvalidIdentifier(Refused):
    """An identifier that is not well formed; `reason` says which part is wrong (in English;
    `code` and `parts` say it for a reader's language: domain/reasons.py)."""

    def __init__(self, kind: str, code: str, **parts: object) -> None:
        super().__init__(code, **parts)
        self.kind = kind
        self.reason = str(self)


def normalise(raw: str) -> str:
    """Return the canonical form: full-width to ASCII, no spaces or dashes (`SEPARATORS`),
    upper case. It runs on every row of a batch: ASCII text, which NFKC leaves as it is, skips
    it, plain letters and digits (the common case) skip the separators too, and text that is
    ASCII once NFKC has read it drops the few ASCII separators."""
    if not raw.isascii():
        raw = unicodedata.normalize("NFKC", raw)  # full-width digits and letters become ASCII
        if not raw.isascii():
            return _SEPARATOR_RUN.sub("", raw).upper()
    if raw.isalnum():
        return raw.upper()
    for separator in _ASCII_SEPARATORS:  # a few passes in C: faster than one regex here
        raw = raw.replace(separator, "")
    return raw.upper()


@dataclass(frozen=True, slots=True)
class Region:
    """Where a citizen ID number was first issued: the 6-digit code and its names.

    `known` is False for a code the historic table does not list: the number is still accepted
    (the table can lag behind reality), but such a number is for identity review.
    """

    code: str
    province: str
    county: str
    known: bool = True

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
        """Return the age in whole years on `day` (`subjects.full_years`)."""
        return full_years(self.birth_date, day)

    def is_minor_on(self, day: date, *, age_of_majority: int) -> bool:
        return self.age_on(day) < age_of_majority

    @property
    def region_known(self) -> bool:
        """False when the region code is unknown to the table: accepted, flagged for review."""
        return self.region.known

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


#: Fifteen or more digits in a row (any of `SEPARATORS` between them, an X at the end): the shape
#: of a citizen ID number (first generation 15 digits, second 18), wherever a submitter typed it.
_ID_NUMBER_SHAPE = re.compile(
    rf"\d(?:[{re.escape(SEPARATORS)}]*\d){{13,}}(?:[{re.escape(SEPARATORS)}]*[xX\uff38\uff58])?"
)
WITHHELD = "<number withheld>"
#: The same, where the reader reads Chinese (the person's report in Chinese).
WITHHELD_ZH = "〔号码已隐去〕"


def redact_id_numbers(text: str, placeholder: str = WITHHELD) -> str:
    """Replace anything shaped like a citizen ID number in `text` by `placeholder`: errors never
    repeat one."""
    return _ID_NUMBER_SHAPE.sub(placeholder, text)


@lru_cache(maxsize=65536)  # pure: the same few thousand codes and years, row after row
def _region(code: str, birth_year: int | None) -> Region:
    """Return the region a code names, whether or not it existed in the birth year.

    The code is where the number was first issued, which may be years after birth (a code
    created later) or under a code since abolished: any code that ever existed is lawful. Its
    name is the one in use in the birth year if there was one, else its most recent one.
    """
    province, names = historic_names(code)
    if not names:
        return Region(code, province, "", known=False)
    in_use = [n for n in names if birth_year is not None and n.in_use_in(birth_year)]
    chosen = in_use[0] if in_use else max(names, key=lambda n: (n.until or 9999, n.since or 0))
    return Region(code, province, chosen.name)


def parse_citizen_id(
    raw: str, *, today: date | None = None, max_age_years: int | None = None
) -> CitizenId:
    """Normalise and validate a citizen ID number, or raise InvalidIdentifier naming the part.

    With `today`, a birth date after it is refused; with `max_age_years` as well (the policy's
    `[subjects] max_age_years`), so is one more than that many years before it. Without
    `today` only the form is checked: callers that merely look up a stored number pass none.
    A region code the table does not know is accepted, with `region_known` False.
    """
    number = normalise(raw)
    if len(number) != 18:
        raise InvalidIdentifier("citizen_id", "id_length", count=len(number))
    if not number[:17].isdigit():
        bad = next(i + 1 for i, ch in enumerate(number) if not ch.isdigit())
        raise InvalidIdentifier("citizen_id", "id_digits", position=bad)
    # stdnum's ric.validate would also refuse a region code not yet (or no longer) in use in
    # the birth year; that rule is wrong for real people, so its parts are called one by one.
    expected = ric.calc_check_digit(number)
    if not (number[17].isdigit() or number[17] == "X"):
        raise InvalidIdentifier(
            "citizen_id", "id_check_character_kind", found=number[17], needed=expected
        )
    if number[17] != expected:
        raise InvalidIdentifier(
            "citizen_id", "id_check_character", found=number[17], needed=expected
        )
    born = _birth_date(number)
    if born is None:
        raise InvalidIdentifier("citizen_id", "id_birth_date", digits=number[6:14])
    if today is not None:
        _check_birth_date(born, today, max_age_years)
    region = _region(number[:6], born.year)
    sex = Sex.MALE if int(number[16]) % 2 else Sex.FEMALE
    return CitizenId(number=number, birth_date=born, sex=sex, region=region)


def _birth_date(number: str) -> date | None:
    """The birth date digits 7-14 of a normalised number name, None when no such day exists:
    stdnum's `ric.get_birth_date` without its cleaning, which a normalised number no longer
    needs (a tenth of a row's validation when it ran on every row)."""
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def _check_birth_date(born: date, today: date, max_age_years: int | None) -> None:
    if born > today:
        raise InvalidIdentifier("citizen_id", "id_birth_in_future", day=born.isoformat())
    if max_age_years is not None and born < add_months(today, -12 * max_age_years):
        raise InvalidIdentifier(
            "citizen_id", "id_birth_too_early", day=born.isoformat(), years=max_age_years
        )


@dataclass(frozen=True, slots=True)
class OrganisationType:
    """What the first two characters of a credit code say: who registered it, and as what."""

    authority_zh: str
    authority_en: str
    type_zh: str
    type_en: str


@dataclass(frozen=True, slots=True)
class CreditCode:
    """A well-formed unified social credit code of an organisation."""

    code: str

    @property
    def registration_authority(self) -> str:
        return self.code[0]

    @property
    def organisation_type(self) -> OrganisationType:
        return _organisation_types()[self.code[:2]]

    @property
    def region_code(self) -> str:
        return self.code[2:8]

    @property
    def is_national(self) -> bool:
        """Registered by a central authority: its region part is a national code, not a county."""
        return self.region_code in _credit_code_table()["region"]["national"]

    @property
    def region(self) -> Region:
        """The registering office's region under its most recent name."""
        return _region(self.region_code, None)


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@cache
def _organisation_types() -> dict[str, OrganisationType]:
    """The assigned (authority, type) pairs, keyed by the code's first two characters."""
    out: dict[str, OrganisationType] = {}
    for authority, spec in _credit_code_table()["authorities"].items():
        for kind, names in spec["types"].items():
            out[authority + kind] = OrganisationType(
                spec["zh"], spec["en"], names["zh"], names["en"]
            )
    return out


@cache
def _credit_code_table() -> dict[str, Any]:
    # A national standard's code table, the same for every deployment: read from the packaged
    # policy file rather than passed in, since credit codes are parsed everywhere (even while
    # the policy itself is loaded). A newly assigned authority code comes with a release.
    return read_toml(PACKAGED / "credit_codes.toml")


@lru_cache(maxsize=8192)
def _is_registration_region(code: str) -> bool:
    return code in _credit_code_table()["region"]["national"] or is_known_region(code)


def _credit_code_problem(code: str) -> InvalidIdentifier | None:
    """Return why a normalised string is not a credit code, or None if it is one."""

    def problem(reason: str, **parts: object) -> InvalidIdentifier:
        return InvalidIdentifier("uscc", reason, **parts)

    if len(code) != 18:
        return problem("id_length", count=len(code))
    for i, ch in enumerate(code):
        if ch not in _USCC_ALPHABET:
            return problem("code_character", position=i + 1)
    if not code[2:8].isdigit():
        return problem("code_region_digits")
    authorities = _credit_code_table()["authorities"]
    if code[0] not in authorities:
        return problem("code_authority", authority=code[0])
    if code[:2] not in _organisation_types():
        name = authorities[code[0]]["en"]
        return problem(
            "code_organisation_type", organisation=code[1], authority=code[0], authority_name=name
        )
    if not _is_registration_region(code[2:8]):
        return problem("code_region", region=code[2:8])
    expected = uscc.calc_check_digit(code[:17])
    if code[17] != expected:
        return problem("code_check_character", found=code[17], needed=expected)
    return None


@lru_cache(maxsize=65536)
def parse_credit_code(raw: str) -> CreditCode:
    """Normalise and validate a unified social credit code, or raise InvalidIdentifier.

    Besides the check character, the registration authority (position 1), the organisation
    type for that authority (position 2) and the region (positions 3-8) must be real.
    """
    code = normalise(raw)
    problem = _credit_code_problem(code)
    if problem is not None:
        raise problem
    return CreditCode(code)


def is_credit_code(code: str) -> bool:
    """Whether a normalised string is a well-formed credit code (no exception, for hot paths)."""
    return (
        len(code) == 18
        and code[:2] in _organisation_types()
        and all(ch in _USCC_ALPHABET for ch in code)
        and uscc.calc_check_digit(code[:17]) == code[17]
        and _is_registration_region(code[2:8])
    )


def _shaped_like_citizen_id(number: str) -> bool:
    """All digits (an X at the end), a region code that exists and a birth year's century."""
    return (
        len(number) == 18
        and number[:17].isdigit()
        and (number[17].isdigit() or number[17] == "X")
        and is_known_region(number[:6])
        and number[6:8] in ("18", "19", "20")
    )


def parse_subject_number(
    raw: str, *, today: date | None = None, max_age_years: int | None = None
) -> CitizenId | CreditCode:
    """Read a number of either kind, or raise InvalidIdentifier with the likelier kind's reason.

    A number with a letter in positions 1-17 can only be a credit code. An all-digit number
    is a citizen ID number if it is a valid one. If not, it is a credit code only if it is a
    valid one (authority, type, region and check character) and does not have the shape of a
    citizen ID number (a real region code, then 18, 19 or 20): a mistyped citizen ID number,
    such as one with a 13th month, is refused with its reason as a citizen ID number, never
    passed as an organisation's code.
    """
    number = normalise(raw)
    if not number[:17].isdigit():
        return parse_credit_code(number)
    try:
        return parse_citizen_id(number, today=today, max_age_years=max_age_years)
    except InvalidIdentifier:
        if len(number) != 18 or _shaped_like_citizen_id(number) or not is_credit_code(number):
            raise
    return CreditCode(number)
