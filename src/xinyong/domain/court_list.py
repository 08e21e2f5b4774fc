"""The court's published list of dishonest judgment debtors: rows read as review candidates.

The published layout masks the birth month and day (`3423011964****3224`), so a row can never
identify a person by itself: it becomes a `Candidate`, never a record. `match_candidate` compares
a candidate with persons the platform knows (name, masked number, sex, age on the publication
date) and `court_flags` checks the case number's court against the court and area named. See
docs/exchange.md (the court's published list).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache

from stdnum import numdb

from xinyong.domain.errors import FieldProblem
from xinyong.domain.identifiers import Sex, normalise
from xinyong.policy import PACKAGED, read_toml

FIELDS = (
    "iname",
    "cardNum",
    "sexy",
    "age",
    "caseCode",
    "courtName",
    "areaName",
    "gistId",
    "gistUnit",
    "regDate",
    "duty",
    "performance",
    "disruptTypeName",
    "publishDate",
    "partyTypeName",
    "businessEntity",
)
REQUIRED = ("iname", "cardNum", "caseCode", "courtName", "publishDate")

_MASKED_PERSON = re.compile(r"^\d{10}\*{4}\d{3}[\dX]$")
_CASE_CODE = re.compile(
    r"^[（(](\d{4})[）)]([\u4e00-\u9fff])(\d{2}|\d{4})?([\u4e00-\u9fff]+)(\d+)号$"
)
_DATE_FORMATS = (
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_SEXES = {"男": Sex.MALE, "女": Sex.FEMALE}


@cache
def _abbreviations() -> dict[str, str]:
    table: dict[str, str] = read_toml(PACKAGED / "courts.toml")["abbreviations"]
    return table


@dataclass(frozen=True, slots=True)
class Candidate:
    """One published row: who the court may mean, for a person to review. Never a record."""

    row: int
    name: str
    masked_number: str
    is_person: bool
    sex: Sex | None
    age: int | None
    case_code: str
    court_name: str
    area_name: str
    basis_document: str
    basis_unit: str
    registered_on: date | None
    published_on: date
    duty: str
    performance: str
    conduct: str
    party_type: str
    business_entity: str

    def __repr__(self) -> str:
        return f"Candidate(row {self.row}, {self.case_code})"


@dataclass(frozen=True, slots=True)
class ParsedList:
    candidates: list[Candidate]
    problems: list[FieldProblem]


def read_published_rows(text: str) -> list[object]:
    """Return the rows of a JSON array or of JSON Lines (one object per line)."""
    stripped = text.strip()
    if stripped.startswith("["):
        rows = json.loads(stripped)
        if not isinstance(rows, list):
            raise ValueError("a JSON array of rows was expected")
        return rows
    return [json.loads(line) for line in stripped.splitlines() if line.strip()]


def _text(row: Mapping[str, object], name: str) -> str:
    value = row.get(name)
    if value is None:
        return ""
    return str(value).strip()


def parse_date(raw: str) -> date | None:
    """Read 2019年05月10日, 2019-05-10 or 20190510; None if it is none of them."""
    for pattern in _DATE_FORMATS:
        found = pattern.match(raw)
        if found:
            try:
                return date(*(int(g) for g in found.groups()))
            except ValueError:
                return None
    return None


def parse_published_row(row: object, index: int) -> Candidate | list[FieldProblem]:
    """Read one published row, or return the problems, each naming its row and field."""
    if not isinstance(row, dict):
        return [FieldProblem("row", "must be a JSON object", index)]
    problems = [FieldProblem(name, "required", index) for name in REQUIRED if not _text(row, name)]
    masked = normalise(_text(row, "cardNum"))
    is_person = bool(_MASKED_PERSON.match(masked))
    if masked and not is_person and "*" in masked:
        problems.append(
            FieldProblem("cardNum", "masked, but not as 10 digits, ****, 4 characters", index)
        )
    sex = _SEXES.get(_text(row, "sexy"))
    if _text(row, "sexy") and sex is None:
        problems.append(FieldProblem("sexy", "must be 男 or 女", index))
    age: int | None = None
    if _text(row, "age"):
        try:
            age = int(_text(row, "age"))
        except ValueError:
            problems.append(FieldProblem("age", "must be a whole number", index))
    published = parse_date(_text(row, "publishDate"))
    if _text(row, "publishDate") and published is None:
        problems.append(FieldProblem("publishDate", "not a date", index))
    registered = parse_date(_text(row, "regDate"))
    if _text(row, "regDate") and registered is None:
        problems.append(FieldProblem("regDate", "not a date", index))
    if problems or published is None:
        return problems
    return Candidate(
        row=index,
        name=_text(row, "iname"),
        masked_number=masked,
        is_person=is_person,
        sex=sex,
        age=age,
        case_code=_text(row, "caseCode"),
        court_name=_text(row, "courtName"),
        area_name=_text(row, "areaName"),
        basis_document=_text(row, "gistId"),
        basis_unit=_text(row, "gistUnit"),
        registered_on=registered,
        published_on=published,
        duty=_text(row, "duty"),
        performance=_text(row, "performance"),
        conduct=_text(row, "disruptTypeName"),
        party_type=_text(row, "partyTypeName"),
        business_entity=_text(row, "businessEntity"),
    )


def parse_published_list(rows: Iterable[object]) -> ParsedList:
    """Read every row (numbered from 1); bad rows are named, good rows become candidates."""
    candidates: list[Candidate] = []
    problems: list[FieldProblem] = []
    for index, row in enumerate(rows, start=1):
        parsed = parse_published_row(row, index)
        if isinstance(parsed, Candidate):
            candidates.append(parsed)
        else:
            problems.extend(parsed)
    return ParsedList(candidates, problems)


# --- the case number's court ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseCourt:
    """Which court a case number names: the region code and the names that region has had."""

    region: str
    province: str
    places: tuple[str, ...]


def case_court(case_code: str) -> CaseCourt | None:
    """Return the court region a case number names, or None if it cannot be read."""
    found = _CASE_CODE.match(normalise(case_code).replace("（", "(").replace("）", ")"))
    if not found:
        return None
    province = _abbreviations().get(found.group(2))
    if province is None:
        return None
    region = (province + (found.group(3) or "")).ljust(6, "0")
    info = {k: v for _part, props in numdb.get("cn/loc").info(region) for k, v in props.items()}
    places = tuple(
        name.split("]")[-1] for name in str(info.get("county", "")).split(",") if name.strip()
    )
    return CaseCourt(region, str(info.get("province", "")), places)


def _core(place: str) -> str:
    """A place name without its administrative suffix: 巢湖市 → 巢湖, 安徽省 → 安徽."""
    for suffix in ("自治区", "自治州", "自治县", "省", "市", "区", "县", "盟", "旗"):
        if place.endswith(suffix) and len(place) > len(suffix) + 1:
            return place[: -len(suffix)]
    return place


def court_flags(candidate: Candidate) -> list[str]:
    """Return what is inconsistent between the case number, the court and the area named."""
    court = case_court(candidate.case_code)
    if court is None:
        return ["the case number names no court this platform can read"]
    flags: list[str] = []
    if candidate.area_name and not court.province.startswith(candidate.area_name):
        flags.append(
            f"the case number is from {court.province or court.region},"
            f" the row's area is {candidate.area_name}"
        )
    names = [_core(p) for p in court.places if p and p != court.province]
    if names and not any(name in candidate.court_name for name in names):
        flags.append(
            f"the case number names a court of {'/'.join(court.places)} (region {court.region}),"
            f" not {candidate.court_name}"
        )
    return flags


# --- matching against known persons --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KnownPerson:
    """A person the platform holds: an opaque id, the full number and the name."""

    id: int
    number: str
    name: str

    def __repr__(self) -> str:
        return f"KnownPerson({self.id})"


@dataclass(frozen=True, slots=True)
class Match:
    """A known person the candidate may be, and every inconsistency found (none: consistent)."""

    person_id: int
    inconsistencies: tuple[str, ...]

    @property
    def consistent(self) -> bool:
        return not self.inconsistencies


def number_compatible(masked: str, number: str) -> bool:
    """Whether a full number agrees with a masked one everywhere the mask shows a character."""
    return len(masked) == len(number) and all(
        m == "*" or m == n for m, n in zip(masked, number, strict=True)
    )


def _age_on(number: str, day: date) -> int | None:
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def match_candidate(candidate: Candidate, persons: Iterable[KnownPerson]) -> list[Match]:
    """Return a Match for each known person whose number agrees with the masked one.

    The court-level flags (case number against court and area) are part of every match: the
    reviewer sees them whoever the person is.
    """
    if not candidate.is_person:
        return []
    shared = court_flags(candidate)
    matches: list[Match] = []
    for person in persons:
        number = normalise(person.number)
        if not number_compatible(candidate.masked_number, number):
            continue
        found = list(shared)
        if person.name != candidate.name:
            found.append("the name differs from the person's")
        person_sex = Sex.MALE if number[16].isdigit() and int(number[16]) % 2 else Sex.FEMALE
        if candidate.sex is not None and candidate.sex is not person_sex:
            found.append("the sex differs from the one the number encodes")
        age = _age_on(number, candidate.published_on)
        if candidate.age is not None and age is not None and candidate.age != age:
            found.append(f"the age {candidate.age} differs from {age} on the publication date")
        matches.append(Match(person.id, tuple(found)))
    return matches
