"""The court's published list layout: rows become review candidates, never records."""

from __future__ import annotations

import json
from datetime import date

import pytest
from stdnum.cn import ric

from tests.factories import citizen_id
from xinyong.domain.court_list import (
    KnownPerson,
    case_court,
    court_flags,
    match_candidate,
    parse_published_list,
    read_published_rows,
)
from xinyong.domain.identifiers import InvalidIdentifier, Sex, mask_citizen_id, parse_citizen_id

NUMBER = citizen_id("340181", date(1964, 5, 17), male=True)


def same_mask_other_birthday(number: str) -> str:
    """Another valid number that the court's mask cannot tell from `number`."""
    for day in range(1, 366):
        born = date.fromordinal(date(1964, 1, 1).toordinal() + day)
        body = f"{number[:6]}{born:%Y%m%d}{number[14:17]}"
        candidate = body + ric.calc_check_digit(body + "0")
        if candidate != number and candidate[-4:] == number[-4:]:
            return candidate
    raise AssertionError("no twin number in 1964")


def published_row(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "iname": "张某某",
        "cardNum": mask_citizen_id(NUMBER),
        "sexy": "男",
        "age": "62",
        "caseCode": "（2026）皖0181执1234号",
        "courtName": "巢湖市人民法院",
        "areaName": "安徽",
        "gistId": "（2025）皖0181民初567号",
        "gistUnit": "巢湖市人民法院",
        "regDate": "2026年03月02日",
        "duty": "支付货款人民币十二万元",
        "performance": "全部未履行",
        "disruptTypeName": "有履行能力而拒不履行生效法律文书确定义务",
        "publishDate": "2026年06月01日",
        "partyTypeName": "0",
        "businessEntity": "",
    }
    row.update(overrides)
    return row


def test_json_lines_and_a_json_array_read_alike() -> None:
    rows = [published_row(), published_row(iname="李某")]
    as_lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n"
    assert read_published_rows(as_lines) == read_published_rows(json.dumps(rows))


def test_a_row_becomes_a_candidate_carrying_every_published_field() -> None:
    (candidate,) = parse_published_list([published_row()]).candidates
    assert candidate.is_person
    assert candidate.masked_number == mask_citizen_id(NUMBER)
    assert (candidate.sex, candidate.age) == (Sex.MALE, 62)
    assert candidate.published_on == date(2026, 6, 1)
    assert candidate.registered_on == date(2026, 3, 2)
    assert candidate.performance == "全部未履行"
    assert NUMBER[10:14] not in repr(candidate)


def test_a_masked_number_can_never_pass_the_record_gate() -> None:
    (candidate,) = parse_published_list([published_row()]).candidates
    with pytest.raises(InvalidIdentifier):
        parse_citizen_id(candidate.masked_number)


def test_bad_rows_are_named_by_row_and_field() -> None:
    parsed = parse_published_list(
        [
            published_row(),
            published_row(cardNum="3423011964**3224", sexy="M"),
            published_row(publishDate="soon", age="sixty"),
            "not an object",
            published_row(caseCode=""),
        ]
    )
    assert len(parsed.candidates) == 1
    assert [(p.row, p.field) for p in parsed.problems] == [
        (2, "cardNum"),
        (2, "sexy"),
        (3, "age"),
        (3, "publishDate"),
        (4, "row"),
        (5, "caseCode"),
    ]


def test_a_case_number_names_its_court_region() -> None:
    court = case_court("（2026）皖0181执1234号")
    assert court is not None
    assert (court.region, court.province, court.places) == ("340181", "安徽省", ("巢湖市",))
    assert case_court("(2026)皖01执12号").region == "340100"  # type: ignore[union-attr]
    assert case_court("（2026）皖执1号").region == "340000"  # type: ignore[union-attr]
    assert case_court("no case number") is None


def test_a_consistent_row_matches_its_person_without_flags() -> None:
    (candidate,) = parse_published_list([published_row()]).candidates
    other = same_mask_other_birthday(NUMBER)
    stranger = citizen_id("110105", date(1964, 5, 17))
    matches = match_candidate(
        candidate,
        [
            KnownPerson(1, NUMBER, "张某某"),
            KnownPerson(2, other, "王某"),
            KnownPerson(3, stranger, "张某某"),
        ],
    )
    assert [(m.person_id, m.consistent) for m in matches] == [(1, True), (2, False)]
    assert matches[1].inconsistencies == ("the name differs from the person's",)


def test_sex_and_age_on_the_publication_date_are_checked() -> None:
    (candidate,) = parse_published_list([published_row(sexy="女", age="61")]).candidates
    (match,) = match_candidate(candidate, [KnownPerson(1, NUMBER, "张某某")])
    assert match.inconsistencies == (
        "the sex differs from the one the number encodes",
        "the age 61 differs from 62 on the publication date",
    )


def test_a_case_number_from_another_courts_region_is_flagged() -> None:
    (candidate,) = parse_published_list([published_row(caseCode="（2026）皖0102执77号")]).candidates
    flags = court_flags(candidate)
    assert len(flags) == 1
    assert "region 340102" in flags[0]
    assert "巢湖市人民法院" in flags[0]
    (match,) = match_candidate(candidate, [KnownPerson(1, NUMBER, "张某某")])
    assert match.inconsistencies == tuple(flags)


def test_a_case_number_from_another_province_than_the_area_is_flagged() -> None:
    (candidate,) = parse_published_list(
        [published_row(caseCode="（2026）粤0106执1号", courtName="广州市天河区人民法院")]
    ).candidates
    assert court_flags(candidate) == ["the case number is from 广东省, the row's area is 安徽"]
